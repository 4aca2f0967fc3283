# ruff: noqa: F811 - pytest fixtures imported from test_exports are parameters here
"""Cancellations and credit notes decided in Odoo reach the fake Shopify through the
outbox and the real job runner, once; those Shopify decided are not sent back."""

import pytest

from ..fakes.shopify import FakeShopify, order_webhook_payload
from ..support.odoo_server import wait_until as wait
from .test_exports import (
    import_order_of,
    store,  # noqa: F401 - the backend fixture, on this module's shop
)


@pytest.fixture(scope="module")
def shop():
    with FakeShopify(
        currency="EUR", first_order=7001, shop_domain="after-sale-test.myshopify.com"
    ) as fake:
        yield fake


def outbox(server, store, kind):
    return server.call(
        "retail.outbox",
        "search_read",
        [("backend_id", "=", store), ("kind", "=", kind)],
        ["state", "res_id", "result", "attempts", "error"],
    )


def new_order(server, store, shop):
    fake_order = shop.add_order(
        line_items=[
            {"sku": "LH-GT3-SALBEI", "quantity": 2, "price": "24.90"},
            {"sku": "LH-BUCH-SAISON", "quantity": 1, "price": "29.00"},
        ],
        shipping={"title": "Standard", "price": "4.90"},
        taxes_included=True,
    )
    return fake_order, import_order_of(server, store, shop, fake_order)


def test_an_odoo_cancellation_is_one_order_cancel(odoo_server, store, shop):
    fake_order, order = new_order(odoo_server, store, shop)
    before = len(outbox(odoo_server, store, "cancellation"))
    odoo_server.call(
        "sale.order", "action_cancel", [order["id"]], context={"disable_cancel_warning": True}
    )
    wait(lambda: shop.orders[fake_order["id"]]["cancelledAt"], server=odoo_server)
    messages = wait(
        lambda: [
            m
            for m in outbox(odoo_server, store, "cancellation")
            if m["res_id"] == order["id"] and m["state"] == "done"
        ],
        server=odoo_server,
    )
    assert len(messages) == 1
    assert [c["args"]["orderId"] for c in shop.order_cancel_calls] == [fake_order["id"]]
    # Shopify's own orders/cancelled webhook of it comes back: nothing is sent again.
    [response] = shop.deliver_to_subscriptions(
        "orders/cancelled", order_webhook_payload(shop.orders[fake_order["id"]])
    )
    assert response.status_code == 200
    wait(
        lambda: odoo_server.call(
            "retail.event",
            "search",
            [
                ("backend_id", "=", store),
                ("state", "=", "done"),
                ("topic", "=", "orders/cancelled"),
            ],
        ),
        server=odoo_server,
    )
    assert len(outbox(odoo_server, store, "cancellation")) == before + 1
    assert len(shop.order_cancel_calls) == 1


def test_a_shopify_cancellation_is_not_sent_back(odoo_server, store, shop):
    fake_order, order = new_order(odoo_server, store, shop)
    before = len(outbox(odoo_server, store, "cancellation"))
    node = shop.orders[fake_order["id"]]
    node.update(cancelledAt="2026-12-04T10:00:00Z", cancelReason="CUSTOMER")
    shop.touch_order(fake_order["id"])
    shop.deliver_to_subscriptions("orders/cancelled", order_webhook_payload(node))
    wait(
        lambda: odoo_server.call(
            "sale.order", "search", [("id", "=", order["id"]), ("state", "=", "cancel")]
        ),
        server=odoo_server,
    )
    assert len(outbox(odoo_server, store, "cancellation")) == before
    assert all(c["args"]["orderId"] != fake_order["id"] for c in shop.order_cancel_calls)


def test_a_credit_note_is_one_refund_even_after_a_lost_answer(odoo_server, store, shop):
    server = odoo_server
    fake_order, order = new_order(server, store, shop)
    products = server.call("product.product", "search", [("default_code", "like", "LH-")])
    server.call("product.product", "write", products, {"invoice_policy": "order"})
    wizard = server.call(
        "sale.advance.payment.inv",
        "create",
        {"advance_payment_method": "delivered"},
        context={"active_model": "sale.order", "active_ids": [order["id"]]},
    )
    server.call(
        "sale.advance.payment.inv",
        "create_invoices",
        [wizard],
        context={"active_model": "sale.order", "active_ids": [order["id"]]},
    )
    [invoice] = server.call(
        "account.move",
        "search_read",
        [
            (
                "invoice_origin",
                "=",
                server.call("sale.order", "read", [order["id"]], ["name"])[0]["name"],
            )
        ],
        ["partner_id"],
    )
    server.call("account.move", "action_post", [invoice["id"]])
    lines = server.call(
        "sale.order.line",
        "search_read",
        [("order_id", "=", order["id"])],
        ["retail_line_id", "product_id", "price_unit", "tax_ids"],
    )
    book_gid = fake_order["lineItems"]["nodes"][1]["id"]
    book = next(line for line in lines if line["retail_line_id"] == book_gid)
    shipping = next(line for line in lines if not line["retail_line_id"])
    credit_note = server.call(
        "account.move",
        "create",
        {
            "move_type": "out_refund",
            "partner_id": invoice["partner_id"][0],
            "invoice_line_ids": [
                (0, 0, {
                    "product_id": book["product_id"][0], "quantity": 1,
                    "price_unit": book["price_unit"], "tax_ids": [(6, 0, book["tax_ids"])],
                    "sale_line_ids": [(6, 0, [book["id"]])],
                }),
                (0, 0, {
                    "product_id": shipping["product_id"][0], "quantity": 1,
                    "price_unit": shipping["price_unit"],
                    "tax_ids": [(6, 0, shipping["tax_ids"])],
                }),
            ],
        },
    )  # fmt: skip
    # Shopify applies the first refundCreate but its answer is lost (500): the job retries.
    shop.fail_after_apply("html_5xx", "RetailRefundCreate", status=500)
    server.call("account.move", "action_post", [credit_note])
    done = wait(
        lambda: [
            m
            for m in outbox(server, store, "refund")
            if m["res_id"] == credit_note and m["state"] == "done"
        ],
        server=server,
        timeout=90,
    )
    assert done[0]["attempts"] == 2, done
    calls = [c for c in shop.refund_calls if c["input"]["orderId"] == fake_order["id"]]
    assert [(c["applied"], c["replayed"]) for c in calls] == [(True, False), (False, True)]
    refunds = shop.orders[fake_order["id"]]["refunds"]
    assert len(refunds) == 1
    [item] = refunds[0]["refundLineItems"]["nodes"]
    assert (item["lineItem"]["id"], item["quantity"], item["restockType"]) == (
        book_gid,
        1,
        "NO_RESTOCK",
    )
    sent = calls[0]["input"]
    assert sent["shipping"] == {"amount": "4.90"}
    assert sent["transactions"][0]["amount"] == "33.90"
    assert refunds[0]["totalRefundedSet"]["shopMoney"]["amount"] == "33.90"
    assert shop.orders[fake_order["id"]]["displayFinancialStatus"] == "PARTIALLY_REFUNDED"
    recorded = server.call(
        "retail.order.refund",
        "search_read",
        [("order_id", "=", order["id"])],
        ["external_id", "credit_note_id"],
    )
    assert [(r["external_id"], r["credit_note_id"][0]) for r in recorded] == [
        (refunds[0]["id"], credit_note)
    ]
