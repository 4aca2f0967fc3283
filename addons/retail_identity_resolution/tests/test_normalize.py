import unittest

from ..normalize import normalize_email, normalize_name, normalize_phone


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
