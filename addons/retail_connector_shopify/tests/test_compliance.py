"""Shopify's customers/redact webhook, delivered signed over HTTP and
processed by its job: who is redacted, what is kept, what needs review."""

from odoo.tests import tagged

from .compliance_common import ComplianceCase
from .test_shopify_import import EU_SHOP, sample


@tagged("post_install", "-at_install")
class TestCompliance(ComplianceCase):
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
