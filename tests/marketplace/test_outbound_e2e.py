"""Odoo's deliveries and stock levels reach the fake Mirakl through the
outbox and the real job runner: OR23 then OR24 for a completed delivery,
one STO01 import for a burst of stock changes.

The marketplace orders are created in Odoo over RPC (a sale order with the
backend and the marketplace order id), not by the inbound poll: that keeps
these tests about the outbound side. The shipping backend stays draft so
that no poll of the fake runs meanwhile (deliveries are sent whatever the
backend's state); stock levels go to an active backend on a second fake
without orders.
"""

import time
import uuid

import pytest

from ..fakes.mirakl import FakeMirakl
from ..support.odoo_server import set_stock
from ..support.odoo_server import wait_until as wait

SHIP_SKU = "E2E-OUT-LAMP"
BURST = {"E2E-OUT-S1": 3, "E2E-OUT-S2": 5, "E2E-OUT-S3": 8}


@pytest.fixture(scope="module")
def marketplace():
    with FakeMirakl(api_key="ship-key", auto_accept=True, debit_delay=0) as fake:
        yield fake


@pytest.fixture(scope="module")
def stock_marketplace():
    with FakeMirakl(api_key="stock-key", stock_rate_limit=60) as fake:
        yield fake


@pytest.fixture(scope="module")
def shipping_backend(odoo_server, marketplace):
    odoo_server.call("product.product", "create", {"name": "Lamp", "default_code": SHIP_SKU})
    return create_shipping_backend(odoo_server, marketplace, "Mirakl shipping", "UPS")


def create_shipping_backend(server, marketplace, name, carrier_code, **values):
    """An active Mirakl backend on ``marketplace`` whose carrier maps to
    ``carrier_code``; returns (backend id, carrier id)."""
    service = server.call("product.product", "create", {"name": carrier_code, "type": "service"})
    carrier = server.call(
        "delivery.carrier", "create", {"name": f"{carrier_code} Express", "product_id": service}
    )
    backend_id = server.call(
        "retail.backend",
        "create",
        {
            "name": f"{name} (fake) {uuid.uuid4().hex[:6]}",
            "code": "mirakl",
            "mirakl_api_url": marketplace.base_url,
            "mirakl_api_key": marketplace.api_key,
            "mirakl_carrier_mapping_ids": [
                (0, 0, {"carrier_id": carrier, "operator_carrier_code": carrier_code})
            ],
            **values,
        },
    )
    # Only an active backend sends anything (crons, polls included, are off here).
    server.call("retail.backend", "action_activate", [backend_id])
    return backend_id, carrier


@pytest.fixture(scope="module")
def stock_backend(odoo_server, stock_marketplace):
    backend_id = odoo_server.call(
        "retail.backend",
        "create",
        {
            "name": f"Mirakl stock (fake) {uuid.uuid4().hex[:6]}",
            "code": "mirakl",
            "mirakl_api_url": stock_marketplace.base_url,
            "mirakl_api_key": stock_marketplace.api_key,
            "export_stock": True,
            "stock_export_delay": 5,
        },
    )
    odoo_server.call("retail.backend", "action_activate", [backend_id])
    return backend_id


def shipping_order(server, marketplace, backend_id, sku=SHIP_SKU):
    """A marketplace order of ``sku`` in SHIPPING, and its confirmed sale order in Odoo."""
    fake_order = marketplace.add_order(lines=[{"offer_sku": sku, "price_unit": 20}])
    order_id = fake_order["order_id"]
    assert marketplace.order(order_id)["order_state"] == "SHIPPING"
    [product] = server.call("product.product", "search", [("default_code", "=", sku)])
    partner = server.call("res.partner", "create", {"name": f"Buyer {order_id}"})
    sale_id = server.call(
        "sale.order",
        "create",
        {
            "partner_id": partner,
            "retail_backend_id": backend_id,
            "retail_external_id": order_id,
            "order_line": [(0, 0, {"product_id": product, "product_uom_qty": 1})],
        },
    )
    server.call("sale.order", "action_confirm", [sale_id])
    [sale] = server.call("sale.order", "read", [sale_id], ["picking_ids"])
    [picking] = sale["picking_ids"]
    return order_id, picking


def validate(server, picking, carrier, tracking):
    moves = server.call("stock.move", "search", [("picking_id", "=", picking)])
    server.call("stock.move", "write", moves, {"quantity": 1, "picked": True})
    server.call(
        "stock.picking",
        "write",
        [picking],
        {"carrier_id": carrier, "carrier_tracking_ref": tracking},
    )
    server.call("stock.picking", "button_validate", [picking], context={"skip_backorder": True})
    [state] = server.call("stock.picking", "read", [picking], ["state"])
    assert state["state"] == "done"


def shipping_calls(marketplace, order_id):
    return [
        entry.api
        for entry in marketplace.request_log
        if entry.api in ("OR23", "OR24") and f"/{order_id}/" in entry.path and entry.status == 204
    ]


def outbox_of(server, picking):
    return server.call(
        "retail.outbox",
        "search_read",
        [("res_model", "=", "stock.picking"), ("res_id", "=", picking)],
        ["state", "attempts", "result", "error"],
    )


def test_a_validated_delivery_sends_tracking_then_ship(odoo_server, marketplace, shipping_backend):
    backend_id, carrier = shipping_backend
    order_id, picking = shipping_order(odoo_server, marketplace, backend_id)
    validate(odoo_server, picking, carrier, "1Z-E2E-1")
    wait(lambda: marketplace.order(order_id)["order_state"] == "SHIPPED", server=odoo_server)
    assert shipping_calls(marketplace, order_id) == ["OR23", "OR24"]
    order = marketplace.order(order_id)
    assert (order["shipping_carrier_code"], order["shipping_tracking"]) == ("UPS", "1Z-E2E-1")
    [message] = wait(lambda: [m for m in outbox_of(odoo_server, picking) if m["state"] == "done"])
    assert "shipped" in message["result"]


def test_an_outage_keeps_the_delivery_done_and_ships_later(
    odoo_server, marketplace, shipping_backend
):
    backend_id, carrier = shipping_backend
    order_id, picking = shipping_order(odoo_server, marketplace, backend_id)
    # One 503: the client does not resend; the outbox job fails this attempt and
    # queue_job retries it (10 s later, its retry pattern).
    marketplace.fail_next("5xx", times=1, status=503, api="OR23")
    validate(odoo_server, picking, carrier, "1Z-E2E-2")  # done at once, marketplace down
    wait(
        lambda: any(
            m["state"] == "pending" and m["error"] for m in outbox_of(odoo_server, picking)
        ),
        server=odoo_server,
    )
    assert marketplace.order(order_id)["order_state"] == "SHIPPING"
    wait(lambda: marketplace.order(order_id)["order_state"] == "SHIPPED", server=odoo_server)
    assert shipping_calls(marketplace, order_id) == ["OR23", "OR24"]
    [message] = wait(lambda: [m for m in outbox_of(odoo_server, picking) if m["state"] == "done"])
    assert message["attempts"] >= 2


def test_a_burst_of_stock_changes_is_one_import(odoo_server, stock_backend, stock_marketplace):
    for sku, quantity in BURST.items():
        product = odoo_server.call(
            "product.product", "create", {"name": sku, "default_code": sku, "is_storable": True}
        )
        set_stock(odoo_server, product, quantity)

    def burst_imports():
        return [
            record
            for record in list(stock_marketplace.stock_imports.values())
            if any(row["offer-sku"] in BURST for row in record["rows"])
        ]

    wait(burst_imports, server=odoo_server)
    time.sleep(7)  # past the export delay: nothing else comes
    [record] = burst_imports()
    sent = {row["offer-sku"]: int(row["quantity"]) for row in record["rows"]}
    assert {sku: sent.get(sku) for sku in BURST} == BURST
    assert not stock_marketplace.requests_to("STO01")[1:], "one import only"
    messages = odoo_server.call(
        "retail.outbox",
        "search_read",
        [("backend_id", "=", stock_backend), ("kind", "=", "stock")],
        ["state", "result"],
    )
    assert messages and all(m["state"] == "done" for m in messages), messages
    assert sum("Sent with import" in (m["result"] or "") for m in messages) == 2


def test_an_order_cancelled_in_odoo_is_cancelled_on_the_marketplace(
    odoo_server, marketplace, shipping_backend
):
    backend_id, _carrier = shipping_backend
    order_id, _picking = shipping_order(odoo_server, marketplace, backend_id)
    [sale_id] = odoo_server.call(
        "sale.order",
        "search",
        [("retail_external_id", "=", order_id), ("retail_backend_id", "=", backend_id)],
    )
    odoo_server.call(
        "sale.order", "action_cancel", [sale_id], context={"disable_cancel_warning": True}
    )
    wait(lambda: marketplace.order(order_id)["order_state"] == "CANCELED", server=odoo_server)
    [message] = wait(
        lambda: odoo_server.call(
            "retail.outbox",
            "search_read",
            [("kind", "=", "cancellation"), ("res_id", "=", sale_id), ("state", "=", "done")],
            ["result"],
        ),
        server=odoo_server,
    )
    assert "cancelled on the marketplace" in message["result"]
