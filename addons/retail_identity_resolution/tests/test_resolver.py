from odoo.tools import SQL

from .common_identity import OBERKAMPF, RELAY, IdentityCase, relay_extra


class TestIdentityResolver(IdentityCase):
    """Who an incoming customer is: linked, created with a pair to review, or
    new; every decision logged with why."""

    def test_a_guest_who_later_registers_is_the_same_customer(self):
        address = {"street": "12 rue de la Paix", "zip": "75002", "city": "Paris"}
        guest = self.resolve(
            email="marie.dubois@example.fr",
            first_name="Marie",
            last_name="Dubois",
            default_address=dict(address, country_code="FR"),
        )
        self.assertEqual(self.last_decision().decision, "new")

        registered = self.resolve(
            external_id="shop-501",
            email="Marie.Dubois@Example.fr ",
            first_name="Marie",
            last_name="DUBOIS",
            phone="06 12 34 56 78",
            default_address=dict(address, street="12, Rue de la Paix", country_code="FR"),
        )

        self.assertEqual(registered, guest)
        self.assertEqual(self.bound_partner(self.backend, "shop-501"), guest)
        decision = self.last_decision()
        self.assertEqual(decision.decision, "link")
        self.assertEqual(decision.matched_partner_id, guest)
        self.assertEqual(decision.partner_id, guest)
        self.assertEqual(decision.external_id, "shop-501")

    def test_a_pos_customer_with_only_a_phone_is_read_with_the_channel_country(self):
        existing = self.partner("Jean Martin", phone="+33 6 12 34 56 78")
        pos = self.resolve(first_name="jean", last_name="MARTIN", phone="06 12 34 56 78")
        self.assertEqual(pos, existing)
        outcomes = {row["field"]: row["outcome"] for row in self.last_decision().explanation}
        self.assertEqual(outcomes["phone"], "agree")
        self.assertEqual(outcomes["name"], "agree")

    def test_a_pos_customer_without_address_is_found_again_by_another_channel(self):
        self.env.company.country_id = self.env.ref("base.us")
        pos = self.resolve(first_name="Jean", last_name="Martin", phone="06 12 34 56 78")
        self.assertEqual(pos.phone, "+33 6 12 34 56 78", "read with the channel's country")
        self.assertEqual(pos.retail_phone_key, "+33612345678")
        again = self.resolve(
            self.marketplace,
            external_id="mk-3",
            first_name="Jean",
            last_name="Martin",
            phone="+33612345678",
        )
        self.assertEqual(again, pos)

    def test_a_marketplace_buyer_is_merged_when_the_address_arrives(self):
        shop = self.resolve(
            external_id="shop-77",
            email="camille.leroy@example.fr",
            first_name="Camille",
            last_name="Leroy",
            phone="+33 6 98 76 54 32",
            default_address=OBERKAMPF,
        )
        # At acceptance the marketplace sends a name and its relay address.
        buyer = self.resolve(
            self.marketplace,
            external_id="mk-9",
            email=RELAY,
            first_name="Camille",
            last_name="Leroy",
            extra=relay_extra(),
        )
        self.assertNotEqual(buyer, shop, "a name and a relay address are not enough")
        self.assertTrue(buyer.retail_email_relay)
        self.assertEqual(self.last_decision().decision, "new")

        # At SHIPPING it sends the address too: the buyer is the shop's customer.
        shipped = self.resolve(
            self.marketplace,
            external_id="mk-9",
            email=RELAY,
            first_name="Camille",
            last_name="Leroy",
            default_address=dict(OBERKAMPF, phone="06 98 76 54 32"),
            extra=relay_extra(),
        )

        self.assertEqual(shipped, shop)
        self.assertEqual(self.bound_partner(self.marketplace, "mk-9"), shop)
        self.assertFalse(buyer.active, "the buyer's own record is merged, kept for undo")
        self.assertEqual(shop.email, "camille.leroy@example.fr", "a relay never replaces")
        decision = self.last_decision()
        self.assertEqual((decision.stage, decision.decision), ("update", "link"))
        self.assertEqual(decision.partner_id, shop)
        self.assertTrue(decision.merge_id.auto)
        self.assertEqual(decision.merge_id.src_partner_id, buyer)

        # Later orders of the buyer go straight to the shop's customer.
        again = self.resolve(
            self.marketplace,
            external_id="mk-9",
            email=RELAY,
            first_name="Camille",
            last_name="Leroy",
            default_address=OBERKAMPF,
            extra=relay_extra(),
        )
        self.assertEqual(again, shop)
        self.assertEqual(shop.email, "camille.leroy@example.fr")

    def test_a_pos_customer_and_a_web_customer_are_merged_when_one_record_carries_both(self):
        # Each channel knew half of Jean Martin: nothing joined them.
        pos = self.resolve(first_name="Jean", last_name="Martin", phone="06 12 34 56 78")
        web = self.resolve(
            external_id="shop-12",
            email="jean.martin@example.fr",
            first_name="Jean",
            last_name="Martin",
            default_address=OBERKAMPF,
        )
        self.assertNotEqual(web, pos)
        # Then the web shop sends him with his phone too.
        both = self.resolve(
            external_id="shop-13",
            email="jean.martin@example.fr",
            first_name="Jean",
            last_name="Martin",
            phone="+33 6 12 34 56 78",
            default_address=OBERKAMPF,
        )

        self.assertIn(both, pos | web)
        merged = (pos | web) - both
        self.assertFalse(merged.active, "one customer left")
        self.assertTrue(both.active)
        self.assertEqual(self.bound_partner(self.backend, "shop-12"), both, "binding re-pointed")
        self.assertEqual(self.bound_partner(self.backend, "shop-13"), both)
        self.assertEqual(both.retail_phone_key, "+33612345678")
        self.assertEqual(both.retail_email_key, "jean.martin@example.fr")
        decision = self.last_decision()
        self.assertEqual((decision.decision, decision.partner_id), ("link", both))
        merge = decision.merge_id
        self.assertTrue(merge.auto)
        self.assertEqual((merge.dst_partner_id, merge.src_partner_id), (both, merged))
        self.assertIn("who is both", merge.reason)
        rows = [row for row in decision.explanation if row["field"] == "merged"]
        self.assertEqual(len(rows), 1)
        self.assertIn(merge.display_name, rows[0]["detail"])

        merge.action_undo()
        self.assertEqual(merge.state, "undone")
        self.assertTrue(merged.active)
        self.assertEqual(self.bound_partner(self.backend, "shop-12"), web)

    def test_a_customer_fitting_two_namesakes_told_apart_is_linked_to_neither(self):
        first = self.partner(
            "Jean Martin", email="jean.martin@example.fr", phone="+33 6 11 11 11 11"
        )
        second = self.partner("Jean Martin", email="jm@autre.example", phone="+33 6 22 22 22 22")
        # His email is the first one's, his phone the second one's.
        incoming = self.resolve(
            first_name="Jean",
            last_name="Martin",
            email="jean.martin@example.fr",
            phone="06 22 22 22 22",
        )

        self.assertNotIn(incoming, first | second)
        self.assertTrue(first.active and second.active, "nothing merged")
        decision = self.last_decision()
        self.assertEqual(decision.decision, "review")
        self.assertFalse(decision.merge_id)
        self.assertIn("told apart", decision.blocked)
        self.assertIn("told apart", decision.summary)
        self.assertEqual(self.pair(first, incoming).state, "open")
        self.assertEqual(self.pair(second, incoming).state, "open")
        self.assertEqual(
            decision.suggestion_ids, self.pair(first, incoming) | self.pair(second, incoming)
        )
        self.assertFalse(self.env["retail.identity.merge"].search([]))

    def test_a_customer_identifying_one_of_two_namesakes_is_linked_to_that_one(self):
        address = {k: v for k, v in OBERKAMPF.items() if k != "country_code"}
        father = self.partner(
            "Jean Martin", email="jean.martin@example.fr", phone="+33 6 11 11 11 11", **address
        )
        # His son of the same name at the same address: the shop knows his phone.
        son = self.partner("Jean Martin", phone="+33 6 22 22 22 22", **address)
        # A web order with the father's email: him, the son only suggested.
        incoming = self.resolve(
            first_name="Jean",
            last_name="Martin",
            email="jean.martin@example.fr",
            default_address=OBERKAMPF,
        )
        self.assertEqual(incoming, father)
        self.assertTrue(son.active, "not merged")
        decision = self.last_decision()
        self.assertEqual(decision.decision, "link")
        self.assertFalse(decision.merge_id)
        self.assertEqual(self.pair(son, father).state, "open")

    def test_a_rejected_pair_is_not_merged_by_a_record_carrying_both(self):
        pos = self.resolve(first_name="Jean", last_name="Martin", phone="06 12 34 56 78")
        web = self.resolve(first_name="Jean", last_name="Martin", email="jean.martin@example.fr")
        self.Suggestion._propose(pos, web, source="import").action_reject()
        both = self.resolve(
            first_name="Jean",
            last_name="Martin",
            email="jean.martin@example.fr",
            phone="+33 6 12 34 56 78",
        )
        self.assertIn(both, pos | web)
        self.assertTrue(pos.active and web.active)
        self.assertFalse(self.last_decision().merge_id)

    def test_a_shared_relay_email_does_not_link_two_buyers(self):
        first = self.resolve(
            self.marketplace,
            external_id="mk-1",
            email=RELAY,
            first_name="Camille",
            last_name="Leroy",
            extra=relay_extra(),
        )
        second = self.resolve(
            self.marketplace,
            external_id="mk-2",
            email=RELAY,
            first_name="Paul",
            last_name="Durand",
            extra=relay_extra(),
        )
        self.assertNotEqual(first, second)
        decision = self.last_decision()
        self.assertEqual(decision.matched_partner_id, first)
        self.assertTrue(decision.email_is_relay)
        self.assertNotEqual(decision.decision, "link")
        outcomes = {row["field"]: row["outcome"] for row in decision.explanation}
        self.assertEqual(outcomes["email"], "missing", "a relay is no evidence of a mailbox")

    def test_two_people_sharing_a_household_email_stay_two(self):
        address = {"street": "3 rue des Lilas", "zip": "69003", "city": "Lyon"}
        marie = self.partner("Marie Dubois", email="famille.dubois@gmail.com", **address)
        pierre = self.resolve(
            first_name="Pierre",
            last_name="Dubois",
            email="Famille.Dubois@gmail.com",
            default_address=dict(address, country_code="FR"),
        )
        self.assertNotEqual(pierre, marie)
        self.assertEqual(pierre.name, "Pierre Dubois")
        decision = self.last_decision()
        self.assertEqual(decision.matched_partner_id, marie)
        self.assertNotEqual(decision.decision, "link")
        self.assertIn("names differ", decision.blocked)

    def test_a_company_and_its_employee_stay_two(self):
        company = self.partner(
            "Analytical Engines Ltd", is_company=True, email="contact@engines.example"
        )
        employee = self.resolve(
            first_name="Ada", last_name="Lovelace", email="contact@engines.example"
        )
        self.assertNotEqual(employee, company)
        self.assertFalse(employee.is_company)
        decision = self.last_decision()
        self.assertEqual(decision.decision, "new")
        self.assertEqual(decision.matched_partner_id, company)
        self.assertIn("company and a person", decision.blocked)
        self.assertFalse(decision.suggestion_ids)

    def test_conflicting_emails_and_phones_make_a_pair_to_review(self):
        address = {"street": "3 rue des Lilas", "zip": "69003", "city": "Lyon"}
        luc = self.partner(
            "Luc Martin", email="luc@home.example", phone="+33 6 22 22 22 22", **address
        )
        other = self.resolve(
            first_name="Luc",
            last_name="Martin",
            email="luc@work.example",
            phone="06 11 11 11 11",
            default_address=dict(address, country_code="FR"),
        )
        self.assertNotEqual(other, luc)
        decision = self.last_decision()
        self.assertEqual(decision.decision, "review")
        self.assertIn("emails and the phones differ", decision.blocked)
        suggestion = self.pair(luc, other)
        self.assertEqual(suggestion.decision_id, decision)
        self.assertEqual(suggestion.state, "open")
        self.assertEqual((suggestion.partner_a_id, suggestion.partner_b_id), (luc, other))
        self.assertEqual(suggestion.source, "import")

    def test_decisions_are_explained(self):
        existing = self.partner("Jean Martin", phone="+33 6 12 34 56 78")
        self.resolve(first_name="Jean", last_name="Martin", phone="06 12 34 56 78")
        decision = self.last_decision()
        total = sum(row["weight"] for row in decision.explanation)
        self.assertAlmostEqual(decision.score, total, delta=0.1)
        self.assertEqual(decision.auto_threshold, self.backend.identity_auto_threshold)
        self.assertGreaterEqual(decision.probability, decision.auto_threshold)
        self.assertGreater(decision.score, 0)
        fields_ = {row["field"] for row in decision.explanation}
        self.assertLessEqual({"name", "phone", "email", "street"}, fields_)
        self.assertIn(existing.name, decision.summary)
        self.assertIn("auto-link threshold", decision.summary)
        self.assertIn("+33612345678", decision.explanation_html)
        self.assertIn("agree", decision.explanation_html)

        self.resolve(first_name="Nobody", last_name="Known", email="nobody@example.org")
        decision = self.last_decision()
        self.assertEqual((decision.decision, decision.candidate_count), ("new", 0))
        self.assertIn("No existing customer", decision.summary)

    def test_a_thresholds_change_on_the_backend_changes_the_decision(self):
        existing = self.partner("Jean Martin", phone="+33 6 12 34 56 78")
        self.backend.identity_auto_threshold = 1.0
        pos = self.resolve(first_name="Jean", last_name="Martin", phone="06 12 34 56 78")
        self.assertNotEqual(pos, existing)
        self.assertEqual(self.last_decision().decision, "review")
        self.assertEqual(self.pair(existing, pos).state, "open")

    def test_an_update_without_new_identifiers_is_not_matched_again(self):
        self.resolve(
            external_id="shop-1", first_name="Ada", last_name="Byron", email="ada@x.example"
        )
        count = self.Decision.search_count([])
        self.resolve(
            external_id="shop-1", first_name="Ada", last_name="Byron", email="ADA@x.example"
        )
        self.assertEqual(self.Decision.search_count([]), count)

    def test_candidates_are_searched_through_the_key_indexes(self):
        Partner = self.env["res.partner"]
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        for column, index in (
            ("retail_email_key", "res_partner_retail_email_key_idx"),
            ("retail_phone_key", "res_partner_retail_phone_key_idx"),
            ("retail_zip_phonetic_key", "res_partner_retail_zip_phonetic_key_idx"),
            ("retail_zip_house_key", "res_partner_retail_zip_house_key_idx"),
            ("retail_phonetic_city_key", "res_partner_retail_phonetic_city_key_idx"),
        ):
            query = Partner._search(
                [(column, "=", "x"), ("parent_id", "=", False)], order="id desc", limit=20
            )
            self.env.cr.execute(SQL("EXPLAIN %s", query.select()))
            plan = "\n".join(row[0] for row in self.env.cr.fetchall())
            self.assertIn(index, plan)
