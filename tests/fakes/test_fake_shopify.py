"""The fake Shopify itself, exercised over HTTP with ``requests``.

The queries are the connector's own (addons/retail_connector_shopify/graphql.py, loaded by
path: it has no Odoo imports), so these tests also check that the fake answers them.
"""

import base64
import hashlib
import hmac
import importlib.util
import json
import pathlib
import socket
import threading
import time
import uuid

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from .harness import FakeServer, Reply
from .shopify import (
    INVALID_TOKEN_BODY,
    FakeShopify,
    ShopState,
    customer_webhook_payload,
    order_webhook_payload,
)

ROOT = pathlib.Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "retail_shopify_graphql", ROOT / "addons/retail_connector_shopify/graphql.py"
)
gq = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gq)


@pytest.fixture
def shopify():
    with FakeShopify(bulk_delay=None) as fake:
        yield fake
        assert not fake.server_errors, fake.server_errors


def post(fake, query, variables=None, *, token=None, version="2026-10", timeout=5):
    token = fake.access_token if token is None else token
    headers = {"X-Shopify-Access-Token": token} if token else {}
    return requests.post(
        fake.graphql_url(version),
        json={"query": query, "variables": variables or {}},
        headers=headers,
        timeout=timeout,
    )


def gql(fake, query, variables=None, **kwargs):
    """The answer's JSON, after checking it is a 200 without top-level errors."""
    response = post(fake, query, variables, **kwargs)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert "errors" not in answer, answer
    return answer


def errors_of(fake, query, variables=None):
    response = post(fake, query, variables)
    assert response.status_code == 200
    answer = response.json()
    assert "data" not in answer
    return answer["errors"]


# -- Lifecycle -----------------------------------------------------------------------------


def test_serves_on_loopback_and_stops_cleanly():
    threads_before = threading.active_count()
    with FakeShopify() as fake:
        assert fake.base_url.startswith("http://127.0.0.1:")
        port = fake.port
        gql(fake, gq.SHOP)
    assert threading.active_count() == threads_before
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), 1):
        pass


def test_stop_wakes_a_held_request():
    fake = FakeShopify().start()
    fake.fail_next("timeout", seconds=60)
    with pytest.raises(requests.ReadTimeout):
        post(fake, gq.SHOP, timeout=0.2)
    started = time.monotonic()
    fake.stop()
    assert time.monotonic() - started < 2


# -- Auth and tokens ---------------------------------------------------------------------


def test_shop_with_the_static_token(shopify):
    response = post(shopify, gq.SHOP)
    assert response.status_code == 200
    assert response.headers["X-Shopify-API-Version"] == "2026-10"
    answer = response.json()
    assert answer["data"] == {
        "shop": {
            "id": "gid://shopify/Shop/1",
            "name": "Retail Connect Test",
            "myshopifyDomain": "retail-connect-test.myshopify.com",
            "currencyCode": "EUR",
        }
    }
    cost = answer["extensions"]["cost"]
    assert cost["requestedQueryCost"] == cost["actualQueryCost"] == 1
    assert cost["throttleStatus"]["maximumAvailable"] == 1000.0
    assert cost["throttleStatus"]["restoreRate"] == 100.0
    [entry] = shopify.graphql_requests("RetailShop")
    assert entry.status == 200
    assert entry.headers["x-shopify-access-token"] == shopify.access_token


@pytest.mark.parametrize("token", ["", "shpat_wrong"])
def test_missing_or_wrong_token_is_401(shopify, token):
    response = post(shopify, gq.SHOP, token=token)
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN_BODY
    assert shopify.request_log[-1].status == 401


def test_retired_version_is_served_by_the_oldest_and_unknown_paths_are_404(shopify):
    response = post(shopify, gq.SHOP, version="2024-01")
    assert response.status_code == 200
    assert response.headers["X-Shopify-API-Version"] == "2026-01"
    assert (
        requests.get(f"{shopify.base_url}/admin/api/2026-10/orders.json", timeout=5).status_code
        == 404
    )


@pytest.mark.parametrize("as_json", [True, False])
def test_client_credentials_grant(as_json):
    with FakeShopify(access_token=None, token_ttl=3600) as fake:
        params = {
            "client_id": fake.client_id,
            "client_secret": fake.client_secret,
            "grant_type": "client_credentials",
        }
        url = f"{fake.base_url}/admin/oauth/access_token"
        sent = {"json": params} if as_json else {"data": params}
        response = requests.post(url, timeout=5, **sent)
        assert response.status_code == 200
        grant = response.json()
        assert grant["access_token"].startswith("shpat_")
        assert grant["expires_in"] == 3600
        assert grant["scope"] == fake.scope
        assert list(fake.tokens) == [grant["access_token"]]
        gql(fake, gq.SHOP, token=grant["access_token"])

        fake.expire_tokens()
        assert post(fake, gq.SHOP, token=grant["access_token"]).status_code == 401


def test_token_grant_refuses_bad_credentials(shopify):
    url = f"{shopify.base_url}/admin/oauth/access_token"
    wrong = {
        "client_id": shopify.client_id,
        "client_secret": "nope",
        "grant_type": "client_credentials",
    }
    response = requests.post(url, json=wrong, timeout=5)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    grant = {"client_id": shopify.client_id, "client_secret": shopify.client_secret}
    response = requests.post(url, json={**grant, "grant_type": "password"}, timeout=5)
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"
    assert not shopify.tokens


def test_static_token_survives_expire_tokens(shopify):
    shopify.expire_tokens()
    gql(shopify, gq.SHOP)


# -- Throttling ----------------------------------------------------------------------------


def test_bucket_drains_then_throttles_with_the_cost_extension():
    with FakeShopify(maximum_available=100, restore_rate=10) as fake:
        fake.costs["RetailShop"] = 40
        first = gql(fake, gq.SHOP)["extensions"]["cost"]
        assert first["throttleStatus"]["currentlyAvailable"] in range(60, 62)
        gql(fake, gq.SHOP)
        response = post(fake, gq.SHOP)
        assert response.status_code == 200
        answer = response.json()
        assert "data" not in answer
        assert answer["errors"] == [
            {
                "message": "Throttled",
                "extensions": {
                    "code": "THROTTLED",
                    "documentation": "https://shopify.dev/api/usage/rate-limits",
                },
            }
        ]
        cost = answer["extensions"]["cost"]
        assert cost["requestedQueryCost"] == 40
        assert cost["actualQueryCost"] is None
        assert cost["throttleStatus"]["maximumAvailable"] == 100.0
        assert cost["throttleStatus"]["restoreRate"] == 10.0
        assert cost["throttleStatus"]["currentlyAvailable"] < 40
        assert fake.request_log[-1].throttled


def test_bucket_refills_at_the_restore_rate(shopify):
    shopify.bucket.set_available(0)
    time.sleep(0.3)
    available = gql(shopify, gq.SHOP)["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"]
    assert 25 <= available < 100  # 100 points/s for ≥ 0.3 s, minus the query's 1


def test_actual_cost_is_refunded(shopify):
    cost = gql(shopify, gq.FULFILLMENT_ORDERS, {"id": "gid://shopify/Order/1"})["extensions"][
        "cost"
    ]
    assert cost["requestedQueryCost"] > cost["actualQueryCost"]
    assert cost["throttleStatus"]["currentlyAvailable"] >= 1000 - cost["actualQueryCost"] - 1


def test_throttles_can_answer_429_with_retry_after():
    with FakeShopify(throttle_status=429, restore_rate=50) as fake:
        fake.bucket.set_available(0)
        fake.costs["RetailShop"] = 100
        response = post(fake, gq.SHOP)
        assert response.status_code == 429
        assert int(response.headers["Retry-After"]) >= 1
        assert response.json()["errors"][0]["extensions"]["code"] == "THROTTLED"


def test_forced_throttle_and_max_cost(shopify):
    shopify.fail_next("throttled")
    response = post(shopify, gq.SHOP)
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "THROTTLED"
    shopify.costs["RetailShop"] = 1200
    [error] = errors_of(shopify, gq.SHOP)
    assert error["extensions"]["code"] == "MAX_COST_EXCEEDED"


# -- Faults ------------------------------------------------------------------------------


def test_html_5xx(shopify):
    shopify.fail_next("html_5xx")
    shopify.fail_next("html_5xx", status=504)
    response = post(shopify, gq.SHOP)
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<html>" in response.text and "502 Bad Gateway" in response.text
    assert post(shopify, gq.SHOP).status_code == 504
    gql(shopify, gq.SHOP)
    assert [entry.fault for entry in shopify.request_log] == ["html_5xx", "html_5xx", None]


def test_json_503_for_the_next_n_requests(shopify):
    shopify.fail_next("json_503", times=2, retry_after=3)
    for _ in range(2):
        response = post(shopify, gq.SHOP)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "3"
        assert "errors" in response.json()
    gql(shopify, gq.SHOP)


def test_timeout_then_recovery(shopify):
    shopify.fail_next("timeout", seconds=2)
    with pytest.raises(requests.ReadTimeout):
        post(shopify, gq.SHOP, timeout=0.3)
    gql(shopify, gq.SHOP)
    assert shopify.request_log[0].fault == "timeout"
    assert shopify.request_log[0].status is None


def test_connection_reset(shopify):
    shopify.fail_next("reset")
    with pytest.raises(requests.ConnectionError):
        post(shopify, gq.SHOP)
    gql(shopify, gq.SHOP)
    assert shopify.request_log[0].status is None


def test_unauthorized_once(shopify):
    shopify.fail_next("unauthorized")
    response = post(shopify, gq.SHOP)
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN_BODY
    gql(shopify, gq.SHOP)


def test_unknown_fault_kind_is_refused(shopify):
    with pytest.raises(ValueError, match="unknown fault"):
        shopify.fail_next("meteor")


# -- GraphQL errors --------------------------------------------------------------------


def test_unknown_operation_missing_variable_and_unmodelled_field(shopify):
    [error] = errors_of(shopify, "query SomethingElse { shop { id } }")
    assert error["extensions"]["code"] == "UNKNOWN_OPERATION"
    [error] = errors_of(shopify, gq.WEBHOOK_SUBSCRIPTIONS, {"after": None})
    assert error["message"] == "Variable $first of type Int! was provided invalid value"
    [error] = errors_of(shopify, "query RetailShop { shop { id billingAddress { city } } }")
    assert "billingAddress" in error["message"]
    [error] = errors_of(shopify, "query RetailShop { shop { id ")
    assert error["extensions"]["code"] == "syntaxError"


def test_bad_body_is_400(shopify):
    response = requests.post(
        shopify.graphql_url(),
        data=b"not json",
        headers={"X-Shopify-Access-Token": shopify.access_token},
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json() == {"errors": {"query": "Required parameter missing or invalid"}}


def test_aliases_and_typename(shopify):
    answer = gql(shopify, "query RetailShop { store: shop { __typename domain: myshopifyDomain } }")
    assert answer["data"] == {
        "store": {"__typename": "Shop", "domain": "retail-connect-test.myshopify.com"}
    }


# -- Webhook subscriptions and pagination -------------------------------------------------


def create_subscription(fake, topic, uri, fmt="JSON"):
    variables = {"topic": topic, "webhookSubscription": {"uri": uri, "format": fmt}}
    answer = gql(fake, gq.WEBHOOK_SUBSCRIPTION_CREATE, variables)
    return answer["data"]["webhookSubscriptionCreate"]


def test_webhook_subscription_create_and_its_user_errors(shopify):
    created = create_subscription(shopify, "ORDERS_CREATE", "https://odoo.example.com/hook")
    assert created["userErrors"] == []
    assert created["webhookSubscription"]["topic"] == "ORDERS_CREATE"
    assert created["webhookSubscription"]["id"] in shopify.webhook_subscriptions

    duplicate = create_subscription(shopify, "ORDERS_CREATE", "https://odoo.example.com/hook")
    assert duplicate["webhookSubscription"] is None
    assert duplicate["userErrors"][0]["message"] == "Address for this topic has already been taken"
    for uri in ("ftp://odoo.example.com/hook", "http://odoo.example.com/hook", "not a url"):
        invalid = create_subscription(shopify, "ORDERS_UPDATED", uri)
        assert invalid["userErrors"][0]["field"] == ["webhookSubscription", "uri"]
    for topic in ("CUSTOMERS_DATA_REQUEST", "CUSTOMERS_REDACT", "SHOP_REDACT"):
        compliance = create_subscription(shopify, topic, "https://odoo.example.com/gdpr")
        assert compliance["userErrors"][0]["field"] == ["topic"]
    loopback = create_subscription(shopify, "ORDERS_UPDATED", "http://127.0.0.1:8069/hook")
    assert loopback["userErrors"] == []
    assert len(shopify.webhook_subscriptions) == 2

    variables = {"topic": "NOT_A_TOPIC", "webhookSubscription": {"uri": "https://x.example"}}
    [error] = errors_of(shopify, gq.WEBHOOK_SUBSCRIPTION_CREATE, variables)
    assert error["extensions"]["code"] == "INVALID_VARIABLE"


def test_webhook_subscriptions_paginate(shopify):
    for index in range(5):
        shopify.add_webhook_subscription("ORDERS_UPDATED", f"https://odoo.example.com/{index}")
    seen, after, pages = [], None, 0
    while True:
        page = gql(shopify, gq.WEBHOOK_SUBSCRIPTIONS, {"first": 2, "after": after})
        connection = page["data"]["webhookSubscriptions"]
        seen += [node["uri"] for node in connection["nodes"]]
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert pages == 3
    assert seen == [f"https://odoo.example.com/{index}" for index in range(5)]


def test_page_size_is_capped(shopify):
    [error] = errors_of(shopify, gq.WEBHOOK_SUBSCRIPTIONS, {"first": 251})
    assert error["extensions"]["code"] == "MAX_PAGE_SIZE_EXCEEDED"
    gql(shopify, gq.WEBHOOK_SUBSCRIPTIONS, {"first": 250})


# -- Orders ----------------------------------------------------------------------------------


def test_orders_updated_since_filter_sort_and_pages(shopify):
    stamps = ["2026-11-02T10:00:00Z", "2026-11-01T09:00:00Z", "2026-11-02T09:00:00Z"]
    late, old, boundary = (shopify.add_order(updated_at=stamp) for stamp in stamps)
    newest = shopify.add_order(updated_at="2026-11-03T00:00:00+01:00")  # 2026-11-02T23:00Z
    query = "updated_at:>='2026-11-02T09:00:00Z'"
    first = gql(shopify, gq.ORDERS_UPDATED_SINCE, {"first": 2, "query": query})
    connection = first["data"]["orders"]
    assert [node["id"] for node in connection["nodes"]] == [boundary["id"], late["id"]]
    node = connection["nodes"][0]
    assert (node["id"], node["legacyResourceId"], node["updatedAt"]) == (
        boundary["id"],
        boundary["legacyResourceId"],
        "2026-11-02T09:00:00Z",
    )
    assert "fulfillmentOrders" not in node and "risk" not in node  # only what is selected
    assert connection["pageInfo"]["hasNextPage"]
    after = connection["pageInfo"]["endCursor"]
    second = gql(shopify, gq.ORDERS_UPDATED_SINCE, {"first": 2, "after": after, "query": query})
    assert [node["id"] for node in second["data"]["orders"]["nodes"]] == [newest["id"]]
    assert not second["data"]["orders"]["pageInfo"]["hasNextPage"]
    assert old["id"] not in json.dumps(first) + json.dumps(second)


def test_orders_search_warns_about_unknown_fields(shopify):
    shopify.add_order()
    answer = gql(shopify, gq.ORDERS_UPDATED_SINCE, {"first": 5, "query": "colour:blue"})
    assert len(answer["data"]["orders"]["nodes"]) == 1
    assert answer["extensions"]["search"][0]["warnings"][0]["field"] == "colour"


def test_order_nodes_carry_what_the_import_reads(shopify):
    """Totals follow from the lines, taxes and shipping, as Shopify's do."""
    shopify.add_order(
        line_items=[
            {"sku": "MUG", "quantity": 2, "price": "10.00", "discount": "2.00"},
            {"sku": "CAP", "quantity": 1, "price": "5.00"},
        ],
        tax_rate="0.2",
        shipping={"title": "Standard", "price": "4.00"},
        customer={"first_name": "Ada", "last_name": "L", "email": "ada@example.com"},
        address={"address1": "1 Main St", "city": "Lyon", "countryCodeV2": "FR"},
    )
    answer = gql(shopify, gq.ORDERS_UPDATED_SINCE, {"first": 5, "query": ""})
    [node] = answer["data"]["orders"]["nodes"]
    amount = lambda bag: bag["shopMoney"]["amount"]  # noqa: E731
    assert amount(node["subtotalPriceSet"]) == "23.00"
    assert amount(node["totalTaxSet"]) == "5.40"  # 3.60 + 1.00 + 0.80
    assert amount(node["totalPriceSet"]) == "32.40"
    mug = node["lineItems"]["nodes"][0]
    assert amount(mug["discountAllocations"][0]["allocatedAmountSet"]) == "2.00"
    assert [(t["rate"], amount(t["priceSet"])) for t in mug["taxLines"]] == [(0.2, "3.60")]
    assert node["lineItems"]["pageInfo"] == {"hasNextPage": False}
    assert amount(node["shippingLines"]["nodes"][0]["taxLines"][0]["priceSet"]) == "0.80"
    assert node["customer"]["defaultEmailAddress"] == {"emailAddress": "ada@example.com"}
    assert node["shippingAddress"]["countryCodeV2"] == "FR"
    assert node["customer"]["defaultAddress"]["city"] == "Lyon"


def test_taxes_included_orders(shopify):
    shopify.add_order(
        line_items=[{"sku": "MUG", "quantity": 1, "price": "12.00"}],
        tax_rate="0.2",
        taxes_included=True,
    )
    [node] = gql(shopify, gq.ORDERS_UPDATED_SINCE, {"first": 5, "query": ""})["data"]["orders"][
        "nodes"
    ]
    assert node["taxesIncluded"] is True
    assert node["totalTaxSet"]["shopMoney"]["amount"] == "2.00"
    assert node["totalPriceSet"]["shopMoney"]["amount"] == "12.00"


def test_order_risk(shopify):
    order = shopify.add_order(risk="NONE", updated_at="2026-11-02T09:00:00Z")
    risk = gql(shopify, gq.ORDER_RISK, {"id": order["id"]})["data"]["order"]["risk"]
    assert risk == {"recommendation": "NONE", "assessments": []}
    shopify.set_risk(order["id"], "CANCEL")
    risk = gql(shopify, gq.ORDER_RISK, {"id": order["id"]})["data"]["order"]["risk"]
    assert risk["recommendation"] == "CANCEL"
    assert risk["assessments"][0]["riskLevel"] == "HIGH"
    assert order["updatedAt"] > "2026-11-02T09:00:00Z"
    missing = gql(shopify, gq.ORDER_RISK, {"id": "gid://shopify/Order/999999"})
    assert missing["data"] == {"order": None}


# -- Fulfillment -------------------------------------------------------------------------


@pytest.fixture
def two_location_order(shopify):
    store = shopify.add_location("Store")["id"]
    order = shopify.add_order(
        line_items=[
            {"sku": "MUG", "quantity": 3},
            {"sku": "CAP", "quantity": 1, "location_id": store},
        ]
    )
    answer = gql(shopify, gq.FULFILLMENT_ORDERS, {"id": order["id"]})
    warehouse_fo, store_fo = answer["data"]["order"]["fulfillmentOrders"]["nodes"]
    assert warehouse_fo["assignedLocation"]["location"]["id"] == shopify.location_id
    assert store_fo["assignedLocation"]["location"]["id"] == store
    return order, warehouse_fo, store_fo


def fulfill(fake, groups, tracking=None, notify=False):
    fulfillment = {"lineItemsByFulfillmentOrder": groups, "notifyCustomer": notify}
    if tracking:
        fulfillment["trackingInfo"] = tracking
    answer = gql(fake, gq.FULFILLMENT_CREATE, {"fulfillment": fulfillment})
    return answer["data"]["fulfillmentCreate"]


def group(fulfillment_order, quantity=None):
    line = fulfillment_order["lineItems"]["nodes"][0]
    items = [{"id": line["id"], "quantity": quantity}] if quantity is not None else []
    return {"fulfillmentOrderId": fulfillment_order["id"], "fulfillmentOrderLineItems": items}


def test_fulfillment_decrements_and_records(shopify, two_location_order):
    order, warehouse_fo, store_fo = two_location_order
    tracking = {"company": "DHL", "number": "JJD0001", "url": "https://dhl.example/JJD0001"}
    result = fulfill(shopify, [group(warehouse_fo, 2)], tracking, notify=True)
    assert result["userErrors"] == []
    assert result["fulfillment"]["status"] == "SUCCESS"
    recorded = shopify.fulfillments[result["fulfillment"]["id"]]
    assert recorded["trackingInfo"] == [tracking]
    assert recorded["notifyCustomer"] is True
    [item] = recorded["fulfillmentLineItems"]["nodes"]
    assert (item["lineItem"]["sku"], item["quantity"]) == ("MUG", 2)
    _, state = shopify.fulfillment_order(warehouse_fo["id"])
    assert state["status"] == "IN_PROGRESS"
    assert state["lineItems"]["nodes"][0]["remainingQuantity"] == 1

    too_many = fulfill(shopify, [group(warehouse_fo, 2)])
    assert too_many["fulfillment"] is None
    assert "quantity" in too_many["userErrors"][0]["field"]
    assert state["lineItems"]["nodes"][0]["remainingQuantity"] == 1

    rest = fulfill(shopify, [group(warehouse_fo)])  # no line items: all that remains
    assert rest["userErrors"] == []
    assert state["status"] == "CLOSED"
    assert order["displayFulfillmentStatus"] == "PARTIALLY_FULFILLED"
    closed = fulfill(shopify, [group(warehouse_fo, 1)])
    assert "unfulfillable status= closed" in closed["userErrors"][0]["message"]

    assert fulfill(shopify, [group(store_fo, 1)])["userErrors"] == []
    assert order["displayFulfillmentStatus"] == "FULFILLED"
    assert len(shopify.fulfillments) == 3


def test_fulfillment_rules(shopify, two_location_order):
    _, warehouse_fo, store_fo = two_location_order
    both = fulfill(shopify, [group(warehouse_fo, 1), group(store_fo, 1)])
    assert both["fulfillment"] is None
    assert "same location" in both["userErrors"][0]["message"]

    _, state = shopify.fulfillment_order(store_fo["id"])
    state["status"] = "ON_HOLD"
    on_hold = fulfill(shopify, [group(store_fo, 1)])
    assert "unfulfillable status= on_hold" in on_hold["userErrors"][0]["message"]

    missing = fulfill(shopify, [{"fulfillmentOrderId": "gid://shopify/FulfillmentOrder/999"}])
    assert missing["userErrors"][0]["field"][-1] == "fulfillmentOrderId"
    zero = fulfill(shopify, [group(warehouse_fo, 0)])
    assert zero["userErrors"]
    assert not shopify.fulfillments


# -- Inventory -----------------------------------------------------------------------------

SET_WITHOUT_DIRECTIVE = gq.INVENTORY_SET_QUANTITIES.replace(
    " @idempotent(key: $idempotencyKey)", ""
)


@pytest.fixture
def mug(shopify):
    shopify.add_variant("CAP", available=2)
    shopify.add_variant("OTHER", available=9)
    return shopify.add_variant("MUG", available=5)


def set_quantities(fake, quantities, key=None, name="available"):
    variables = {
        "input": {
            "name": name,
            "reason": "correction",
            "referenceDocumentUri": "odoo://stock.quant/42",
            "quantities": quantities,
        },
        "idempotencyKey": key or str(uuid.uuid4()),
    }
    answer = gql(fake, gq.INVENTORY_SET_QUANTITIES, variables)
    return answer["data"]["inventorySetQuantities"]


def quantity(fake, variant, value, **change_from):
    entry = {
        "inventoryItemId": variant["inventoryItem"]["id"],
        "locationId": fake.location_id,
        "quantity": value,
    }
    return {**entry, **change_from}


def test_inventory_items_by_sku(shopify, mug):
    variables = {"first": 50, "query": "sku:MUG OR sku:CAP"}
    answer = gql(shopify, gq.INVENTORY_ITEMS_BY_SKU, variables)
    nodes = answer["data"]["productVariants"]["nodes"]
    assert sorted(node["sku"] for node in nodes) == ["CAP", "MUG"]
    [found] = [node for node in nodes if node["sku"] == "MUG"]
    assert found == {
        "id": mug["id"],
        "sku": "MUG",
        "inventoryItem": {"id": mug["inventoryItem"]["id"]},
    }


def test_inventory_set_requires_the_idempotent_directive(shopify, mug):
    variables = {
        "input": {"name": "available", "reason": "correction", "quantities": []},
        "idempotencyKey": "k",
    }
    [error] = errors_of(shopify, SET_WITHOUT_DIRECTIVE, variables)
    assert "@idempotent" in error["message"]
    [error] = errors_of(shopify, gq.INVENTORY_SET_QUANTITIES, {"input": variables["input"]})
    assert error["message"].startswith("Variable $idempotencyKey")
    assert not shopify.inventory_set_calls


def test_inventory_set_requires_change_from_quantity(shopify, mug):
    result = set_quantities(shopify, [quantity(shopify, mug, 8)])
    assert result["inventoryAdjustmentGroup"] is None
    [error] = result["userErrors"]
    assert error["field"] == ["input", "quantities", "0", "changeFromQuantity"]
    assert shopify.available("MUG") == 5


def test_inventory_set_stale_compare(shopify, mug):
    result = set_quantities(shopify, [quantity(shopify, mug, 8, changeFromQuantity=4)])
    assert result["userErrors"][0]["code"] == "CHANGE_FROM_QUANTITY_STALE"
    assert shopify.available("MUG") == 5


def test_inventory_set_applies_and_replays_once(shopify, mug):
    key = str(uuid.uuid4())
    entries = [quantity(shopify, mug, 8, changeFromQuantity=5)]
    result = set_quantities(shopify, entries, key)
    assert result["userErrors"] == []
    level = shopify.inventory_levels[(mug["inventoryItem"]["id"], shopify.location_id)]
    assert level == {"available": 8, "on_hand": 8}

    level["available"] = 7  # a sale in the meantime: a replay must not set 8 again
    replay = set_quantities(shopify, entries, key)
    assert replay == result
    assert shopify.available("MUG") == 7
    assert [call["replayed"] for call in shopify.inventory_set_calls] == [False, True]
    assert [call["applied"] for call in shopify.inventory_set_calls] == [True, False]
    assert shopify.inventory_set_calls[0]["idempotency_key"] == key
    assert shopify.inventory_set_calls[0]["quantities"][0]["changeFromQuantity"] == 5

    other = set_quantities(shopify, [quantity(shopify, mug, 9, changeFromQuantity=7)], key)
    assert other["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
    assert shopify.available("MUG") == 7


def test_inventory_set_null_change_from_opts_out(shopify, mug):
    result = set_quantities(shopify, [quantity(shopify, mug, 11, changeFromQuantity=None)])
    assert result["userErrors"] == []
    assert shopify.available("MUG") == 11


def test_inventory_set_failed_key_cannot_be_reused(shopify, mug):
    entries = [quantity(shopify, mug, 8, changeFromQuantity=1)]
    assert set_quantities(shopify, entries, "same-key")["userErrors"]
    again = set_quantities(shopify, entries, "same-key")
    assert again["userErrors"][0]["code"] == "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED"


def test_inventory_set_checks_items_and_locations(shopify, mug):
    unknown = quantity(shopify, mug, 1, changeFromQuantity=None) | {
        "inventoryItemId": "gid://shopify/InventoryItem/999"
    }
    assert set_quantities(shopify, [unknown])["userErrors"][0]["code"] == "INVALID_INVENTORY_ITEM"
    elsewhere = shopify.add_location("Empty store")["id"]
    unstocked = quantity(shopify, mug, 1, changeFromQuantity=None) | {"locationId": elsewhere}
    code = set_quantities(shopify, [unstocked])["userErrors"][0]["code"]
    assert code == "ITEM_NOT_STOCKED_AT_LOCATION"
    bad_name = set_quantities(shopify, [], name="reserved")
    assert bad_name["userErrors"][0]["code"] == "INVALID_NAME"


# -- Bulk operations -----------------------------------------------------------------------

BULK_WITH_LINES = """
{
  orders(query: "updated_at:>='2026-01-01T00:00:00Z'") {
    edges { node { id updatedAt lineItems { edges { node { id sku quantity } } } } }
  }
}
"""


def run_bulk(fake, query):
    answer = gql(fake, gq.BULK_OPERATION_RUN_QUERY, {"query": query})
    return answer["data"]["bulkOperationRunQuery"]


def current_bulk(fake):
    return gql(fake, gq.CURRENT_BULK_OPERATION)["data"]["currentBulkOperation"]


def test_bulk_export_jsonl_with_parent_ids(shopify):
    first = shopify.add_order(
        updated_at="2026-03-01T00:00:00Z",
        line_items=[{"sku": "MUG", "quantity": 1}, {"sku": "CAP", "quantity": 2}],
    )
    second = shopify.add_order(updated_at="2026-04-01T00:00:00Z")
    shopify.add_order(updated_at="2025-12-01T00:00:00Z")  # before the filter
    assert current_bulk(shopify) is None

    started = run_bulk(shopify, BULK_WITH_LINES)
    assert started["userErrors"] == []
    assert started["bulkOperation"]["status"] == "CREATED"
    busy = run_bulk(shopify, BULK_WITH_LINES)
    assert "already in progress" in busy["userErrors"][0]["message"]
    running = current_bulk(shopify)
    assert (running["status"], running["url"]) == ("RUNNING", None)

    shopify.complete_bulk_operation()
    done = current_bulk(shopify)
    assert done["status"] == "COMPLETED"
    assert done["objectCount"] == "5"  # UnsignedInt64: a string
    lines = [json.loads(line) for line in requests.get(done["url"], timeout=5).text.splitlines()]
    assert [line["id"] for line in lines if "__parentId" not in line] == [first["id"], second["id"]]
    children = [line for line in lines if line.get("__parentId") == first["id"]]
    assert [(line["sku"], line["quantity"]) for line in children] == [("MUG", 1), ("CAP", 2)]
    assert "lineItems" not in lines[0]


def test_bulk_completes_after_a_delay_and_empty_results_have_no_url():
    with FakeShopify(bulk_delay=0.1) as fake:
        since = {"since": "2026-01-01T00:00:00Z"}
        assert run_bulk(fake, gq.BACKFILL_ORDERS_BULK_QUERY % since)["userErrors"] == []
        time.sleep(0.15)
        done = current_bulk(fake)
        assert (done["status"], done["objectCount"], done["url"]) == ("COMPLETED", "0", None)

        fake.add_order(updated_at="2026-02-01T00:00:00Z")
        run_bulk(fake, gq.BACKFILL_ORDERS_BULK_QUERY % since)
        time.sleep(0.15)
        done = current_bulk(fake)
        order_line, line_item = requests.get(done["url"], timeout=5).text.splitlines()
        assert json.loads(order_line)["updatedAt"] == "2026-02-01T00:00:00Z"
        assert "lineItems" not in json.loads(order_line)
        assert json.loads(line_item)["__parentId"] == json.loads(order_line)["id"]


def test_bulk_export_of_customers(shopify):
    recent = shopify.add_customer(
        first_name="Ada",
        last_name="L",
        email="ada@example.com",
        phone="+33600000000",
        email_marketing="SUBSCRIBED",
        address={"address1": "1 Main St", "city": "Lyon", "countryCodeV2": "FR"},
        updated_at="2026-03-01T00:00:00Z",
    )
    bare = shopify.add_customer(first_name="Bo", updated_at="2026-04-01T00:00:00Z")
    shopify.add_customer(first_name="Old", updated_at="2025-12-01T00:00:00Z")  # before
    since = {"since": "2026-01-01T00:00:00Z"}
    assert run_bulk(shopify, gq.BACKFILL_CUSTOMERS_BULK_QUERY % since)["userErrors"] == []
    shopify.complete_bulk_operation()
    done = current_bulk(shopify)
    assert (done["status"], done["objectCount"]) == ("COMPLETED", "2")
    lines = [json.loads(line) for line in requests.get(done["url"], timeout=5).text.splitlines()]
    assert [line["id"] for line in lines] == [recent["id"], bare["id"]]
    assert not any("__parentId" in line for line in lines)
    first = lines[0]
    assert "createdAt" not in first  # only what the query selects
    assert first["defaultEmailAddress"] == {
        "emailAddress": "ada@example.com",
        "marketingState": "SUBSCRIBED",
        "marketingOptInLevel": "SINGLE_OPT_IN",
        "marketingUpdatedAt": "2026-03-01T00:00:00Z",
    }
    assert first["defaultPhoneNumber"]["marketingState"] == "NOT_SUBSCRIBED"
    assert first["defaultAddress"]["city"] == "Lyon"
    assert lines[1]["defaultEmailAddress"] is None and lines[1]["defaultAddress"] is None


def test_order_customers_are_shop_customers(shopify):
    order = shopify.add_order(customer={"first_name": "Ada", "email": "ada@example.com"})
    customer = order["customer"]
    assert shopify.customers[customer["id"]] is customer
    assert customer["updatedAt"] == order["createdAt"]
    known = shopify.add_customer(first_name="Bo", email="bo@example.com")
    again = shopify.add_order(customer=known)
    assert again["customer"] is known and again["email"] == "bo@example.com"
    assert len(shopify.customers) == 2
    later = shopify.touch_customer(known["id"], updated_at="2027-01-01T00:00:00Z")
    assert later["updatedAt"] == "2027-01-01T00:00:00Z"


def test_bulk_rejects_invalid_queries(shopify):
    result = run_bulk(shopify, "{ products { edges { node { id } } } }")
    assert result["bulkOperation"] is None
    assert result["userErrors"][0]["field"] == ["query"]
    assert current_bulk(shopify) is None


# -- Webhook deliveries --------------------------------------------------------------------


class WebhookReceiver(FakeServer):
    """Odoo's side of a delivery: keeps what it receives, answers 200."""

    name = "receiver"

    def __init__(self):
        super().__init__()
        self.received = []  # (headers: names in any case, body)

    def _answer(self, entry):
        self.received.append((CaseInsensitiveDict(entry.headers), entry.body))
        return Reply(200)


@pytest.fixture
def receiver():
    with WebhookReceiver() as server:
        yield server


def expected_signature(secret, body):
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_deliver_webhook_signs_like_shopify(shopify, receiver):
    url = f"{receiver.base_url}/retail/webhook/token"
    payload = {
        "id": 1001,
        "admin_graphql_api_id": "gid://shopify/Order/1001",
        "total_price": "9.99",
    }
    response = shopify.deliver_webhook(url, "orders/create", payload, secret="s3cret")
    assert response.status_code == 200
    headers, body = receiver.received[-1]
    assert json.loads(body) == payload
    assert headers["X-Shopify-Hmac-Sha256"] == expected_signature("s3cret", body)
    assert headers["X-Shopify-Topic"] == "orders/create"
    assert headers["X-Shopify-Shop-Domain"] == "retail-connect-test.myshopify.com"
    assert headers["X-Shopify-API-Version"] == "2026-10"
    uuid.UUID(headers["X-Shopify-Webhook-Id"])
    uuid.UUID(headers["X-Shopify-Event-Id"])
    assert headers["X-Shopify-Triggered-At"].endswith("Z")

    shopify.deliver_webhook(url, "ORDERS_UPDATED", payload, webhook_id="wh-1", event_id="ev-1")
    shopify.deliver_webhook(url, "ORDERS_UPDATED", payload, webhook_id="wh-1", event_id="ev-1")
    redeliveries = receiver.received[-2:]
    assert {h["X-Shopify-Webhook-Id"] for h, _ in redeliveries} == {"wh-1"}
    assert redeliveries[0][0]["X-Shopify-Topic"] == "orders/updated"
    default_signed = redeliveries[0]
    assert default_signed[0]["X-Shopify-Hmac-Sha256"] == expected_signature(
        shopify.client_secret, default_signed[1]
    )
    assert [delivery["status"] for delivery in shopify.deliveries] == [200, 200, 200]


def test_tampered_webhook_fails_verification(shopify, receiver):
    url = f"{receiver.base_url}/hook"
    shopify.deliver_webhook(url, "orders/paid", {"id": 7}, secret="s3cret", tamper=True)
    headers, body = receiver.received[-1]
    assert body != b'{"id":7}'
    assert json.loads(body)["id"] == 7
    assert headers["X-Shopify-Hmac-Sha256"] == expected_signature("s3cret", b'{"id":7}')
    assert headers["X-Shopify-Hmac-Sha256"] != expected_signature("s3cret", body)


def test_deliver_to_subscriptions(shopify, receiver):
    url = f"{receiver.base_url}/hook"
    shopify.add_webhook_subscription("ORDERS_CREATE", url)
    shopify.add_webhook_subscription("ORDERS_PAID", url)
    [response] = shopify.deliver_to_subscriptions(
        "orders/create", {"id": 1}, shop_domain="x.myshopify.com"
    )
    assert response.status_code == 200
    assert receiver.received[-1][0]["X-Shopify-Shop-Domain"] == "x.myshopify.com"
    assert len(receiver.received) == 1


def test_order_webhook_payload_is_the_same_order():
    """The REST webhook body and the GraphQL node of a fake order map to the same order."""
    # The connector's mappers need Odoo importable (tests/conftest.py); the rest of this
    # file does not.
    mappers = pytest.importorskip("odoo.addons.retail_connector_shopify.mappers")

    def canonical(order):
        def strip(data):
            if isinstance(data, dict):
                return {k: strip(v) for k, v in data.items() if k != "extra"}
            return [strip(v) for v in data] if isinstance(data, list) else data

        return strip(order.model_dump())

    fake = ShopState(
        shop_domain="x.myshopify.com", shop_name="X", currency="EUR", max_page_size=250,
        bulk_delay=None,
    )  # fmt: skip
    node = fake.add_order(
        line_items=[{"sku": "MUG", "quantity": 2, "price": "9.99", "discount": "1.50"}],
        tax_rate="0.2",
        shipping={"title": "Standard", "price": "4.90"},
        customer={"first_name": "Ada", "last_name": "L", "email": "ada@example.com"},
        address={"address1": "1 Main St", "city": "Lyon", "countryCodeV2": "FR"},
        displayFulfillmentStatus="PARTIALLY_FULFILLED",
    )
    from_webhook = mappers.order_to_canonical(order_webhook_payload(node))
    from_node = mappers.order_node_to_canonical(node)
    assert canonical(from_node) == canonical(from_webhook)
    assert from_node.channel_status == "partially fulfilled"


def test_customer_webhook_payload_is_the_same_customer():
    """The REST webhook body and the GraphQL node of a fake customer map to the same
    customer, marketing consent included."""
    mappers = pytest.importorskip("odoo.addons.retail_connector_shopify.mappers")
    fake = ShopState(
        shop_domain="x.myshopify.com", shop_name="X", currency="EUR", max_page_size=250,
        bulk_delay=None,
    )  # fmt: skip
    node = fake.add_customer(
        first_name="Ada",
        last_name="L",
        email="ada@example.com",
        phone="+33600000000",
        email_marketing="SUBSCRIBED",
        address={"address1": "1 Main St", "city": "Lyon", "countryCodeV2": "FR"},
    )
    from_webhook = mappers.customer_to_canonical(customer_webhook_payload(node))
    from_node = mappers.customer_node_to_canonical(node)
    without_extra = {"extra": True, "default_address": {"extra"}, "consent": {"extra"}}
    assert from_node.model_dump(exclude=without_extra) == from_webhook.model_dump(
        exclude=without_extra
    )
    assert from_node.consent.extra == from_webhook.consent.extra
    assert (from_node.consent.email_marketing, from_node.consent.sms_marketing) == (True, False)


def test_refunds_restock_returned_and_cancelled_units_only():
    shop = ShopState(
        shop_domain="refunds.myshopify.com",
        shop_name="Refunds",
        currency="EUR",
        max_page_size=250,
        bulk_delay=None,
    )
    shop.add_variant("TEE", available=5)
    shop.add_variant("CAP", available=5)
    order = shop.add_order(
        line_items=[
            {"sku": "TEE", "quantity": 2, "price": "20.00"},
            {"sku": "CAP", "quantity": 1, "price": "15.00"},
        ],
        tax_rate="0.2",
    )
    refund = shop.add_refund(
        order["id"],
        [
            {"sku": "TEE", "quantity": 1, "restock_type": "return"},
            {"sku": "CAP", "quantity": 1, "restock_type": "no_restock"},
        ],
        shipping="4.00",
        return_id="gid://shopify/Return/9",
    )
    assert (shop.available("TEE"), shop.available("CAP")) == (6, 5)
    tee, cap = refund["refund_line_items"]
    assert (tee["subtotal"], tee["total_tax"], tee["restock_type"]) == (20.0, 4.0, "return")
    assert tee["line_item"]["admin_graphql_api_id"] == order["lineItems"]["nodes"][0]["id"]
    assert (cap["subtotal"], cap["total_tax"]) == (15.0, 3.0)
    assert refund["order_adjustments"][0]["amount"] == "-4.00"
    assert refund["transactions"][0]["amount"] == "46.00"
    assert refund["return"] == {"id": 9, "admin_graphql_api_id": "gid://shopify/Return/9"}
    assert shop.refunds[refund["admin_graphql_api_id"]] is refund
