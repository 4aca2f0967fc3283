from odoo.addons.retail_connector_base.tests.common import BILLING, RetailCase, canonical_order


class TestIdentityLookup(RetailCase):
    """Customers typed another way by another channel are the same partner;
    different people sharing a phone are not."""

    def import_order(self, external_id, customer):
        order = canonical_order(external_id, customer=customer)
        event = self.store_event({"type": "order.created", "data": order})
        self.run_event_job(event)
        self.assertEqual(event.state, "done", event.error)
        return self.env["sale.order"].search([("retail_external_id", "=", external_id)])

    def test_keys_are_stored_on_partners(self):
        partner = self.env["res.partner"].create(
            {
                "name": "Dr. Ada LOVELACE",
                "email": "Ada.Love.Lace+news@GMail.com",
                "phone": "020 7946 0001",
                "country_id": self.env.ref("base.uk").id,
            }
        )
        self.assertEqual(partner.retail_email_key, "adalovelace@gmail.com")
        self.assertEqual(partner.retail_phone_key, "+442079460001")
        self.assertEqual(partner.retail_name_key, "ada lovelace")

    def test_the_same_gmail_mailbox_is_the_same_customer(self):
        existing = self.env["res.partner"].create(
            {"name": "Ada Lovelace", "email": "adalovelace@gmail.com"}
        )
        order = self.import_order(
            "2001",
            {
                "external_id": "pos-77",
                "email": "Ada.Love.Lace+shop@gmail.com",
                "first_name": "Ada",
                "last_name": "Lovelace",
            },
        )
        self.assertEqual(order.partner_id, existing)

    def test_a_pos_customer_with_only_a_phone_is_found_with_the_same_name(self):
        existing = self.env["res.partner"].create(
            {
                "name": "Grace Hopper",
                "phone": "+1 415 555 0132",
                "country_id": self.env.ref("base.us").id,
            }
        )
        customer = {
            "first_name": "grace",
            "last_name": "HOPPER",
            "phone": "(415) 555-0132",
            "default_address": dict(BILLING, country_code="US"),
        }
        order = self.import_order("2002", customer)
        self.assertEqual(order.partner_id, existing)

    def test_a_shared_phone_alone_does_not_link_two_people(self):
        household = self.env["res.partner"].create(
            {"name": "Grace Hopper", "phone": "+1 415 555 0132"}
        )
        customer = {
            "first_name": "Walter",
            "last_name": "Hopper",
            "phone": "+1 415 555 0132",
        }
        order = self.import_order("2003", customer)
        self.assertNotEqual(order.partner_id, household)
        self.assertEqual(order.partner_id.name, "Walter Hopper")

    def test_a_second_email_does_not_hide_the_same_name_and_phone(self):
        # One person, two mailboxes (home and work): the phone and name say who.
        existing = self.env["res.partner"].create(
            {"name": "Grace Hopper", "phone": "+1 415 555 0132", "email": "grace@navy.example"}
        )
        customer = {
            "first_name": "Grace",
            "last_name": "Hopper",
            "phone": "+1 415 555 0132",
            "email": "g.hopper@other.example",
        }
        order = self.import_order("2004", customer)
        self.assertEqual(order.partner_id, existing)
        decision = self.env["retail.identity.decision"].search([], order="id desc", limit=1)
        self.assertEqual(decision.event_id.topic, "order.created", "the order's event")

    def test_conflicting_emails_and_phones_block_the_link(self):
        existing = self.env["res.partner"].create(
            {"name": "Grace Hopper", "phone": "+1 415 555 0132", "email": "grace@navy.example"}
        )
        customer = {
            "first_name": "Grace",
            "last_name": "Hopper",
            "phone": "+1 415 555 0199",
            "email": "g.hopper@other.example",
        }
        order = self.import_order("2006", customer)
        self.assertNotEqual(order.partner_id, existing)

    def test_a_company_is_not_matched_to_a_person(self):
        company = self.env["res.partner"].create(
            {"name": "Analytical Engines Ltd", "is_company": True, "email": "ada@engines.example"}
        )
        order = self.import_order(
            "2005", {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@engines.example"}
        )
        self.assertNotEqual(order.partner_id, company)
