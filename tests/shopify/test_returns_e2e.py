"""A Shopify refund that restocks returned goods, end to end: signed
``refunds/create`` webhook -> real job runner -> credit note and a validated
return picking -> the stock level pushed back to the fake Shopify once."""

import time

import pytest

from ..fakes.shopify import FakeShopify, order_webhook_payload
from ..support.odoo_server import set_stock
from ..support.odoo_server import wait_until as wait

SKU = "RET-E2E-TEE"
OTHER_SKU = "RET-E2E-CAP"


@pytest.fixture(scope="module")
def shop():
    with FakeShopify(currency="EUR", first_order=7001) as fake:
        yield fake


@pytest.fixture(scope="module")
def store(odoo_server, shop):
    server = odoo_server
    server.call("ir.config_parameter", "set_param", "web.base.url", server.base_url)
    eur = server.call(
        "res.currency", "search", [("name", "=", "EUR")], context={"active_test": False}
    )
    server.call("res.currency", "write", eur, {"active": True})
    group = server.call("account.tax.group", "create", {"name": "Returns VAT"})
    server.call(
        "account.tax",
        "create",
        {
            "name": "Returns VAT 20%",
            "amount": 20,
            "amount_type": "percent",
            "type_tax_use": "sale",
            "tax_group_id": group,
            "sequence": 0,
        },
    )
    products = {}
    for sku in (SKU, OTHER_SKU):
        products[sku] = server.call(
            "product.product",
            "create",
            {"name": sku, "default_code": sku, "is_storable": True, "invoice_policy": "order"},
        )
        set_stock(server, products[sku], 10)
    backend_id = server.call(
        "retail.backend",
        "create",
        {
            "name": "Shopify returns (fake)",
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
    return backend_id, products


def stock_calls(shop, item_id):
    """The applied inventorySetQuantities calls that set ``item_id``."""
    return [
        call
        for call in shop.inventory_set_calls
        if call.get("applied") and any(q["inventoryItemId"] == item_id for q in call["quantities"])
    ]


def pending_outbox(server, backend_id):
    return server.call(
        "retail.outbox",
        "search_count",
        [("backend_id", "=", backend_id), ("state", "!=", "done")],
    )


def test_a_restocking_refund_returns_the_goods_and_pushes_stock_once(odoo_server, store, shop):
    server = odoo_server
    backend_id, products = store
    tee = shop.add_variant(SKU, available=10)
    shop.add_variant(OTHER_SKU, available=10)
    item_id = tee["inventoryItem"]["id"]
    fake_order = shop.add_order(
        line_items=[
            {"sku": SKU, "quantity": 2, "price": "20.00"},
            {"sku": OTHER_SKU, "quantity": 1, "price": "15.00"},
        ],
        tax_rate="0.2",
    )
    [response] = shop.deliver_to_subscriptions("orders/create", order_webhook_payload(fake_order))
    assert response.json() == {"status": "accepted"}
    [order] = wait(
        lambda: server.call(
            "sale.order",
            "search_read",
            [("retail_external_id", "=", fake_order["id"]), ("state", "=", "sale")],
            ["picking_ids", "name"],
        ),
        "the order is confirmed",
        server=server,
    )
    [delivery] = order["picking_ids"]
    for move in server.call(
        "stock.move", "search_read", [("picking_id", "=", delivery)], ["product_uom_qty"]
    ):
        server.call(
            "stock.move",
            "write",
            [move["id"]],
            {"quantity": move["product_uom_qty"], "picked": True},
        )
    server.call("stock.picking", "button_validate", [delivery])
    invoicing = server.call(
        "sale.advance.payment.inv",
        "create",
        {"advance_payment_method": "delivered", "sale_order_ids": [(6, 0, [order["id"]])]},
    )
    server.call("sale.advance.payment.inv", "create_invoices", [invoicing])
    [invoice] = server.call(
        "account.move", "search", [("invoice_origin", "=", order["name"])], limit=1
    )
    server.call("account.move", "action_post", [invoice])
    # Everything Odoo owed the shop (fulfillment, stock levels) has been sent.
    wait(lambda: shop.available(SKU) == 8, "the delivery's stock level", server=server)
    wait(lambda: not pending_outbox(server, backend_id), "the outbox drained", server=server)
    before = len(stock_calls(shop, item_id))

    refund = shop.add_refund(
        fake_order["id"],
        [
            {"sku": SKU, "quantity": 1, "restock_type": "return"},
            {"sku": OTHER_SKU, "quantity": 1, "restock_type": "no_restock"},
        ],
        note="Too small",
    )
    assert shop.available(SKU) == 9, "Shopify restocked the returned tee"
    [response] = shop.deliver_to_subscriptions("refunds/create", refund)
    assert response.json() == {"status": "accepted"}

    [ret] = wait(
        lambda: server.call(
            "retail.order.return",
            "search_read",
            [("order_id", "=", order["id"]), ("state", "=", "received")],
            ["external_id", "picking_ids", "refund_id", "credit_note_id", "hold_reason"],
        ),
        "the return is received",
        server=server,
    )
    assert ret["external_id"] == refund["admin_graphql_api_id"]
    assert not ret["hold_reason"]
    [picking] = server.call(
        "stock.picking",
        "read",
        ret["picking_ids"],
        ["state", "picking_type_code", "return_id", "move_ids"],
    )
    assert (picking["state"], picking["picking_type_code"]) == ("done", "incoming")
    assert picking["return_id"][0] == delivery
    [move] = server.call("stock.move", "read", picking["move_ids"], ["product_id", "quantity"])
    assert (move["product_id"][0], move["quantity"]) == (products[SKU], 1)
    [refund_record] = server.call(
        "retail.order.refund", "read", [ret["refund_id"][0]], ["state", "credit_note_id"]
    )
    assert refund_record["state"] == "credit_note"
    assert ret["credit_note_id"] == refund_record["credit_note_id"]
    [credit_note] = server.call(
        "account.move",
        "read",
        [ret["credit_note_id"][0]],
        ["state", "move_type", "amount_total", "reversed_entry_id"],
    )
    assert (credit_note["state"], credit_note["move_type"]) == ("draft", "out_refund")
    assert credit_note["amount_total"] == 42.0, "the tee and the cap, 20 % on top"
    assert credit_note["reversed_entry_id"][0] == invoice

    # Odoo's stock (9 on hand again) goes back to Shopify, once.
    wait(
        lambda: len(stock_calls(shop, item_id)) > before,
        "the stock level pushed back",
        server=server,
    )
    wait(lambda: not pending_outbox(server, backend_id), "the outbox drained", server=server)
    time.sleep(3)  # nothing else comes
    pushed = stock_calls(shop, item_id)[before:]
    assert len(pushed) == 1, pushed
    [quantity] = [q for q in pushed[0]["quantities"] if q["inventoryItemId"] == item_id]
    assert quantity["quantity"] == 9
    assert shop.available(SKU) == 9

    again = shop.deliver_to_subscriptions("refunds/create", refund)
    assert again[0].json()["status"] in ("accepted", "duplicate")
    time.sleep(2)
    returns = server.call("retail.order.return", "search", [("order_id", "=", order["id"])])
    assert len(returns) == 1, "the same refund twice returns nothing twice"
