"""The fake Shopify's orderCancel and refundCreate, over HTTP with the connector's own
documents (addons/retail_connector_shopify/graphql.py, loaded by path)."""

import pytest
import requests

from .shopify import FakeShopify
from .test_fake_shopify import errors_of, gq, gql

REFUND_WITHOUT_DIRECTIVE = """
mutation RetailRefundCreate($input: RefundInput!) {
  refundCreate(input: $input) { refund { id } userErrors { field message } }
}
"""


@pytest.fixture
def shopify():
    with FakeShopify() as fake:
        yield fake
        assert not fake.server_errors, fake.server_errors


@pytest.fixture
def order(shopify):
    shopify.add_variant("MUG", available=5)
    return shopify.add_order(
        line_items=[
            {"sku": "MUG", "quantity": 2, "price": "10.00"},
            {"sku": "TEE", "quantity": 1, "price": "20.00"},
        ],
        shipping={"title": "Standard", "price": "5.00"},
    )


def cancel_variables(order_id, **overrides):
    return {
        "orderId": order_id,
        "reason": "OTHER",
        "refundMethod": {"originalPaymentMethodsRefund": True},
        "restock": True,
        "notifyCustomer": False,
        "staffNote": "test",
        **overrides,
    }


def refund_input(shopify, order, *, amount="25.00", quantity=1, shipping="5.00"):
    [sale] = order["transactions"]
    mug = order["lineItems"]["nodes"][0]
    return {
        "orderId": order["id"],
        "refundLineItems": [
            {"lineItemId": mug["id"], "quantity": quantity, "restockType": "NO_RESTOCK"}
        ],
        "shipping": {"amount": shipping},
        "transactions": [
            {
                "orderId": order["id"],
                "parentId": sale["id"],
                "gateway": sale["gateway"],
                "kind": "REFUND",
                "amount": amount,
            }
        ],
    }


def refund(shopify, data, key="key-1"):
    answer = gql(shopify, gq.REFUND_CREATE, {"input": data, "idempotencyKey": key})
    return answer["data"]["refundCreate"]


def test_order_cancel_cancels_refunds_and_restocks_once(shopify, order):
    answer = gql(shopify, gq.ORDER_CANCEL, cancel_variables(order["id"]))["data"]["orderCancel"]
    assert answer["orderCancelUserErrors"] == [] and answer["job"]["done"] is True
    node = shopify.orders[order["id"]]
    assert node["cancelledAt"] and node["cancelReason"] == "OTHER"
    assert node["displayFinancialStatus"] == "REFUNDED"
    assert shopify.available("MUG") == 7
    again = gql(shopify, gq.ORDER_CANCEL, cancel_variables(order["id"]))["data"]["orderCancel"]
    assert again["orderCancelUserErrors"][0]["code"] == "ORDER_ALREADY_CANCELLED"
    assert [call["applied"] for call in shopify.order_cancel_calls] == [True, False]
    read = gql(shopify, gq.ORDER_CANCELLED_AT, {"id": order["id"]})["data"]["order"]
    assert read["cancelledAt"] == node["cancelledAt"]


def test_order_cancel_of_an_unknown_order_is_a_user_error(shopify):
    variables = cancel_variables("gid://shopify/Order/999")
    answer = gql(shopify, gq.ORDER_CANCEL, variables)["data"]["orderCancel"]
    assert answer["job"] is None
    assert answer["orderCancelUserErrors"][0]["field"] == ["orderId"]


def test_refund_requires_the_idempotent_directive(shopify, order):
    [error] = errors_of(shopify, REFUND_WITHOUT_DIRECTIVE, {"input": refund_input(shopify, order)})
    assert error["extensions"]["code"] == "IDEMPOTENCY_KEY_REQUIRED"
    assert not shopify.refunds


def test_refund_applies_once_per_key(shopify, order):
    data = refund_input(shopify, order)
    first = refund(shopify, data)
    assert first["userErrors"] == []
    assert first["refund"]["totalRefundedSet"]["presentmentMoney"]["amount"] == "25.00"
    replay = refund(shopify, data)
    assert replay["refund"]["id"] == first["refund"]["id"]
    assert len(shopify.refunds) == 1
    assert [call["replayed"] for call in shopify.refund_calls] == [False, True]
    node = shopify.orders[order["id"]]
    assert node["displayFinancialStatus"] == "PARTIALLY_REFUNDED"
    assert node["lineItems"]["nodes"][0]["currentQuantity"] == 1
    read = gql(shopify, gq.ORDER_TRANSACTIONS, {"id": order["id"]})["data"]["order"]
    assert read["transactions"][0]["maximumRefundableV2"]["amount"] == "20.00"
    assert read["transactions"][1]["kind"] == "REFUND"


def test_refund_more_than_paid_or_ordered_is_a_user_error(shopify, order):
    too_much = refund(shopify, refund_input(shopify, order, amount="45.01"), key="a")
    assert "greater than the refundable" in too_much["userErrors"][0]["message"]
    too_many = refund(shopify, refund_input(shopify, order, quantity=3), key="b")
    assert too_many["userErrors"][0]["field"] == ["refundLineItems", "0", "quantity"]
    shipping = refund(shopify, refund_input(shopify, order, shipping="5.01"), key="c")
    assert shipping["userErrors"][0]["field"] == ["shipping", "amount"]
    unknown = refund_input(shopify, order)
    unknown["orderId"] = "gid://shopify/Order/1"
    assert refund(shopify, unknown, key="d")["userErrors"][0]["field"] == ["orderId"]
    assert not shopify.refunds


def test_an_answer_lost_after_apply_keeps_the_change(shopify, order):
    shopify.fail_after_apply("html_5xx", "RetailRefundCreate", status=500)
    data = refund_input(shopify, order)
    response = requests.post(
        shopify.graphql_url(),
        json={"query": gq.REFUND_CREATE, "variables": {"input": data, "idempotencyKey": "k"}},
        headers={"X-Shopify-Access-Token": shopify.access_token},
        timeout=5,
    )
    assert response.status_code == 500
    assert len(shopify.refunds) == 1
    assert refund(shopify, data, key="k")["refund"]["id"] in shopify.refunds
    assert len(shopify.refunds) == 1
