import time

from odoo.tests.common import TransactionCase

from ..adapters import standard_webhooks
from ..demo_catalogue import DEMO_PRODUCTS, DEMO_TAX_PERCENT

DEMO_SKUS = [sku for sku, *_rest in DEMO_PRODUCTS]


class TestDemoChannel(TransactionCase):
    """The demo channel exists only when asked for, and is marked as such."""

    def test_a_normal_install_has_no_demo_channel(self):
        Backend = self.env["retail.backend"].with_context(active_test=False)
        self.assertFalse(Backend.search_count([("is_demo", "=", True)]))
        Product = self.env["product.product"].with_context(active_test=False)
        self.assertFalse(Product.search_count([("default_code", "in", DEMO_SKUS)]))

    def test_create_demo_channel_gives_the_simulator_a_working_backend(self):
        config = self.env["retail.backend"]._create_demo_channel()
        backend = self.env["retail.backend"].search([("is_demo", "=", True)])
        self.assertEqual(len(backend), 1)
        self.assertEqual((backend.code, backend.state), ("generic", "active"))
        self.assertEqual(config["webhook_path"], f"/retail/webhook/{backend.webhook_token}")
        self.assertEqual(config["webhook_url"], backend.webhook_url)
        self.assertEqual(config["currency"], self.env.company.currency_id.name)
        # What the simulator signs with is what the backend verifies.
        body, now = b'{"type": "order.created", "data": {}}', int(time.time())
        signature = standard_webhooks.sign(config["secret"], "msg_1", now, body)
        headers = {"webhook-id": "msg_1", "webhook-timestamp": str(now)}
        standard_webhooks.verify(
            backend.webhook_secret, dict(headers, **{"webhook-signature": signature}), body
        )
        self.assertEqual(
            [(p["sku"], p["price"]) for p in config["products"]],
            [(sku, price) for sku, _name, price in DEMO_PRODUCTS],
        )
        self.assertEqual(
            self.env["product.product"].search_count([("default_code", "in", DEMO_SKUS)]),
            len(DEMO_SKUS),
        )
        tax = self.env["retail.tax.matcher"]._find(self.env.company, DEMO_TAX_PERCENT, False)
        self.assertTrue(tax)
        self.assertEqual(tax.tax_group_id.name, tax.name)
        self.assertEqual(config["tax_rate"], str(DEMO_TAX_PERCENT / 100))

    def test_create_demo_channel_twice_reuses_what_exists(self):
        Backend = self.env["retail.backend"]
        first = Backend._create_demo_channel()
        backend = Backend.search([("is_demo", "=", True)])
        backend.action_pause()
        backend.active = False
        taxes = self.env["account.tax"].search_count([])
        second = Backend._create_demo_channel()
        self.assertEqual(second, first)
        self.assertTrue(backend.active)
        self.assertEqual(backend.state, "active")
        self.assertEqual(Backend.search_count([("is_demo", "=", True)]), 1)
        self.assertEqual(self.env["account.tax"].search_count([]), taxes)
        self.assertEqual(
            self.env["product.product"].search_count([("default_code", "in", DEMO_SKUS)]),
            len(DEMO_SKUS),
        )

    def test_a_copy_of_the_demo_backend_is_no_demo(self):
        self.env["retail.backend"]._create_demo_channel()
        backend = self.env["retail.backend"].search([("is_demo", "=", True)])
        self.assertFalse(backend.copy().is_demo)

    def test_demo_orders_say_so(self):
        self.env["retail.backend"]._create_demo_channel()
        backend = self.env["retail.backend"].search([("is_demo", "=", True)])
        partner = self.env["res.partner"].create({"name": "Priya Raman"})
        order = self.env["sale.order"].create(
            {"partner_id": partner.id, "retail_backend_id": backend.id}
        )
        self.assertTrue(order.retail_is_demo)
        backend.is_demo = False
        self.assertFalse(order.retail_is_demo)
