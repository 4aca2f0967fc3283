"""Drift measured against the fake Shopify and a real Odoo (2 workers, queue_job runner).

Ten orders are placed in Shopify; the webhooks of two are lost. A reconciliation run (the
manager's "Reconcile now", a batch job) reads the window's orders page by page through a
throttle, imports the two missing ones as poll events (200 per 1,000), and a second run
finds nothing. Then Shopify's side is tampered with: one order cancelled there (a newer
version: imported again), one total and one refunded amount changed without a new version
(listed for a person), and a variant's available quantity edited by hand (the stock level
is sent again through the outbox: one more inventorySetQuantities).
"""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from ..fakes.shopify import FakeShopify, iso, money, order_webhook_payload
from ..support.odoo_server import query, set_stock
from ..support.odoo_server import wait_until as wait_for

SKUS = ("DRIFT-MUG", "DRIFT-CAP")


@pytest.fixture(scope="module")
def shop():
    # Order ids of their own: other e2e modules' fakes share the database.
    with FakeShopify(
        currency="USD", shop_domain="drift-e2e.myshopify.com", first_order=7_300_001
    ) as fake:
        yield fake


@pytest.fixture(scope="module")
def store(odoo_server, shop):
    """An active Shopify backend that sends stock levels, with its products and a 10 % tax."""
    server = odoo_server
    group = server.call("account.tax.group", "create", {"name": "Drift tax"})
    server.call(
        "account.tax",
        "create",
        {
            "name": "Drift 10% excl.",
            "amount": 10,
            "amount_type": "percent",
            "type_tax_use": "sale",
            "tax_group_id": group,
        },
    )
    products = {}
    for sku in SKUS:
        shop.add_variant(sku, available=0)
        products[sku] = server.call(
            "product.product",
            "create",
            {"name": sku, "default_code": sku, "type": "consu", "is_storable": True},
        )
    backend_id = server.call(
        "retail.backend",
        "create",
        {
            "name": f"Shopify drift {uuid.uuid4().hex[:6]}",
            "code": "shopify",
            "shopify_shop_domain": shop.shop_domain,
            "shopify_api_url": shop.base_url,
            "shopify_client_id": shop.client_id,
            "shopify_client_secret": shop.client_secret,
            "shopify_location_id": shop.location_id,
            "export_stock": True,
            "stock_export_delay": 1,
        },
    )
    server.call("retail.backend", "action_activate", [backend_id])
    [backend] = server.call("retail.backend", "read", [backend_id], ["webhook_token"])
    url = f"{server.base_url}/retail/webhook/{backend['webhook_token']}"
    yield backend_id, url, products
    # Other modules' stock changes are none of its business.
    server.call("retail.backend", "action_set_draft", [backend_id])


def new_order(shop):
    lines = [
        {"sku": "DRIFT-MUG", "quantity": 1, "price": "12.50"},
        {"sku": "DRIFT-CAP", "quantity": 1},
    ]
    return shop.add_order(
        line_items=lines,
        tax_rate="0.1",
        created_at=datetime.now(UTC) - timedelta(hours=1),
    )


def imported(server, backend_id, gids):
    rows = query(
        server,
        "SELECT retail_external_id, state FROM sale_order "
        "WHERE retail_backend_id = %s AND retail_external_id IN %s",
        (backend_id, tuple(gids)),
    )
    return dict(rows)


def reconcile(server, backend_id):
    """One run through the job runner (Reconcile now); returns the run's values."""
    [(last_job,)] = query(server, "SELECT COALESCE(MAX(id), 0) FROM queue_job")
    server.call("retail.backend", "action_reconcile_now", [backend_id])
    [(state, result)] = wait_for(
        lambda: query(
            server,
            "SELECT state, result FROM queue_job WHERE id > %s AND func_string LIKE %s "
            "AND state IN ('done', 'failed')",
            (last_job, f"retail.backend({backend_id},)._reconcile(%"),
        ),
        "the reconciliation",
        server,
    )
    assert state == "done", result
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
            "total_mismatches",
            "refund_mismatches",
            "skus_compared",
            "stock_differences",
            "repaired_count",
            "open_count",
            "order_drift_rate",
            "stock_drift_rate",
            "line_ids",
        ],
        limit=1,
    )
    run["lines"] = server.call(
        "retail.reconciliation.line",
        "read",
        run["line_ids"],
        ["kind", "key", "state", "channel_value", "odoo_value", "event_id", "outbox_id"],
    )
    return run


def lines_of(run):
    return sorted((line["kind"], line["key"], line["state"]) for line in run["lines"])


def test_missing_orders_are_imported_and_measured(odoo_server, store, shop):
    backend_id, url, _products = store
    orders = [new_order(shop) for _ in range(10)]
    lost = orders[3], orders[7]
    for order in orders:
        if order not in lost:
            response = shop.deliver_webhook(url, "orders/create", order_webhook_payload(order))
            assert response.status_code == 200, response.text
    delivered = [o["id"] for o in orders if o not in lost]
    wait_for(
        lambda: len(imported(odoo_server, backend_id, delivered)) == 8,
        "8 orders imported",
        odoo_server,
    )
    shop.clear_log()
    shop.fail_next("throttled")  # waited out inside the call
    run = reconcile(odoo_server, backend_id)
    assert run["state"] == "done", run["error"]
    assert (run["orders_compared"], run["orders_missing_in_odoo"]) == (10, 2)
    assert run["order_drift_rate"] == 200.0
    assert lines_of(run) == sorted(("missing_in_odoo", o["id"], "repaired") for o in lost)
    assert len(shop.graphql_requests("RetailReconcileOrders")) >= 3, "pages of 5, and a retry"
    found = wait_for(
        lambda: (
            (rows := imported(odoo_server, backend_id, [o["id"] for o in lost]))
            and len(rows) == 2
            and rows
        ),
        "the lost orders imported",
        odoo_server,
    )
    assert set(found.values()) == {"sale"}
    events = query(
        odoo_server,
        "SELECT event_key, source FROM retail_event WHERE backend_id = %s AND source = 'poll'",
        (backend_id,),
    )
    assert sorted(events) == sorted((f"{o['id']}@{o['updatedAt']}", "poll") for o in lost)

    again = reconcile(odoo_server, backend_id)
    assert (again["orders_compared"], again["orders_drifted"], again["lines"]) == (10, 0, [])


def test_tampered_orders_and_stock_are_listed_or_repaired(odoo_server, store, shop):
    backend_id, _url, products = store
    gids = sorted(imported(odoo_server, backend_id, list(shop.orders)))
    cancelled, pricier, refunded = gids[:3]
    with shop.lock:
        shop.orders[cancelled]["cancelledAt"] = iso(datetime.now(UTC))
        shop.orders[cancelled]["cancelReason"] = "CUSTOMER"
        shop.touch_order(cancelled, updated_at=datetime.now(UTC) + timedelta(seconds=1))
        shop.orders[pricier]["totalPriceSet"] = money("99.00", "USD")
        shop.orders[refunded]["totalRefundedSet"] = money("5.00", "USD")
    sets = len(shop.inventory_set_calls)
    set_stock(odoo_server, products["DRIFT-MUG"], 17)
    wait_for(lambda: len(shop.inventory_set_calls) > sets, "the stock level sent", odoo_server)
    wait_for(
        lambda: (
            not query(
                odoo_server,
                "SELECT 1 FROM retail_outbox WHERE backend_id = %s AND state = 'pending'",
                (backend_id,),
            )
        ),
        "the outbox sent",
        odoo_server,
    )
    sent = shop.available("DRIFT-MUG")  # 17 less what the open orders reserved
    assert sent > 0
    with shop.lock:  # someone edits the quantity in Shopify's admin
        [item] = [
            v["inventoryItem"]["id"] for v in shop.variants.values() if v["sku"] == "DRIFT-MUG"
        ]
        shop.inventory_levels[(item, shop.location_id)]["available"] = sent + 3
    sets_before = len(shop.inventory_set_calls)

    run = reconcile(odoo_server, backend_id)
    assert lines_of(run) == sorted(
        [
            ("status", cancelled, "repaired"),
            ("total", pricier, "open"),
            ("refund", refunded, "open"),
            ("stock", "DRIFT-MUG", "repaired"),
        ]
    )
    assert (run["status_mismatches"], run["total_mismatches"], run["refund_mismatches"]) == (
        1,
        1,
        1,
    )
    assert (run["orders_compared"], run["order_drift_rate"]) == (10, 300.0)
    assert (run["skus_compared"], run["stock_differences"], run["stock_drift_rate"]) == (
        2,
        1,
        500.0,
    )
    assert (run["repaired_count"], run["open_count"]) == (2, 2)
    by_kind = {line["kind"]: line for line in run["lines"]}
    assert by_kind["total"]["channel_value"] == "99.00 USD"
    assert (by_kind["stock"]["channel_value"], by_kind["stock"]["odoo_value"]) == (
        str(sent + 3),
        str(sent),
    )
    # The repairs go through the ordinary pipeline.
    wait_for(lambda: shop.available("DRIFT-MUG") == sent, "the stock level sent again", odoo_server)
    assert len(shop.inventory_set_calls) == sets_before + 1
    wait_for(
        lambda: imported(odoo_server, backend_id, [cancelled])[cancelled] == "cancel",
        "the cancellation imported",
        odoo_server,
    )
