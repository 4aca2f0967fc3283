"""Odoo's deliveries and stock levels reach the fake Shopify through the
outbox and the real job runner."""

import copy
import json
import time
from pathlib import Path

import pytest

from ..fakes.shopify import FakeShopify
from ..support.odoo_server import query, set_stock
from ..support.odoo_server import wait_until as wait

SAMPLES = Path(__file__).resolve().parents[2] / "addons/retail_connector_shopify/tests/samples"


@pytest.fixture(scope="module")
def shop():
    with FakeShopify(currency="EUR", first_order=5001) as fake:
        yield fake


@pytest.fixture(scope="module")
def store(odoo_server, shop):
    return create_store(odoo_server, shop)


def create_store(server, shop):
    """An active Shopify backend on ``shop``, with what its sample orders need."""
    server.call("ir.config_parameter", "set_param", "web.base.url", server.base_url)
    eur = server.call(
        "res.currency", "search", [("name", "=", "EUR")], context={"active_test": False}
    )
    server.call("res.currency", "write", eur, {"active": True})
    group = server.call("account.tax.group", "create", {"name": "Export MwSt"})
    for rate in (19, 7):
        if server.call("account.tax", "search", [("name", "=", f"Export MwSt {rate}% incl.")]):
            continue  # another module's store (test_after_sale_e2e) made them
        server.call(
            "account.tax",
            "create",
            {
                "name": f"Export MwSt {rate}% incl.",
                "amount": rate,
                "amount_type": "percent",
                "type_tax_use": "sale",
                "price_include_override": "tax_included",
                "tax_group_id": group,
                "sequence": 0,
            },
        )
    for sku in ("LH-GT3-SALBEI", "LH-BUCH-SAISON"):
        if not server.call("product.product", "search", [("default_code", "=", sku)]):
            server.call("product.product", "create", {"name": sku, "default_code": sku})
    backend_id = server.call(
        "retail.backend",
        "create",
        {
            "name": "Shopify exports (fake)",
            "code": "shopify",
            "shopify_shop_domain": shop.shop_domain,
            "shopify_api_url": shop.base_url,
            "shopify_access_token": shop.access_token,
            "shopify_client_secret": shop.client_secret,
            "shopify_location_id": shop.location_id,
            "export_stock": True,
            "stock_export_delay": 1,
        },
    )
    server.call("retail.backend", "action_activate", [backend_id])
    server.call("retail.backend", "action_shopify_sync_webhooks", [backend_id])
    return backend_id


def shopify_calls(shop):
    """The Admin API calls the fake received (webhook deliveries are the fake's own)."""
    return [entry for entry in shop.request_log if "/admin/api/" in entry.path]


def import_order_of(server, store, shop, fake_order):
    """The webhook of the fake's order: the sample, with the fake's ids."""
    payload = json.loads((SAMPLES / "order_create_taxes_included.json").read_text())
    payload = copy.deepcopy(payload)
    payload["admin_graphql_api_id"] = fake_order["id"]
    by_sku = {line["sku"]: line["id"] for line in fake_order["lineItems"]["nodes"]}
    for line in payload["line_items"]:
        line["admin_graphql_api_id"] = by_sku[line["sku"]]
    [response] = shop.deliver_to_subscriptions("orders/create", payload)
    assert response.json() == {"status": "accepted"}
    return wait(
        lambda: server.call(
            "sale.order",
            "search_read",
            [("retail_external_id", "=", fake_order["id"]), ("state", "=", "sale")],
            ["picking_ids"],
        ),
        server=server,
    )[0]


def deliver(server, picking_id, quantities, tracking):
    moves = server.call(
        "stock.move", "search_read", [("picking_id", "=", picking_id)], ["product_id"]
    )
    for move in moves:
        sku = move["product_id"][1].split("]")[0].strip("[")
        server.call(
            "stock.move", "write", [move["id"]], {"quantity": quantities[sku], "picked": True}
        )
    server.call("stock.picking", "write", [picking_id], {"carrier_tracking_ref": tracking})
    server.call("stock.picking", "button_validate", [picking_id], context={"skip_backorder": True})


def test_partial_deliveries_become_fulfillments_with_tracking(odoo_server, store, shop):
    fake_order = shop.add_order(
        line_items=[
            {"sku": "LH-GT3-SALBEI", "quantity": 2, "price": "24.90"},
            {"sku": "LH-BUCH-SAISON", "quantity": 1, "price": "29.00"},
        ]
    )
    order = import_order_of(odoo_server, store, shop, fake_order)
    [picking] = order["picking_ids"]
    deliver(odoo_server, picking, {"LH-GT3-SALBEI": 1, "LH-BUCH-SAISON": 1}, "TRACK-1")
    first = wait(lambda: list(shop.fulfillments.values()), server=odoo_server)
    assert len(first) == 1
    shipped = {item["lineItem"]["sku"]: item["quantity"] for item in _items(first[0])}
    assert shipped == {"LH-GT3-SALBEI": 1, "LH-BUCH-SAISON": 1}
    assert first[0]["trackingInfo"][0]["number"] == "TRACK-1"

    [backorder] = odoo_server.call("stock.picking", "search", [("backorder_id", "=", picking)])
    deliver(odoo_server, backorder, {"LH-GT3-SALBEI": 1}, "TRACK-2")
    both = wait(lambda: len(shop.fulfillments) == 2 and list(shop.fulfillments.values()))
    second = next(f for f in both if f["trackingInfo"][0]["number"] == "TRACK-2")
    assert {item["lineItem"]["sku"]: item["quantity"] for item in _items(second)} == {
        "LH-GT3-SALBEI": 1
    }
    [fulfillment_order] = shop.orders[fake_order["id"]]["fulfillmentOrders"]["nodes"]
    assert fulfillment_order["status"] == "CLOSED"


def test_a_burst_of_stock_changes_is_one_coalesced_call(odoo_server, store, shop):
    variant = shop.add_variant("STOCK-BURST", available=0)
    product = odoo_server.call(
        "product.product",
        "create",
        {"name": "Burst", "default_code": "STOCK-BURST", "is_storable": True},
    )
    # The burst must fit in the coalescing delay even on a busy machine (five
    # adjustments are fifteen calls): a generous delay for this test only.
    odoo_server.call("retail.backend", "write", [store], {"stock_export_delay": 8})
    for quantity in (3, 5, 8, 13, 21):
        set_stock(odoo_server, product, quantity)
    calls = wait(
        lambda: [c for c in shop.inventory_set_calls if c.get("applied")], server=odoo_server
    )
    time.sleep(2)  # nothing else comes
    applied = [c for c in shop.inventory_set_calls if c.get("applied")]
    assert len(applied) == 1, applied
    assert shop.available(variant["inventoryItem"]["id"]) == 21
    [quantity] = calls[0]["quantities"]
    assert quantity["changeFromQuantity"] is None
    assert calls[0]["idempotency_key"]


def test_a_paused_backend_sends_nothing_then_each_message_once_on_activation(
    odoo_server, store, shop
):
    fake_order = shop.add_order(
        line_items=[
            {"sku": "LH-GT3-SALBEI", "quantity": 2, "price": "24.90"},
            {"sku": "LH-BUCH-SAISON", "quantity": 1, "price": "29.00"},
        ]
    )
    order = import_order_of(odoo_server, store, shop, fake_order)
    variant = shop.add_variant("STOCK-PAUSED", available=0)
    product = odoo_server.call(
        "product.product",
        "create",
        {"name": "Paused", "default_code": "STOCK-PAUSED", "is_storable": True},
    )
    odoo_server.call("retail.backend", "write", [store], {"stock_export_delay": 1})
    fulfillments, stock_calls = len(shop.fulfillments), len(shop.inventory_set_calls)
    odoo_server.call("retail.backend", "action_pause", [store])
    shop.clear_log()
    [picking] = order["picking_ids"]
    deliver(odoo_server, picking, {"LH-GT3-SALBEI": 2, "LH-BUCH-SAISON": 1}, "TRACK-PAUSED")
    set_stock(odoo_server, product, 7)
    # Both messages' jobs run while paused (the stock one after its delay) and keep them.
    wait(
        lambda: (
            not query(
                odoo_server,
                "SELECT 1 FROM retail_outbox o LEFT JOIN queue_job j ON j.id = o.job_id "
                "WHERE o.backend_id = %s AND o.state = 'pending' "
                "AND (j.id IS NULL OR j.state <> 'done')",
                (store,),
            )
            and query(
                odoo_server,
                "SELECT count(*) FROM retail_outbox WHERE backend_id = %s AND state = 'pending'",
                (store,),
            )[0][0]
            == 2
        ),
        "the paused backend's jobs",
        odoo_server,
    )
    time.sleep(2)
    assert shopify_calls(shop) == [], "a paused backend calls nothing"
    assert (len(shop.fulfillments), len(shop.inventory_set_calls)) == (fulfillments, stock_calls)

    odoo_server.call("retail.backend", "action_activate", [store])
    wait(
        lambda: (
            len(shop.fulfillments) == fulfillments + 1
            and shop.available(variant["inventoryItem"]["id"]) == 7
        ),
        "the catch-up",
        odoo_server,
    )
    time.sleep(3)  # nothing is sent twice
    assert len(shop.fulfillments) == fulfillments + 1
    applied = [c for c in shop.inventory_set_calls[stock_calls:] if c.get("applied")]
    assert len(applied) == 1, applied
    new = [
        f for f in shop.fulfillments.values() if f["trackingInfo"][0]["number"] == "TRACK-PAUSED"
    ]
    assert len(new) == 1


def _items(fulfillment):
    return fulfillment["fulfillmentLineItems"]["nodes"]
