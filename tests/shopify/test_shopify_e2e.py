"""A store on the fake Shopify and a real Odoo (2 workers, queue_job runner):
connect, subscribe webhooks, receive signed deliveries, import orders."""

import json
import time
from pathlib import Path

import pytest

from ..fakes.shopify import FakeShopify
from ..support.odoo_server import query

SAMPLES = Path(__file__).resolve().parents[2] / "addons/retail_connector_shopify/tests/samples"


def sample(name):
    return json.loads((SAMPLES / f"{name}.json").read_text())


@pytest.fixture(scope="module")
def shop():
    with FakeShopify(currency="EUR") as fake:
        yield fake


@pytest.fixture(scope="module")
def store(odoo_server, shop):
    """An active Shopify backend using the client-credentials grant."""
    server = odoo_server
    server.call("ir.config_parameter", "set_param", "web.base.url", server.base_url)
    server.call("res.currency", "write", [_ref(server, "base.EUR")], {"active": True})
    group = server.call("account.tax.group", "create", {"name": "E2E MwSt"})
    for rate in (19, 7):
        server.call(
            "account.tax",
            "create",
            {
                "name": f"E2E MwSt {rate}% incl.",
                "amount": rate,
                "amount_type": "percent",
                "type_tax_use": "sale",
                "price_include_override": "tax_included",
                "tax_group_id": group,
                "sequence": 0,
            },
        )
    for sku, name in (("LH-GT3-SALBEI", "Green tea"), ("LH-BUCH-SAISON", "Seasons book")):
        server.call("product.product", "create", {"name": name, "default_code": sku})
    backend_id = server.call(
        "retail.backend",
        "create",
        {
            "name": "Shopify DE (fake)",
            "code": "shopify",
            "shopify_shop_domain": shop.shop_domain,
            "shopify_api_url": shop.base_url,
            "shopify_client_id": shop.client_id,
            "shopify_client_secret": shop.client_secret,
        },
    )
    server.call("retail.backend", "action_activate", [backend_id])
    return backend_id


def _ref(server, xmlid):
    module, name = xmlid.split(".")
    [data] = server.call(
        "ir.model.data", "search_read", [("module", "=", module), ("name", "=", name)], ["res_id"]
    )
    return data["res_id"]


def test_test_connection_shows_the_shop_name(odoo_server, store, shop):
    action = odoo_server.call("retail.backend", "action_shopify_test_connection", [store])
    assert action["params"]["type"] == "success"
    assert "Connected to Retail Connect Test" in action["params"]["message"]
    assert len(shop.tokens) == 1, "a token was granted with the client credentials"


def test_test_connection_reports_the_exact_error(odoo_server, store, shop):
    shop.fail_next("unauthorized", times=2)  # refused again after a token refresh
    action = odoo_server.call("retail.backend", "action_shopify_test_connection", [store])
    assert action["params"]["type"] == "danger"
    assert "rejected the access token" in action["params"]["message"]


def test_webhooks_are_subscribed_once_to_the_backend_url(odoo_server, store, shop):
    odoo_server.call("retail.backend", "action_shopify_sync_webhooks", [store])
    odoo_server.call("retail.backend", "action_shopify_sync_webhooks", [store])
    [backend] = odoo_server.call("retail.backend", "read", [store], ["webhook_url"])
    subscribed = sorted((sub["topic"], sub["uri"]) for sub in shop.webhook_subscriptions.values())
    assert len(subscribed) == 9
    assert {uri for _topic, uri in subscribed} == {backend["webhook_url"]}
    lines = odoo_server.call(
        "retail.shopify.webhook", "search_read", [("backend_id", "=", store)], ["topic", "state"]
    )
    assert sorted(line["topic"] for line in lines) == sorted(
        [
            "orders/create", "orders/updated", "orders/paid", "orders/cancelled",
            "orders/fulfilled", "refunds/create", "customers/create", "customers/update",
            "returns/approve",
        ]
    )  # fmt: skip
    assert {line["state"] for line in lines} == {"subscribed"}


def test_signed_deliveries_become_a_confirmed_order(odoo_server, store, shop):
    odoo_server.call("retail.backend", "action_shopify_sync_webhooks", [store])
    order = sample("order_create_taxes_included")
    [response] = shop.deliver_to_subscriptions("orders/create", order, webhook_id="wh-e2e-1")
    assert response.status_code == 200 and response.json() == {"status": "accepted"}
    again = shop.deliver_to_subscriptions("orders/create", order, webhook_id="wh-e2e-1")
    assert again[0].json() == {"status": "duplicate"}
    tampered = shop.deliver_to_subscriptions("orders/create", order, tamper=True)
    assert tampered[0].status_code == 401

    deadline = time.monotonic() + 60
    rows = []
    while time.monotonic() < deadline:
        rows = query(
            odoo_server.dbname,
            "SELECT state, amount_total, retail_payment_state FROM sale_order "
            "WHERE retail_backend_id = %s AND retail_external_id = %s",
            (store, order["admin_graphql_api_id"]),
        )
        if rows and rows[0][0] == "sale":
            break
        time.sleep(0.3)
    # numeric columns read as Decimal, or float once Odoo's typecasters are loaded
    assert [(state, float(total), paid) for state, total, paid in rows] == [
        ("sale", 78.80, "paid")
    ], odoo_server.log()


def test_orders_wait_for_shopify_fraud_analysis(odoo_server, store, shop):
    odoo_server.call("retail.backend", "write", [store], {"shopify_hold_until_risk": True})
    odoo_server.call("retail.backend", "action_shopify_sync_webhooks", [store])
    try:
        pending = shop.add_order(risk="NONE", line_items=[{"sku": "LH-BUCH-SAISON", "quantity": 1}])
        risky = shop.add_order(risk="CANCEL", line_items=[{"sku": "LH-BUCH-SAISON", "quantity": 1}])
        for fake_order, number in ((pending, "#9001"), (risky, "#9002")):
            payload = sample("order_create_taxes_included")
            payload.update(admin_graphql_api_id=fake_order["id"], name=number)
            shop.deliver_to_subscriptions("orders/create", payload)
        held = _wait_for_orders(odoo_server, store, (pending["id"], risky["id"]), "draft")
        reasons = dict(held)
        assert "Waiting for Shopify's fraud analysis" in reasons[pending["id"]]
        assert "Shopify recommends cancelling this order" in reasons[risky["id"]]

        shop.set_risk(pending["id"], "ACCEPT")
        cron = _ref(odoo_server, "retail_connector_shopify.ir_cron_shopify_recheck_risk")
        odoo_server.call("ir.cron", "method_direct_trigger", [cron])
        [(state,)] = query(
            odoo_server.dbname,
            "SELECT state FROM sale_order WHERE retail_backend_id = %s AND retail_external_id = %s",
            (store, pending["id"]),
        )
        assert state == "sale"
    finally:
        odoo_server.call("retail.backend", "write", [store], {"shopify_hold_until_risk": False})


def _wait_for_orders(server, backend_id, gids, state, timeout=60):
    deadline = time.monotonic() + timeout
    rows = []
    while time.monotonic() < deadline:
        rows = query(
            server.dbname,
            "SELECT retail_external_id, retail_hold_reason FROM sale_order "
            "WHERE retail_backend_id = %s AND retail_external_id IN %s AND state = %s",
            (backend_id, tuple(gids), state),
        )
        if len(rows) == len(gids):
            return rows
        time.sleep(0.3)
    raise AssertionError(f"orders not {state} in time: {rows}\n{server.log()}")
