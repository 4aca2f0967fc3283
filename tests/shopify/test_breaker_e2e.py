"""Shopify's Admin API down while Odoo changes stock and an order arrives, through the
outbox and the real job runner: the order is imported all the same (it waits for the
fraud analysis Shopify cannot give now), the first failed stock exports open the
GraphQL endpoint's breaker once (one activity), the others wait behind it without
calling; Shopify back, a probe closes it once and each stock level is set once."""

import json
import uuid

import pytest

from ..fakes.shopify import FakeShopify
from ..support.odoo_server import query, set_stock
from ..support.odoo_server import wait_until as wait
from .test_exports import SAMPLES, create_store

LEVELS = {"BRK-A": 4, "BRK-B": 6, "BRK-C": 9}


@pytest.fixture(scope="module")
def shop():
    with FakeShopify(currency="EUR", first_order=7101) as fake:
        yield fake


@pytest.fixture(scope="module")
def store(odoo_server, shop):
    backend_id = create_store(odoo_server, shop)
    odoo_server.call(
        "retail.backend",
        "write",
        [backend_id],
        {
            "name": f"Shopify breaker (fake) {uuid.uuid4().hex[:6]}",
            "breaker_failure_threshold": 2,
            # Longer than the outbox's first retry (10 s): that retry finds it open.
            "breaker_cooldown_seconds": 20,
            "max_attempts": 10,
            "shopify_hold_until_risk": True,
        },
    )
    return backend_id


def graphql_breaker(server, store):
    return server.call(
        "retail.circuit.breaker",
        "search_read",
        [("backend_id", "=", store), ("endpoint", "like", "%/graphql%")],
        ["state", "open_count", "close_count", "activity_ids", "failure_count"],
    )


def stock_messages(server, store):
    return server.call(
        "retail.outbox",
        "search_read",
        [("backend_id", "=", store), ("kind", "=", "stock")],
        ["state", "attempts", "error"],
    )


def test_shopify_down_defers_exports_behind_one_breaker_and_never_fails_an_import(
    odoo_server, store, shop
):
    server = odoo_server
    variants = {sku: shop.add_variant(sku, available=0) for sku in LEVELS}
    products = {
        sku: server.call(
            "product.product", "create", {"name": sku, "default_code": sku, "is_storable": True}
        )
        for sku in LEVELS
    }
    applied_before = len([c for c in shop.inventory_set_calls if c.get("applied")])
    shop.go_down(3600, "html_5xx", status=503)
    for sku, quantity in LEVELS.items():
        set_stock(server, products[sku], quantity)
    fake_order = shop.add_order(line_items=[{"sku": "LH-BUCH-SAISON", "quantity": 1}])
    payload = json.loads((SAMPLES / "order_create_taxes_included.json").read_text())
    payload.update(admin_graphql_api_id=fake_order["id"], name="#7199")
    [answer] = shop.deliver_to_subscriptions("orders/create", payload)
    assert answer.json() == {"status": "accepted"}

    def opened_and_waiting():
        breakers = [b for b in graphql_breaker(server, store) if b["open_count"]]
        messages = stock_messages(server, store)
        waiting = [m for m in messages if m["state"] == "pending" and m["error"]]
        deferred = [m for m in waiting if "considered down" in m["error"]]
        return breakers if breakers and deferred and len(waiting) == len(LEVELS) else None

    # A message deferred by the breaker waits without calling Shopify.
    [breaker] = wait(opened_and_waiting, "a message waiting behind the breaker", server, 120)
    assert breaker["open_count"] == 1
    assert len(breaker["activity_ids"]) == 1, "one activity, not one per message"

    # The import did not fail: the order waits for the fraud analysis, as a quotation.
    [(event_state, order_state, hold)] = wait(
        lambda: query(
            server,
            "SELECT e.state, o.state, o.retail_hold_reason FROM retail_event e "
            "JOIN sale_order o ON o.retail_external_id = %s AND o.retail_backend_id = %s "
            "WHERE e.backend_id = %s AND e.topic = 'orders/create' AND e.state = 'done'",
            (fake_order["id"], store, store),
        ),
        "the order imported",
        server,
    )
    assert (event_state, order_state) == ("done", "draft")
    assert "Waiting for Shopify's fraud analysis" in hold
    assert "unavailable" in hold or "considered down" in hold

    shop.come_back()
    wait(
        lambda: all(
            shop.available(variants[sku]["inventoryItem"]["id"]) == quantity
            for sku, quantity in LEVELS.items()
        ),
        "every stock level set after the outage",
        server,
        timeout=180,
    )
    [breaker] = wait(
        lambda: [b for b in graphql_breaker(server, store) if b["close_count"]],
        "the breaker closed",
        server,
    )
    assert (breaker["state"], breaker["open_count"], breaker["close_count"]) == ("closed", 1, 1)
    assert not breaker["activity_ids"]
    applied = [c for c in shop.inventory_set_calls if c.get("applied")][applied_before:]
    assert len(applied) == len(LEVELS), "each level set once"
    wait(
        lambda: [m["state"] for m in stock_messages(server, store)] == ["done"] * len(LEVELS),
        "every stock message done",
        server,
    )
