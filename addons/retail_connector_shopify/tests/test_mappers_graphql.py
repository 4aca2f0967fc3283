"""GraphQL order and customer nodes -> canonical objects, and their
equivalence with the webhook mapper.

``samples/graphql_order_taxes_excluded.json`` is the GraphQL node of the
order of ``samples/order_create_taxes_excluded.json`` (the orders/create
webhook): UTC timestamps, MoneyBag amounts spelt as GraphQL does ("34.0"),
uppercase enums, connections as ``{nodes}``. ``samples/graphql_customer.json``
is the customer of ``samples/customer_create.json`` as the backfill's bulk
query reads it (marketing consent on defaultEmailAddress and
defaultPhoneNumber).
"""

import copy
import json
import unittest
from decimal import Decimal
from functools import cache
from pathlib import Path

from odoo.addons.retail_connector_base import schemas
from odoo.addons.retail_connector_base.exceptions import PermanentError

from .. import mappers, payloads
from ..adapters.shopify import ShopifyAdapter
from .common import shopify_settings

SAMPLES = Path(__file__).resolve().parent / "samples"


@cache
def _read(name):
    return json.loads((SAMPLES / f"{name}.json").read_text())


def sample(name):
    return copy.deepcopy(_read(name))


def without_extra(data):
    """``model_dump()`` without every ``extra`` (channel data kept as is)."""
    if isinstance(data, dict):
        return {key: without_extra(value) for key, value in data.items() if key != "extra"}
    if isinstance(data, list):
        return [without_extra(value) for value in data]
    return data


class TestGraphQLOrderMapper(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.node = sample("graphql_order_taxes_excluded")

    def map(self, node=None, **kwargs):
        return mappers.order_node_to_canonical(node or self.node, **kwargs)

    def test_same_canonical_order_as_the_webhook(self):
        rest = sample("order_create_taxes_excluded")
        for money in mappers.MONEY_SIDES:
            with self.subTest(money=money):
                from_webhook = mappers.order_to_canonical(rest, money=money)
                from_graphql = self.map(money=money)
                self.assertEqual(
                    without_extra(from_graphql.model_dump()),
                    without_extra(from_webhook.model_dump()),
                )

    def test_webhook_poll_node_and_bulk_lines_give_the_same_order(self):
        """The three shapes Shopify sends an order in: the webhook payload,
        the poll's node, and the bulk export's lines (the order, then each
        line item and shipping line on a line of its own)."""
        node = sample("graphql_order_taxes_excluded")
        children = node["lineItems"]["nodes"] + node["shippingLines"]["nodes"]
        bulk_lines = [
            {k: v for k, v in node.items() if k not in ("lineItems", "shippingLines")},
            *(dict(child, __parentId=node["id"]) for child in children),
        ]
        [reassembled] = payloads.reassemble_bulk_orders(bulk_lines)
        for money in mappers.MONEY_SIDES:
            with self.subTest(money=money):
                from_webhook = mappers.order_to_canonical(
                    sample("order_create_taxes_excluded"), money=money
                )
                from_node = self.map(money=money)
                from_bulk = self.map(reassembled, money=money)
                self.assertEqual(
                    without_extra(from_node.model_dump()),
                    without_extra(from_webhook.model_dump()),
                )
                self.assertEqual(from_bulk, from_node)

    def test_fields(self):
        order = self.map()
        self.assertIsInstance(order, schemas.Order)
        self.assertEqual(order.external_id, "gid://shopify/Order/6523147829473")
        self.assertEqual(order.currency, "CAD")
        self.assertEqual(order.payment_state, schemas.PaymentState.PAID)
        self.assertEqual(order.channel_status, "open")
        self.assertEqual(order.totals.total, Decimal("142.14"))
        self.assertEqual(order.totals.untaxed, Decimal("127.65"))
        self.assertEqual(order.lines[0].unit_price, Decimal("34"))
        self.assertEqual(order.lines[0].discount, Decimal("6.8"))
        self.assertEqual(
            [(tax.title, tax.rate, tax.amount) for tax in order.lines[0].tax_lines],
            [
                ("GST", Decimal("0.05"), Decimal("3.06")),
                ("BC PST", Decimal("0.07"), Decimal("4.28")),
            ],
        )
        self.assertEqual(order.customer.email, "maya.chen@example.com")
        self.assertEqual(order.customer.default_address.country_code, "CA")
        self.assertEqual(order.shipping_address.company, "Chen Design Studio")
        self.assertEqual(order.shipping_lines[0].price, Decimal("12"))
        self.assertEqual(order.extra["source"], "graphql")
        self.assertEqual(order.extra["current_total_price"], "142.14")

    def test_shop_money(self):
        order = self.map(money="shop_money")
        self.assertEqual(order.currency, "USD")
        self.assertEqual(order.totals.total, Decimal("101.64"))

    def test_uppercase_enums(self):
        cases = {
            ("PARTIALLY_REFUNDED", "FULFILLED"): ("partially_refunded", "fulfilled"),
            ("AUTHORIZED", "PARTIALLY_FULFILLED"): ("authorized", "partially fulfilled"),
            ("EXPIRED", "IN_PROGRESS"): ("voided", "open"),
            ("SOMETHING_NEW", "RESTOCKED"): ("pending", "restocked"),
        }
        for (financial, fulfillment), expected in cases.items():
            node = sample("graphql_order_taxes_excluded")
            node.update(displayFinancialStatus=financial, displayFulfillmentStatus=fulfillment)
            order = self.map(node)
            self.assertEqual((order.payment_state.value, order.channel_status), expected)

    def test_cancelled_and_closed(self):
        self.node.update(cancelledAt="2026-11-03T08:00:00Z", cancelReason="CUSTOMER")
        order = self.map()
        self.assertEqual((order.channel_status, order.cancel_reason), ("cancelled", "customer"))
        node = sample("graphql_order_taxes_excluded")
        node["closedAt"] = "2026-11-04T08:00:00Z"
        self.assertEqual(self.map(node).channel_status, "closed")

    def test_guest_and_protected_data(self):
        self.node.update(customer=None, email=None, phone=None)
        self.node["billingAddress"] = dict.fromkeys(self.node["billingAddress"])
        self.node["shippingAddress"] = None
        order = self.map()
        self.assertIsNone(order.customer)
        self.assertIsNone(order.billing_address)
        self.assertIsNone(order.shipping_address)

    def test_customer_before_default_email_address(self):
        customer = self.node["customer"]
        del customer["defaultEmailAddress"], customer["defaultPhoneNumber"]
        customer.update(email="old@example.com", phone="+100")
        order = self.map()
        self.assertEqual((order.customer.email, order.customer.phone), ("old@example.com", "+100"))

    def test_edges_and_reassembled_lists(self):
        lines = self.node["lineItems"]["nodes"]
        self.node["lineItems"] = {"edges": [{"node": line} for line in lines]}
        self.node["shippingLines"] = self.node["shippingLines"]["nodes"]
        self.assertEqual(len(self.map().lines), 3)
        self.assertEqual(len(self.map().shipping_lines), 1)

    def test_truncated_line_items_are_refused(self):
        self.node["lineItems"]["pageInfo"]["hasNextPage"] = True
        with self.assertRaises(PermanentError) as caught:
            self.map()
        self.assertEqual(caught.exception.path, "lineItems.pageInfo.hasNextPage")

    def test_errors_name_the_graphql_field(self):
        self.node["lineItems"]["nodes"][1]["originalUnitPriceSet"]["presentmentMoney"][
            "currencyCode"
        ] = "USD"
        with self.assertRaises(PermanentError) as caught:
            self.map()
        self.assertEqual(
            caught.exception.path,
            "lineItems.1.originalUnitPriceSet.presentmentMoney.currencyCode",
        )
        node = sample("graphql_order_taxes_excluded")
        node["id"] = 6523147829473
        with self.assertRaises(PermanentError) as caught:
            self.map(node)
        self.assertEqual(caught.exception.path, "id")

    def test_adapter_maps_the_poll_topic(self):
        adapter = ShopifyAdapter(shopify_settings(shopify_money_side="shop_money"))
        order = adapter.to_canonical("orders/poll", self.node, {})
        self.assertEqual((order.external_id, order.currency), (self.node["id"], "USD"))


class TestGraphQLCustomerMapper(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.node = sample("graphql_customer")

    def map(self, node=None):
        return mappers.customer_node_to_canonical(node or self.node)

    def test_same_canonical_customer_as_the_webhook(self):
        from_webhook = mappers.customer_to_canonical(sample("customer_create"))
        from_graphql = self.map()
        self.assertEqual(
            without_extra(from_graphql.model_dump()), without_extra(from_webhook.model_dump())
        )
        # The consent's details too, spelt as in the webhook.
        self.assertEqual(from_graphql.consent.extra, from_webhook.consent.extra)

    def test_fields(self):
        customer = self.map()
        self.assertIsInstance(customer, schemas.Customer)
        self.assertEqual(customer.external_id, "gid://shopify/Customer/7123456789012")
        self.assertEqual(
            (customer.email, customer.phone), ("maya.chen@example.com", "+16045550142")
        )
        self.assertEqual(customer.default_address.country_code, "CA")
        self.assertEqual(customer.default_address.state_code, "BC")
        consent = customer.consent
        self.assertEqual((consent.email_marketing, consent.sms_marketing), (True, False))
        self.assertEqual(consent.updated_at.isoformat(), "2026-11-02T18:15:40+00:00")

    def test_consent_states(self):
        cases = {
            ("PENDING", None): (None, None),
            ("UNSUBSCRIBED", "SUBSCRIBED"): (False, True),
            ("INVALID", "REDACTED"): (False, None),
        }
        for (email_state, sms_state), expected in cases.items():
            node = sample("graphql_customer")
            node["defaultEmailAddress"]["marketingState"] = email_state
            node["defaultPhoneNumber"]["marketingState"] = sms_state
            consent = self.map(node).consent
            self.assertEqual((consent.email_marketing, consent.sms_marketing), expected)

    def test_no_email_phone_or_address(self):
        self.node.update(defaultEmailAddress=None, defaultPhoneNumber=None, defaultAddress=None)
        customer = self.map()
        self.assertEqual((customer.email, customer.phone), (None, None))
        self.assertIsNone(customer.default_address)
        # Nothing read about marketing: no consent, as for a customer in an order.
        self.assertIsNone(customer.consent)

    def test_order_customers_have_no_consent(self):
        order = mappers.order_node_to_canonical(sample("graphql_order_taxes_excluded"))
        self.assertIsNone(order.customer.consent)

    def test_errors_name_the_graphql_field(self):
        self.node["defaultEmailAddress"]["marketingUpdatedAt"] = "yesterday"
        with self.assertRaises(PermanentError) as caught:
            self.map()
        self.assertEqual(caught.exception.path, "defaultEmailAddress.marketingUpdatedAt")
        node = sample("graphql_customer")
        node["id"] = 7123456789012
        with self.assertRaises(PermanentError) as caught:
            self.map(node)
        self.assertEqual(caught.exception.path, "id")

    def test_adapter_maps_the_poll_topic(self):
        adapter = ShopifyAdapter(shopify_settings())
        customer = adapter.to_canonical("customers/poll", self.node, {})
        self.assertEqual(customer, self.map())


class TestReassembleBulkOrders(unittest.TestCase):
    def test_children_find_their_order(self):
        node = sample("graphql_order_taxes_excluded")
        lines = [{k: v for k, v in node.items() if k not in ("lineItems", "shippingLines")}]
        lines.append({"id": "gid://shopify/Order/2", "name": "#2"})
        children = [
            *node["lineItems"]["nodes"][:2],
            {"id": "gid://shopify/LineItem/9", "sku": "B"},
            *node["shippingLines"]["nodes"],
            node["lineItems"]["nodes"][2],
        ]
        parents = [node["id"], node["id"], "gid://shopify/Order/2", node["id"], node["id"]]
        lines += [
            dict(child, __parentId=parent) for child, parent in zip(children, parents, strict=True)
        ]
        first, second = payloads.reassemble_bulk_orders(lines)
        self.assertEqual(
            [line["id"] for line in first["lineItems"]["nodes"]],
            [line["id"] for line in node["lineItems"]["nodes"]],
        )
        self.assertEqual(first["shippingLines"], {"nodes": node["shippingLines"]["nodes"]})
        self.assertEqual(
            second["lineItems"]["nodes"], [{"id": "gid://shopify/LineItem/9", "sku": "B"}]
        )
        self.assertEqual(second["shippingLines"], {"nodes": []})
        del node["lineItems"]["pageInfo"]
        self.assertEqual(first, node)
        self.assertEqual(
            without_extra(mappers.order_node_to_canonical(first).model_dump()),
            without_extra(mappers.order_node_to_canonical(node).model_dump()),
        )

    def test_orphan_child_is_refused(self):
        with self.assertRaises(PermanentError):
            payloads.reassemble_bulk_orders(
                [{"id": "gid://shopify/LineItem/1", "__parentId": "gid://shopify/Order/1"}]
            )
