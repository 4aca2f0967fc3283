import unittest

from ..normalize import (
    canonical_given_name,
    name_tokens,
    normalize_city,
    normalize_email,
    normalize_name,
    normalize_phone,
    normalize_street,
    normalize_zip,
    phonetic_key,
)


class TestNormalizeEmail(unittest.TestCase):
    def test_case_and_spaces_never_matter(self):
        self.assertEqual(normalize_email("  Ada.Lovelace@Example.COM "), "ada.lovelace@example.com")

    def test_gmail_dots_and_tags_are_dropped(self):
        for variant in (
            "ada.love.lace@gmail.com",
            "AdaLovelace+shop@gmail.com",
            "ada.lovelace@googlemail.com",
        ):
            self.assertEqual(normalize_email(variant), "adalovelace@gmail.com", variant)

    def test_other_domains_keep_dots_and_tags(self):
        self.assertEqual(normalize_email("ada.l+x@example.com"), "ada.l+x@example.com")
        self.assertEqual(normalize_email("ada.l+x@outlook.com"), "ada.l@outlook.com")

    def test_provider_rules_can_be_turned_off(self):
        self.assertEqual(
            normalize_email("Ada.L+x@gmail.com", provider_rules=False), "ada.l+x@gmail.com"
        )

    def test_not_an_email_gives_none(self):
        for value in (None, "", "ada", "ada@", "@example.com", "ada@localhost", "+x@gmail.com"):
            self.assertIsNone(normalize_email(value), value)


class TestNormalizePhone(unittest.TestCase):
    def test_national_and_international_forms_agree(self):
        for variant in ("06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678", "06.12.34.56.78"):
            self.assertEqual(normalize_phone(variant, "fr"), "+33612345678", variant)

    def test_international_number_ignores_default_country(self):
        self.assertEqual(normalize_phone("+1 (415) 555-0132", "FR"), "+14155550132")

    def test_impossible_numbers_give_none(self):
        for value in (None, "", "12", "call me", "06 12"):
            self.assertIsNone(normalize_phone(value, "FR"), value)
        self.assertIsNone(normalize_phone("06 12 34 56 78"), "a national number needs a country")


class TestNormalizeName(unittest.TestCase):
    def test_accents_case_titles_and_order_do_not_matter(self):
        for variant in ("Dr. Ada LOVELACE", "lovelace, ada", "Ada  Lovelace", "Mrs Àda Lovelace"):
            self.assertEqual(normalize_name(variant), "ada lovelace", variant)

    def test_empty_names_give_none(self):
        for value in (None, "", "  ", "Mr."):
            self.assertIsNone(normalize_name(value), value)


class TestNameTokens(unittest.TestCase):
    def test_tokens_keep_the_typed_order_without_titles_or_accents(self):
        self.assertEqual(name_tokens("Mme Hélène DUPONT-Roy"), ("helene", "dupont", "roy"))

    def test_company_legal_forms_are_dropped(self):
        self.assertEqual(
            name_tokens("ACME Industries SARL", is_company=True), ("acme", "industries")
        )
        self.assertEqual(name_tokens("Müller GmbH & Co. KG", is_company=True), ("muller",))

    def test_nicknames_read_as_the_formal_name(self):
        self.assertEqual(canonical_given_name("bob"), "robert")
        self.assertEqual(canonical_given_name("bill"), "william")
        self.assertEqual(canonical_given_name("ada"), "ada")

    def test_phonetic_key_ignores_order_nicknames_and_spelling(self):
        key = phonetic_key(name_tokens("Robert Smith"))
        for variant in ("Smyth, Bob", "SMITH Robbie", "Mr Rob Smith"):
            self.assertEqual(phonetic_key(name_tokens(variant)), key, variant)
        self.assertNotEqual(phonetic_key(name_tokens("Robert Jones")), key)
        self.assertIsNone(phonetic_key(name_tokens("J. K.")))


class TestNormalizeAddress(unittest.TestCase):
    def test_street_types_and_house_numbers_wherever_typed(self):
        for variant in ("12 rue de la Paix", "Rue de la Paix, 12", "12, R. de la PAIX"):
            self.assertEqual(normalize_street(variant), ("rue paix", "12"), variant)
        for variant in ("221B Baker Street", "221 b Baker St.", "Baker Str 221b"):
            self.assertEqual(normalize_street(variant), ("baker st", "221b"), variant)
        self.assertEqual(normalize_street("12 bis Avenue Foch"), ("av foch", "12b"))
        self.assertEqual(normalize_street("Avenida de la Paz 5"), ("av paz", "5"))

    def test_german_compound_streets(self):
        for variant in ("Hauptstraße 5a", "Hauptstrasse 5 A", "Hauptstr. 5a"):
            self.assertEqual(normalize_street(variant), ("haupt st", "5a"), variant)

    def test_second_line_used_only_without_first(self):
        self.assertEqual(normalize_street(None, "Flat 3, 10 Downing St"), ("flat downing st", "3"))
        self.assertEqual(normalize_street("10 Downing St", "Flat 3"), ("downing st", "10"))
        self.assertEqual(normalize_street(None), (None, None))

    def test_postal_codes(self):
        cases = [
            ("F-75011", "FR", "75011"),
            ("75 011", "fr", "75011"),
            ("8001", "FR", "08001"),
            ("sw1a 1aa", "GB", "SW1A1AA"),
            ("94105-1234", "US", "94105"),
            ("1234 ab", "NL", "1234AB"),
            ("D-10115", "DE", "10115"),
            (None, "FR", None),
        ]
        for value, country, expected in cases:
            self.assertEqual(normalize_zip(value, country), expected, value)

    def test_cities(self):
        self.assertEqual(normalize_city("ST-DENIS CEDEX 1"), "saint denis")
        self.assertEqual(normalize_city("Saint Denis"), "saint denis")
        self.assertEqual(normalize_city("Zürich"), "zurich")
        self.assertIsNone(normalize_city(" "))
