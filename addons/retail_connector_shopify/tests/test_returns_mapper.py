"""Shopify returns and restocking refunds -> canonical Return (no database)."""

import unittest
from decimal import Decimal

from odoo.addons.retail_connector_base import schemas
from odoo.addons.retail_connector_base.exceptions import PermanentError

from .. import mappers, returns
from .test_mappers import sample, utc

TRIGGERED_AT = "2026-11-12T09:30:00-05:00"


class TestShopifyReturnMapper(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.payload = sample("return_approve")

    def map(self, payload=None):
        return returns.return_to_canonical(payload or self.payload, created_at=TRIGGERED_AT)

    def test_approved_return_becomes_a_return_to_receive(self):
        ret = self.map()
        self.assertIsInstance(ret, schemas.Return)
        self.assertEqual(ret.external_id, "gid://shopify/Return/3547267221")
        self.assertEqual(ret.order_external_id, "gid://shopify/Order/6523147829473")
        self.assertEqual(ret.created_at, utc(2026, 11, 12, 14, 30))
        self.assertFalse(ret.received, "approved: the goods are on their way")
        self.assertIsNone(ret.refund_external_id)
        self.assertEqual(ret.extra["name"], "#1042-R1")

    def test_lines_point_at_the_order_s_line_items(self):
        small, faulty = self.map().lines
        self.assertEqual(small.line_external_id, "gid://shopify/LineItem/16012345678902")
        self.assertEqual(small.quantity, Decimal(1))
        self.assertEqual(small.reason, "size_too_small: Runs small, I need an XL.")
        self.assertIsNone(small.condition, "a size is no defect: sellable")
        self.assertTrue(small.restock)
        self.assertEqual(faulty.line_external_id, "gid://shopify/LineItem/16012345678901")
        self.assertEqual(faulty.quantity, Decimal(2))
        self.assertEqual(faulty.reason, "defective: Seam came apart")
        self.assertEqual(faulty.condition, schemas.ReturnCondition.DEFECTIVE)

    def test_graphql_enum_reasons_are_read_too(self):
        self.payload["return_line_items"][1]["return_reason"] = "DEFECTIVE"
        self.assertEqual(self.map().lines[1].condition, schemas.ReturnCondition.DEFECTIVE)

    def test_ids_are_built_from_numeric_ids(self):
        del self.payload["admin_graphql_api_id"]
        del self.payload["order"]["admin_graphql_api_id"]
        del self.payload["return_line_items"][0]["fulfillment_line_item"]["line_item"][
            "admin_graphql_api_id"
        ]
        ret = self.map()
        self.assertEqual(ret.external_id, "gid://shopify/Return/3547267221")
        self.assertEqual(ret.order_external_id, "gid://shopify/Order/6523147829473")
        self.assertEqual(ret.lines[0].line_external_id, "gid://shopify/LineItem/16012345678902")

    def test_a_line_without_its_line_item_names_the_field(self):
        del self.payload["return_line_items"][1]["fulfillment_line_item"]
        with self.assertRaises(PermanentError) as caught:
            self.map()
        self.assertEqual(
            caught.exception.path, "return_line_items.1.fulfillment_line_item.line_item"
        )

    def test_a_return_without_lines_is_refused(self):
        self.payload["return_line_items"] = []
        with self.assertRaises(PermanentError) as caught:
            self.map()
        self.assertEqual(caught.exception.path, "lines")

    def test_a_zero_quantity_names_the_canonical_field(self):
        self.payload["return_line_items"][0]["quantity"] = 0
        with self.assertRaises(PermanentError) as caught:
            self.map()
        self.assertEqual(caught.exception.path, "lines.0.quantity")


class TestShopifyRestockingRefund(unittest.TestCase):
    def test_refund_names_the_return_it_pays_back(self):
        payload = sample("refund_create")
        self.assertIsNone(mappers.refund_to_canonical(payload).return_external_id)
        payload["return"] = {
            "id": 3547267221,
            "admin_graphql_api_id": "gid://shopify/Return/3547267221",
        }
        refund = mappers.refund_to_canonical(payload)
        self.assertEqual(refund.return_external_id, "gid://shopify/Return/3547267221")
        payload["return"] = {"id": 3547267221}
        refund = mappers.refund_to_canonical(payload)
        self.assertEqual(refund.return_external_id, "gid://shopify/Return/3547267221")

    def test_only_returned_lines_are_restocked(self):
        refund = mappers.refund_to_canonical(sample("refund_create"))
        restocked = [line for line in refund.lines if line.restock]
        self.assertEqual(len(restocked), 1)
        self.assertEqual(restocked[0].extra["restock_type"], "return")
