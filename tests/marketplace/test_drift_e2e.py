"""Drift measured against the fake Mirakl and a real Odoo (2 workers, queue_job runner).

Eight of ten marketplace orders reach Odoo by a poll; two arrive after it. A reconciliation
run (a batch job) reads the window's orders (OR11 by creation date, pages of 100), imports
the two as poll events (200 per 1,000) and reads the offers' quantities (OF21, paginated).
Then the operator cancels an order (a newer version: imported again), Odoo holds an order
the marketplace never had (listed for a person), and an offer's quantity is changed on the
marketplace (sent again with one STO01).
"""

import uuid
from datetime import timedelta

import pytest

from odoo.addons.retail_connector_marketplace.client import MiraklClient

from ..fakes.mirakl import FakeMirakl
from ..support.odoo_server import query, storable_product
from ..support.odoo_server import wait_until as wait_for

MUG = "E2E-DRIFT-MUG"
NO_OFFER = "E2E-DRIFT-NO-OFFER"  # stocked in Odoo, no offer on the marketplace


@pytest.fixture(scope="module")
def marketplace():
    # Offers of other SKUs too: OF21 lists the whole shop.
    with FakeMirakl(
        api_key="drift-key", currency="USD", debit_delay=None, first_order=8_300_001
    ) as fake:
        for index in range(12):
            fake.add_offer(f"E2E-DRIFT-OTHER-{index:02}", 1)
        fake.add_offer(MUG, 0)
        yield fake


@pytest.fixture(scope="module")
def backend(odoo_server, marketplace):
    server = odoo_server
    server.call(
        "account.tax",
        "create",
        {
            "name": f"E2E drift VAT 20% incl. {uuid.uuid4().hex[:4]}",
            "amount": 20,
            "amount_type": "percent",
            "type_tax_use": "sale",
            "price_include_override": "tax_included",
        },
    )
    product = storable_product(server, MUG, 50)
    backend_id = server.call(
        "retail.backend",
        "create",
        {
            "name": f"Marketplace drift {uuid.uuid4().hex[:6]}",
            "code": "mirakl",
            "mirakl_api_url": marketplace.base_url,
            "mirakl_api_key": marketplace.api_key,
            "export_stock": True,
            "stock_export_delay": 1,
        },
    )
    server.call("retail.backend", "action_activate", [backend_id])
    yield backend_id, product
    # Other modules' stock changes are none of its business.
    server.call("retail.backend", "action_set_draft", [backend_id])


def last_job(server):
    return query(server, "SELECT COALESCE(MAX(id), 0) FROM queue_job")[0][0]


def settled(server, since):
    return not query(
        server,
        "SELECT 1 FROM queue_job WHERE id > %s AND state NOT IN ('done', 'failed', 'cancelled')",
        (since,),
    )


def run_job(server, backend_id, action, method):
    """``action`` on the backend, then every job it leads to; returns its job's result."""
    since = last_job(server)
    server.call("retail.backend", action, [backend_id])
    [(state, result)] = wait_for(
        lambda: query(
            server,
            "SELECT state, result FROM queue_job WHERE id > %s AND func_string LIKE %s "
            "AND state IN ('done', 'failed')",
            (since, f"retail.backend({backend_id},).{method}(%"),
        ),
        method,
        server,
    )
    assert state == "done", result
    wait_for(lambda: settled(server, since), f"the jobs of {method}", server, timeout=90)
    return result


def reconcile(server, backend_id):
    run_job(server, backend_id, "action_reconcile_now", "_reconcile")
    [run] = server.call(
        "retail.reconciliation.run",
        "search_read",
        [("backend_id", "=", backend_id)],
        [
            "state",
            "error",
            "orders_compared",
            "orders_drifted",
            "orders_missing_in_odoo",
            "orders_missing_in_channel",
            "status_mismatches",
            "stock_refusals",
            "skus_compared",
            "stock_differences",
            "order_drift_rate",
            "repaired_count",
            "open_count",
            "line_ids",
        ],
        limit=1,
    )
    lines = server.call(
        "retail.reconciliation.line",
        "read",
        run["line_ids"],
        ["kind", "key", "state", "channel_value", "odoo_value"],
    )
    run["lines"] = sorted((line["kind"], line["key"], line["state"]) for line in lines)
    run["values"] = {line["kind"]: line for line in lines}
    return run


def orders_in_odoo(server, backend_id):
    return dict(
        query(
            server,
            "SELECT retail_external_id, state FROM sale_order WHERE retail_backend_id = %s",
            (backend_id,),
        )
    )


def no_pending_outbox(server, backend_id):
    return not query(
        server,
        "SELECT 1 FROM retail_outbox WHERE backend_id = %s AND state = 'pending'",
        (backend_id,),
    )


def new_order(marketplace):
    # A few seconds old: the window ends when the run starts (to the second), and an
    # order created in that very second is the next run's.
    return marketplace.add_order(
        lines=[{"offer_sku": MUG, "quantity": 1, "price_unit": 12}],
        created=marketplace.now.replace(microsecond=0) - timedelta(seconds=5),
    )


def test_orders_the_poll_missed_are_imported_and_measured(odoo_server, backend, marketplace):
    backend_id, _product = backend
    polled = [new_order(marketplace) for _ in range(8)]
    run_job(odoo_server, backend_id, "action_poll_now", "_poll")
    assert set(orders_in_odoo(odoo_server, backend_id)) == {o["order_id"] for o in polled}
    late = [new_order(marketplace) for _ in range(2)]
    wait_for(lambda: no_pending_outbox(odoo_server, backend_id), "the outbox sent", odoo_server)

    run = reconcile(odoo_server, backend_id)
    assert run["state"] == "done", run["error"]
    assert (run["orders_compared"], run["orders_missing_in_odoo"]) == (10, 2)
    assert run["order_drift_rate"] == 200.0
    # Odoo had the mug in stock before the backend existed: the offer still says 0.
    assert run["lines"] == sorted(
        [("missing_in_odoo", o["order_id"], "repaired") for o in late]
        + [("stock", MUG, "repaired")]
    )
    assert run["values"]["stock"]["channel_value"] == "0"
    wait_for(lambda: marketplace.offers[MUG] > 0, "the stock level sent", odoo_server)
    assert set(orders_in_odoo(odoo_server, backend_id)) == {o["order_id"] for o in polled + late}
    offers_pages = marketplace.requests_to("OF21")
    assert offers_pages and all(r.query.get("max") == "100" for r in offers_pages)
    or11 = marketplace.requests_to("OR11")[-1]
    assert "start_date" in or11.query or "order_ids" in or11.query


def test_cancelled_ghost_and_tampered_stock(odoo_server, backend, marketplace):
    backend_id, _product = backend
    server = odoo_server
    wait_for(lambda: no_pending_outbox(server, backend_id), "the outbox sent", server)
    sent = marketplace.offers[MUG]
    cancelled = sorted(orders_in_odoo(server, backend_id))[0]
    marketplace.operator_cancel(cancelled)
    partner = server.call("res.partner", "create", {"name": "Ghost buyer"})
    [(now,)] = query(server, "SELECT (now() at time zone 'UTC') - interval '1 hour'")
    server.call(
        "sale.order",
        "create",
        {
            "partner_id": partner,
            "retail_backend_id": backend_id,
            "retail_external_id": "GHOST-1",
            "date_order": now.strftime("%Y-%m-%d %H:%M:%S"),
        },
    )
    storable_product(server, NO_OFFER, 3)  # sent, and refused in the import's error report
    wait_for(lambda: no_pending_outbox(server, backend_id), "the outbox sent", server)
    with marketplace.lock:  # the quantity changed on the marketplace's side
        marketplace.offers[MUG] = sent + 4
    imports = len(marketplace.requests_to("STO01"))

    run = reconcile(server, backend_id)
    assert run["lines"] == sorted(
        [
            ("missing_in_channel", "GHOST-1", "open"),
            ("status", cancelled, "repaired"),
            ("stock", MUG, "repaired"),
            ("stock_refused", NO_OFFER, "open"),
        ]
    )
    assert (run["orders_compared"], run["orders_drifted"]) == (11, 2)
    assert (run["repaired_count"], run["open_count"], run["stock_refusals"]) == (2, 2, 1)
    refused = run["values"]["stock_refused"]["channel_value"]
    assert f"The offer {NO_OFFER} does not exist" in refused, refused
    assert marketplace.requests_to("STO02") and marketplace.requests_to("STO03")
    stock = run["values"]["stock"]
    assert (stock["channel_value"], stock["odoo_value"]) == (str(sent + 4), str(sent))
    assert run["values"]["status"]["channel_value"] == "cancelled (CANCELED)"
    wait_for(lambda: marketplace.offers[MUG] == sent, "the stock sent again", server)
    assert len(marketplace.requests_to("STO01")) == imports + 1
    assert orders_in_odoo(server, backend_id)[cancelled] == "cancel"
    assert "order_ids" in marketplace.requests_to("OR11")[-1].query, "GHOST-1 was looked up"


def test_offers_are_read_page_by_page():
    """OF21 against the fake alone: ``max``/``offset`` pages until ``total_count``."""
    with FakeMirakl(api_key="of21-key") as fake:
        for index in range(12):
            fake.add_offer(f"OF21-{index:02}", index)
        client = MiraklClient(fake.base_url, fake.api_key)
        offers = list(client.offers(page_size=5))
        assert [(o["shop_sku"], o["quantity"]) for o in offers] == [
            (f"OF21-{index:02}", index) for index in range(12)
        ]
        assert [r.query["offset"] for r in fake.requests_to("OF21")] == ["0", "5", "10"]
        fake.fail_next("429", retry_after=0)  # waited out inside the call
        assert len(list(client.offers())) == 12
