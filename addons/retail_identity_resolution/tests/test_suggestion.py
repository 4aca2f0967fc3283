from psycopg2 import IntegrityError

from odoo.tools import mute_logger

from .common_identity import IdentityCase

LILAS = {"street": "3 rue des Lilas", "zip": "69003", "city": "Lyon"}


class TestIdentitySuggestion(IdentityCase):
    """The review queue: merge, not the same person (remembered), later."""

    def luc_twice(self, external_id=None):
        """Luc Martin, known at home, comes back with his work email and phone:
        both identifiers conflict, so the pair goes to review."""
        luc = self.partner(
            "Luc Martin", email="luc@home.example", phone="+33 6 22 22 22 22", **LILAS
        )
        other = self.resolve(
            external_id=external_id,
            first_name="Luc",
            last_name="Martin",
            email="luc@work.example",
            phone="06 11 11 11 11",
            default_address=dict(LILAS, country_code="FR"),
        )
        return luc, other, self.pair(luc, other)

    def test_a_pair_is_stored_oldest_first_and_once(self):
        older = self.partner("Luc Martin")
        newer = self.partner("Luc Martin")
        suggestion = self.Suggestion.create(
            {"partner_a_id": newer.id, "partner_b_id": older.id, "score": 19.0}
        )
        self.assertEqual((suggestion.partner_a_id, suggestion.partner_b_id), (older, newer))
        self.assertEqual(self.Suggestion._propose(newer, older, source="batch"), suggestion)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.Suggestion.create({"partner_a_id": older.id, "partner_b_id": newer.id})

    def test_confirm_merges_the_newer_into_the_older(self):
        luc, other, suggestion = self.luc_twice(external_id="shop-42")
        suggestion.action_confirm()
        self.assertEqual(suggestion.state, "confirmed")
        self.assertEqual(suggestion.reviewer_id, self.env.user)
        self.assertEqual(suggestion.merge_id.dst_partner_id, luc)
        self.assertEqual(suggestion.merge_id.src_partner_id, other)
        self.assertFalse(suggestion.merge_id.auto)
        self.assertFalse(other.active)
        self.assertEqual(self.bound_partner(self.backend, "shop-42"), luc)

    def test_a_rejected_pair_is_not_proposed_again(self):
        luc, other, suggestion = self.luc_twice(external_id="shop-43")
        suggestion.action_reject()
        self.assertEqual(suggestion.state, "rejected")
        self.assertTrue(self.Suggestion._is_rejected(other, luc))
        self.assertFalse(self.Suggestion._propose(other, luc, source="batch"))

        # The channel sends a new phone: matched again, not proposed again.
        self.resolve(
            external_id="shop-43",
            first_name="Luc",
            last_name="Martin",
            email="luc@work.example",
            phone="06 33 33 33 33",
            default_address=dict(LILAS, country_code="FR"),
        )
        self.assertEqual(self.pair(luc, other), suggestion)
        self.assertEqual(suggestion.state, "rejected")

        # Even the same email and phone as Luc's later: a person's "no" stands.
        shared = self.resolve(
            external_id="shop-43",
            first_name="Luc",
            last_name="Martin",
            email="luc@home.example",
            phone="06 22 22 22 22",
            default_address=dict(LILAS, country_code="FR"),
        )
        self.assertEqual(shared, other)
        self.assertTrue(other.active)
        self.assertEqual(suggestion.state, "rejected")
        self.assertFalse(
            self.Suggestion.search([("partner_b_id", "=", other.id), ("id", "!=", suggestion.id)])
        )

    def test_later_takes_the_pair_out_of_the_queue_until_reviewed_again(self):
        luc, other, suggestion = self.luc_twice()
        to_review = [("state", "=", "open"), ("both_active", "=", True)]
        self.assertIn(suggestion, self.Suggestion.search(to_review))
        suggestion.action_defer()
        self.assertEqual(suggestion.state, "deferred")
        self.assertNotIn(suggestion, self.Suggestion.search(to_review))
        self.assertEqual(self.Suggestion._propose(luc, other, source="batch"), suggestion)
        suggestion.action_reopen()
        self.assertEqual(suggestion.state, "open")

    def test_the_form_shows_both_customers_and_why(self):
        _luc, _other, suggestion = self.luc_twice(external_id="shop-44")
        self.assertEqual(suggestion.partner_a_email, "luc@home.example")
        self.assertEqual(suggestion.partner_b_email, "luc@work.example")
        self.assertIn("69003", suggestion.partner_a_address)
        self.assertIn("shop-44", suggestion.partner_b_channels)
        self.assertIn("Luc Martin", suggestion.explanation_html)
        self.assertIn("both the emails and the phones differ", suggestion.explanation_html)

    def test_metrics_count_prevented_duplicates_the_queue_and_undone_auto_links(self):
        Metric = self.env["retail.identity.metric"]

        def totals():
            self.env.flush_all()
            names = [
                "prevented_count",
                "open_count",
                "confirmed_count",
                "rejected_count",
                "auto_merge_count",
                "auto_undone_count",
            ]
            [row] = Metric._read_group([], [], [f"{name}:sum" for name in names])
            return dict(zip(names, row, strict=True))

        before = totals()
        existing = self.partner("Jean Martin", phone="+33 6 12 34 56 78")
        self.resolve(first_name="Jean", last_name="Martin", phone="06 12 34 56 78")
        _luc, _other, suggestion = self.luc_twice()
        suggestion.action_reject()
        merge = self.env["retail.identity.merge"]._merge_partners(
            existing, self.partner("Jean Martin"), auto=True
        )
        merge.action_undo()

        after = totals()
        delta = {name: after[name] - before[name] for name in after}
        self.assertEqual(
            delta,
            {
                "prevented_count": 1,
                "open_count": 0,
                "confirmed_count": 0,
                "rejected_count": 1,
                "auto_merge_count": 1,
                "auto_undone_count": 1,
            },
        )
