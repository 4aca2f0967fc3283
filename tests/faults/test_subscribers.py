"""Scenario 11: business-event subscribers that must not hurt anyone. A subscriber URL
pointing at a private or metadata address is refused (nothing is sent there); a
subscriber that hangs delays nobody else."""

import importlib.util
import time
import uuid
from pathlib import Path

from ..support.odoo_server import wait_until

ROOT = Path(__file__).resolve().parents[2]
ORDERS = 20


def _receiver_class():
    path = ROOT / "addons/retail_connector_base/tests/event_receiver.py"
    spec = importlib.util.spec_from_file_location("retail_fault_event_receiver", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.EventReceiver


EventReceiver = _receiver_class()


def subscribe(server, url, **values):
    return server.call(
        "retail.business.event.subscription",
        "create",
        {"name": f"faults {uuid.uuid4().hex[:6]}", "url": url, "event_types": "order.*", **values},
    )


def confirm_orders(server, count):
    partner = server.call("res.partner", "create", {"name": f"Faults {uuid.uuid4().hex[:6]}"})
    product = server.call(
        "product.product", "create", {"name": "Faults service", "type": "service", "list_price": 1}
    )
    orders = [
        server.call(
            "sale.order",
            "create",
            {"partner_id": partner, "order_line": [(0, 0, {"product_id": product})]},
        )
        for _order in range(count)
    ]
    for order in orders:
        server.call("sale.order", "action_confirm", [order])
    return orders


def deliveries(server, subscription_id):
    return {
        row["state"]: row["state_count"]
        for row in server.call(
            "retail.business.event.delivery",
            "read_group",
            [("subscription_id", "=", subscription_id)],
            ["state"],
            ["state"],
        )
    }


def test_private_addresses_are_refused_and_a_hanging_subscriber_delays_nobody(fault_server, ledger):
    """11. A subscriber URL at a private address (SSRF); a subscriber that hangs"""
    server = fault_server
    with EventReceiver() as healthy, EventReceiver() as hanging, EventReceiver() as internal:
        hanging.delay = 60  # longer than the delivery's read timeout
        healthy_id = subscribe(server, healthy.url, allowed_networks="127.0.0.1/32")
        hanging_id = subscribe(server, hanging.url, allowed_networks="127.0.0.1/32")
        refused = [
            subscribe(server, internal.url),  # loopback, not allow-listed
            subscribe(server, internal.url.replace("127.0.0.1", "localhost")),
            subscribe(server, "http://169.254.169.254/latest/meta-data/"),
            subscribe(server, "http://10.0.0.1/hooks"),
            subscribe(server, "http://[::1]:9/hooks"),
        ]
        started = time.monotonic()
        confirm_orders(server, ORDERS)
        wait_until(
            lambda: len({e["id"] for e in healthy.delivered}) >= ORDERS,
            "every confirmation at the healthy subscriber",
            server,
            timeout=120,
        )
        healthy_seconds = time.monotonic() - started
        for subscription_id in refused:
            wait_until(
                lambda s=subscription_id: deliveries(server, s).get("failed") == ORDERS,
                "the private address refused",
                server,
            )
        errors = server.call(
            "retail.business.event.delivery",
            "search_read",
            [("subscription_id", "in", refused)],
            ["error"],
        )
        assert all(error["error"] for error in errors)
        assert internal.requests == [], "a request reached a private address"
        received_ids = [event["id"] for event in healthy.delivered]
        assert len(received_ids) == len(set(received_ids)) == ORDERS
        hanging_states = deliveries(server, hanging_id)
    ledger.sent = ORDERS * (2 + len(refused))
    ledger.accepted = ORDERS
    ledger.refused = sum(1 for _e in errors)
    ledger.stored = ORDERS
    ledger.applied = len(set(received_ids))
    ledger.lost, ledger.doubled = 0, len(received_ids) - len(set(received_ids))
    ledger.visible = (
        f"private URLs 'failed' with the reason; healthy subscriber done in "
        f"{healthy_seconds:.0f}s beside a hanging one ({hanging_states})"
    )
    del healthy_id
