"""The matching engine on its own (no database except the last class):
scores, their explanation, and the decisions they lead to, with the field
rules the addon seeds (read from its data file)."""

import json
import math
import unittest

from odoo.tests import TransactionCase, tagged

from ..matching import (
    DEFAULT_AUTO_THRESHOLD,
    DEFAULT_REVIEW_THRESHOLD,
    MatchModel,
    blocking_keys,
    decide,
    record_from_values,
    resolve,
)
from ..matching.comparators import name_similarity
from ..matching.rules import load_rules_xml
from ..normalize import name_tokens

SEEDED = MatchModel.from_rules(load_rules_xml())


def person(**values):
    values.setdefault("default_country", "FR")
    return record_from_values(**values)


ADA = {
    "name": "Ada Lovelace",
    "email": "ada.lovelace@example.org",
    "phone": "06 12 34 56 78",
    "street": "12 rue de la Paix",
    "zip": "75002",
    "city": "Paris",
    "country_code": "FR",
}


def contribution(score, field):
    return next(c for c in score.contributions if c.field == field)


class TestScoreExplanation(unittest.TestCase):
    def test_explanation_names_every_field_with_both_values(self):
        score = SEEDED.score(
            person(**ADA), person(ref=7, name="LOVELACE Ada", email="Ada.Lovelace@Example.org")
        )
        rows = score.explain()
        json.dumps(rows)  # storable as is
        by_field = {row["field"]: row for row in rows}
        self.assertEqual(by_field["email"]["outcome"], "agree")
        self.assertIn("ada.lovelace@example.org", by_field["email"]["detail"])
        self.assertEqual(by_field["name"]["outcome"], "agree")
        self.assertIn("Ada Lovelace", by_field["name"]["detail"])
        self.assertIn("LOVELACE Ada", by_field["name"]["detail"])
        self.assertEqual(by_field["phone"]["outcome"], "missing")
        self.assertEqual(by_field["phone"]["weight"], 0.0)
        self.assertAlmostEqual(sum(row["weight"] for row in rows), score.total, places=1)
        self.assertEqual(
            [row["field"] for row in rows][:2], ["email", "name"], "heaviest evidence first"
        )

    def test_explanation_says_why_an_auto_link_is_blocked(self):
        score = SEEDED.score(person(**ADA), person(**{**ADA, "name": "Charles Lovelace"}))
        self.assertEqual(score.blocked, "names_differ")
        last = score.explain()[-1]
        self.assertEqual((last["field"], last["outcome"]), ("blocked", "names_differ"))
        self.assertIn("names differ", last["detail"])


class TestFrequencies(unittest.TestCase):
    def test_a_household_email_weighs_less_than_a_rare_one(self):
        incoming = person(name="Ada Lovelace", email="lovelace.family@example.org")
        existing = person(ref=3, name="Ada Lovelace", email="lovelace.family@example.org")
        rare = SEEDED.score(incoming, existing, {("email", incoming.email_key): 1, "total": 5000})
        shared = SEEDED.score(incoming, existing, {("email", incoming.email_key): 6, "total": 5000})
        self.assertLess(shared.total, rare.total - 2)
        self.assertLess(contribution(shared, "email").weight, contribution(rare, "email").weight)
        self.assertIn("shared by 6 partners", contribution(shared, "email").detail)

    def test_a_shop_switchboard_phone_does_not_link_on_its_own_merit(self):
        incoming = person(name="Ada Lovelace", phone="01 40 00 00 00")
        existing = person(ref=3, name="Ada Lovelace", phone="+33 1 40 00 00 00")
        alone = SEEDED.score(incoming, existing)
        switchboard = SEEDED.score(
            incoming, existing, {("phone", incoming.phone_key): 400, "total": 5000}
        )
        self.assertEqual(decide(alone), "link")
        self.assertNotEqual(decide(switchboard), "link")


class TestRelayEmails(unittest.TestCase):
    def test_a_relay_email_is_weak_evidence(self):
        relay = "x7f3k2@marketplace-relay.example"
        a = person(name="Ada Lovelace", email=relay, email_is_relay=True)
        b = person(ref=1, name="Ada Lovelace", email=relay, email_is_relay=True)
        real_a = person(name="Ada Lovelace", email="ada@example.org")
        real_b = person(ref=1, name="Ada Lovelace", email="ada@example.org")
        relay_weight = contribution(SEEDED.score(a, b), "email_relay").weight
        real_weight = contribution(SEEDED.score(real_a, real_b), "email").weight
        self.assertGreater(relay_weight, 0)
        self.assertLess(relay_weight, real_weight - 5)
        alone = SEEDED.score(
            person(email=relay, email_is_relay=True),
            person(ref=1, email=relay, email_is_relay=True),
        )
        self.assertEqual(decide(alone), "new", "a relay address alone links nobody")

    def test_a_relay_email_says_nothing_against_a_real_one(self):
        buyer = person(
            name="Ada Lovelace",
            email="x7f3k2@marketplace-relay.example",
            email_is_relay=True,
            phone="0612345678",
        )
        known = person(ref=1, name="Ada Lovelace", email="ada@example.org", phone="0612345678")
        score = SEEDED.score(buyer, known)
        self.assertEqual(contribution(score, "email").outcome, "missing")
        self.assertIsNone(score.blocked)
        self.assertEqual(decide(score), "link")


class TestDecisions(unittest.TestCase):
    def test_a_company_and_a_person_are_never_linked(self):
        company = person(**{**ADA, "name": "Lovelace Analytical"}, is_company=True)
        employee = person(**{**ADA, "name": "Lovelace Analytical"})
        score = SEEDED.score(company, employee)
        self.assertEqual(score.blocked, "company_vs_person")
        self.assertEqual(decide(score, auto_threshold=0, review_threshold=0), "new")

    def test_conflicting_emails_and_phones_block_an_auto_link(self):
        namesake = person(
            **{**ADA, "email": "ada.l@other.example", "phone": "07 98 76 54 32"}, ref=2
        )
        score = SEEDED.score(person(**ADA), namesake)
        self.assertEqual(score.blocked, "conflicting_identifiers")
        self.assertNotEqual(decide(score, auto_threshold=0), "link")

    def test_one_different_identifier_does_not_block(self):
        new_phone = person(**{**ADA, "phone": "07 98 76 54 32"}, ref=2)
        score = SEEDED.score(person(**ADA), new_phone)
        self.assertIsNone(score.blocked)
        self.assertEqual(decide(score), "link")

    def test_a_guest_who_registers_later_is_linked(self):
        guest = person(name="Ada Lovelace", email="ADA.LOVELACE@example.org ")
        self.assertEqual(decide(SEEDED.score(guest, person(**ADA, ref=1))), "link")

    def test_household_members_sharing_everything_but_the_name_are_not_linked(self):
        partner = person(**{**ADA, "name": "Byron Lovelace"}, ref=1)
        score = SEEDED.score(person(**ADA), partner)
        self.assertEqual(score.blocked, "names_differ")
        self.assertEqual(decide(score, auto_threshold=0, review_threshold=0), "new")

    def test_a_namesake_at_the_same_address_with_another_email_is_only_suggested(self):
        son = person(**{**ADA, "email": "ada.junior@example.org", "phone": None}, ref=1)
        score = SEEDED.score(person(**{**ADA, "phone": None}), son)
        self.assertEqual(score.blocked, "identifier_differs")
        self.assertEqual(decide(score, auto_threshold=0, review_threshold=0), "review")

    def test_a_namesake_elsewhere_is_a_new_customer(self):
        other = person(name="Ada Lovelace", street="3 Baker Street", zip="NW1 6XE", city="London",
                       country_code="GB", ref=5)  # fmt: skip
        self.assertEqual(decide(SEEDED.score(person(**ADA), other)), "new")

    def test_thresholds_order_the_decisions(self):
        score = SEEDED.score(person(name="Ada Lovelace", zip="75002"), person(**ADA, ref=1))
        self.assertLess(score.probability, DEFAULT_AUTO_THRESHOLD)
        self.assertEqual(decide(score, review_threshold=score.probability), "review")
        self.assertEqual(decide(score, auto_threshold=score.probability), "link")
        above = math.nextafter(score.probability, 2)
        self.assertEqual(decide(score, auto_threshold=1.0, review_threshold=above), "new")
        self.assertLess(DEFAULT_REVIEW_THRESHOLD, DEFAULT_AUTO_THRESHOLD)


class TestNames(unittest.TestCase):
    def similarity(self, a, b):
        return name_similarity(name_tokens(a), name_tokens(b))

    def test_nicknames_swapped_and_titled_names_agree(self):
        for a, b in (
            ("Robert Smith", "Bob Smith"),
            ("Smith, William", "Bill SMITH"),
            ("Mme Hélène Dupont", "dupont helene"),
            ("Katherine O'Neil", "Kate O Neil"),
        ):
            self.assertGreaterEqual(self.similarity(a, b), 0.97, (a, b))

    def test_typos_and_initials_are_close(self):
        for a, b in (
            ("Jonathan Smith", "Jonatan Smiht"),
            ("Margaret Thatcher", "Margaret Tatcher"),
            ("Ada Lovelace", "A. Lovelace"),
            ("Marie Claire Dubois", "Marieclaire Dubois"),
        ):
            self.assertGreaterEqual(self.similarity(a, b), 0.85, (a, b))

    def test_another_first_name_in_the_family_disagrees(self):
        for a, b in (("Marie Dupont", "Pierre Dupont"), ("Ada Lovelace", "Byron Lovelace")):
            self.assertLess(self.similarity(a, b), 0.85, (a, b))

    def test_typo_in_a_name_still_links_with_an_email(self):
        typo = person(name="Ada Lovelcae", email="ada.lovelace@example.org")
        score = SEEDED.score(typo, person(**ADA, ref=1))
        self.assertIn(contribution(score, "name").outcome, ("agree", "close"))
        self.assertEqual(decide(score), "link")


class TestBlockingKeys(unittest.TestCase):
    def test_the_same_person_typed_differently_shares_a_key(self):
        keys = blocking_keys(person(**ADA))
        other = blocking_keys(person(name="LOVELACE ADA", zip="75 002", city="PARIS"))
        self.assertEqual(keys["zip_phonetic"], other["zip_phonetic"])
        self.assertEqual(keys["phonetic_city"], other["phonetic_city"])
        self.assertEqual(keys["phone"], "+33612345678")
        nickname = blocking_keys(person(name="Bob Smith", zip="75002"))
        formal = blocking_keys(person(name="Smith Robert", zip="75002"))
        self.assertEqual(nickname["zip_phonetic"], formal["zip_phonetic"])

    def test_keys_a_record_lacks_are_absent(self):
        self.assertEqual(blocking_keys(person(name="Ada")), {})
        self.assertEqual(set(blocking_keys(person(phone="0612345678"))), {"phone"})


class TestRules(unittest.TestCase):
    def test_bad_rules_are_refused(self):
        good = {"field": "email", "comparator": "exact", "outcome": "agree",
                "m_probability": 0.9, "u_probability": 0.001}  # fmt: skip
        MatchModel.from_rules([good])
        for bad in (
            {**good, "field": "shoe_size"},
            {**good, "comparator": "fuzzy"},
            {**good, "outcome": "maybe"},
            {**good, "u_probability": 0},
        ):
            with self.assertRaises(ValueError):
                MatchModel.from_rules([bad])

    def test_inactive_rules_are_ignored(self):
        rules = [{**rule, "active": rule["field"] != "phone"} for rule in load_rules_xml()]
        fields = {spec.name for spec in MatchModel.from_rules(rules).fields}
        self.assertNotIn("phone", fields)
        self.assertIn("email", fields)


class TestResolve(unittest.TestCase):
    def resolve(self, record, *candidates):
        return resolve(
            record, list(enumerate(candidates)), SEEDED, DEFAULT_AUTO_THRESHOLD,
            DEFAULT_REVIEW_THRESHOLD,
        )  # fmt: skip

    def test_the_best_candidate_is_linked(self):
        namesake = person(name="Ada Lovelace", zip="75002", city="Paris")
        result = self.resolve(person(**ADA), namesake, person(**ADA, ref=9))
        self.assertEqual((result.decision, result.partner), ("link", 1))
        self.assertEqual(result.scores[0][0], 1, "best first")
        self.assertEqual(result.merge, ())

    def test_a_record_bridging_two_partners_merges_them(self):
        pos = person(name="Ada Lovelace", phone="06 12 34 56 78")
        web = person(name="Ada Lovelace", email="ada.lovelace@example.org", zip="75002")
        result = self.resolve(person(**ADA), pos, web)
        self.assertEqual(result.decision, "link")
        self.assertEqual({result.partner, *result.merge}, {0, 1})

    def test_a_record_fitting_two_different_people_links_neither(self):
        father = person(**{**ADA, "name": "Jean Martin", "email": "jean.martin@example.org",
                           "phone": "06 11 11 11 11"})  # fmt: skip
        son = person(**{**ADA, "name": "Jean Martin", "email": "jm.junior@example.org",
                        "phone": "06 22 22 22 22"})  # fmt: skip
        parcel = person(**{**ADA, "name": "Jean MARTIN", "email": None, "phone": None})
        result = self.resolve(parcel, father, son)
        self.assertEqual(result.decision, "review")
        self.assertIsNone(result.partner)
        self.assertEqual({ref for ref, _score in result.suggest}, {0, 1})

    def test_a_record_identifying_one_of_two_people_links_to_that_one(self):
        father = person(**{**ADA, "name": "Jean Martin", "email": "jean.martin@example.org",
                           "phone": "06 11 11 11 11"})  # fmt: skip
        # The son of the same name at the shop: his phone only, told apart.
        son = person(**{**ADA, "name": "Jean Martin", "email": None,
                        "phone": "06 22 22 22 22"})  # fmt: skip
        # A parcel with the father's email: it is the father (nothing tells it
        # from the son but that email).
        parcel = person(**{**ADA, "name": "Jean MARTIN", "email": "jean.martin@example.org",
                           "phone": None})  # fmt: skip
        result = self.resolve(parcel, father, son)
        self.assertEqual((result.decision, result.partner), ("link", 0))
        self.assertEqual(result.merge, ())
        self.assertEqual([ref for ref, _score in result.suggest], [1], "the son: a person says")
        # His email and the son's phone: either of them, nobody can say.
        both = person(**{**ADA, "name": "Jean MARTIN", "email": "jean.martin@example.org",
                         "phone": "06 22 22 22 22"})  # fmt: skip
        self.assertEqual(self.resolve(both, father, son).decision, "review")

    def test_nothing_found_is_new(self):
        self.assertEqual(self.resolve(person(**ADA)).decision, "new")
        other = person(name="Charles Babbage", zip="75002")
        self.assertEqual(self.resolve(person(**ADA), other).decision, "new")


@tagged("post_install", "-at_install")
class TestFieldRuleModel(TransactionCase):
    def test_the_model_is_the_seeded_file(self):
        model = self.env["retail.identity.field.rule"]._match_model()
        a, b = person(**ADA), person(name="LOVELACE Ada", email="ada.lovelace@example.org", ref=1)
        self.assertEqual(model.score(a, b), SEEDED.score(a, b))

    def test_editing_a_rule_changes_the_model(self):
        Rule = self.env["retail.identity.field.rule"]
        before = Rule._match_model()
        rule = self.env.ref("retail_identity_resolution.retail_identity_field_rule_email_agree")
        rule.u_probability = 0.01
        after = Rule._match_model()
        self.assertIsNot(before, after)
        a, b = person(email="ada@example.org"), person(email="ada@example.org", ref=1)
        self.assertLess(after.score(a, b).total, before.score(a, b).total)
        self.assertAlmostEqual(rule.weight, 6.13, places=2)
