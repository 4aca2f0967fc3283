"""The order flow against a real multi-worker Odoo and a carrier over HTTP:
the carrier is down during a burst of orders; every order is still confirmed
and released with its label pending, then labelled once when the carrier is
back; the carrier's breaker opens and closes once. Newer versions of orders
arriving meanwhile (an address change, a cancellation) are applied safely."""

import json
from concurrent.futures import ThreadPoolExecutor

import requests

from ..fakes.carrier import FakeCarrier
from ..support.generic_channel import order_payload
from ..support.odoo_server import wait_until as wait
from .test_webhook_pipeline import signed_delivery

BURST = 100


def post(url, payload):
    body, headers = signed_delivery(payload)
    answer = requests.post(url, data=body, headers=headers, timeout=60)
    assert answer.json()["status"] == "accepted", answer.text


def orders_of(server, backend_id, fields=("state",), domain=()):
    return server.call(
        "sale.order",
        "search_read",
        [("retail_backend_id", "=", backend_id), *domain],
        list(fields),
    )


def test_carrier_outage_during_a_burst_delays_labels_never_orders(
    odoo_server, generic_backend, catalog
):
    server = odoo_server
    backend_id, url = generic_backend
    with FakeCarrier() as carrier:
        [step] = server.call(
            "retail.order.step",
            "search_read",
            [("backend_id", "=", backend_id), ("code", "=", "shipment")],
            ["id"],
        )
        params = {
            "carrier_url": carrier.base_url,
            "carrier_code": "fake",
            "breaker_threshold": 3,
            "breaker_cooldown_seconds": 2,
        }
        server.call("retail.order.step", "write", [step["id"]], {"parameters": json.dumps(params)})
        endpoint = f"{carrier.base_url}/labels"
        carrier.go_down(3600, "unavailable")

        ids = [f"burst-{backend_id}-{n:03d}" for n in range(BURST)]
        moved, cancelled = f"moved-{backend_id}", f"cancelled-{backend_id}"
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda ext: post(url, order_payload(ext)), [*ids, moved, cancelled]))

        def burst_released():
            rows = orders_of(
                server,
                backend_id,
                ["state", "retail_released_at", "retail_label_state", "retail_hold_reason"],
            )
            ready = [
                row
                for row in rows
                if row["state"] == "sale"
                and row["retail_released_at"]
                and row["retail_label_state"] == "pending"
            ]
            return rows if len(ready) == BURST + 2 else None

        rows = wait(burst_released, "all orders confirmed and released", server, timeout=300)
        assert not any(row["retail_hold_reason"] for row in rows)
        assert not carrier.created

        # Newer versions while the labels wait: an address change, a cancellation.
        address = {
            "first_name": "Alan",
            "last_name": "Turing",
            "street": "2 Bletchley Park",
            "city": "Milton Keynes",
            "zip": "MK3 6EB",
            "country_code": "GB",
        }
        post(
            url,
            order_payload(moved, "order.updated", "2026-11-02T11:00:00Z", shipping_address=address),
        )
        post(
            url,
            order_payload(
                cancelled,
                "order.updated",
                "2026-11-02T11:00:00Z",
                cancelled_at="2026-11-02T11:00:00Z",
                cancel_reason="customer",
            ),
        )
        wait(
            lambda: orders_of(
                server,
                backend_id,
                ["state"],
                [("retail_external_id", "=", cancelled), ("state", "=", "cancel")],
            ),
            "the cancellation applied",
            server,
        )

        [breaker] = server.call(
            "retail.circuit.breaker",
            "search_read",
            [("endpoint", "=", endpoint)],
            ["state", "open_count", "close_count", "activity_ids"],
        )
        assert breaker["state"] in ("open", "half_open")
        assert breaker["open_count"] == 1
        assert len(breaker["activity_ids"]) == 1

        carrier.come_back()

        def labelled():
            rows = orders_of(
                server, backend_id, ["retail_label_state"], [("retail_label_state", "=", "done")]
            )
            return rows if len(rows) == BURST + 1 else None

        wait(labelled, "every label created", server, timeout=300)

    keys = [key for key, _shipment in carrier.created]
    assert len(keys) == BURST + 1 == len(set(keys)), "one label per order"
    by_reference = {shipment["reference"]: shipment for _key, shipment in carrier.created}
    [moved_order] = orders_of(
        server, backend_id, ["name", "picking_ids"], [("retail_external_id", "=", moved)]
    )
    assert by_reference[moved_order["name"]]["recipient"]["city"] == "Milton Keynes"
    [cancelled_order] = orders_of(
        server, backend_id, ["name", "retail_label_state"], [("retail_external_id", "=", cancelled)]
    )
    assert cancelled_order["name"] not in by_reference, "no shipment of a cancelled order"
    assert cancelled_order["retail_label_state"] == "cancelled"
    pickings = server.call(
        "stock.picking",
        "search_read",
        [("sale_id.retail_backend_id", "=", backend_id), ("picking_type_code", "=", "outgoing")],
        ["sale_id"],
    )
    per_order = [picking["sale_id"][0] for picking in pickings]
    assert len(per_order) == len(set(per_order)) == BURST + 2, "one delivery per order"
    [breaker] = server.call(
        "retail.circuit.breaker",
        "search_read",
        [("endpoint", "=", endpoint)],
        ["state", "open_count", "close_count", "activity_ids"],
    )
    assert (breaker["state"], breaker["open_count"], breaker["close_count"]) == ("closed", 1, 1)
    assert not breaker["activity_ids"], "the activity is done once the carrier answers"
