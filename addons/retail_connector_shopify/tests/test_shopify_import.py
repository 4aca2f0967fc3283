"""Shopify deliveries, signed as Shopify signs them, become Odoo records."""

import copy
import json
from pathlib import Path
from unittest.mock import patch

from odoo.tests import HttpCase, tagged

from odoo.addons.retail_connector_base.tests.common import RetailCase

from .test_shopify_webhook import SECRET, shopify_headers

SAMPLES = Path(__file__).parent / "samples"
EU_SHOP = "retail-connect-test.myshopify.com"


def sample(name):
    return json.loads((SAMPLES / f"{name}.json").read_text())


class ShopifyCase(RetailCase, HttpCase):
    """A Shopify store in Odoo (``shop``) with German taxes included in
    prices, its two products, and webhooks delivered signed."""

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
        cls.tea = Product.create({"name": "Green tea", "default_code": "LH-GT3-SALBEI"})
        cls.book = Product.create({"name": "Seasons book", "default_code": "LH-BUCH-SAISON"})
        cls.shop = cls.env["retail.backend"].create(
            {
                "name": "Shopify DE",
                "code": "shopify",
                "state": "active",
                "shopify_shop_domain": EU_SHOP,
                "shopify_client_secret": SECRET,
            }
        )

    def deliver(self, topic, payload, webhook_id=None):
        body = json.dumps(payload).encode()
        headers = shopify_headers(
            body, topic=topic, webhook_id=webhook_id or f"wh-{topic}-{id(payload)}"
        )
        headers["X-Shopify-Shop-Domain"] = EU_SHOP
        response = self.url_open(
            f"/retail/webhook/{self.shop.webhook_token}", data=body, headers=headers
        )
        return response

    def process(self, topic, payload, webhook_id=None):
        self.assertEqual(self.deliver(topic, payload, webhook_id).json()["status"], "accepted")
        event = self.env["retail.event"].search(
            [("backend_id", "=", self.shop.id)], order="id desc", limit=1
        )
        self.run_event_job(event)
        return event

    def shop_order(self, gid):
        return self.env["sale.order"].search(
            [("retail_backend_id", "=", self.shop.id), ("retail_external_id", "=", gid)]
        )


@tagged("post_install", "-at_install")
class TestShopifyImport(ShopifyCase):
    def test_order_with_taxes_included_is_imported_and_confirmed(self):
        payload = sample("order_create_taxes_included")
        event = self.process("orders/create", payload)
        self.assertEqual(event.state, "done", event.error)
        order = self.shop_order(payload["admin_graphql_api_id"])
        self.assertEqual(order.state, "sale", order.retail_hold_reason)
        self.assertEqual(order.client_order_ref, "#2318")
        self.assertEqual(order.currency_id.name, "EUR")
        self.assertEqual(order.retail_payment_state, "paid")
        self.assertEqual((order.amount_total, order.amount_tax), (78.80, 9.85))
        tea_line, book_line, shipping_line = order.order_line
        self.assertEqual((tea_line.product_id, tea_line.product_uom_qty), (self.tea, 2))
        self.assertEqual(tea_line.retail_line_id, "gid://shopify/LineItem/16123456789011")
        self.assertEqual((book_line.product_id, book_line.price_unit), (self.book, 29.0))
        self.assertEqual((shipping_line.price_unit, shipping_line.discount), (4.90, 100.0))
        partner = order.partner_id
        self.assertEqual(partner.email, "lukas.becker@example.de")
        self.assertEqual(
            partner.retail_binding_ids.external_id, payload["customer"]["admin_graphql_api_id"]
        )

    def test_redelivery_and_out_of_order_updates(self):
        created = sample("order_create_taxes_included")
        updated = copy.deepcopy(created)
        updated["updated_at"] = "2026-11-03T15:00:00+01:00"
        updated["financial_status"] = "partially_refunded"
        # orders/updated overtakes orders/create
        self.process("orders/updated", updated, webhook_id="wh-2")
        event = self.process("orders/create", created, webhook_id="wh-1")
        self.assertEqual(event.state, "ignored")
        self.assertTrue(event.state_reason.startswith("Stale:"))
        self.assertEqual(
            self.deliver("orders/create", created, "wh-1").json()["status"], "duplicate"
        )
        order = self.shop_order(created["admin_graphql_api_id"])
        self.assertEqual(len(order), 1)
        self.assertEqual(order.retail_payment_state, "partially_refunded")

    def test_customer_webhook_creates_the_bound_customer(self):
        payload = sample("customer_create")
        event = self.process("customers/create", payload)
        self.assertEqual(event.state, "done", event.error)
        binding = self.env["retail.binding"]._find(
            self.shop, "res.partner", payload["admin_graphql_api_id"]
        )
        self.assertEqual(binding._record().email, "maya.chen@example.com")

    def test_refund_webhook_is_recorded_on_its_order(self):
        order_payload = sample("order_create_taxes_excluded")
        self.env.ref("base.CAD").active = True
        self.process("orders/create", order_payload)
        order = self.shop_order(order_payload["admin_graphql_api_id"])
        self.assertTrue(order, "imported, on hold for its line without SKU")
        self.assertIn("Unknown SKU", order.retail_hold_reason)
        event = self.process("refunds/create", sample("refund_create"))
        self.assertEqual(event.state, "done", event.error)
        refund = order.retail_refund_ids
        self.assertEqual(refund.amount, 49.90)
        self.assertEqual(refund.state, "recorded")
        self.assertEqual(len(refund.lines), 2, "the same line refunded twice (return + cancel)")

    def test_invalid_payload_fails_with_the_field_path(self):
        payload = sample("order_create_taxes_included")
        payload["line_items"][0]["quantity"] = "abc"
        event = self.process("orders/create", payload)
        self.assertEqual(event.state, "failed")
        self.assertIn("quantity", event.error)

    def test_order_waits_for_the_risk_recommendation_when_asked(self):
        self.shop.shopify_hold_until_risk = True
        payload = sample("order_create_taxes_included")
        risk = {"recommendation": "NONE"}
        importer = type(self.env["retail.order.importer"])
        with patch.object(importer, "_shopify_risk", lambda *_args: dict(risk)):
            self.process("orders/create", payload)
            order = self.shop_order(payload["admin_graphql_api_id"])
            self.assertEqual(order.state, "draft")
            self.assertIn("Waiting for Shopify's fraud analysis", order.retail_hold_reason)
            risk.update(
                recommendation="INVESTIGATE",
                assessments=[
                    {"facts": [{"description": "Card declined twice", "sentiment": "NEGATIVE"}]}
                ],
            )
            order.action_retail_retry()
            self.assertEqual(
                order.retail_hold_reason,
                "Shopify recommends investigating this order (fraud risk): Card declined twice: "
                "check it, then confirm or cancel it by hand.",
            )
            risk.clear()
            risk["recommendation"] = "ACCEPT"
            order.action_retail_retry()
        self.assertEqual(order.state, "sale")
        self.assertFalse(order.retail_hold_reason)

    def test_rotated_secret_keeps_the_previous_one_for_the_grace_period(self):
        self.shop.shopify_client_secret = "shpss_rotated_secret"
        self.assertEqual(self.shop.shopify_previous_client_secret, SECRET)
        self.assertTrue(self.shop.shopify_secret_rotated_at)
        payload = sample("customer_create")
        self.assertEqual(self.deliver("customers/create", payload).status_code, 200)
        self.shop.shopify_previous_secret_hours = 0
        response = self.deliver("customers/create", payload, webhook_id="wh-after-grace")
        self.assertEqual(response.status_code, 401)

    def test_every_order_topic_moves_the_same_order_forward(self):
        order_payload = sample("order_create_taxes_included")
        gid = order_payload["admin_graphql_api_id"]
        self.process("orders/create", order_payload)
        order = self.shop_order(gid)
        steps = (
            ("orders/paid", "2026-11-03T14:10:00+01:00", {"financial_status": "paid"}),
            ("orders/updated", "2026-11-03T14:20:00+01:00", {"note": "Gift wrap"}),
            (
                "orders/cancelled",
                "2026-11-03T14:30:00+01:00",
                {
                    "cancelled_at": "2026-11-03T14:30:00+01:00",
                    "cancel_reason": "customer",
                    "financial_status": "voided",
                },
            ),
        )
        for topic, updated_at, changes in steps:
            payload = dict(copy.deepcopy(order_payload), updated_at=updated_at, **changes)
            event = self.process(topic, payload, webhook_id=f"wh-{topic}")
            self.assertEqual(event.state, "done", f"{topic}: {event.error}")
        self.assertEqual(order.state, "cancel")
        self.assertEqual(order.retail_channel_status, "cancelled")
        self.assertEqual(order.retail_payment_state, "voided")

    def test_orders_fulfilled_and_customers_update_topics(self):
        order_payload = sample("order_create_taxes_included")
        self.process("orders/create", order_payload)
        fulfilled = dict(
            copy.deepcopy(order_payload),
            updated_at="2026-11-04T09:00:00+01:00",
            fulfillment_status="fulfilled",
        )
        self.process("orders/fulfilled", fulfilled, webhook_id="wh-fulfilled")
        order = self.shop_order(order_payload["admin_graphql_api_id"])
        self.assertEqual(order.retail_channel_status, "fulfilled")
        customer = sample("customer_create")
        self.process("customers/create", customer, webhook_id="wh-c1")
        updated = dict(customer, phone="+16045550199", updated_at="2026-11-05T10:00:00-08:00")
        self.process("customers/update", updated, webhook_id="wh-c2")
        binding = self.env["retail.binding"]._find(
            self.shop, "res.partner", customer["admin_graphql_api_id"]
        )
        self.assertEqual(binding._record().phone, "+16045550199")

    def test_refund_on_an_invoiced_shopify_order_drafts_the_credit_note(self):
        order_payload = sample("order_create_taxes_included")
        self.process("orders/create", order_payload)
        order = self.shop_order(order_payload["admin_graphql_api_id"])
        self.env["product.product"].search([("default_code", "like", "LH-")]).write(
            {"invoice_policy": "order"}
        )
        order.order_line._compute_qty_to_invoice()
        invoice = order._create_invoices()
        invoice.action_post()
        book_line = order_payload["line_items"][1]
        refund = copy.deepcopy(sample("refund_create"))
        refund.update(order_id=order_payload["id"], order_adjustments=[], note="Damaged book")
        refund["refund_line_items"] = [
            dict(
                refund["refund_line_items"][0],
                line_item_id=book_line["id"],
                line_item=dict(
                    refund["refund_line_items"][0]["line_item"],
                    id=book_line["id"],
                    admin_graphql_api_id=book_line["admin_graphql_api_id"],
                ),
                quantity=1,
                subtotal=27.10,
                total_tax=1.90,
                subtotal_set=_money("27.10"),
                total_tax_set=_money("1.90"),
            )
        ]
        refund["transactions"] = [dict(refund["transactions"][0], amount="29.00", currency="EUR")]
        event = self.process("refunds/create", refund)
        self.assertEqual(event.state, "done", event.error)
        record = order.retail_refund_ids
        self.assertEqual(record.state, "credit_note", record.hold_reason)
        credit_note = record.credit_note_id
        self.assertEqual(credit_note.amount_total, 29.00)
        self.assertEqual(credit_note.invoice_line_ids.product_id, self.book)
        self.assertEqual(credit_note.reversed_entry_id, invoice)

    def test_order_rounded_per_line_goes_through_a_company_rounding_globally(self):
        """Shopify rounds each line's tax (2 x 20.00 and 4.90 shipping, 20 %
        included: 6.67 + 0.82); Odoo's company rounds the sum (7.48)."""
        self.env.company.tax_calculation_rounding_method = "round_globally"
        payload = sample("order_create_rounding")
        event = self.process("orders/create", payload)
        self.assertEqual(event.state, "done", event.error)
        order = self.shop_order(payload["admin_graphql_api_id"])
        self.assertEqual(order.state, "sale", order.retail_hold_reason)
        self.assertEqual(
            (order.amount_untaxed, order.amount_tax, order.amount_total), (37.41, 7.49, 44.90)
        )
        self.assertIn(
            "untaxed: channel 37.41, Odoo 37.42; tax: channel 7.49, Odoo 7.48",
            order.retail_rounding_note,
        )
        self.tea.invoice_policy = "order"
        order.order_line._compute_qty_to_invoice()
        invoice = order._create_invoices()
        invoice.action_post()
        self.assertEqual(
            (invoice.amount_untaxed, invoice.amount_tax, invoice.amount_total), (37.41, 7.49, 44.90)
        )


def _money(amount):
    return {
        "shop_money": {"amount": amount, "currency_code": "EUR"},
        "presentment_money": {"amount": amount, "currency_code": "EUR"},
    }
