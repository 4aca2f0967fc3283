from odoo.tests import new_test_user

from ..identity_keys import MAX_CANDIDATES, identity_keys
from ..matching import record_from_values
from .common_identity import OBERKAMPF, IdentityCase

JEAN_PHONE = "06 12 34 56 78"
JEAN_E164 = "+33612345678"
NO_HOUSE = dict(OBERKAMPF, street="rue Oberkampf")


class TestIdentityKeys(IdentityCase):
    """Every email, phone and address a customer was seen with is kept as an
    identity key, searched and matched; links on weak evidence do not
    cascade."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Key = cls.env["retail.identity.key"]

    def keys(self, partner, kind=None, provisional=None):
        domain = [("partner_id", "=", partner.id)]
        if kind:
            domain.append(("kind", "=", kind))
        if provisional is not None:
            domain.append(("provisional", "=", provisional))
        return self.Key.search(domain)

    def values(self, partner, kind, provisional=None):
        return set(self.keys(partner, kind, provisional).mapped("value"))

    def test_a_contact_holds_its_own_values_as_keys(self):
        partner = self.partner("Jean Martin", email="Jean.Martin@example.fr", phone=JEAN_PHONE)
        self.assertEqual(self.values(partner, "email"), {"jean.martin@example.fr"})
        self.assertEqual(self.values(partner, "phone"), {JEAN_E164})
        partner.write(dict(OBERKAMPF, country_id=self.france.id))
        self.assertTrue(self.values(partner, "street_house"))
        self.assertTrue(self.values(partner, "zip_name"))
        self.assertFalse(self.keys(partner, provisional=True))
        delivery = self.env["res.partner"].create(
            {"name": "Jean Martin", "parent_id": partner.id, "type": "delivery", "zip": "75011"}
        )
        self.assertFalse(self.keys(delivery), "an address of a customer is never a candidate")

    def test_pos_and_web_records_meet_once_a_record_links_them(self):
        # The till knows a name and a phone.
        pos = self.resolve(
            self.marketplace, external_id="pos-1", first_name="Jean", last_name="Martin",
            phone=JEAN_PHONE,
        )  # fmt: skip
        # The web shop sends him with his phone and an email the till never saw:
        # the phone links them, the email becomes one of his identities.
        linked = self.resolve(
            external_id="web-1",
            first_name="Jean",
            last_name="Martin",
            phone="+33 6 12 34 56 78",
            email="jean.martin@example.fr",
        )
        self.assertEqual(linked, pos)
        self.assertIn("jean.martin@example.fr", self.values(pos, "email", provisional=False))
        # Another channel's customer with the email and an address but no phone
        # finds him by the email alone.
        web = self.resolve(
            self.marketplace,
            external_id="mk-7",
            first_name="Jean",
            last_name="Martin",
            email="Jean.Martin@example.fr",
            default_address=OBERKAMPF,
        )
        self.assertEqual(web, pos)
        self.assertEqual(self.last_decision().decision, "link")
        self.assertEqual(pos.retail_phone_key, JEAN_E164, "the form keeps its phone")
        self.assertTrue(self.values(pos, "street_house"), "the address is one of his keys")

    def test_keys_never_overwrite_the_form(self):
        self.backend.partner_sync_contact = False
        existing = self.partner("Jean Martin", email="jean@example.fr", phone=JEAN_PHONE)
        linked = self.resolve(
            external_id="web-2",
            first_name="Jean",
            last_name="Martin",
            phone=JEAN_PHONE,
            email="jean.martin.work@example.fr",
        )
        self.assertEqual(linked, existing)
        self.assertEqual(existing.email, "jean@example.fr", "the form shows what it showed")
        self.assertEqual(
            self.values(existing, "email"), {"jean@example.fr", "jean.martin.work@example.fr"}
        )
        # The second email finds and matches him: an email agreeing.
        again = self.resolve(
            self.marketplace,
            external_id="mk-2",
            first_name="Jean",
            last_name="Martin",
            email="jean.martin.work@example.fr",
        )
        self.assertEqual(again, existing)
        outcomes = {row["field"]: row["outcome"] for row in self.last_decision().explanation}
        self.assertEqual(outcomes["email"], "agree")

    def test_a_weak_link_does_not_cascade_until_a_person_confirms_it(self):
        existing = self.partner(
            "Camille Durand",
            email="camille.durand@example.fr",
            street=OBERKAMPF["street"],
            zip=OBERKAMPF["zip"],
            city=OBERKAMPF["city"],
        )
        # Same name, same street and town without the house number, a phone
        # never seen: linked on weak evidence.
        weak = self.resolve(
            first_name="Camille",
            last_name="Durand",
            phone="07 11 22 33 44",
            default_address=NO_HOUSE,
        )
        self.assertEqual(weak, existing)
        decision = self.last_decision()
        self.assertEqual(decision.decision, "link")
        self.assertFalse(existing.phone, "a weak link changes nothing customers are found by")
        self.assertEqual(self.values(existing, "phone", provisional=True), {"+33711223344"})
        self.assertEqual(decision.provisional_key_count, len(decision.key_ids))

        # A till customer with that phone only is not pulled in by it.
        till = self.resolve(
            self.marketplace, external_id="pos-9", first_name="Camille", last_name="Durand",
            phone="+33 7 11 22 33 44",
        )  # fmt: skip
        self.assertNotEqual(till, existing)
        self.assertEqual(self.last_decision().candidate_count, 0)

        # A person confirms the link: the phone now finds her.
        reviewer = new_test_user(
            self.env, login="reviewer", groups="retail_connector_base.group_retail_connect_user"
        )
        decision.with_user(reviewer).action_confirm_link()
        self.assertFalse(self.keys(existing, provisional=True))
        self.assertEqual(decision.provisional_key_count, 0)
        again = self.resolve(
            self.marketplace, external_id="pos-10", first_name="Camille", last_name="Durand",
            phone="07 11 22 33 44",
        )  # fmt: skip
        self.assertIn(again, existing | till, "the phone finds her now")
        self.assertEqual(len((existing | till).filtered("active")), 1, "and joins the two")

    def test_stronger_evidence_confirms_a_provisional_key(self):
        existing = self.partner(
            "Camille Durand",
            email="camille.durand@example.fr",
            street=OBERKAMPF["street"],
            zip=OBERKAMPF["zip"],
            city=OBERKAMPF["city"],
        )
        self.resolve(
            first_name="Camille", last_name="Durand", phone="07 11 22 33 44",
            default_address=NO_HOUSE,
        )  # fmt: skip
        self.assertEqual(self.values(existing, "phone", provisional=True), {"+33711223344"})
        # Her email agrees: strong evidence, carrying the same phone.
        strong = self.resolve(
            first_name="Camille",
            last_name="Durand",
            email="camille.durand@example.fr",
            phone="07 11 22 33 44",
        )
        self.assertEqual(strong, existing)
        self.assertEqual(self.values(existing, "phone", provisional=False), {"+33711223344"})

    def test_a_merge_gives_the_kept_customer_the_keys_and_undo_takes_them_back(self):
        kept = self.partner("Jean Martin", email="jean@example.fr")
        merged = self.partner("Jean Martin", phone=JEAN_PHONE)
        merge = self.env["retail.identity.merge"]._merge_partners(kept, merged)
        self.assertIn(JEAN_E164, self.values(kept, "phone"))
        self.assertEqual(self.keys(kept, "phone").merge_id, merge)
        # The phone finds the kept customer, not the archived one.
        record = record_from_values(name="Jean Martin", phone=JEAN_PHONE, default_country="FR")
        self.assertEqual(self.env["res.partner"]._retail_identity_candidates(record), kept)
        merge.action_undo()
        self.assertNotIn(JEAN_E164, self.values(kept, "phone"))
        self.assertEqual(self.values(merged, "phone"), {JEAN_E164})
        self.assertEqual(self.env["res.partner"]._retail_identity_candidates(record), merged)

    def test_the_backfill_keeps_the_values_of_existing_contacts(self):
        partner = self.partner("Jean Martin", email="jean@example.fr", phone=JEAN_PHONE)
        self.keys(partner).unlink()
        self.env["res.partner"]._retail_backfill_identity_keys(batch=50)
        self.assertEqual(self.values(partner, "email"), {"jean@example.fr"})
        self.assertEqual(self.values(partner, "phone"), {JEAN_E164})
        record = partner._retail_identity_record(known=False)
        self.assertEqual(
            {(key.kind, key.value) for key in self.keys(partner)}, set(identity_keys(record))
        )

    def test_the_candidate_search_is_bounded(self):
        # 30 namesakes in one street of one town: a common name.
        self.env["res.partner"].create(
            [
                {
                    "name": "Jean Martin",
                    "street": f"{number} rue Oberkampf",
                    "zip": "75011",
                    "city": "Paris",
                    "country_id": self.france.id,
                }
                for number in range(1, 31)
            ]
        )
        record = record_from_values(
            name="Jean Martin", street="8 rue Oberkampf", zip="75011", city="Paris",
            country_code="FR",
        )  # fmt: skip
        candidates = self.env["res.partner"]._retail_identity_candidates(record)
        self.assertEqual(len(candidates), MAX_CANDIDATES)
        house = self.env["res.partner"].search([("street", "=", "8 rue Oberkampf")])
        self.assertIn(house, candidates, "the one sharing the most keys comes first")
        # City and one name word alone weigh too little to make a candidate.
        lone = record_from_values(name="Jean Dupuis", city="Paris", country_code="FR")
        self.assertFalse(self.env["res.partner"]._retail_identity_candidates(lone))

    def test_a_manager_removes_a_wrong_key_a_user_cannot(self):
        partner = self.partner("Jean Martin", email="jean@example.fr")
        user = new_test_user(
            self.env, login="keyuser", groups="retail_connector_base.group_retail_connect_user"
        )
        manager = new_test_user(
            self.env,
            login="keymanager",
            groups="retail_connector_base.group_retail_connect_manager",
        )
        key = self.keys(partner, "email")
        self.assertEqual(partner.with_user(user).retail_identity_key_count, len(self.keys(partner)))
        with self.assertRaises(Exception):  # noqa: B017 - AccessError, whichever layer
            key.with_user(user).unlink()
        key.with_user(manager).unlink()
        self.assertFalse(key.exists())

    def test_an_auto_merge_on_weak_evidence_keeps_the_merged_keys_provisional(self):
        kept = self.partner("Camille Durand", email="camille.durand@example.fr")
        merged = self.partner("Camille Durand", phone="07 11 22 33 44")
        self.env["retail.identity.merge"]._merge_partners(
            kept, merged, auto=True, keys_provisional=True
        )
        self.assertEqual(self.values(kept, "phone", provisional=True), {"+33711223344"})
        self.assertFalse(self.values(kept, "phone", provisional=False))
        record = record_from_values(
            name="Camille Durand", phone="07 11 22 33 44", default_country="FR"
        )
        self.assertFalse(self.env["res.partner"]._retail_identity_candidates(record))
