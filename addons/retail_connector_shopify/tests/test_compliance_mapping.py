"""Shopify's compliance payloads translated (``compliance.py``, plain Python)."""

import copy
import unittest

from odoo.addons.retail_connector_base.exceptions import PermanentError

from ..compliance import (
    CUSTOMER_REDACT,
    DATA_REQUEST,
    SHOP_REDACT,
    ComplianceRequest,
    gid_number,
)
from .compliance_common import LUKAS_GID, LUKAS_ORDER_GID
from .test_shopify_import import EU_SHOP, sample


class TestComplianceRequestMapping(unittest.TestCase):
    def test_redact_payload_becomes_gids_and_a_request_key(self):
        request = ComplianceRequest.from_webhook("customers/redact", sample("customers_redact"))
        self.assertEqual(request.kind, CUSTOMER_REDACT)
        self.assertEqual(request.shop_domain, EU_SHOP)
        self.assertEqual(request.shop_id, "68451221573")
        self.assertEqual(request.customer_external_id, LUKAS_GID)
        self.assertEqual(
            (request.email, request.phone), ("lukas.becker@example.de", "+4915123456789")
        )
        self.assertEqual(request.orders, (LUKAS_ORDER_GID, "gid://shopify/Order/6634258930999"))
        self.assertEqual(
            request.request_key,
            f"{CUSTOMER_REDACT}:{LUKAS_GID}:{LUKAS_ORDER_GID},gid://shopify/Order/6634258930999",
        )

    def test_the_same_request_has_the_same_key_whatever_the_order_of_ids(self):
        payload = sample("customers_redact")
        reordered = copy.deepcopy(payload)
        reordered["orders_to_redact"].reverse()
        self.assertEqual(
            ComplianceRequest.from_webhook("customers/redact", payload).request_key,
            ComplianceRequest.from_webhook("customers/redact", reordered).request_key,
        )

    def test_data_request_is_keyed_by_shopify_request_id(self):
        payload = sample("customers_data_request")
        request = ComplianceRequest.from_webhook("customers/data_request", payload)
        self.assertEqual(request.kind, DATA_REQUEST)
        self.assertEqual(request.request_id, "9182736455")
        self.assertEqual(request.orders, (LUKAS_ORDER_GID,))
        self.assertEqual(request.request_key, f"{DATA_REQUEST}:9182736455")

    def test_export_header_says_what_was_requested(self):
        request = ComplianceRequest.from_webhook(
            "customers/data_request", sample("customers_data_request")
        )
        self.assertEqual(
            request.export_header("2026-12-04 10:00:00", "Shopify DE"),
            {
                "type": "customers/data_request",
                "shop_domain": EU_SHOP,
                "shopify_customer_id": LUKAS_GID,
                "data_request_id": "9182736455",
                "orders_requested": [LUKAS_ORDER_GID],
                "generated_at": "2026-12-04 10:00:00",
                "channel": "Shopify DE",
            },
        )
        self.assertEqual(
            sorted(["gid://shopify/Order/10", "gid://shopify/Order/9"], key=gid_number),
            ["gid://shopify/Order/9", "gid://shopify/Order/10"],
        )

    def test_shop_redact_has_no_customer(self):
        request = ComplianceRequest.from_webhook("shop/redact", sample("shop_redact"))
        self.assertEqual(request.kind, SHOP_REDACT)
        self.assertIsNone(request.customer_external_id)
        self.assertEqual(request.request_key, f"{SHOP_REDACT}:68451221573")

    def test_missing_or_bad_ids_name_the_field(self):
        payload = sample("customers_redact")
        payload["customer"]["id"] = None
        with self.assertRaisesRegex(PermanentError, r"^customer\.id: "):
            ComplianceRequest.from_webhook("customers/redact", payload)
        payload = sample("customers_redact")
        payload["orders_to_redact"] = [6634258930584, "abc"]
        with self.assertRaisesRegex(PermanentError, r"^orders_to_redact\.1: "):
            ComplianceRequest.from_webhook("customers/redact", payload)
        with self.assertRaisesRegex(PermanentError, "^shop_domain: "):
            ComplianceRequest.from_webhook("shop/redact", {"shop_id": 1})
