"""A warehouse (3PL) tells Odoo what it shipped and counted, through the
generic channel's signed webhooks (real Odoo, real job runner)."""

import uuid

import requests

from ..support.odoo_server import wait_until as wait
from .test_webhook_pipeline import order_payload, signed_delivery


def post(url, payload):
    body, headers = signed_delivery(payload)
    answer = requests.post(url, data=body, headers=headers, timeout=30)
    assert answer.json() == {"status": "accepted"}


def test_a_signed_shipment_validates_the_delivery_with_its_tracking(
    odoo_server, generic_backend, catalog
):
    server = odoo_server
    backend_id, url = generic_backend
    external_id = uuid.uuid4().hex[:12]
    post(url, order_payload(external_id))
    [order] = wait(
        lambda: server.call(
            "sale.order",
            "search_read",
            [("retail_external_id", "=", external_id), ("state", "=", "sale")],
            ["picking_ids"],
        ),
        "the order imported",
        server,
    )
    shipment = {
        "type": "shipment.created",
        "data": {
            "external_id": f"ship-{external_id}",
            "order_external_id": external_id,
            "carrier": "Pony Express",
            "tracking_number": "PX-E2E-1",
            "lines": [{"line_external_id": "1", "quantity": 1}],
        },
    }
    post(url, shipment)
    post(url, shipment | {"type": "shipment.updated"})  # the same shipment again
    [picking] = wait(
        lambda: server.call(
            "stock.picking",
            "search_read",
            [("id", "in", order["picking_ids"]), ("state", "=", "done")],
            ["carrier_tracking_ref", "note", "move_ids"],
        ),
        "the delivery validated",
        server,
    )
    assert picking["carrier_tracking_ref"] == "PX-E2E-1"
    assert "Pony Express" in picking["note"]
    events = wait(
        lambda: (
            (
                rows := server.call(
                    "retail.event",
                    "search_read",
                    [("backend_id", "=", backend_id), ("topic", "like", "shipment.")],
                    ["state"],
                )
            )
            and all(row["state"] in ("done", "ignored") for row in rows)
            and rows
        ),
        "both shipment events processed",
        server,
    )
    assert sorted(row["state"] for row in events) == ["done", "ignored"]
    [move] = server.call("stock.move", "read", picking["move_ids"], ["quantity"])
    assert move["quantity"] == 1
