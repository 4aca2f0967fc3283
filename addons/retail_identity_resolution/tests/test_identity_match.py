"""The plain-Python cores under the resolver and the deduplication run
(no database): what a resolution becomes, the run's report, and the
customer's email and phone as the channel sent them."""

import unittest
from types import SimpleNamespace

from ..dedup_report import SAMPLES_PER_DECISION, add_sample, render_report
from ..identity_match import (
    MAX_SUGGESTIONS,
    RELAY_EMAIL_KEY,
    IdentityMatch,
    email_is_relay,
    international_phone,
)
from ..matching import Resolution, Score

# Match probabilities (Score.probability: the default prior, 30 bits ~ 0.99999).
AUTO, REVIEW = 0.999, 0.5


class TestIdentityMatch(unittest.TestCase):
    def test_link_takes_the_partner_and_merges_the_others(self):
        best, other = Score(30.0), Score(25.0)
        resolution = Resolution("link", "A", best, merge=("B",), scores=(("A", best), ("B", other)))
        match = IdentityMatch(record=None).apply_resolution(resolution, AUTO, REVIEW)
        self.assertEqual((match.decision, match.partner, match.score), ("link", "A", best))
        self.assertEqual(match.merges, [("B", other)])
        self.assertEqual((match.candidate_count, match.reviews, match.ambiguous), (2, [], []))

    def test_customers_told_apart_are_ambiguous_and_all_reviewed(self):
        a, b = Score(30.0), Score(25.0)
        resolution = Resolution(
            "review", None, a, suggest=(("A", a), ("B", b)), scores=(("A", a), ("B", b))
        )
        match = IdentityMatch(record=None).apply_resolution(resolution, AUTO, REVIEW)
        self.assertEqual((match.decision, match.partner, match.score), ("review", "A", a))
        self.assertEqual(match.ambiguous, [("A", a), ("B", b)])
        self.assertEqual(match.reviews, [("A", a), ("B", b)])
        self.assertEqual(match.merges, [])

    def test_reviews_are_the_best_few(self):
        pairs = tuple((ref, Score(15.0 - ref / 10)) for ref in range(MAX_SUGGESTIONS + 2))
        resolution = Resolution("review", None, pairs[0][1], suggest=pairs, scores=pairs)
        match = IdentityMatch(record=None).apply_resolution(resolution, AUTO, REVIEW)
        self.assertEqual(match.reviews, list(pairs[:MAX_SUGGESTIONS]))
        self.assertEqual(match.ambiguous, [])

    def test_relay_email_is_the_one_the_channel_flagged(self):
        def customer(email, **extra):
            return SimpleNamespace(email=email, extra=extra)

        self.assertFalse(email_is_relay(customer("a@example.org")))
        self.assertTrue(email_is_relay(customer("x@relay.example", **{RELAY_EMAIL_KEY: True})))
        flagged = {RELAY_EMAIL_KEY: True, "relay_email": "X@relay.example"}
        self.assertTrue(email_is_relay(customer("x@relay.example", **flagged)))
        self.assertFalse(email_is_relay(customer("own@example.org", **flagged)))

    def test_phone_without_country_is_written_international(self):
        self.assertEqual(international_phone("06 12 34 56 78", "FR"), "+33 6 12 34 56 78")
        self.assertEqual(international_phone("not a phone", "FR"), "not a phone")


class TestDedupReport(unittest.TestCase):
    def partner(self, ref):
        return SimpleNamespace(id=ref, display_name=f"Partner {ref}")

    def test_samples_are_capped_per_decision(self):
        samples = {}
        for ref in range(SAMPLES_PER_DECISION + 3):
            add_sample(samples, "review", self.partner(ref), self.partner(ref + 100), Score(12.345))
        self.assertEqual(len(samples["review"]), SAMPLES_PER_DECISION)
        self.assertEqual(samples["review"][0]["partner_ids"], [0, 100])
        self.assertEqual(samples["review"][0]["score"], 12.35)

    def test_report_shows_counts_and_samples_with_why(self):
        samples = {}
        add_sample(samples, "link", self.partner(1), self.partner(2), Score(30.0))
        html = render_report(
            [("Pairs scored", 3)],
            samples,
            {"link": "Above auto-link", "review": "In the review band"},
            ("Partner", "Partner", "Score", "Why"),
        )
        self.assertIn("Pairs scored", html)
        self.assertIn("Above auto-link", html)
        self.assertNotIn("In the review band", html)  # no sample
        self.assertIn("Partner 1", html)
        self.assertIn("Partner 2", html)
