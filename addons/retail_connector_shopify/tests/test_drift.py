"""Shopify's side of a reconciliation run, plain Python (against the fake
Shopify: tests/shopify/test_drift_e2e.py)."""

import unittest
from datetime import datetime
from decimal import Decimal

from odoo.addons.retail_connector_base.exceptions import PermanentError

from ..reconciliation import (
    created_between_query,
    ids_query,
    order_status,
    order_summary,
    stock_levels,
)


def money(shop, presentment, shop_currency="EUR", presentment_currency="USD"):
    return {
        "shopMoney": {"amount": shop, "currencyCode": shop_currency},
        "presentmentMoney": {"amount": presentment, "currencyCode": presentment_currency},
    }


NODE = {
    "id": "gid://shopify/Order/1001",
    "createdAt": "2026-11-02T10:00:00+01:00",
    "updatedAt": "2026-11-03T10:00:00Z",
    "cancelledAt": None,
    "displayFinancialStatus": "PARTIALLY_REFUNDED",
    "displayFulfillmentStatus": "FULFILLED",
    "totalPriceSet": money("50.00", "54.10"),
    "totalRefundedSet": money("5.00", "5.41"),
}


class TestShopifyDrift(unittest.TestCase):
    def test_order_node_as_a_summary_on_the_chosen_money_side(self):
        summary = order_summary(NODE)
        self.assertEqual(summary.external_id, NODE["id"])
        self.assertEqual(
            (summary.status, summary.raw_status), ("fulfilled", "PARTIALLY_REFUNDED/FULFILLED")
        )
        self.assertEqual(
            (summary.total, summary.refunded, summary.currency),
            (Decimal("54.10"), Decimal("5.41"), "USD"),
        )
        self.assertEqual(summary.created_at, datetime(2026, 11, 2, 9))
        self.assertEqual(summary.updated_at, datetime(2026, 11, 3, 10))
        self.assertEqual(summary.record.event_values.event_key, f"{NODE['id']}@{NODE['updatedAt']}")
        self.assertEqual(summary.record.event_values.topic, "orders/poll")
        shop = order_summary(NODE, "shop_money")
        self.assertEqual(
            (shop.total, shop.refunded, shop.currency), (Decimal("50.00"), Decimal("5.00"), "EUR")
        )

    def test_statuses_map_to_the_base_vocabulary(self):
        self.assertEqual(order_status(dict(NODE, cancelledAt="2026-11-04T00:00:00Z")), "cancelled")
        self.assertEqual(
            order_status(dict(NODE, displayFulfillmentStatus="PARTIALLY_FULFILLED")),
            "partially_fulfilled",
        )
        for status in ("UNFULFILLED", "ON_HOLD", None, "SOMETHING_NEW"):
            self.assertEqual(order_status(dict(NODE, displayFulfillmentStatus=status)), "open")

    def test_missing_amounts_are_unknown_and_bad_ones_fail(self):
        summary = order_summary(dict(NODE, totalRefundedSet=None))
        self.assertIsNone(summary.refunded)
        with self.assertRaisesRegex(PermanentError, "no number"):
            order_summary(dict(NODE, totalPriceSet=money("x", "y")))

    def test_searches(self):
        since, until = datetime(2026, 11, 1), datetime(2026, 11, 8)
        self.assertEqual(
            created_between_query(since, until),
            "created_at:>='2026-11-01T00:00:00Z' created_at:<'2026-11-08T00:00:00Z'",
        )
        self.assertEqual(
            ids_query(["gid://shopify/Order/1", "gid://shopify/Order/22"]), "id:1 OR id:22"
        )

    def test_stock_levels_of_variants_stocked_at_the_location(self):
        def variant(sku, available):
            level = {"quantities": [{"name": "available", "quantity": available}]}
            return {
                "sku": sku,
                "inventoryItem": {"inventoryLevel": level if available is not None else None},
            }

        variants = [
            variant("MUG", 4),
            variant("MUG", 9),
            variant("CAP", None),
            variant("TEE", 0),
            {"sku": None},
        ]
        self.assertEqual(stock_levels(variants), {"MUG": 4, "TEE": 0})
