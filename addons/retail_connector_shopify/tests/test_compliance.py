"""Shopify's compliance webhooks (customers/data_request, customers/redact,
shop/redact), delivered signed over HTTP and processed by their job."""

import copy
import json
import unittest

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.retail_connector_base.exceptions import PermanentError
from odoo.addons.retail_connector_base.tests.common import RetailCase

from ..compliance import (
    CUSTOMER_REDACT,
    DATA_REQUEST,
    SHOP_REDACT,
    ComplianceRequest,
    gid_number,
)
from .test_shopify_import import EU_SHOP, sample
from .test_shopify_webhook import SECRET, shopify_headers

LUKAS_GID = "gid://shopify/Customer/7234567890123"
MAYA_GID = "gid://shopify/Customer/7123456789012"
LUKAS_ORDER_GID = "gid://shopify/Order/6634258930584"


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


@tagged("post_install", "-at_install")
class TestCompliance(RetailCase, HttpCase):
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

    # customers/redact

    def test_redact_invoiced_customer_keeps_invoice_identity_and_stays_active(self):
        order_event, order = self.import_lukas_order()
        invoice = self.invoice(order)
        partner = order.partner_id
        amount_total = order.amount_total
        event = self.process("customers/redact", sample("customers_redact"))
        request = self.request_of(event)
        self.assertEqual(request.state, "done", request.log)
        self.assertEqual(request.partner_ids, partner)
        self.assertEqual(request.sudo().order_ids, order)
        self.assertTrue(partner.active, "posted invoices must be retained with their customer")
        self.assertFalse(partner.email)
        self.assertFalse(partner.phone)
        # What the posted invoice prints stays (Odoo prints from the live partner).
        self.assertEqual(partner.name, "Lukas Becker")
        self.assertEqual(invoice.invoice_partner_display_name, "Lukas Becker")
        self.assertIn("kept active: 1 posted accounting entries must be retained", request.log)
        self.assertIn(invoice.name, request.log)
        self.assertIn("Kept on the 1 contact(s) these entries show: name, address", request.log)
        self.assertIn(f"Customer note erased on 1 order(s): {order.name}.", request.log)
        self.assertIn("Orders not in Odoo: gid://shopify/Order/6634258930999.", request.log)
        self.assertNotIn("lukas", request.log.lower(), "the log holds no personal data")
        self.assertFalse(order.note)
        self.assertEqual(order.amount_total, amount_total)
        self.assertFalse(request.customer_email, "not kept once the redaction is done")
        self.assertTrue(order_event.body_purged, "the raw order payload named the customer")
        self.assertFalse(event.body_purged, "the request's own event is left to the retention")

    def test_redact_invoiced_customer_fully_when_the_backend_says_so(self):
        self.shop.shopify_redact_invoiced = "anonymize"
        _order_event, order = self.import_lukas_order()
        self.invoice(order)
        partner = order.partner_id
        event = self.process("customers/redact", sample("customers_redact"))
        request = self.request_of(event)
        self.assertEqual(request.state, "done", request.log)
        self.assertTrue(partner.active)
        self.assertEqual(partner.name, f"Redacted customer {partner.id}")
        self.assertFalse(partner.street or partner.city or partner.zip or partner.email)
        self.assertEqual(partner.country_id.code, "DE", "the country is not personal")
        self.assertIn("kept active: 1 posted accounting entries must be retained", request.log)
        self.assertNotIn("Kept on the", request.log)

    def test_redact_customer_without_invoices_is_archived(self):
        partner = self.import_maya()
        self.assertEqual(partner.city, "Vancouver")
        event = self.process("customers/redact", self.maya_redact())
        request = self.request_of(event)
        self.assertEqual(request.state, "done", request.log)
        self.assertFalse(partner.active)
        self.assertEqual(partner.name, f"Redacted customer {partner.id}")
        self.assertFalse(partner.email or partner.phone or partner.street or partner.city)
        self.assertFalse(partner.zip or partner.street2 or partner.state_id)
        self.assertIn(f"Partner #{partner.id}: personal data erased (", request.log)
        self.assertIn("archived: no posted accounting entries", request.log)
        self.assertFalse(
            self.env["res.partner"].search([("email_normalized", "=", "maya.chen@example.com")])
        )

    def test_redact_archives_an_ordering_customer_and_its_addresses(self):
        _order_event, order = self.import_lukas_order(office=True)
        partner = order.partner_id
        shipping = order.partner_shipping_id
        self.assertEqual((shipping.parent_id, shipping.street), (partner, "Friedrichstraße 68"))
        family = (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search([("id", "child_of", partner.id)])
        )
        event = self.process("customers/redact", sample("customers_redact"))
        request = self.request_of(event)
        self.assertEqual(request.state, "done", request.log)
        self.assertFalse(any(family.mapped("active")))
        self.assertFalse(any(family.mapped("street")))
        self.assertFalse(any(family.mapped("email")))
        self.assertFalse(shipping.active)
        self.assertFalse(shipping.phone or shipping.zip or shipping.street2)
        self.assertEqual(partner.name, f"Redacted customer {partner.id}")
        self.assertIn("on the contact and its 1 address(es); archived", request.log)
        self.assertEqual(order.partner_shipping_id, shipping, "the order keeps its addresses")

    def test_customer_bound_to_another_channel_is_kept_for_review(self):
        partner = self.import_maya()
        # The generic channel (RetailCase's backend) knows the same person.
        self.env["retail.binding"]._bind(self.backend, partner, "pos-customer-42")
        event = self.process("customers/redact", self.maya_redact())
        request = self.request_of(event)
        self.assertEqual(request.state, "review")
        self.assertIn(
            f"Partner #{partner.id}: kept: bound to other channels (POS (generic)).", request.log
        )
        self.assertIn("Raw body erased on 1 earlier event(s)", request.log, "Shopify's copy goes")
        self.assertTrue(partner.active)
        self.assertEqual(partner.email, "maya.chen@example.com")
        self.assertEqual(request.customer_email, "maya.chen@example.com", "kept for the review")
        request.action_mark_reviewed()
        self.assertEqual(request.state, "done")
        self.assertIn("Reviewed by", request.log)

    def test_internal_user_is_kept_for_review(self):
        partner = self.import_maya()
        self.env["res.users"].create(
            {"login": "maya-staff", "partner_id": partner.id, "name": partner.name}
        )
        event = self.process("customers/redact", self.maya_redact())
        request = self.request_of(event)
        self.assertEqual(request.state, "review")
        self.assertIn("kept: internal user", request.log)
        self.assertEqual(partner.email, "maya.chen@example.com")

    def test_guest_customer_is_found_by_email_and_older_contacts_are_spared(self):
        # A contact Odoo had long before, and a guest of this shop with the same email.
        older = self.env["res.partner"].create(
            {"name": "Jordan A.", "email": "jordan.alvarez@example.net"}
        )
        self.process("orders/create", sample("order_guest_no_customer"))
        order = self.env["sale.order"].search(
            [("retail_external_id", "=", "gid://shopify/Order/6745369041695")]
        )
        guest = order.partner_id.commercial_partner_id
        self.assertEqual(guest, older, "the importer matched the known contact by email")
        # The contact existed before this shop's order linked it.
        self.env.cr.execute(
            "UPDATE res_partner SET create_date = create_date - interval '1 day' WHERE id = %s",
            [older.id],
        )
        older.invalidate_recordset(["create_date"])
        payload = {
            "shop_id": 68451221573,
            "shop_domain": EU_SHOP,
            "customer": {"id": 7999999999999, "email": "Jordan.Alvarez@example.net", "phone": None},
            "orders_to_redact": [6745369041695],
        }
        event = self.process("customers/redact", payload)
        request = self.request_of(event)
        self.assertEqual(request.partner_ids, older)
        self.assertEqual(request.state, "review")
        self.assertIn("kept: existed in Odoo before this channel linked it", request.log)
        self.assertEqual(older.email, "jordan.alvarez@example.net")

    def test_unknown_customer_is_nothing_to_do(self):
        payload = sample("customers_redact")
        payload["customer"] = {"id": 7000000000001, "email": "nobody@example.org", "phone": None}
        payload["orders_to_redact"] = []
        event = self.process("customers/redact", payload)
        request = self.request_of(event)
        self.assertEqual(request.state, "nothing")
        self.assertFalse(request.partner_ids)

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
