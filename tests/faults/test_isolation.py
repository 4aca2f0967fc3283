"""Scenario 10: tenant isolation. A secret, token or user of company A never reads or
writes company B's records (webhooks, the back office's record rules, stock exports).
The Channel API's keys are held to the same."""

import uuid

import pytest
import requests

from ..support.generic_channel import order_payload, signed_delivery
from ..support.odoo_server import query, set_stock, storable_product, wait_until
from .conftest import OTHER_SECRET, SECRET, event_counts, make_backend


def new_api_key(server, backend_id):
    """A Channel API key of ``backend_id`` with every scope; returns its secret."""
    key_id = server.call(
        "retail.api.key",
        "create",
        {
            "name": f"Tenant {uuid.uuid4().hex[:6]}",
            "backend_id": backend_id,
            "scope_customers_read": True,
            "scope_customers_write": True,
        },
    )
    return server.call("retail.api.key", "action_generate_secret", [key_id])["params"]["message"]


RETAIL_MODELS = ("retail.event", "retail.binding", "retail.outbox", "sale.order")


@pytest.fixture(scope="module")
def companies(fault_server, catalog):
    server = fault_server
    [company_a] = server.call("res.company", "search", [], limit=1)
    company_b = server.call("res.company", "create", {"name": f"Company B {uuid.uuid4().hex[:4]}"})
    server.call("res.users", "write", [2], {"company_ids": [(4, company_b)]})
    return company_a, company_b


def test_a_tenant_never_reaches_anothers_records(fault_server, companies, ledger):
    """10. Tenant isolation: webhooks, Channel API keys, record rules, stock exports"""
    server = fault_server
    company_a, company_b = companies
    backend_a, url_a = make_backend(server, SECRET, company_id=company_a)
    backend_b, url_b = make_backend(server, OTHER_SECRET, company_id=company_b)

    # Webhooks: B's signature on A's URL, A's on B's → refused, nothing stored.
    for url, secret in ((url_a, OTHER_SECRET), (url_b, SECRET)):
        body, headers = signed_delivery(order_payload(), secret)
        response = requests.post(url, data=body, headers=headers, timeout=30)
        assert response.status_code == 401
    assert event_counts(server, backend_a) == event_counts(server, backend_b) == {}
    for url, secret in ((url_a, SECRET), (url_b, OTHER_SECRET)):
        body, headers = signed_delivery(order_payload(), secret)
        assert requests.post(url, data=body, headers=headers, timeout=30).status_code == 200
    for backend_id in (backend_a, backend_b):
        wait_until(
            lambda b=backend_id: event_counts(server, b) == {"done": 1},
            "each company's order applied",
            server,
        )
    [(order_company,)] = query(
        server, "SELECT company_id FROM sale_order WHERE retail_backend_id = %s", (backend_b,)
    )
    assert order_company == company_b

    # The back office: a Retail Connect manager of company A only.
    login = f"manager-a-{uuid.uuid4().hex[:6]}"
    manager_group = server.call(
        "ir.model.data", "check_object_reference", "retail_connector_base",
        "group_retail_connect_manager",
    )[1]  # fmt: skip
    sales_group = server.call(
        "ir.model.data", "check_object_reference", "sales_team", "group_sale_manager"
    )[1]
    server.call(
        "res.users",
        "create",
        {
            "name": "Manager A",
            "login": login,
            "password": login,
            "company_id": company_a,
            "company_ids": [(6, 0, [company_a])],
            "group_ids": [(6, 0, [manager_group, sales_group])],
        },
    )
    user_a = server.as_user(login, login)
    seen = {
        model: user_a.call(model, "search_count", [("company_id", "=", company_b)])
        for model in RETAIL_MODELS
    }
    assert seen == dict.fromkeys(RETAIL_MODELS, 0), seen
    [order_b] = server.call("sale.order", "search", [("retail_backend_id", "=", backend_b)])
    with pytest.raises(RuntimeError, match=r"odoo\.exceptions\.AccessError"):
        user_a.call("sale.order", "read", [order_b], ["name"])
    with pytest.raises(RuntimeError, match=r"odoo\.exceptions\.AccessError"):
        user_a.call("retail.backend", "write", [backend_b], {"name": "taken over"})
    [events_b] = query(
        server, "SELECT count(*) FROM retail_event WHERE backend_id = %s", (backend_b,)
    )
    assert events_b == (1,)

    # The Channel API: a key of company A's channel never reads company B's order or
    # customer, and cannot cancel it; the answer is the one for a record that does not exist.
    key_a = new_api_key(server, backend_a)
    [order_b_ref] = query(
        server,
        "SELECT retail_external_id FROM sale_order WHERE retail_backend_id = %s",
        (backend_b,),
    )
    api = f"{server.base_url}/retail/api/v1"
    bearer = {"Authorization": f"Bearer {key_a}"}
    foreign = requests.get(f"{api}/orders/{order_b_ref[0]}", headers=bearer, timeout=30)
    nowhere = requests.get(f"{api}/orders/no-such-order", headers=bearer, timeout=30)
    assert foreign.status_code == nowhere.status_code == 404
    assert foreign.json()["detail"].replace(order_b_ref[0], "X") == nowhere.json()[
        "detail"
    ].replace("no-such-order", "X")
    [(state_before,)] = query(
        server, "SELECT state FROM sale_order WHERE retail_backend_id = %s", (backend_b,)
    )
    cancel = requests.post(
        f"{api}/orders/{order_b_ref[0]}/cancel",
        headers=dict(bearer, **{"Idempotency-Key": uuid.uuid4().hex}),
        json={},
        timeout=30,
    )
    assert cancel.status_code == 404
    [(email_b,)] = query(
        server,
        "SELECT p.email FROM sale_order o JOIN res_partner p ON p.id = o.partner_id "
        "WHERE o.retail_backend_id = %s",
        (backend_b,),
    )
    customers = requests.get(
        f"{api}/customers", params={"email": email_b}, headers=bearer, timeout=30
    )
    assert customers.status_code == 200 and not customers.json().get("customers"), customers.text
    [(state_b,)] = query(
        server, "SELECT state FROM sale_order WHERE retail_backend_id = %s", (backend_b,)
    )
    assert state_b == state_before != "cancel"

    # Stock exports: a change in company B's warehouse is never owed to company A's channel.
    export_a = server.call(
        "retail.backend",
        "create",
        {
            "name": "Shopify of A (paused: its messages wait)",
            "code": "shopify",
            "company_id": company_a,
            "shopify_shop_domain": "tenant-a.myshopify.com",
            "shopify_api_url": "http://127.0.0.1:9",
            "shopify_access_token": "shpat_a",
            "shopify_location_id": "gid://shopify/Location/1",
            "export_stock": True,
            "state": "paused",
        },
    )
    product = storable_product(server, f"TENANT-{uuid.uuid4().hex[:4]}")
    both = {"allowed_company_ids": [company_b, company_a]}
    warehouse_b = server.call(
        "stock.warehouse",
        "create",
        {"name": "Warehouse B", "code": "WHB", "company_id": company_b},
        context=both,
    )
    [stock_b] = server.call(
        "stock.warehouse", "read", [warehouse_b], ["lot_stock_id"], context=both
    )
    quant = server.call(
        "stock.quant",
        "create",
        {
            "product_id": product,
            "location_id": stock_b["lot_stock_id"][0],
            "inventory_quantity": 40,
        },
        context=dict(both, inventory_mode=True),
    )
    server.call(
        "stock.quant",
        "action_apply_inventory",
        [quant],
        context=both,
    )
    owed = server.call("retail.outbox", "search_read", [("backend_id", "=", export_a)], ["kind"])
    assert owed == []
    set_stock(server, product, 3)  # company A's warehouse: owed (the check can fail)
    owed = server.call("retail.outbox", "search_read", [("backend_id", "=", export_a)], ["kind"])
    assert [message["kind"] for message in owed] == ["stock"], owed

    ledger.sent, ledger.refused, ledger.accepted = 4, 2, 2
    ledger.stored = ledger.applied = 2
    ledger.lost = ledger.doubled = 0
    ledger.visible = "401; API 404 as for nothing; AccessError; no stock message across"
