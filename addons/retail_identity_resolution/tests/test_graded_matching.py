"""The graded engine's pieces on their own (no database): comparisons that
count typed faults, the term-frequency adjustment, EM estimation, the
extended blocking keys, identity keys across channels, and the guards (no
cascade, names alone, companies, households)."""

import random
import unittest

from ..matching import (
    MatchModel,
    decide,
    extended_blocking_keys,
    is_strong,
    record_from_values,
)
from ..matching.estimation import count_terms, estimate, sessions
from ..matching.graded import (
    graded_locality_similarity,
    graded_name_similarity,
    house_similarity,
    street_similarity,
)
from ..matching.rules import load_rules_xml
from ..matching.scoring import (
    BLOCKED_NAME_ONLY,
    BLOCKED_NAME_WORD_DIFFERS,
    BLOCKED_NAMES_DIFFER,
    BLOCKED_NEIGHBOUR,
    BLOCKED_RELATIVE,
    term_adjustment,
)
from ..normalize import name_tokens

# The seeded graded rules (data/retail_identity_field_rule_data.xml).
GRADED_RULES = load_rules_xml()
GRADED = MatchModel.from_rules(GRADED_RULES)


def au(**values):
    values.setdefault("default_country", "AU")
    return record_from_values(**values)


def outcome(score, field):
    return next(c.outcome for c in score.contributions if c.field == field)


class TestGradedNames(unittest.TestCase):
    def similarity(self, a, b):
        return graded_name_similarity(name_tokens(a), name_tokens(b))

    def test_each_fault_costs_a_step(self):
        cases = (
            ("Smith, Robert", "Bob Smith", 1.0),  # order, nickname
            ("Chloe Musolino", "Chloe Musoilno", 0.9),  # a typo
            ("Elton Smith", "Elton", 0.8),  # a missing word
            ("Ada Lovelace", "A. Lovelace", 0.7),  # an initial (a relative shares it)
            ("Isabella Waller", "Isabe Lla Waller", 0.9),  # a word split
            ("Joshua Huxley", "Kiana Huxley", 0.5),  # another word
            ("Joel Lodge", "Joe Lodgw", 0.8),  # typos, though "Joe" reads as "Joseph"
            ("Ava Smith", "Phoebe Jones", 0.0),  # nothing in common
        )
        for a, b, expected in cases:
            self.assertAlmostEqual(self.similarity(a, b), expected, msg=(a, b))

    def test_a_missing_word_costs_bits_not_a_block(self):
        full = au(name="Elton Smith", street="3 Light Street", zip="3212", city="Windermere")
        short = au(name="Elton", street="3 Light Street", zip="3212", city="Windermere")
        score = GRADED.score(full, short)
        self.assertEqual(outcome(score, "name"), "partial")
        self.assertIsNone(score.blocked)
        self.assertEqual(decide(score), "link")


class TestGradedAddresses(unittest.TestCase):
    def test_house_number_and_street_are_compared_apart(self):
        a = au(street="530 Tauss Place", zip="2000", city="Sydney")
        b = au(street="5 tauss lace", zip="2000", city="Sydney")  # typo before abbreviation
        self.assertEqual(a.street_key, b.street_key)
        self.assertEqual(house_similarity(a, b), 0.8)
        self.assertEqual(street_similarity(a, b), 1.0)
        other_door = au(street="48 Tauss Place")
        self.assertEqual(house_similarity(a, other_door), 0.0)

    def test_another_number_in_the_same_named_premises_is_a_slip(self):
        a = au(name="Ada Lovelace", street="109 Caley Crescent", street2="Allandale Aged Care",
               zip="2615", city="Kambah")  # fmt: skip
        b = au(name="Ada Lovelace", street="287 caley cres", street2="allandale agedcare",
               zip="2615", city="Kambah")  # fmt: skip
        self.assertEqual(house_similarity(a, b), 0.8)
        self.assertEqual(decide(GRADED.score(a, b)), "link")
        # the lines typed in each other's place still are the same premises
        swapped = au(street="287 Allandale Aged Care", street2="Caley Crescent")
        self.assertEqual(house_similarity(a, swapped), 0.8)
        # another street, or no second line: another door
        self.assertEqual(
            house_similarity(a, au(street="287 Ross Road", street2="Allandale Aged Care")), 0.0
        )
        self.assertEqual(house_similarity(a, au(street="287 Caley Crescent")), 0.0)

    def test_a_flat_or_floor_alone_is_no_premises(self):
        # "Apt 4" on the same street: a neighbour as likely as a slip
        a = au(name="Ada Lovelace", street="12 Mill Street", street2="Apt 4", zip="2615")
        b = au(name="Ada Lovelace", street="48 Mill Street", street2="Apt 4", zip="2615")
        self.assertEqual(house_similarity(a, b), 0.0)
        self.assertNotEqual(decide(GRADED.score(a, b)), "link")

    def test_street2_typed_in_place_of_the_street_still_agrees(self):
        a = au(street="12 Kirkpatrick Street", street2="Brentwood Village")
        b = au(street="12 Brentwood Village", street2="Kirkpatrick Street")
        self.assertGreaterEqual(street_similarity(a, b), 0.97)
        nothing = au(street="12 Other Road")
        self.assertLess(street_similarity(a, nothing), 0.7)

    def test_a_move_to_another_town_is_one_disagreement_not_three(self):
        before = record_from_values(name="Julie Bonnet", email="julie.bonnet@example.com",
                                    street="21 avenue Jean Jaurès", zip="69007", city="Lyon",
                                    country_code="FR")  # fmt: skip
        moved = record_from_values(name="Julie Bonnet", email="julie.bonnet@example.com",
                                   street="4 rue de la Paix", zip="75002", city="Paris",
                                   country_code="FR")  # fmt: skip
        score = GRADED.score(before, moved)
        self.assertEqual(outcome(score, "locality"), "disagree")
        weights = {c.field: c.weight for c in score.contributions}
        self.assertLess(weights["locality"], 0)
        self.assertEqual(weights["street"], 0.0)
        self.assertEqual(weights["house"], 0.0)
        self.assertEqual(decide(score), "link")
        # in the same town, another street and door still count against
        neighbour = record_from_values(name="Julie Bonnet", street="4 rue de la Paix",
                                       zip="69007", city="Lyon", country_code="FR")  # fmt: skip
        weights = {c.field: c.weight for c in GRADED.score(before, neighbour).contributions}
        self.assertLess(weights["street"], 0)
        self.assertLess(weights["house"], 0)
        # a move without an email or phone that agrees stays apart
        namesake = record_from_values(name="Julie Bonnet", street="4 rue de la Paix",
                                      zip="75002", city="Paris", country_code="FR")  # fmt: skip
        self.assertEqual(decide(GRADED.score(before, namesake)), "new")

    def test_postal_code_and_city_have_typo_levels(self):
        base = au(zip="2615", city="Kambah", country_code="AU")
        self.assertEqual(graded_locality_similarity(base, au(zip="2615", city="kambah")), 1.0)
        self.assertEqual(graded_locality_similarity(base, au(zip="2651", city="Kambah")), 0.85)
        self.assertEqual(graded_locality_similarity(base, au(zip="2615", city="Kambha")), 0.85)
        self.assertEqual(graded_locality_similarity(base, au(zip="3000", city="Kambah")), 0.6)
        self.assertEqual(graded_locality_similarity(base, au(zip="3000", city="Perth")), 0.0)
        # a slip in each: one place still, a little less
        self.assertEqual(graded_locality_similarity(base, au(zip="2651", city="Kambha")), 0.6)
        heads = au(zip="4879", city="Shoalhaven Heads")
        self.assertEqual(
            graded_locality_similarity(heads, au(zip="4879", city="Shoalhave nHeads")), 0.85
        )
        abroad = au(zip="2615", city="Kambah", country_code="NZ")
        self.assertEqual(graded_locality_similarity(base, abroad), 0.0)
        self.assertIsNone(graded_locality_similarity(base, au()))


class TestTermFrequency(unittest.TestCase):
    def test_a_common_surname_weighs_less_than_a_rare_one(self):
        people = [au(name=f"{first} Smith") for first in ("Ann", "Bob", "Cid", "Dan")] + [
            au(name=f"N{i}a M{i}b") for i in range(40)
        ]
        frequencies = count_terms(GRADED, [*people, au(name="Zed Zyzzyva")])
        common = term_adjustment("name", {"smith"}, frequencies)
        rare = term_adjustment("name", {"zyzzyva"}, frequencies)
        self.assertLess(common, rare)
        self.assertLessEqual(rare, 1.5)
        a = au(name="Ann Smith", street="1 High St", zip="2000")
        b = au(name="Ann Smith", street="1 High St", zip="2000")
        self.assertLess(GRADED.score(a, b, frequencies).total, GRADED.score(a, b).total)

    def test_without_counts_nothing_changes(self):
        self.assertEqual(term_adjustment("name", {"smith"}, {}), 0.0)
        self.assertEqual(term_adjustment("name", set(), {("tf", "name"): (10, 0.1)}), 0.0)


FIRSTS = ["ada", "bob", "carla", "denis", "emma", "felix", "gina", "hugo", "ines"]
LASTS = ["martin", "dubois", "lovelace", "smith", "muller", "rossi", "garcia", "novak"]
STREETS = ["paix", "victor hugo", "pasteur", "foch", "voltaire", "gambetta"]


def paris_customer(rng, **values):
    """The raw values of a random customer in Paris (few names, few streets)."""
    return {
        "name": f"{rng.choice(FIRSTS)} {rng.choice(LASTS)}",
        "street": f"{rng.randint(1, 99)} rue {rng.choice(STREETS)}",
        "zip": f"750{rng.randint(10, 20)}",
        "city": "paris",
        "default_country": "FR",
        **values,
    }


class TestEstimation(unittest.TestCase):
    def test_em_learns_that_agreeing_fields_point_to_the_same_person(self):
        rng = random.Random(3)
        records = []
        for index in range(300):
            values = paris_customer(rng)
            records.append(record_from_values(**values))
            if index % 2 == 0:  # a duplicate, its name mistyped half the time
                name = values["name"]
                cut = rng.randrange(len(name))
                typo = name[:cut] + name[cut + 1 :] if rng.random() < 0.5 else name
                records.append(record_from_values(**{**values, "name": typo}))
        result = estimate(GRADED, records, sessions(records, extended_blocking_keys), sample=20000)
        m_agree, u_agree = result.probabilities[("house", "agree")]
        self.assertGreater(m_agree, 10 * u_agree)
        self.assertLess(u_agree, 0.05)
        m_name = sum(result.probabilities[("name", o)][0] for o in ("agree", "close"))
        self.assertGreater(m_name, 0.8, "duplicates' names agree or are a typo apart")
        m_disagree, u_disagree = result.probabilities[("name", "disagree")]
        self.assertLess(m_disagree, u_disagree)
        self.assertTrue(0 < result.match_share < 1)
        for m, u in result.probabilities.values():
            self.assertTrue(0 < m <= 1 and 0 < u <= 1)

    def test_em_estimates_feed_the_rules(self):
        records = [au(name="Ann Smith", zip="2000", street="1 High St")] * 2
        result = estimate(GRADED, records, [([(0, 1)], ("locality",))], sample=50)
        rules = [
            {**rule, "m_probability": result.probabilities[(rule["field"], rule["outcome"])][0],
             "u_probability": result.probabilities[(rule["field"], rule["outcome"])][1]}
            for rule in GRADED_RULES
        ]  # fmt: skip
        MatchModel.from_rules(rules)  # valid probabilities


class TestExtendedBlocking(unittest.TestCase):
    def keys(self, **values):
        return set(extended_blocking_keys(au(**values)))

    def test_two_small_typos_still_share_a_key(self):
        a = self.keys(name="Chloe Musolino", street="3 Light St", zip="3212", city="Windermere")
        # a typo in the surname and one in the postal code
        b = self.keys(name="Chloe Musoilno", street="3 Light St", zip="3221", city="Windermere")
        self.assertTrue(a & b)
        self.assertIn(("city_name", "windermere|XL"), a & b)
        # a name typed very differently and no city: the street and number
        c = self.keys(name="C. Mussolini", street="3 Light Street", zip="3000")
        self.assertEqual(a & c, {("street_house", "light st|3")})

    def test_every_known_email_and_phone_is_a_key(self):
        keys = self.keys(
            name="Ada", email="ada@example.org", known_emails=("ada.old@example.org",),
            known_phones=("+61412345678",),
        )  # fmt: skip
        self.assertLessEqual(
            {("email", "ada@example.org"), ("email", "ada.old@example.org"),
             ("phone", "+61412345678")},
            keys,
        )  # fmt: skip

    def test_a_record_without_keys_has_none(self):
        self.assertEqual(self.keys(), set())
        self.assertEqual(self.keys(name="A"), set())


class TestIdentityKeys(unittest.TestCase):
    def test_a_pos_record_and_a_web_record_meet_through_known_identities(self):
        customer = au(name="Ada Lovelace", email="ada@example.org", known_phones=("+61412345678",))
        pos = au(name="Ada Lovelace", phone="0412 345 678")
        score = GRADED.score(pos, customer)
        self.assertEqual(outcome(score, "phone"), "agree")
        self.assertEqual(decide(score), "link")
        old_mail = au(name="Ada Lovelace", email="ADA@example.org")
        self.assertEqual(outcome(GRADED.score(old_mail, customer), "email"), "agree")


class TestGuards(unittest.TestCase):
    def test_names_alone_never_link_nor_ask(self):
        a, b = au(name="Jean Martin"), au(name="Jean Martin")
        score = GRADED.score(a, b)
        self.assertEqual(score.blocked, BLOCKED_NAME_ONLY)
        self.assertEqual(decide(score, 0, 0), "new")
        with_city = GRADED.score(au(name="Jean Martin", city="Paris"), au(name="Jean Martin"))
        self.assertEqual(with_city.blocked, BLOCKED_NAME_ONLY)

    def test_a_weak_link_is_not_strong_evidence(self):
        a = au(name="Ada Lovelace", street="12", zip="2000", city="Sydney")
        b = au(name="Ada Lovelce", street="12", zip="2000", city="Sydney")
        score = GRADED.score(a, b)
        self.assertEqual(decide(score), "link")
        self.assertFalse(is_strong(score))
        with_email = GRADED.score(
            au(name="Ada Lovelace", email="ada@example.org"),
            au(name="Ada Lovelace", email="ada@example.org"),
        )
        self.assertTrue(is_strong(with_email))

    def test_another_name_word_behind_another_door_is_not_asked(self):
        # the same street, a shared surname, another house number: a neighbour
        a = au(name="Pierre Martin", street="56 rue de la Paix", zip="75002", city="Paris")
        b = au(name="Frédéric Martin", street="129 rue de la Paix", zip="75002", city="Paris")
        score = GRADED.score(a, b)
        self.assertEqual(score.blocked, BLOCKED_NEIGHBOUR)
        self.assertEqual(decide(score, 0, 0), "new")
        # behind the same door it is still asked (a relative, or a name typed for another)
        same_door = au(name="Frédéric Martin", street="56 rue de la Paix", zip="75002")
        score = GRADED.score(a, same_door)
        self.assertEqual(score.blocked, BLOCKED_NAME_WORD_DIFFERS)
        self.assertEqual(decide(score, 0.999, 0.5), "review")

    def test_another_word_and_a_typo_at_the_same_door_is_asked(self):
        home = {"street": "23 Smeaton Circuit", "zip": "2020", "city": "Greensborough"}
        a = au(name="Hannah Mason", **home)
        b = au(name="Sophie Masojn", **home)  # another first name, a typo in the surname
        score = GRADED.score(a, b)
        self.assertEqual(outcome(score, "name"), "weak")
        self.assertEqual(score.blocked, BLOCKED_NAME_WORD_DIFFERS)
        self.assertEqual(decide(score), "review")
        # no word in common: another person, never asked
        other = GRADED.score(a, au(name="Sophie Jones", **home))
        self.assertEqual(other.blocked, BLOCKED_NAMES_DIFFER)
        self.assertEqual(decide(other, 0, 0), "new")

    def test_a_surname_changed_for_a_double_one_at_the_same_door_is_asked(self):
        home = {"street": "41 Clancy St", "zip": "2600", "city": "Springwood"}
        a = au(name="Sophie Maynard", **home)
        b = au(name="Sophie Otto-Coats", **home)  # married: her given name kept
        score = GRADED.score(a, b)
        self.assertEqual(outcome(score, "name"), "weak")
        self.assertEqual(score.blocked, BLOCKED_NAME_WORD_DIFFERS)
        self.assertEqual(decide(score), "review", "a person says, never linked alone")

    def test_household_members_stay_apart(self):
        home = {"street": "12 High St", "zip": "2000", "city": "Sydney", "phone": "0298765432"}
        score = GRADED.score(au(name="Marie Dupont", **home), au(name="Pierre Dupont", **home))
        self.assertEqual(score.blocked, BLOCKED_NAMES_DIFFER)
        self.assertEqual(decide(score, 0, 0), "new")
        no_phone = {k: v for k, v in home.items() if k != "phone"}
        score = GRADED.score(
            au(name="Marie Dupont", **no_phone), au(name="Pierre Dupont", **no_phone)
        )
        self.assertEqual(score.blocked, BLOCKED_NAME_WORD_DIFFERS)
        self.assertNotEqual(decide(score, 0, 0), "link")
        # each their own phone: two people, not even worth a suggestion
        score = GRADED.score(
            au(name="Marie Dupont", **{**home, "phone": "0411111111"}),
            au(name="Pierre Dupont", **{**home, "phone": "0422222222"}),
        )
        self.assertEqual(score.blocked, BLOCKED_RELATIVE)
        self.assertEqual(decide(score, 0, 0), "new")

    def test_an_initial_that_fits_is_a_name_typed_short(self):
        phone = "0412345678"
        score = GRADED.score(au(name="T. Lewis", phone=phone), au(name="Thomas Lewis", phone=phone))
        self.assertEqual(outcome(score, "name"), "partial")
        self.assertIsNone(score.blocked)
        self.assertEqual(decide(score), "link")
        relative = GRADED.score(
            au(name="P. Lewis", phone=phone), au(name="Thomas Lewis", phone=phone)
        )
        self.assertEqual(relative.blocked, BLOCKED_NAMES_DIFFER)

    def test_companies_sharing_phone_and_street_are_not_a_household(self):
        office = {"street": "1 George St", "zip": "2000", "city": "Sydney", "phone": "0291234567"}
        a = au(name="Acme Trading", is_company=True, **office)
        b = au(name="ACME Australia Holdings", is_company=True, **office)
        score = GRADED.score(a, b)
        self.assertIsNone(score.blocked)
        self.assertEqual(decide(score), "link")
        person = au(name="Acme Trading", **office)
        self.assertEqual(decide(GRADED.score(a, person), 0, 0), "new")
