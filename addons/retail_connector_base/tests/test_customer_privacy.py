"""A customer's personal data redacted or exported by the base, for any
channel: ``retail.customer.privacy``, ``retail.customer.exporter`` and their
plain helpers (``privacy.py``). Shopify's compliance tests drive the same
services through its webhooks."""

import json
import unittest

from odoo import Command
from odoo.tests import new_test_user, tagged

from ..privacy import ANONYMIZE, PrivacyLog, redaction_values
from .common import GENERIC_SECRET, RetailCase, generic_order_payload


class FakeContact(dict):
    """What ``redaction_values`` reads of a contact."""

    def __init__(self, record_id, contact_type="contact", **values):
        super().__init__(values)
        self.id = record_id
        self.type = contact_type
        self.name = values.get("name")
        self._fields = {**dict.fromkeys(values), "name": None}


class TestPrivacyHelpers(unittest.TestCase):
    def test_log_ends_in_review_over_nothing_over_done(self):
        log = PrivacyLog()
        self.assertEqual(log.state, "done")
        log.nothing("nobody")
        self.assertEqual(log.state, "nothing")
        log.review("kept")
        log.nothing("nobody either")
        self.assertEqual(log.state, "review")
        self.assertEqual(log.text(), "nobody\nkept\nnobody either")

    def test_redaction_values_erase_personal_fields_and_name(self):
        root = FakeContact(7, name="Ada", email="ada@example.com", street="1 Lane", vat="GB1")
        self.assertEqual(
            redaction_values(root, root, keep=False),
            {"email": False, "street": False, "vat": False, "name": "Redacted customer 7"},
        )

    def test_redaction_values_keep_what_invoices_print(self):
        root = FakeContact(7, name="Ada", email="ada@example.com", street="1 Lane", vat="GB1")
        self.assertEqual(redaction_values(root, root, keep=True), {"email": False})

    def test_redacted_address_becomes_nameless_and_missing_fields_are_skipped(self):
        root = FakeContact(7, name="Ada")
        address = FakeContact(
            8, "delivery", name="Ada at work", city="Cambridge", comment="<p></p>"
        )
        self.assertEqual(
            redaction_values(address, root, keep=False), {"city": False, "name": False}
        )
        self.assertEqual(redaction_values(root, root, keep=False), {"name": "Redacted customer 7"})
        redacted = FakeContact(7, name="Redacted customer 7")
        self.assertEqual(redaction_values(redacted, redacted, keep=False), {})


@tagged("post_install", "-at_install")
class TestCustomerPrivacy(RetailCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Privacy = cls.env["retail.customer.privacy"]
        cls.other_channel = cls.env["retail.backend"].create(
            {
                "name": "Web shop (generic)",
                "code": "generic",
                "webhook_secret": GENERIC_SECRET,
                "state": "active",
            }
        )
        Partner = cls.env["res.partner"]
        cls.ada = Partner.create(
            {
                "name": "Ada Lovelace",
                "email": "ada.lovelace@example.com",
                "phone": "+44 20 7946 0001",
                "street": "12 St James's Square",
                "city": "London",
                "zip": "SW1Y 4JH",
                "country_id": cls.env.ref("base.uk").id,
                "comment": "<p>Prefers mornings</p>",
            }
        )
        cls.ada_office = Partner.create(
            {
                "name": "Ada at the office",
                "type": "delivery",
                "parent_id": cls.ada.id,
                "street": "1 Babbage Lane",
                "city": "Cambridge",
            }
        )
        cls.env["retail.binding"]._bind(cls.backend, cls.ada, "cust-ada")

    def setUp(self):
        super().setUp()
        self.log = PrivacyLog()

    def order(self, partner, external_id, backend=None, note="Leave at the door."):
        return self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "partner_invoice_id": partner.id,
                "partner_shipping_id": partner.id,
                "retail_backend_id": (backend or self.backend).id,
                "retail_external_id": external_id,
                "client_order_ref": f"#{external_id}",
                "note": note,
                "order_line": [
                    Command.create(
                        {"product_id": self.tshirt.id, "product_uom_qty": 2, "price_unit": 25}
                    )
                ],
            }
        )

    def invoice(self, order):
        order.action_confirm()
        invoice = order._create_invoices()
        invoice.action_post()
        return invoice

    def redact(self, partner=None, policy="keep_invoice_identity", allowed=None):
        def own_binding(binding):
            return binding.backend_id == self.backend and binding.external_id == "cust-ada"

        self.Privacy._redact_partner(
            self.backend, partner or self.ada, allowed or own_binding, self.log, policy
        )

    # Finding the customer

    def test_customer_is_the_bound_partner(self):
        order = self.order(self.ada, "1001")
        partners, listed = self.Privacy._find_customer(
            self.backend, "cust-ada", "someone.else@example.com", ["1001", "1002"]
        )
        self.assertEqual((partners, listed), (self.ada, order))
        self.assertEqual(self.Privacy._backend_orders(self.backend, partners), order)

    def test_unbound_customer_is_found_by_email_among_the_backend_customers(self):
        guest = self.env["res.partner"].create(
            {"name": "Grace Hopper", "email": "grace@example.com"}
        )
        stranger = self.env["res.partner"].create(
            {"name": "Grace H.", "email": "Grace@Example.com"}
        )
        order = self.order(guest, "2001")
        self.order(stranger, "3001", backend=self.other_channel)
        partners, listed = self.Privacy._find_customer(
            self.backend, "cust-grace", " GRACE@example.com ", []
        )
        self.assertEqual(partners, guest, "not the other channel's customer")
        self.assertFalse(listed)
        self.assertEqual(self.Privacy._backend_orders(self.backend, partners), order)

    def test_backend_customers_are_bound_or_guests_of_its_orders(self):
        guest = self.env["res.partner"].create({"name": "Guest"})
        orders = self.order(guest, "2001") | self.order(self.ada_office, "2002")
        self.order(self.env["res.partner"].create({"name": "Elsewhere"}), "9", self.other_channel)
        partners, backend_orders = self.Privacy._backend_customers(self.backend)
        self.assertEqual(partners, (self.ada | guest).sorted("id"))
        self.assertEqual(backend_orders, orders)

    # Redaction

    def test_redact_customer_without_entries_archives_it_and_its_addresses(self):
        self.redact()
        self.assertEqual(self.log.state, "done", self.log.text())
        self.assertFalse(self.ada.active or self.ada_office.active)
        self.assertEqual(self.ada.name, f"Redacted customer {self.ada.id}")
        self.assertFalse(self.ada_office.name, "an address may be nameless")
        self.assertFalse(self.ada.email or self.ada.phone or self.ada.street or self.ada.city)
        self.assertFalse(self.ada_office.street or self.ada_office.city)
        self.assertEqual(self.ada.country_id.code, "GB", "the country is not personal")
        self.assertIn(
            f"Partner #{self.ada.id}: personal data erased (city, comment, email, name, phone, "
            "street, zip) on the contact and its 1 address(es); archived: no posted accounting "
            "entries.",
            self.log.text(),
        )
        self.assertNotIn("ada", self.log.text().lower(), "the log holds no personal data")
        self.redact()
        self.assertIn(f"Partner #{self.ada.id}: already redacted, nothing changed.", self.log.lines)

    def test_invoiced_customer_stays_active_and_keeps_what_its_invoices_print(self):
        invoice = self.invoice(self.order(self.ada, "1001"))
        self.redact()
        self.assertEqual(self.log.state, "done", self.log.text())
        self.assertTrue(self.ada.active, "posted entries are retained with their customer")
        self.assertEqual((self.ada.name, self.ada.street), ("Ada Lovelace", "12 St James's Square"))
        self.assertFalse(self.ada.email or self.ada.phone)
        self.assertFalse(self.ada_office.street, "an address the invoice does not show")
        self.assertIn(
            f"kept active: 1 posted accounting entries must be retained ({invoice.name}). "
            "Kept on the 1 contact(s) these entries show: name, address, tax ID.",
            self.log.text(),
        )

    def test_invoiced_customer_is_anonymized_when_the_policy_says_so(self):
        self.invoice(self.order(self.ada, "1001"))
        self.redact(policy=ANONYMIZE)
        self.assertTrue(self.ada.active)
        self.assertEqual(self.ada.name, f"Redacted customer {self.ada.id}")
        self.assertFalse(self.ada.street or self.ada.city)
        self.assertIn("kept active: 1 posted accounting entries", self.log.text())
        self.assertNotIn("Kept on the", self.log.text())

    def test_customer_of_another_channel_is_kept_for_review(self):
        self.env["retail.binding"]._bind(self.other_channel, self.ada_office, "web-ada")
        self.redact()
        self.assertEqual(self.log.state, "review")
        self.assertEqual(
            self.log.lines,
            [f"Partner #{self.ada.id}: kept: bound to other channels (Web shop (generic))."],
        )
        self.assertEqual(self.ada.email, "ada.lovelace@example.com")

    def test_other_customers_binding_users_and_older_contacts_are_kept_for_review(self):
        self.redact(allowed=lambda binding: False)
        self.assertIn("kept: also bound to another customer of this shop", self.log.text())
        portal = new_test_user(self.env, "ada-portal", "base.group_portal")
        self.redact(portal.partner_id)
        self.assertIn("kept: has a portal account", self.log.lines[-1])
        company = self.env["res.partner"].create({"name": "Engines Ltd", "is_company": True})
        self.redact(company)
        self.assertIn("kept: a company", self.log.lines[-1])
        older = self.env["res.partner"].create({"name": "Charles", "email": "c@example.com"})
        self.order(older, "4001")
        self.env.cr.execute(
            "UPDATE res_partner SET create_date = create_date - interval '1 day' WHERE id = %s",
            [older.id],
        )
        older.invalidate_recordset(["create_date"])
        self.redact(older, allowed=lambda binding: True)
        self.assertIn("kept: existed in Odoo before this channel linked it", self.log.lines[-1])
        self.assertEqual(self.log.state, "review")
        self.assertEqual(self.ada.email, "ada.lovelace@example.com")
        self.assertEqual(older.email, "c@example.com")

    def test_customer_with_orders_from_another_channel_is_kept_for_review(self):
        self.order(self.ada, "5001", backend=self.other_channel)
        self.redact()
        self.assertEqual(
            self.log.lines, [f"Partner #{self.ada.id}: kept: has orders from other channels."]
        )

    def test_redact_orders_erases_the_customer_note_only(self):
        order = self.order(self.ada, "1001")
        empty = self.order(self.ada, "1002", note=False)
        total = order.amount_total
        self.Privacy._redact(self.backend, self.env["res.partner"], order | empty, None, self.log)
        self.assertFalse(order.note)
        self.assertEqual(order.amount_total, total)
        self.assertEqual(self.log.lines, [f"Customer note erased on 1 order(s): {order.name}."])
        self.Privacy._redact_orders(order, self.log)
        self.assertEqual(self.log.lines[-1], "No customer note to erase on 1 order(s).")

    # Raw bodies

    def test_purge_erases_the_bodies_naming_the_customer_on_this_backend_only(self):
        naming = self.store_event(generic_order_payload("1001"))
        by_email = self.store_event(
            {"type": "customer.updated", "data": {"email": "ADA.LOVELACE@example.com"}}
        )
        other = self.store_event({"type": "customer.updated", "data": {"email": "x@example.com"}})
        request_event = self.store_event(generic_order_payload("1001"))
        elsewhere = self.store_event(generic_order_payload("1001"), backend=self.other_channel)
        count = self.Privacy._purge_event_bodies(
            self.backend, ['"cust-ada"'], "Ada.Lovelace@example.com", self.log, request_event
        )
        self.assertEqual(count, 2)
        self.assertTrue(naming.body_purged and by_email.body_purged)
        self.assertFalse(naming.body)
        self.assertFalse(other.body_purged or request_event.body_purged or elsewhere.body_purged)
        self.assertEqual(self.log.lines, ["Raw body erased on 2 earlier event(s) of this shop."])
        self.assertEqual(self.Privacy._purge_event_bodies(self.backend, [], None, self.log), 0)
        self.assertEqual(self.Privacy._purge_event_bodies(self.backend, None, None, self.log), 2)
        self.assertTrue(other.body_purged and request_event.body_purged)
        self.assertFalse(elsewhere.body_purged, "another backend's events are not touched")

    # Export

    def test_export_holds_contacts_bindings_invoices_and_orders(self):
        order = self.order(self.ada, "1001")
        invoice = self.invoice(order)
        exporter = self.env["retail.customer.exporter"]
        data = exporter._export_data(self.ada, order)
        (customer,) = data["customers"]
        self.assertEqual(customer["id"], self.ada.id)
        self.assertEqual(customer["email"], "ada.lovelace@example.com")
        self.assertEqual((customer["city"], customer["country"]), ("London", "GB"))
        self.assertEqual(customer["notes"], "Prefers mornings")
        self.assertEqual([a["street"] for a in customer["addresses"]], ["1 Babbage Lane"])
        self.assertEqual(
            customer["channel_bindings"],
            [
                {
                    "channel": "POS (generic)",
                    "channel_type": "generic",
                    "external_id": "cust-ada",
                    "updated_at": None,
                }
            ],
        )
        self.assertEqual(
            [(i["number"], i["type"]) for i in customer["invoices"]],
            [(invoice.name, "out_invoice")],
        )
        (exported,) = data["orders"]
        self.assertEqual(
            (exported["channel"], exported["channel_order_id"], exported["reference"]),
            ("POS (generic)", "1001", "#1001"),
        )
        self.assertEqual(exported["amount_untaxed"], 50.0)
        self.assertEqual(exported["note"], "Leave at the door.")
        self.assertEqual(
            [(line["sku"], line["quantity"]) for line in exported["lines"]], [("TSHIRT-M", 2.0)]
        )
        attachment = exporter._create_export(self.backend, "ada.json", data)
        self.assertEqual(
            (attachment.res_model, attachment.res_id, attachment.mimetype),
            ("retail.backend", self.backend.id, "application/json"),
        )
        self.assertEqual(json.loads(attachment.raw), data)
