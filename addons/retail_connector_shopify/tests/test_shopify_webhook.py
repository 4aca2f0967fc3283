import json
import unittest

from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged

from odoo.addons.retail_connector_base.adapters import get_adapter_class
from odoo.addons.retail_connector_base.exceptions import PayloadError, SignatureError

from ..adapters.shopify import sign_body
from .common import shopify_settings

SECRET = "shpss_0123456789abcdef0123456789abcdef"
SHOP = "retail-connect-test.myshopify.com"
ORDER = {
    "id": 820982911946154508,
    "admin_graphql_api_id": "gid://shopify/Order/820982911946154508",
    "total_price": "254.98",
    "currency": "EUR",
}


def shopify_headers(body, topic="orders/create", webhook_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"):
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign_body(SECRET, body),
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-API-Version": "2026-10",
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
        "X-Shopify-Triggered-At": "2026-11-02T09:00:00.000000000Z",
    }


def lower(headers):
    return {k.lower(): v for k, v in headers.items()}


class TestShopifyAdapter(unittest.TestCase):
    def setUp(self):
        super().setUp()
        backend = shopify_settings(shopify_client_secret=SECRET, shopify_shop_domain=SHOP)
        self.adapter = get_adapter_class("shopify")(backend)
        self.body = json.dumps(ORDER).encode()

    def test_valid_hmac_is_accepted(self):
        self.adapter.verify_webhook(lower(shopify_headers(self.body)), self.body)

    def test_hmac_is_base64_of_the_raw_body(self):
        # Reference value computed independently with openssl:
        # printf '{"a": 1}' | openssl dgst -sha256 -hmac KEY -binary | base64
        self.assertEqual(
            sign_body("KEY", b'{"a": 1}'), "XnI0MBknYpTS0+rQpAOzZxlHJgDuRFG8j0u7gq9KLmU="
        )

    def test_tampered_body_or_missing_hmac_is_rejected(self):
        headers = lower(shopify_headers(self.body))
        with self.assertRaisesRegex(SignatureError, "does not match"):
            self.adapter.verify_webhook(headers, self.body.replace(b"254.98", b"2.98"))
        del headers["x-shopify-hmac-sha256"]
        with self.assertRaisesRegex(SignatureError, "missing"):
            self.adapter.verify_webhook(headers, self.body)

    def test_delivery_for_another_shop_is_rejected(self):
        headers = lower(shopify_headers(self.body))
        headers["x-shopify-shop-domain"] = "someone-else.myshopify.com"
        with self.assertRaisesRegex(SignatureError, "not this backend"):
            self.adapter.verify_webhook(headers, self.body)

    def test_no_secret_fails_closed(self):
        adapter = get_adapter_class("shopify")(
            shopify_settings(shopify_client_secret=False, shopify_shop_domain=SHOP)
        )
        with self.assertRaises(SignatureError):
            adapter.verify_webhook(lower(shopify_headers(self.body)), self.body)

    def test_event_key_is_the_webhook_id_and_headers_are_kept(self):
        values = self.adapter.extract_event_values(lower(shopify_headers(self.body)), ORDER)
        self.assertEqual(values.event_key, "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
        self.assertEqual(values.topic, "orders/create")
        self.assertEqual(values.headers["x-shopify-api-version"], "2026-10")
        self.assertEqual(
            values.headers["x-shopify-event-id"], "98880550-7158-44d4-b7cd-2c97c8a091b5"
        )
        self.assertNotIn("x-shopify-hmac-sha256", values.headers)
        with self.assertRaises(PayloadError):
            self.adapter.extract_event_values({"x-shopify-topic": "orders/create"}, ORDER)


@tagged("post_install", "-at_install")
class TestShopifyWebhook(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = cls.env["retail.backend"].create(
            {
                "name": "Shopify EU",
                "code": "shopify",
                "state": "active",
                "shopify_shop_domain": SHOP,
                "shopify_client_secret": SECRET,
            }
        )

    def post(self, body, headers):
        return self.url_open(
            f"/retail/webhook/{self.backend.webhook_token}", data=body, headers=headers
        )

    def test_signed_order_webhook_is_stored_once(self):
        body = json.dumps(ORDER).encode()
        self.assertEqual(self.post(body, shopify_headers(body)).json(), {"status": "accepted"})
        self.assertEqual(self.post(body, shopify_headers(body)).json(), {"status": "duplicate"})
        event = self.env["retail.event"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(event), 1)
        self.assertEqual(event.topic, "orders/create")
        self.assertEqual(event.headers["x-shopify-shop-domain"], SHOP)

    def test_tampered_webhook_is_401_and_not_stored(self):
        body = json.dumps(ORDER).encode()
        response = self.post(body.replace(b"254.98", b"0.01"), shopify_headers(body))
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self.env["retail.event"].search([("backend_id", "=", self.backend.id)]))

    def test_shop_domain_must_be_a_myshopify_domain(self):
        with self.assertRaises(ValidationError):
            self.backend.shopify_shop_domain = "https://my-store.com"
        self.assertEqual(self.backend._get_shopify_api_url(), f"https://{SHOP}")
        self.backend.shopify_api_url = "http://127.0.0.1:8999/"
        self.assertEqual(self.backend._get_shopify_api_url(), "http://127.0.0.1:8999")

    def test_settings_hold_what_the_adapter_reads(self):
        """The adapter reads its settings as attributes, without defaults:
        the backend's settings have every one of them."""
        settings = self.backend._get_settings()
        for name in vars(shopify_settings()):
            self.assertEqual(getattr(settings, name), self.backend.sudo()[name], name)
        adapter = self.backend._get_adapter()
        self.assertEqual(adapter._valid_secrets(), [SECRET])
        self.assertEqual(adapter._money_side(), "presentment_money")

    def test_shopify_signs_with_the_client_secret_not_the_webhook_secret(self):
        self.assertTrue(self.backend.support_webhooks)
        self.assertFalse(self.backend.support_webhook_secret)


class TestShopifySecretRotation(unittest.TestCase):
    def adapter(self, rotated_hours_ago, grace=1.0):
        from datetime import UTC, datetime, timedelta

        now = datetime.now(UTC).replace(tzinfo=None)
        backend = shopify_settings(
            shopify_client_secret="new-secret",
            shopify_previous_client_secret=SECRET,
            shopify_secret_rotated_at=now - timedelta(hours=rotated_hours_ago),
            shopify_previous_secret_hours=grace,
            shopify_shop_domain=SHOP,
        )
        return get_adapter_class("shopify")(backend)

    def test_previous_secret_is_valid_during_the_grace_period_only(self):
        body = json.dumps(ORDER).encode()
        headers = lower(shopify_headers(body))  # signed with the previous SECRET
        self.adapter(rotated_hours_ago=0.5).verify_webhook(headers, body)
        with self.assertRaises(SignatureError):
            self.adapter(rotated_hours_ago=1.5).verify_webhook(headers, body)
        with self.assertRaises(SignatureError):
            self.adapter(rotated_hours_ago=0.5, grace=0).verify_webhook(headers, body)
        new_headers = dict(headers, **{"x-shopify-hmac-sha256": sign_body("new-secret", body)})
        self.adapter(rotated_hours_ago=5).verify_webhook(new_headers, body)
