"""Reconciliation against the fake Shopify and a real Odoo (2 workers, queue_job runner).

Webhooks deliver most orders; one delivery is "dropped". The poll (orders updated since
the cursor, with an overlap) finds it and feeds it through the same event store
(source ``poll``, key ``<gid>@<updatedAt>``); a second poll stores nothing new; the
cursor only moves forward; a throttled or failing Shopify only slows the poll; two bulk
operations, one after the other, backfill older orders and customers.
"""

import re
import uuid
from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest
import requests

from ..fakes.shopify import (
    STATIC_TOKEN,
    FakeShopify,
    customer_webhook_payload,
    iso,
    order_webhook_payload,
)
from ..support.odoo_server import db_connect, query
from ..support.odoo_server import wait_until as wait_for

SKUS = ("RC-MUG", "RC-CAP")
BULK_OPERATION_RUN_QUERY = """
mutation RetailBulkOperationRunQuery($query: String!) {
  bulkOperationRunQuery(query: $query) { bulkOperation { id status } userErrors { message } }
}
"""
OTHER_BULK_QUERY = "{ orders { edges { node { id } } } }"
TIMEOUT = 40


@pytest.fixture(scope="module")
def shop():
    # Order ids of their own: other e2e modules' fakes count from 1001 in the same database.
    with FakeShopify(
        currency="USD", shop_domain="reconcile-e2e.myshopify.com", first_order=7_100_001
    ) as fake:
        yield fake


@pytest.fixture(scope="module")
def store(odoo_server, shop):
    """An active Shopify backend of its own, with its products and a 10 % sales tax."""
    server = odoo_server
    group = server.call("account.tax.group", "create", {"name": "Reconcile tax"})
    server.call(
        "account.tax",
        "create",
        {
            "name": "Reconcile 10% excl.",
            "amount": 10,
            "amount_type": "percent",
            "type_tax_use": "sale",
            "tax_group_id": group,
        },
    )
    for sku in SKUS:
        server.call("product.product", "create", {"name": sku, "default_code": sku})
    backend_id = server.call(
        "retail.backend",
        "create",
        {
            "name": f"Shopify reconcile {uuid.uuid4().hex[:6]}",
            "code": "shopify",
            "shopify_shop_domain": shop.shop_domain,
            "shopify_api_url": shop.base_url,
            "shopify_client_id": shop.client_id,
            "shopify_client_secret": shop.client_secret,
            "poll_overlap_minutes": 10,
        },
    )
    server.call("retail.backend", "action_activate", [backend_id])
    [backend] = server.call("retail.backend", "read", [backend_id], ["webhook_token"])
    url = f"{server.base_url}/retail/webhook/{backend['webhook_token']}"
    return backend_id, url


def execute(server, sql, params=()):
    with closing(db_connect(server.dbname)) as conn, conn.cursor() as cr:
        cr.execute(sql, params)
        conn.commit()


def new_order(shop, **kwargs):
    lines = [{"sku": "RC-MUG", "quantity": 2, "price": "12.50"}, {"sku": "RC-CAP", "quantity": 1}]
    return shop.add_order(line_items=lines, tax_rate="0.1", **kwargs)


def imported(server, backend_id, gids):
    """``{gid: (state, amount_total)}`` of the imported orders among ``gids``."""
    rows = query(
        server,
        "SELECT retail_external_id, state, amount_total FROM sale_order "
        "WHERE retail_backend_id = %s AND retail_external_id IN %s",
        (backend_id, tuple(gids)),
    )
    return {gid: (state, float(total)) for gid, state, total in rows}


def wait_imported(server, backend_id, orders):
    gids = [order["id"] for order in orders]
    done = wait_for(
        lambda: (found := imported(server, backend_id, gids)) and len(found) == len(gids) and found,
        f"orders {gids} imported",
        server,
    )
    for order in orders:
        assert done[order["id"]] == ("sale", float(order["totalPriceSet"]["shopMoney"]["amount"]))
    return done


def poll_events(server, backend_id):
    return query(
        server,
        "SELECT event_key, topic, state FROM retail_event "
        "WHERE backend_id = %s AND source = 'poll' ORDER BY id",
        (backend_id,),
    )


def backend_values(server, backend_id):
    [row] = query(
        server,
        "SELECT cursor, last_run_at, last_result FROM retail_poll_cursor "
        "WHERE backend_id = %s AND stream = 'orders'",
        (backend_id,),
    )
    return row


def poll(server, backend_id, via_cron=False):
    """Run one poll through the job runner; return the backend's poll values after it."""
    [(last_job,)] = query(server, "SELECT COALESCE(MAX(id), 0) FROM queue_job")
    if via_cron:
        [cron] = query(
            server,
            "SELECT res_id FROM ir_model_data WHERE module = 'retail_connector_base' "
            "AND name = 'ir_cron_retail_poll'",
        )
        server.call("ir.cron", "method_direct_trigger", [cron[0]])
    else:
        server.call("retail.backend", "action_poll_now", [backend_id])
    [(state, result)] = wait_for(
        lambda: query(
            server,
            "SELECT state, result FROM queue_job WHERE id > %s AND func_string LIKE %s "
            "AND state IN ('done', 'failed')",
            (last_job, f"retail.backend({backend_id},)._poll(%"),
        ),
        "the poll",
        server,
    )
    assert state == "done", result
    return backend_values(server, backend_id)


def partner_bindings(server, backend_id, gids):
    """``{gid: (partner name, email, channel updated at)}`` of the customers bound among
    ``gids``."""
    rows = query(
        server,
        "SELECT b.external_id, p.name, p.email, b.external_updated_at FROM retail_binding b "
        "JOIN res_partner p ON p.id = b.res_id WHERE b.backend_id = %s "
        "AND b.res_model = 'res.partner' AND b.external_id IN %s",
        (backend_id, tuple(gids)),
    )
    return {gid: (name, email, updated) for gid, name, email, updated in rows}


def backfill_state(server, backend_id):
    """The backfill's status, step and running bulk operation (runtime values)."""
    values = dict(
        query(
            server,
            "SELECT key, value FROM retail_backend_runtime WHERE backend_id = %s",
            (backend_id,),
        )
    )
    return tuple(
        values.get(f"shopify_{key}")
        for key in ("backfill_status", "backfill_step", "bulk_operation_id")
    )


def utc_naive(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)


def test_poll_finds_the_order_a_webhook_missed(odoo_server, store, shop):
    backend_id, url = store
    first, dropped, third = (new_order(shop) for _ in range(3))
    for order in (first, third):
        response = shop.deliver_webhook(url, "orders/create", order_webhook_payload(order))
        assert response.status_code == 200, response.text
    wait_imported(odoo_server, backend_id, [first, third])
    assert not imported(odoo_server, backend_id, [dropped["id"]])

    cursor, _at, result = poll(odoo_server, backend_id, via_cron=True)
    wait_imported(odoo_server, backend_id, [dropped])
    # Only the missing order became an event: the others' bindings have this update.
    assert poll_events(odoo_server, backend_id) == [
        (f"{dropped['id']}@{dropped['updatedAt']}", "orders/poll", "done")
    ]
    assert cursor == max(utc_naive(o["updatedAt"]) for o in (first, dropped, third))
    assert "3 orders updated" in result and "1 new events" in result


def test_a_second_poll_stores_nothing_new_and_the_cursor_moves_forward(odoo_server, store, shop):
    backend_id, _url = store
    events = poll_events(odoo_server, backend_id)
    cursor, _at, result = poll(odoo_server, backend_id)
    assert poll_events(odoo_server, backend_id) == events, "the overlap reads them again"
    assert "0 new events" in result
    assert backend_values(odoo_server, backend_id)[0] == cursor

    # An order updated in Shopify (a webhook lost again) comes in with its new version.
    [gid] = [key.split("@")[0] for key, _topic, _state in events]
    later = shop.touch_order(gid, updated_at=datetime.now(UTC) + timedelta(seconds=5))
    new_cursor, _at, result = poll(odoo_server, backend_id)
    assert new_cursor == utc_naive(later["updatedAt"]) > cursor
    assert poll_events(odoo_server, backend_id)[-1][0] == f"{gid}@{later['updatedAt']}"

    # Never backwards: orders updated before the cursor (outside the overlap) are not read.
    shop.touch_order(gid, updated_at=datetime.now(UTC) - timedelta(hours=2))
    assert poll(odoo_server, backend_id)[0] == new_cursor


def test_poll_completes_through_throttling_and_5xx(odoo_server, store, shop):
    backend_id, _url = store
    server = odoo_server
    missed = new_order(shop, updated_at=datetime.now(UTC) + timedelta(seconds=10))
    shop.clear_log()
    shop.fail_next("throttled")  # waited out within the call
    shop.fail_next("html_5xx", status=503)  # fails this run of the job: queue_job retries it
    [(since,)] = query(server, "SELECT COALESCE(MAX(id), 0) FROM queue_job")
    server.call("retail.backend", "action_poll_now", [backend_id])
    [(job_id,)] = wait_for(
        lambda: query(
            server,
            "SELECT id FROM queue_job WHERE id > %s AND func_string LIKE %s "
            "AND state = 'pending' AND retry = 1 AND eta IS NOT NULL",
            (since, f"retail.backend({backend_id},)._poll(%"),
        ),
        "the poll postponed for a retry",
        server,
    )
    execute(server, "UPDATE queue_job SET eta = NULL WHERE id = %s", (job_id,))  # retry now
    wait_for(
        lambda: query(
            server, "SELECT 1 FROM queue_job WHERE id = %s AND state = 'done'", (job_id,)
        ),
        "the retried poll",
        server,
    )
    wait_imported(server, backend_id, [missed])
    requests_made = shop.graphql_requests("RetailOrdersUpdatedSince")
    assert [entry.fault for entry in requests_made][:3] == ["throttled", "html_5xx", None]


def test_backfill_imports_older_orders_and_customers_through_bulk_operations(
    odoo_server, store, shop
):
    backend_id, url = store
    now = datetime.now(UTC)
    ten_days_ago = now - timedelta(days=10)
    old = new_order(shop, created_at=iso(ten_days_ago), updated_at=iso(ten_days_ago))
    shop.add_order(
        line_items=[{"sku": "RC-MUG", "quantity": 1}],
        updated_at=iso(now - timedelta(days=90)),
    )  # beyond the backfill's 60 days
    tag = uuid.uuid4().hex[:6]
    # A recent customer without any order, one long gone, and one a webhook brought in.
    recent = shop.add_customer(
        first_name="Nora",
        last_name=f"Backfill {tag}",
        email=f"nora-{tag}@example.com",
        email_marketing="SUBSCRIBED",
        address={"address1": "5 Harbour St", "city": "Portland", "countryCodeV2": "US"},
        updated_at=iso(now - timedelta(days=5)),
    )
    gone = shop.add_customer(
        first_name="Olaf", email=f"olaf-{tag}@example.com", updated_at=iso(now - timedelta(days=90))
    )
    known = shop.add_customer(
        first_name="Kim", email=f"kim-{tag}@example.com", updated_at=iso(now - timedelta(days=3))
    )
    response = shop.deliver_webhook(url, "customers/create", customer_webhook_payload(known))
    assert response.status_code == 200, response.text
    wait_for(
        lambda: partner_bindings(odoo_server, backend_id, [known["id"]]),
        "the customer delivered by webhook",
        odoo_server,
    )

    # Another bulk operation runs on the shop: one at a time, the backfill says so.
    shop.bulk_delay = None
    other = requests.post(
        shop.graphql_url(),
        json={"query": BULK_OPERATION_RUN_QUERY, "variables": {"query": OTHER_BULK_QUERY}},
        headers={"X-Shopify-Access-Token": STATIC_TOKEN},
        timeout=5,
    ).json()["data"]["bulkOperationRunQuery"]["bulkOperation"]
    busy = odoo_server.call("retail.backend", "action_shopify_backfill_orders", [backend_id])
    assert busy["params"]["type"] == "warning", busy
    assert (
        "already running" in busy["params"]["message"] and other["id"] in busy["params"]["message"]
    )
    shop.complete_bulk_operation()

    shop.bulk_delay = 0.3
    started = odoo_server.call("retail.backend", "action_shopify_backfill_orders", [backend_id])
    assert started["params"]["type"] == "success", started
    status, step, _running = backfill_state(odoo_server, backend_id)
    assert step == "orders" and "customers: waiting" in status, status
    # The customers' operation, started once the orders are stored, runs until told.
    shop.bulk_delay = None

    wait_imported(odoo_server, backend_id, [old])
    status, step, running = wait_for(
        lambda: (row := backfill_state(odoo_server, backend_id))[1] == "customers" and row,
        "the customers' bulk operation",
        odoo_server,
    )
    assert re.fullmatch(r"orders: \d+ stored \(\d+ exported\); customers: running", status)
    orders_bulk, customers_bulk = list(shop.bulk_operations.values())[-2:]
    assert customers_bulk["id"] == running and customers_bulk["status"] in ("CREATED", "RUNNING")
    assert orders_bulk["status"] == "COMPLETED" and "lineItems" in orders_bulk["query"]
    window = re.compile(r"updated_at:>='([^']+)'")
    assert (
        "customers" in customers_bulk["query"]
        and "defaultEmailAddress" in (customers_bulk["query"])
    )
    assert window.search(customers_bulk["query"])[1] == window.search(orders_bulk["query"])[1]
    shop.complete_bulk_operation()

    status, step, running = wait_for(
        lambda: (row := backfill_state(odoo_server, backend_id))[2] is None and row,
        "the backfill's end",
        odoo_server,
    )
    assert step is None
    assert re.fullmatch(
        r"orders: \d+ stored \(\d+ exported\); customers: 1 stored \(2 exported\)", status
    ), status
    bound = wait_for(
        lambda: partner_bindings(odoo_server, backend_id, [recent["id"]]),
        "the backfilled customer",
        odoo_server,
    )
    assert bound == {
        recent["id"]: (
            f"Nora Backfill {tag}",
            f"nora-{tag}@example.com",
            utc_naive(recent["updatedAt"]),
        )
    }
    assert not partner_bindings(odoo_server, backend_id, [gone["id"]])
    keys = [key for key, _topic, _state in poll_events(odoo_server, backend_id)]
    assert f"{old['id']}@{old['updatedAt']}" in keys
    customer_events = [
        (key, state) for key, topic, state in poll_events(odoo_server, backend_id)
        if topic == "customers/poll"
    ]  # fmt: skip
    # The customer the webhook brought in already has this update: not stored again.
    assert customer_events == [(f"{recent['id']}@{recent['updatedAt']}", "done")]
    assert len(keys) == len(set(keys))
