"""Scenario 7: the channel's API is down while Odoo ships orders and changes stock. The
messages wait, then each goes once. CI runs the outage at a thirtieth of its length
with the retry pattern scaled alike (20 s); `make test-faults-heavy` runs the real
10 minutes with the shipped pattern."""

import pytest

from ..fakes.shopify import FakeShopify
from ..shopify.test_exports import create_store, deliver, import_order_of
from ..support.odoo_server import query, set_stock, wait_until
from .conftest import HEAVY

OUTAGE_SECONDS = 600 if HEAVY else 20
# The shipped pattern reaches a 5th attempt at 760 s; this one at 30 s.
SCALED_PATTERN = "{1: 2, 2: 4, 3: 8, 4: 16}"


@pytest.fixture(scope="module")
def shop():
    with FakeShopify(currency="EUR", first_order=9101) as fake:
        yield fake


def test_channel_down_during_shipping_and_stock_exports(fault_server, shop, ledger):
    """7. A channel API down for 10 minutes during shipping and stock exports"""
    server = fault_server
    if not HEAVY:
        [function] = server.call(
            "queue.job.function", "search", [("name", "=", "<retail.outbox>._send")]
        )
        server.call(
            "queue.job.function", "write", [function], {"edit_retry_pattern": SCALED_PATTERN}
        )
    store = create_store(server, shop)
    if not HEAVY:
        # The GraphQL endpoint's breaker probes Shopify at the scaled pace too.
        server.call("retail.backend", "write", [store], {"breaker_cooldown_seconds": 4})
    orders = [
        import_order_of(
            server,
            store,
            shop,
            shop.add_order(
                line_items=[
                    {"sku": "LH-GT3-SALBEI", "quantity": 1, "price": "24.90"},
                    {"sku": "LH-BUCH-SAISON", "quantity": 1, "price": "29.00"},
                ]
            ),
        )
        for _order in range(3)
    ]
    variants = {sku: shop.add_variant(sku, available=0) for sku in ("OUT-A", "OUT-B")}
    products = {
        sku: server.call(
            "product.product", "create", {"name": sku, "default_code": sku, "is_storable": True}
        )
        for sku in variants
    }
    [(messages_before,)] = query(
        server, "SELECT count(*) FROM retail_outbox WHERE backend_id = %s", (store,)
    )

    shop.go_down(OUTAGE_SECONDS)
    for number, order in enumerate(orders):
        [picking] = order["picking_ids"]
        deliver(server, picking, {"LH-GT3-SALBEI": 1, "LH-BUCH-SAISON": 1}, f"OUTAGE-{number}")
    for sku, quantity in (("OUT-A", 5), ("OUT-B", 7), ("OUT-A", 9)):
        set_stock(server, products[sku], quantity)

    timeout = OUTAGE_SECONDS + (900 if HEAVY else 120)
    wait_until(
        lambda: (
            len(shop.fulfillments) == 3
            and shop.available(variants["OUT-A"]["inventoryItem"]["id"]) == 9
            and shop.available(variants["OUT-B"]["inventoryItem"]["id"]) == 7
        ),
        "every shipment and stock level sent after the outage",
        server,
        timeout=timeout,
    )
    states = wait_until(
        lambda: (
            (
                s := dict(
                    query(
                        server,
                        "SELECT state, count(*) FROM retail_outbox WHERE backend_id = %s "
                        "AND id > 0 GROUP BY state",
                        (store,),
                    )
                )
            )
            and set(s) == {"done"}
            and s
        ),
        "every outbox message done",
        server,
        timeout=60,
    )
    faulted = [entry for entry in shop.request_log if entry.fault == "reset"]
    assert faulted, "the outage met no request: the scenario tested nothing"
    tracking = sorted(f["trackingInfo"][0]["number"] for f in shop.fulfillments.values())
    assert tracking == ["OUTAGE-0", "OUTAGE-1", "OUTAGE-2"]
    [(retried,)] = query(
        server,
        "SELECT count(*) FROM retail_outbox WHERE backend_id = %s AND attempts > 1",
        (store,),
    )
    assert retried >= 1
    sent = states["done"] - messages_before
    ledger.sent = ledger.accepted = ledger.stored = sent
    ledger.applied = len(shop.fulfillments) + 2
    ledger.lost, ledger.doubled = 0, 0
    ledger.visible = (
        f"{len(faulted)} calls met the outage; {retried} messages retried (Outbox, attempts)"
    )
