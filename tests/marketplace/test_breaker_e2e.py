"""The marketplace's API down while Odoo ships orders, through the outbox and the real job
runner: the first failures open the endpoint's breaker (once, one activity), the other
deliveries wait behind it without calling, a probe finds Mirakl back and closes it (once),
and every delivery is shipped once."""

import pytest

from ..fakes.mirakl import FakeMirakl
from ..support.odoo_server import wait_until as wait
from .test_outbound_e2e import create_shipping_backend, shipping_calls, shipping_order, validate

ORDERS = 4
SKU = "E2E-BRK-LAMP"
THRESHOLD = 2


@pytest.fixture(scope="module")
def marketplace():
    with FakeMirakl(
        api_key="breaker-key", auto_accept=True, debit_delay=0, first_order=8_500_001
    ) as fake:
        yield fake


@pytest.fixture(scope="module")
def backend(odoo_server, marketplace):
    odoo_server.call("product.product", "create", {"name": "Lamp", "default_code": SKU})
    return create_shipping_backend(
        odoo_server,
        marketplace,
        "Mirakl breaker",
        "DHL",
        breaker_failure_threshold=THRESHOLD,
        # Longer than the outbox's first retry (10 s): that retry finds it open.
        breaker_cooldown_seconds=20,
        max_attempts=10,
    )


def breakers_of(server, backend_id):
    return server.call(
        "retail.circuit.breaker",
        "search_read",
        [("backend_id", "=", backend_id)],
        ["endpoint", "state", "open_count", "close_count", "activity_ids"],
    )


def test_marketplace_down_while_shipping_opens_one_breaker_and_ships_each_order_once(
    odoo_server, marketplace, backend
):
    server = odoo_server
    backend_id, carrier = backend
    orders = [shipping_order(server, marketplace, backend_id, SKU) for _n in range(ORDERS)]
    marketplace.go_down(3600, "5xx", status=503)
    for number, (_order_id, picking) in enumerate(orders):
        validate(server, picking, carrier, f"BRK-{number}")

    def opened_and_all_waiting():
        breakers = [b for b in breakers_of(server, backend_id) if b["open_count"]]
        messages = server.call(
            "retail.outbox",
            "search_read",
            [("backend_id", "=", backend_id), ("kind", "=", "fulfillment")],
            ["state", "attempts", "error"],
        )
        waiting = [m for m in messages if m["state"] == "pending" and m["error"]]
        deferred = [m for m in waiting if "considered down" in m["error"]]
        return breakers if breakers and deferred and len(waiting) == ORDERS else None

    # A delivery deferred by the breaker waits without calling Mirakl.
    [breaker] = wait(opened_and_all_waiting, "a delivery waiting behind the breaker", server, 120)
    assert breaker["endpoint"].startswith(f"{marketplace.base_url}/orders")
    assert breaker["open_count"] == 1
    assert len(breaker["activity_ids"]) == 1, "one activity, not one per delivery"
    assert [o for o, _p in orders if marketplace.order(o)["order_state"] == "SHIPPED"] == []

    marketplace.come_back()
    wait(
        lambda: all(marketplace.order(o)["order_state"] == "SHIPPED" for o, _p in orders),
        "every order shipped after the outage",
        server,
        timeout=180,
    )
    for order_id, _picking in orders:
        assert shipping_calls(marketplace, order_id) == ["OR23", "OR24"], "shipped once"
    [breaker] = wait(
        lambda: [b for b in breakers_of(server, backend_id) if b["close_count"]],
        "the breaker closed",
        server,
    )
    assert (breaker["state"], breaker["open_count"], breaker["close_count"]) == ("closed", 1, 1)
    assert not breaker["activity_ids"], "its activity is done once Mirakl answers"
    states = server.call(
        "retail.outbox",
        "search_read",
        [("backend_id", "=", backend_id), ("kind", "=", "fulfillment")],
        ["state"],
    )
    assert [m["state"] for m in states] == ["done"] * ORDERS
