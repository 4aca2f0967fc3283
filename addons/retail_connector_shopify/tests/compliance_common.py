"""What the compliance tests share: a Shopify shop with its taxes and
products, signed compliance deliveries processed by their job, and the
customers (Lukas, who orders; Maya, who only signed up) they concern."""

import json

from odoo.tests import HttpCase

from odoo.addons.retail_connector_base.tests.common import RetailCase

from .test_shopify_import import EU_SHOP, sample
from .test_shopify_webhook import SECRET, shopify_headers

LUKAS_GID = "gid://shopify/Customer/7234567890123"
MAYA_GID = "gid://shopify/Customer/7123456789012"
LUKAS_ORDER_GID = "gid://shopify/Order/6634258930584"


class ComplianceCase(RetailCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("base.EUR").active = True
        Tax = cls.env["account.tax"]
        group = cls.env["account.tax.group"].create({"name": "Test MwSt"})
        for rate in (19, 7):
            Tax.create(
                {
                    "name": f"Test MwSt {rate}% incl.",
                    "amount": rate,
                    "amount_type": "percent",
                    "type_tax_use": "sale",
                    "price_include_override": "tax_included",
                    "tax_group_id": group.id,
                    "country_id": cls.tax_20.country_id.id,
                    "sequence": 0,
                }
            )
        Product = cls.env["product.product"]
        for name, sku in (("Green tea", "LH-GT3-SALBEI"), ("Seasons book", "LH-BUCH-SAISON")):
            Product.create({"name": name, "default_code": sku, "invoice_policy": "order"})
        cls.shop = cls.env["retail.backend"].create(
            {
                "name": "Shopify DE",
                "code": "shopify",
                "state": "active",
                "shopify_shop_domain": EU_SHOP,
                "shopify_client_secret": SECRET,
            }
        )
        cls.Request = cls.env["retail.shopify.compliance.request"]

    # Helpers

    def deliver(self, topic, payload, webhook_id=None, shop=None, tamper=False):
        shop = shop or self.shop
        body = json.dumps(payload).encode()
        headers = shopify_headers(
            body, topic=topic, webhook_id=webhook_id or f"wh-{topic}-{id(payload)}"
        )
        headers["X-Shopify-Shop-Domain"] = shop.shopify_shop_domain
        if tamper:
            body = body.replace(b"lukas", b"lucas")
        return self.url_open(f"/retail/webhook/{shop.webhook_token}", data=body, headers=headers)

    def process(self, topic, payload, webhook_id=None, shop=None):
        shop = shop or self.shop
        response = self.deliver(topic, payload, webhook_id, shop=shop)
        self.assertEqual(response.json()["status"], "accepted")
        event = self.env["retail.event"].search(
            [("backend_id", "=", shop.id)], order="id desc", limit=1
        )
        self.run_event_job(event)
        self.assertEqual(event.state, "done", event.error)
        return event

    def request_of(self, event):
        return self.Request.search([("event_id", "=", event.id)])

    def partner_of(self, gid, shop=None):
        binding = self.env["retail.binding"]._find(shop or self.shop, "res.partner", gid)
        return binding._record()

    def import_lukas_order(self, note="Bitte beim Nachbarn in Nr. 110 abgeben.", office=False):
        payload = sample("order_create_taxes_included")
        payload["note"] = note
        if office:
            payload["shipping_address"].update(
                address1="Friedrichstraße 68",
                address2="3. OG",
                zip="10117",
                phone="+49 30 2345678",
            )
        event = self.process("orders/create", payload)
        order = self.env["sale.order"].search(
            [("retail_backend_id", "=", self.shop.id), ("retail_external_id", "=", LUKAS_ORDER_GID)]
        )
        self.assertEqual(order.state, "sale", order.retail_hold_reason)
        return event, order

    def invoice(self, order):
        invoice = order._create_invoices()
        invoice.action_post()
        self.assertEqual(invoice.state, "posted")
        return invoice

    def import_maya(self, shop=None):
        self.process("customers/create", sample("customer_create"), shop=shop)
        return self.partner_of(MAYA_GID, shop)

    def maya_redact(self):
        payload = sample("customers_redact")
        payload["customer"] = {
            "id": 7123456789012,
            "email": "maya.chen@example.com",
            "phone": "+16045550142",
        }
        payload["orders_to_redact"] = []
        return payload
