"""Stock that Shopify can trust: every change of what Odoo can sell reaches
the fake Shopify once, and a full resync corrects whatever drifted there
(real Odoo, real job runner)."""

import time

import pytest

from ..fakes.shopify import FakeShopify
from ..support.odoo_server import storable_product
from ..support.odoo_server import wait_until as wait


@pytest.fixture(scope="module")
def shop():
    with FakeShopify(currency="EUR", first_order=7001) as fake:
        yield fake


@pytest.fixture(scope="module")
def store(odoo_server, shop):
    backend_id = odoo_server.call(
        "retail.backend",
        "create",
        {
            "name": "Shopify stock (fake)",
            "code": "shopify",
            "shopify_shop_domain": shop.shop_domain,
            "shopify_api_url": shop.base_url,
            "shopify_access_token": shop.access_token,
            "shopify_client_secret": shop.client_secret,
            "shopify_location_id": shop.location_id,
            "export_stock": True,
            "export_fulfillment": False,
            "stock_export_delay": 1,
        },
    )
    odoo_server.call("retail.backend", "action_activate", [backend_id])
    return backend_id


def applied_calls(shop, item_id):
    return [
        call
        for call in shop.inventory_set_calls
        if call["applied"] and any(q["inventoryItemId"] == item_id for q in call["quantities"])
    ]


def test_a_released_reservation_is_pushed_once(odoo_server, store, shop):
    server = odoo_server
    variant = shop.add_variant("E2E-RESERVE", available=10)
    item = variant["inventoryItem"]["id"]
    product = storable_product(server, "E2E-RESERVE", quantity=10)
    [warehouse] = server.call(
        "stock.warehouse", "search_read", [], ["lot_stock_id", "out_type_id"], limit=1
    )
    [customers] = server.call("stock.location", "search", [("usage", "=", "customer")], limit=1)
    stock = warehouse["lot_stock_id"][0]
    picking = server.call(
        "stock.picking",
        "create",
        {
            "picking_type_id": warehouse["out_type_id"][0],
            "location_id": stock,
            "location_dest_id": customers,
            "move_ids": [
                (
                    0,
                    0,
                    {
                        "product_id": product,
                        "product_uom_qty": 3,
                        "location_id": stock,
                        "location_dest_id": customers,
                    },
                )
            ],
        },
    )
    server.call("stock.picking", "action_confirm", [picking])
    server.call("stock.picking", "action_assign", [picking])
    wait(lambda: shop.available(item) == 7, "the reservation pushed", server)
    before = len(applied_calls(shop, item))
    server.call("stock.picking", "do_unreserve", [picking])
    wait(lambda: shop.available(item) == 10, "the released reservation pushed", server)
    time.sleep(2)  # nothing else comes
    assert len(applied_calls(shop, item)) == before + 1


def test_a_full_resync_corrects_every_tampered_sku(odoo_server, store, shop):
    server = odoo_server
    quantities = {"E2E-RS-A": 4, "E2E-RS-B": 0, "E2E-RS-C": 12}
    items = {}
    for sku, quantity in quantities.items():
        items[sku] = shop.add_variant(sku, available=quantity)["inventoryItem"]["id"]
        storable_product(server, sku, quantity=quantity)
    wait(
        lambda: all(shop.available(items[sku]) == qty for sku, qty in quantities.items()),
        "the initial levels pushed",
        server,
    )
    # Someone edits the quantities in Shopify's admin: Odoo is not told.
    for sku in quantities:
        shop.inventory_levels[(items[sku], shop.location_id)]["available"] = 99
    server.call("retail.backend", "action_stock_resync", [store])
    wait(
        lambda: all(shop.available(items[sku]) == qty for sku, qty in quantities.items()),
        "every SKU corrected by the resync",
        server,
    )
    chunks = wait(
        lambda: server.call(
            "retail.outbox",
            "search_read",
            [
                ("backend_id", "=", store),
                ("kind", "=", "stock_resync"),
                ("dedup_key", "like", "stock_resync/%"),
                ("state", "=", "done"),
            ],
            ["payload", "result"],
        ),
        "the resync chunk recorded",
        server,
    )
    sent = {}
    for chunk in chunks:
        sent.update(chunk["payload"]["sent"])
    assert {sku: sent[sku] for sku in quantities} == quantities
    # The chunk was one inventorySetQuantities for all its SKUs.
    [resync_call] = [
        call
        for call in shop.inventory_set_calls
        if {q["inventoryItemId"] for q in call["quantities"]} >= set(items.values())
    ]
    assert resync_call["applied"] and resync_call["idempotency_key"]
