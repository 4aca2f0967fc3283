"""Shopify's compliance requests once and only once (redelivery, signature),
customers/data_request, shop/redact, and who reads the requests."""

import json

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .compliance_common import LUKAS_GID, LUKAS_ORDER_GID, ComplianceCase
from .test_shopify_import import sample
from .test_shopify_webhook import SECRET


@tagged("post_install", "-at_install")
class TestComplianceRequests(ComplianceCase):
    # Idempotency and authenticity

    def test_redelivery_changes_nothing(self):
        partner = self.import_maya()
        payload = self.maya_redact()
        event = self.process("customers/redact", payload, webhook_id="wh-redact-1")
        request = self.request_of(event)
        log, write_date = request.log, partner.write_date
        # Shopify's retry of the same delivery.
        response = self.deliver("customers/redact", payload, webhook_id="wh-redact-1")
        self.assertEqual(response.json()["status"], "duplicate")
        # The same request again under a new webhook id.
        response = self.deliver("customers/redact", payload, webhook_id="wh-redact-2")
        self.assertEqual(response.json()["status"], "accepted")
        again = self.env["retail.event"].search(
            [("backend_id", "=", self.shop.id), ("event_key", "=", "wh-redact-2")]
        )
        self.run_event_job(again)
        self.assertEqual(again.state, "ignored")
        self.assertIn(
            f"Already handled by compliance request {request.display_name}", again.state_reason
        )
        self.assertEqual(self.Request.search([("backend_id", "=", self.shop.id)]), request)
        self.assertEqual((request.log, partner.write_date), (log, write_date))

    def test_second_request_for_a_redacted_customer_changes_nothing(self):
        partner = self.import_maya()
        self.process("customers/redact", self.maya_redact())
        payload = self.maya_redact()
        payload["orders_to_redact"] = [6523147829473]  # another request: new key
        event = self.process("customers/redact", payload)
        request = self.request_of(event)
        self.assertIn(f"Partner #{partner.id}: already redacted, nothing changed.", request.log)
        self.assertEqual(request.state, "done")

    def test_compliance_webhook_with_a_bad_signature_is_401_and_not_stored(self):
        response = self.deliver("customers/redact", sample("customers_redact"), tamper=True)
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self.env["retail.event"].search([("backend_id", "=", self.shop.id)]))
        self.assertFalse(self.Request.search([]).filtered(lambda r: r.backend_id == self.shop))

    # customers/data_request

    def test_data_request_exports_the_customer_with_addresses_bindings_and_orders(self):
        _order_event, order = self.import_lukas_order()
        partner = order.partner_id
        event = self.process("customers/data_request", sample("customers_data_request"))
        request = self.request_of(event)
        self.assertEqual(request.state, "done", request.log)
        self.assertEqual(request.data_request_id, "9182736455")
        self.assertEqual(request.customer_email, "lukas.becker@example.de")
        attachment = request.export_attachment_id
        self.assertEqual(attachment.name, "shopify-data-request-9182736455.json")
        self.assertEqual(attachment.mimetype, "application/json")
        data = json.loads(attachment.raw)
        self.assertEqual(data["request"]["shopify_customer_id"], LUKAS_GID)
        self.assertEqual(data["request"]["orders_requested"], [LUKAS_ORDER_GID])
        (customer,) = data["customers"]
        self.assertEqual(customer["id"], partner.id)
        self.assertEqual(customer["email"], "lukas.becker@example.de")
        self.assertEqual(customer["city"], "Berlin")
        self.assertEqual(customer["country"], "DE")
        self.assertEqual(
            [(b["channel"], b["external_id"]) for b in customer["channel_bindings"]],
            [("Shopify DE", LUKAS_GID)],
        )
        addresses = {a["id"] for a in customer["addresses"]}
        self.assertIn(order.partner_shipping_id.id, addresses | {partner.id})
        (exported,) = data["orders"]
        self.assertEqual(exported["channel_order_id"], LUKAS_ORDER_GID)
        self.assertEqual(exported["reference"], "#2318")
        self.assertEqual(exported["amount_total"], 78.80)
        self.assertEqual(exported["currency"], "EUR")
        self.assertEqual(
            [line["sku"] for line in exported["lines"]][:2], ["LH-GT3-SALBEI", "LH-BUCH-SAISON"]
        )
        self.assertIn("Bitte beim Nachbarn", exported["note"])
        self.assertEqual(
            request.action_download_export()["url"], f"/web/content/{attachment.id}?download=true"
        )
        self.assertIn('"channel_order_id"', request.export_preview)
        self.assertEqual(partner.email, "lukas.becker@example.de", "a data request changes nothing")

        # A later redaction erases the export too.
        redact = self.request_of(self.process("customers/redact", sample("customers_redact")))
        self.assertFalse(attachment.exists())
        self.assertFalse(request.customer_email)
        self.assertIn(f"Erased the export of data request(s): {request.id}.", redact.log)

    def test_data_request_for_an_unknown_customer_is_nothing_to_do(self):
        payload = sample("customers_data_request")
        payload["customer"]["id"] = 7000000000002
        payload["customer"]["email"] = "nobody@example.org"
        payload["orders_requested"] = []
        request = self.request_of(self.process("customers/data_request", payload))
        self.assertEqual(request.state, "nothing")
        self.assertFalse(request.export_attachment_id)

    # shop/redact

    def test_shop_redact_pauses_the_backend_and_redacts_only_its_own_customers(self):
        order_event, order = self.import_lukas_order()
        lukas = order.partner_id
        maya = self.import_maya()
        self.env["retail.binding"]._bind(self.backend, maya, "pos-customer-42")
        other_shop = self.env["retail.backend"].create(
            {
                "name": "Shopify US",
                "code": "shopify",
                "state": "active",
                "shopify_shop_domain": "retail-connect-us.myshopify.com",
                "shopify_client_secret": SECRET,
            }
        )
        sanne_payload = sample("customer_create")
        sanne_payload.update(
            id=7456789012345,
            admin_graphql_api_id="gid://shopify/Customer/7456789012345",
            email="sanne.devries@example.nl",
            first_name="Sanne",
            last_name="de Vries",
            phone="+31612345678",
            default_address=None,
            addresses=[],
        )
        self.process("customers/create", sanne_payload, shop=other_shop)
        sanne = self.partner_of(sanne_payload["admin_graphql_api_id"], other_shop)

        event = self.process("shop/redact", sample("shop_redact"))
        request = self.request_of(event)
        self.assertEqual(self.shop.state, "paused")
        self.assertEqual(other_shop.state, "active")
        self.assertEqual(request.state, "review", request.log)
        self.assertEqual(request.partner_ids, lukas | maya)
        self.assertFalse(lukas.active)
        self.assertFalse(lukas.email)
        self.assertEqual(maya.email, "maya.chen@example.com")
        self.assertEqual(sanne.email, "sanne.devries@example.nl")
        self.assertIn("paused: the app was uninstalled", request.log)
        self.assertIn(f"Partner #{maya.id}: kept: bound to other channels", request.log)
        self.assertIn("Bindings of this backend kept", request.log)
        self.assertFalse(order.note)
        self.assertTrue(order_event.body_purged)
        self.assertFalse(
            self.env["retail.event"].search(
                [("backend_id", "=", other_shop.id), ("body_purged", "=", True)]
            ),
            "another shop's events are not touched",
        )
        self.assertTrue(self.env["retail.binding"]._find(self.shop, "res.partner", LUKAS_GID))

    def test_request_for_another_shop_domain_is_left_for_review(self):
        partner = self.import_maya()
        payload = self.maya_redact()
        payload["shop_domain"] = "someone-else.myshopify.com"
        request = self.request_of(self.process("customers/redact", payload))
        self.assertEqual(request.state, "review")
        self.assertIn("not this backend's", request.log)
        self.assertTrue(partner.active)

    # Access

    def test_only_managers_of_the_company_read_requests(self):
        request = self.request_of(self.process("customers/redact", self.maya_redact()))
        manager = new_test_user(
            self.env, "rc-compliance-manager", "retail_connector_base.group_retail_connect_manager"
        )
        self.assertEqual(request.with_user(manager).read(["state"])[0]["state"], "nothing")
        user = new_test_user(
            self.env, "rc-compliance-user", "retail_connector_base.group_retail_connect_user"
        )
        with self.assertRaises(AccessError):
            request.with_user(user).read(["state"])
        other_company = self.env["res.company"].create({"name": "Other retail company"})
        outsider = new_test_user(
            self.env,
            "rc-compliance-outsider",
            "retail_connector_base.group_retail_connect_manager",
            company_id=other_company.id,
            company_ids=[(6, 0, other_company.ids)],
        )
        self.assertFalse(self.Request.with_user(outsider).search([("id", "=", request.id)]))

    def test_compliance_requests_are_honoured_while_the_backend_is_paused(self):
        maya = self.import_maya()
        self.shop.action_pause()
        event = self.process("customers/redact", self.maya_redact())
        self.assertTrue(event.job_id, "processed at once, not kept until the backend is active")
        self.assertFalse(maya.active)
        self.assertEqual(self.shop.state, "paused")
        # an order delivered meanwhile waits for the backend
        response = self.deliver("orders/create", sample("order_create_taxes_included"))
        self.assertEqual(response.json()["status"], "accepted")
        waiting = self.env["retail.event"].search(
            [("backend_id", "=", self.shop.id)], order="id desc", limit=1
        )
        self.assertEqual(waiting.state, "received")
