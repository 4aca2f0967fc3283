"""Mirakl orders reach Odoo by polling the fake Mirakl, through a real Odoo (2 workers and
the queue_job runner): the poll job stores each order version as an event, the event job
imports it through base, a job decides the lines and sends one OR21.

Covered: partial acceptance when stock is short, the holds until SHIPPING, SHIPPING
revealing the addresses and confirming the order, an order refused by the operator's
deadline (recorded), an operator cancellation after acceptance, overlapping polls storing
nothing twice, a 429 during the poll, and line cancellations both ways: the operator's
shrink the order; a short delivery or a cancelled backorder in Odoo cancels the missing
units (OR30) before shipping, and that cancellation coming back holds nothing; an
operator refund after shipping recorded once.
"""

import time
import uuid
from contextlib import closing
from datetime import timedelta

import pytest

from ..fakes.mirakl import FakeMirakl
from ..support.odoo_server import db_connect, query, storable_product
from ..support.odoo_server import wait_until as wait_for

MUG, CAP, BOWL = "E2E-IN-MUG", "E2E-IN-CAP", "E2E-IN-BOWL"
TIMEOUT = 30


@pytest.fixture(scope="module")
def marketplace():
    # debit_delay=None: the fake debits the customer only when a test advances the order.
    # Order ids of its own: other modules' fakes count from 1001 in the same database.
    with FakeMirakl(
        api_key="inbound-key", currency="USD", debit_delay=None, first_order=8_100_001
    ) as fake:
        yield fake


@pytest.fixture(scope="module")
def backend(odoo_server, marketplace):
    server = odoo_server
    server.call(
        "account.tax",
        "create",
        {
            "name": f"E2E inbound VAT 20% incl. {uuid.uuid4().hex[:4]}",
            "amount": 20,
            "amount_type": "percent",
            "type_tax_use": "sale",
            "price_include_override": "tax_included",
        },
    )
    for sku, quantity in ((MUG, 5), (CAP, 0)):
        storable_product(server, sku, quantity)
    backend_id = server.call(
        "retail.backend",
        "create",
        {
            "name": f"Marketplace inbound {uuid.uuid4().hex[:6]}",
            "code": "mirakl",
            "mirakl_api_url": marketplace.base_url,
            "mirakl_api_key": marketplace.api_key,
        },
    )
    server.call("retail.backend", "action_activate", [backend_id])
    return backend_id


def execute(server, sql, params=()):
    with closing(db_connect(server.dbname)) as conn, conn.cursor() as cr:
        cr.execute(sql, params)
        conn.commit()


def last_job(server):
    return query(server, "SELECT COALESCE(MAX(id), 0) FROM queue_job")[0][0]


def settled(server, since):
    """Whether every job queued after ``since`` has run (none pending or running)."""
    return not query(
        server,
        "SELECT 1 FROM queue_job WHERE id > %s AND state NOT IN ('done', 'failed', 'cancelled')",
        (since,),
    )


def poll(server, backend_id):
    """One poll through the job runner, and every job it leads to; returns its result."""
    since = last_job(server)
    server.call("retail.backend", "action_poll_now", [backend_id])
    [(state, result)] = wait_for(
        lambda: query(
            server,
            "SELECT state, result FROM queue_job WHERE id > %s AND method_name = '_poll' "
            "AND state IN ('done', 'failed')",
            (since,),
        ),
        "the poll",
        server,
    )
    assert state == "done", result
    wait_for(lambda: settled(server, since), "the jobs of the poll", server)
    return result


def sale_order(server, backend_id, order_id):
    rows = query(
        server,
        "SELECT so.id, so.state, so.retail_hold_reason, so.mirakl_acceptance, "
        "so.mirakl_acceptance_note, so.retail_channel_status, ship.city, ship.street, "
        "(SELECT array_agg(p.default_code ORDER BY p.default_code) FROM sale_order_line l "
        "JOIN product_product p ON p.id = l.product_id WHERE l.order_id = so.id "
        "AND p.default_code IN %s) "
        "FROM sale_order so JOIN res_partner ship ON ship.id = so.partner_shipping_id "
        "WHERE so.retail_backend_id = %s AND so.retail_external_id = %s",
        ((MUG, CAP), backend_id, order_id),
    )
    if not rows:
        return None
    keys = ("id", "state", "hold", "acceptance", "note", "status", "city", "street", "skus")
    return dict(zip(keys, rows[0], strict=True))


def test_partial_acceptance_then_shipping_confirms(odoo_server, backend, marketplace):
    order = marketplace.add_order(
        lines=[
            {"offer_sku": MUG, "quantity": 2, "price_unit": 12},
            {"offer_sku": CAP, "quantity": 1, "price_unit": 6},
        ]
    )
    order_id = order["order_id"]
    poll(odoo_server, backend)
    assert marketplace.accept_calls == [(order_id, {f"{order_id}-1": True, f"{order_id}-2": False})]
    values = sale_order(odoo_server, backend, order_id)
    assert values["acceptance"] == "partial"
    assert "short of stock (0 available)" in values["note"]
    assert values["street"] is None, "no address before SHIPPING"

    poll(odoo_server, backend)  # WAITING_DEBIT
    values = sale_order(odoo_server, backend, order_id)
    assert values["state"] == "draft"
    assert "waiting for the marketplace to debit" in values["hold"]
    assert values["skus"] == [MUG], "the refused line is not on the order"
    assert len(marketplace.requests_to("OR21")) == 1, "OR21 is sent once"

    marketplace.advance(order_id)
    marketplace.advance(order_id)
    assert order["order_state"] == "SHIPPING"
    poll(odoo_server, backend)
    values = sale_order(odoo_server, backend, order_id)
    assert values["state"] == "sale", values["hold"]
    assert not values["hold"]
    assert (values["city"], values["street"]) == ("Paris", "12 rue de la Paix")
    assert values["status"] == "shipping"


def test_partial_acceptance_confirms_when_the_operator_keeps_the_refused_total(
    odoo_server, backend, marketplace
):
    """Some operators leave total_price counting the refused line: the order is still
    checked against the line that stands, and confirmed at SHIPPING."""
    marketplace.recompute_totals_on_refusal = False
    try:
        order = marketplace.add_order(
            lines=[
                {"offer_sku": MUG, "quantity": 1, "price_unit": 12},
                {"offer_sku": CAP, "quantity": 1, "price_unit": 6},
            ]
        )
        order_id = order["order_id"]
        poll(odoo_server, backend)  # WAITING_ACCEPTANCE: the cap is refused
        marketplace.advance(order_id)
        marketplace.advance(order_id)
    finally:
        marketplace.recompute_totals_on_refusal = True
    assert order["order_state"] == "SHIPPING"
    refused = sum(line["total_price"] for line in order["order_lines"][1:])
    assert order["order_lines"][1]["order_line_state"] == "REFUSED"
    assert order["total_price"] == order["order_lines"][0]["total_price"] + refused
    poll(odoo_server, backend)
    values = sale_order(odoo_server, backend, order_id)
    assert values["state"] == "sale", values["hold"]
    assert values["skus"] == [MUG]
    [(total,)] = query(
        odoo_server, "SELECT amount_total FROM sale_order WHERE id = %s", (values["id"],)
    )
    assert float(total) == order["order_lines"][0]["total_price"]


def test_overlapping_polls_store_no_duplicates(odoo_server, backend, marketplace):
    marketplace.add_order(lines=[{"offer_sku": MUG, "quantity": 1, "price_unit": 12}])
    poll(odoo_server, backend)  # WAITING_ACCEPTANCE, accepted meanwhile
    poll(odoo_server, backend)  # WAITING_DEBIT
    result = poll(odoo_server, backend)  # nothing changed: every version seen again
    assert " 0 new events" in result and not result.startswith("0 ")
    [(total, distinct)] = query(
        odoo_server,
        "SELECT count(*), count(DISTINCT event_key) FROM retail_event "
        "WHERE backend_id = %s AND source = 'poll'",
        (backend,),
    )
    assert total == distinct
    assert all(request.query.get("max") == "100" for request in marketplace.requests_to("OR11"))


def test_operator_cancel_after_acceptance_cancels(odoo_server, backend, marketplace):
    order = marketplace.add_order(lines=[{"offer_sku": MUG, "quantity": 1, "price_unit": 12}])
    order_id = order["order_id"]
    poll(odoo_server, backend)
    assert sale_order(odoo_server, backend, order_id)["acceptance"] == "accepted"
    poll(odoo_server, backend)
    assert sale_order(odoo_server, backend, order_id)["state"] == "draft"
    marketplace.operator_cancel(order_id)
    poll(odoo_server, backend)
    values = sale_order(odoo_server, backend, order_id)
    assert values["state"] == "cancel"
    assert values["status"] == "canceled"


def test_deadline_missed_is_recorded(odoo_server, backend, marketplace):
    created = marketplace.now.replace(microsecond=0) - timedelta(days=4)
    order = marketplace.add_order(
        lines=[{"offer_sku": MUG, "quantity": 1, "price_unit": 12}], created=created
    )
    order_id = order["order_id"]
    assert marketplace.expire_deadlines() == [order_id]
    calls = len(marketplace.accept_calls)
    poll(odoo_server, backend)
    values = sale_order(odoo_server, backend, order_id)
    assert values["state"] == "cancel"
    assert values["acceptance"] == "auto_refused"
    assert "Not accepted before the deadline" in values["note"]
    assert len(marketplace.accept_calls) == calls, "no OR21 for a refused order"
    [(reason,)] = query(
        odoo_server,
        "SELECT state_reason FROM retail_event WHERE backend_id = %s AND event_key LIKE %s",
        (backend, f"{order_id}@%"),
    )
    assert "deadline was missed" in reason


def test_429_during_the_poll_is_honoured(odoo_server, backend, marketplace):
    # A short Retry-After: the client waits it out within the job.
    marketplace.clear_log()
    marketplace.fail_next("429", retry_after=1, api="OR11")
    poll(odoo_server, backend)
    throttled, retried = marketplace.requests_to("OR11")[:2]
    assert throttled.throttled and retried.status == 200
    # A long one: the job is postponed by Retry-After, then polls.
    marketplace.fail_next("429", retry_after=120, api="OR11", times=5)
    since = last_job(odoo_server)
    odoo_server.call("retail.backend", "action_poll_now", [backend])
    [(job_id, delay)] = wait_for(
        lambda: query(
            odoo_server,
            "SELECT id, EXTRACT(EPOCH FROM eta - now() AT TIME ZONE 'UTC') FROM queue_job "
            "WHERE id > %s AND method_name = '_poll' AND state = 'pending' "
            "AND eta IS NOT NULL",
            (since,),
        ),
        "the poll postponed",
        odoo_server,
    )
    assert delay > 60
    # "Poll now" again: the channel's Retry-After still holds the poll back.
    odoo_server.call("retail.backend", "action_poll_now", [backend])
    [(delay_after,)] = query(
        odoo_server,
        "SELECT EXTRACT(EPOCH FROM eta - now() AT TIME ZONE 'UTC') FROM queue_job WHERE id = %s",
        (job_id,),
    )
    assert delay_after > 60
    marketplace.faults.clear()
    # Time passes: the Retry-After is over.
    execute(
        odoo_server,
        "DELETE FROM retail_backend_runtime "
        "WHERE backend_id = %s AND key LIKE 'poll_not_before/%%'",
        (backend,),
    )
    execute(odoo_server, "UPDATE queue_job SET eta = NULL WHERE id = %s", (job_id,))
    wait_for(
        lambda: query(
            odoo_server, "SELECT 1 FROM queue_job WHERE id = %s AND state = 'done'", (job_id,)
        ),
        "the postponed poll",
        odoo_server,
    )


# Jobs of this backend only: the cron polls every active backend of the session.
OF_BACKEND = "AND ((records #>> '{}')::jsonb -> 'ids') = %s::jsonb"


def test_a_poll_waiting_after_an_outage_catches_up_within_a_minute(
    odoo_server, backend, marketplace
):
    """Mirakl down longer than the client's quick attempts: the poll job waits for its
    next attempt (here pushed 30 minutes away, as after a few). Mirakl is back: the
    cron's next run (every minute) brings the poll forward and it catches up."""
    order = marketplace.add_order(lines=[{"offer_sku": MUG, "quantity": 1, "price_unit": 12}])
    marketplace.fail_next("5xx", times=1000, status=503, api="OR11")
    since = last_job(odoo_server)
    odoo_server.call("retail.backend", "action_poll_now", [backend])
    [(job_id,)] = wait_for(
        lambda: query(
            odoo_server,
            "SELECT id FROM queue_job WHERE id > %s AND method_name = '_poll' "
            "AND state = 'pending' AND retry > 0 " + OF_BACKEND,
            (since, f"[{backend}]"),
        ),
        "the poll failing",
        odoo_server,
    )
    execute(
        odoo_server,
        "UPDATE queue_job SET eta = now() AT TIME ZONE 'UTC' + interval '30 minutes' WHERE id = %s",
        (job_id,),
    )
    marketplace.faults.clear()
    [cron] = odoo_server.call(
        "ir.cron", "search", [("name", "=", "Retail Connect: poll the channels")]
    )
    back = time.monotonic()
    odoo_server.call("ir.cron", "method_direct_trigger", [cron])
    wait_for(
        lambda: query(
            odoo_server, "SELECT 1 FROM queue_job WHERE id = %s AND state = 'done'", (job_id,)
        ),
        "the poll after the outage",
        odoo_server,
        timeout=60,
    )
    assert time.monotonic() - back < 60
    assert last_job(odoo_server) >= job_id
    [(polls,)] = query(
        odoo_server,
        "SELECT count(*) FROM queue_job WHERE id > %s AND method_name = '_poll' " + OF_BACKEND,
        (since, f"[{backend}]"),
    )
    assert polls == 1, "the waiting poll ran: no second one was queued"
    wait_for(lambda: sale_order(odoo_server, backend, order["order_id"]), "the order", odoo_server)


def test_test_connection_shows_the_shop_name_or_the_exact_error(odoo_server):
    from ..fakes.mirakl import FakeMirakl

    with FakeMirakl(shop_name="Boutique Test") as fake:
        backend = odoo_server.call(
            "retail.backend",
            "create",
            {
                "name": "Mirakl connection test",
                "code": "mirakl",
                "mirakl_api_url": fake.base_url,
                "mirakl_api_key": fake.api_key,
            },
        )
        action = odoo_server.call("retail.backend", "action_mirakl_test_connection", [backend])
        assert action["params"]["type"] == "success"
        assert "Connected to Boutique Test" in action["params"]["message"]
        odoo_server.call("retail.backend", "write", [backend], {"mirakl_api_key": "wrong-key"})
        action = odoo_server.call("retail.backend", "action_mirakl_test_connection", [backend])
        assert action["params"]["type"] == "danger"
        assert "Connection failed" in action["params"]["message"]
        assert "wrong-key" not in action["params"]["message"]


@pytest.fixture(scope="module")
def bowl(odoo_server, backend):
    """A product with plenty of stock, a carrier and the backend's cancellation reason code,
    for the line cancellation tests."""
    server = odoo_server
    storable_product(server, BOWL, 50)
    service = server.call("product.product", "create", {"name": "Colissimo", "type": "service"})
    carrier = server.call(
        "delivery.carrier", "create", {"name": "Colissimo", "product_id": service}
    )
    server.call("retail.backend", "write", [backend], {"mirakl_cancel_reason_code": "40"})
    return carrier


def shipping_sale_order(server, backend_id, marketplace, quantity):
    """A marketplace order of ``quantity`` bowls polled up to SHIPPING: the confirmed sale
    order's id, its delivery's id and the marketplace order."""
    order = marketplace.add_order(
        lines=[{"offer_sku": BOWL, "quantity": quantity, "price_unit": 9}]
    )
    poll(server, backend_id)  # accepted
    marketplace.advance(order["order_id"])
    marketplace.advance(order["order_id"])
    assert order["order_state"] == "SHIPPING"
    poll(server, backend_id)
    [(sale_id, state, picking_id)] = query(
        server,
        "SELECT so.id, so.state, p.id FROM sale_order so JOIN stock_picking p ON p.sale_id = so.id "
        "WHERE so.retail_backend_id = %s AND so.retail_external_id = %s",
        (backend_id, order["order_id"]),
    )
    assert state == "sale"
    return sale_id, picking_id, order


def bowl_lines(server, sale_id):
    """(ordered, delivered) of the order's line, its open delivery quantity, and its hold."""
    [(ordered, delivered, hold)] = query(
        server,
        "SELECT l.product_uom_qty, l.qty_delivered, so.retail_hold_reason FROM sale_order_line l "
        "JOIN sale_order so ON so.id = l.order_id "
        "WHERE so.id = %s AND l.retail_line_id IS NOT NULL",
        (sale_id,),
    )
    [(to_deliver,)] = query(
        server,
        "SELECT COALESCE(SUM(m.product_uom_qty), 0) FROM stock_move m JOIN stock_picking p "
        "ON p.id = m.picking_id WHERE p.sale_id = %s AND m.state NOT IN ('done', 'cancel')",
        (sale_id,),
    )
    return float(ordered), float(delivered), float(to_deliver), hold


def deliver(server, picking_id, carrier, quantity, *, backorder):
    moves = server.call("stock.move", "search", [("picking_id", "=", picking_id)])
    server.call("stock.move", "write", moves, {"quantity": quantity, "picked": True})
    server.call(
        "stock.picking",
        "write",
        [picking_id],
        {"carrier_id": carrier, "carrier_tracking_ref": f"CP{picking_id}"},
    )
    context = {"skip_backorder": True, "skip_sms": True}
    if not backorder:
        context["picking_ids_not_to_backorder"] = [picking_id]
    server.call("stock.picking", "button_validate", [picking_id], context=context)
    [(state,)] = query(server, "SELECT state FROM stock_picking WHERE id = %s", (picking_id,))
    assert state == "done"


def cancelled_units(marketplace, order):
    return sum(c["quantity"] for c in order["order_lines"][0]["cancelations"])


def test_a_line_cancelled_by_the_operator_shrinks_the_order(
    odoo_server, backend, marketplace, bowl
):
    sale_id, _picking, order = shipping_sale_order(odoo_server, backend, marketplace, 3)
    marketplace.operator_cancel_line(f"{order['order_id']}-1", quantity=1)
    poll(odoo_server, backend)
    assert bowl_lines(odoo_server, sale_id) == (2.0, 0.0, 2.0, None)


def test_a_short_delivery_cancels_the_missing_units_then_ships(
    odoo_server, backend, marketplace, bowl
):
    sale_id, picking_id, order = shipping_sale_order(odoo_server, backend, marketplace, 2)
    deliver(odoo_server, picking_id, bowl, 1, backorder=False)
    wait_for(lambda: order["order_state"] == "SHIPPED", "the shipment", odoo_server)
    calls = [
        e.api
        for e in marketplace.request_log
        if e.api in ("OR30", "OR23", "OR24")
        and e.status < 300
        and (order["order_id"] in e.path or order["order_id"] in (e.body or b"").decode())
    ]
    assert calls == ["OR30", "OR23", "OR24"]
    assert cancelled_units(marketplace, order) == 1
    poll(odoo_server, backend)  # our own cancellation comes back: no hold
    assert bowl_lines(odoo_server, sale_id) == (1.0, 1.0, 0.0, None)


def test_cancelling_the_backorder_ships_what_was_delivered(odoo_server, backend, marketplace, bowl):
    sale_id, picking_id, order = shipping_sale_order(odoo_server, backend, marketplace, 3)
    deliver(odoo_server, picking_id, bowl, 2, backorder=True)
    [(backorder,)] = query(
        odoo_server, "SELECT id FROM stock_picking WHERE backorder_id = %s", (picking_id,)
    )
    assert order["order_state"] == "SHIPPING", "the order waits for its backorder"
    odoo_server.call("stock.picking", "action_cancel", [backorder])
    wait_for(lambda: order["order_state"] == "SHIPPED", "the shipment", odoo_server)
    assert cancelled_units(marketplace, order) == 1
    poll(odoo_server, backend)
    assert bowl_lines(odoo_server, sale_id) == (2.0, 2.0, 0.0, None)


def test_an_operator_refund_after_shipping_is_recorded_once(
    odoo_server, backend, marketplace, bowl
):
    sale_id, picking_id, order = shipping_sale_order(odoo_server, backend, marketplace, 2)
    deliver(odoo_server, picking_id, bowl, 2, backorder=False)
    wait_for(lambda: order["order_state"] == "SHIPPED", "the shipment", odoo_server)
    refund_id = marketplace.operator_refund(f"{order['order_id']}-1", quantity=1)
    poll(odoo_server, backend)
    poll(odoo_server, backend)  # the same version again records nothing twice
    refunds = query(
        odoo_server,
        "SELECT external_id, amount, state FROM retail_order_refund WHERE order_id = %s",
        (sale_id,),
    )
    assert [(external_id, float(amount)) for external_id, amount, _state in refunds] == [
        (str(refund_id), 9.0)
    ]
    [(payment_state, hold)] = query(
        odoo_server,
        "SELECT retail_payment_state, retail_hold_reason FROM sale_order WHERE id = %s",
        (sale_id,),
    )
    assert payment_state == "partially_refunded"
    assert hold is None
