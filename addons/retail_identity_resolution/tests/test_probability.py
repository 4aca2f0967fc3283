"""Match probabilities (no database): the posterior of a score's total and
the prior, the decisions taken on it, and the prior and identifier weights
estimation finds on a labelled set."""

import math
import random
import unittest

from ..matching import MatchModel, Score, decide, extended_blocking_keys, record_from_values
from ..matching.estimation import estimate, sessions
from ..matching.rules import load_rules_xml
from ..matching.scoring import DEFAULT_PRIOR, bits_for, probability
from .test_graded_matching import paris_customer

RULES = load_rules_xml()


class TestProbability(unittest.TestCase):
    def test_bits_and_prior_give_the_probability(self):
        prior_bits = math.log2(DEFAULT_PRIOR / (1 - DEFAULT_PRIOR))
        self.assertAlmostEqual(probability(-prior_bits), 0.5)
        self.assertAlmostEqual(probability(-prior_bits + 10), 1024 / 1025)
        self.assertLess(probability(10), probability(20))
        for p in (0.01, 0.5, 0.999):
            self.assertAlmostEqual(probability(bits_for(p)), p)
        self.assertEqual(probability(5000), 1.0)  # no overflow
        self.assertEqual(Score(20.0).probability, probability(20.0))

    def test_the_same_score_decides_by_its_prior(self):
        model = MatchModel.from_rules(RULES)
        a = record_from_values(name="Ada Lovelace", phone="+61412345678")
        b = record_from_values(name="Ada Lovelace", phone="+61412345678")
        score = model.score(a, b)
        self.assertEqual(decide(score), "link")
        rare = MatchModel.from_rules(RULES, prior=1e-12).score(a, b)
        self.assertEqual(rare.total, score.total)
        self.assertLess(rare.probability, score.probability)
        self.assertNotEqual(decide(rare), "link")

    def test_decisions_follow_probability_thresholds(self):
        score = Score(bits_for(0.9))
        self.assertEqual(decide(score, 0.95, 0.5), "review")
        self.assertEqual(decide(score, 0.85, 0.5), "link")
        self.assertEqual(decide(score, 0.99, 0.95), "new")

    def test_a_prior_out_of_range_is_refused(self):
        for prior in (0, 1, -0.1, 2):
            with self.assertRaises(ValueError):
                MatchModel.from_rules(RULES, prior=prior)


class TestEstimatedPrior(unittest.TestCase):
    def test_em_finds_the_share_of_true_pairs_and_keeps_identifier_weights(self):
        rng = random.Random(5)
        records = []
        same_mailbox = []  # (original, duplicate) typed with one email
        for index in range(400):
            values = paris_customer(rng, email=f"person{index}@example.org")
            records.append(record_from_values(**values))
            if index % 4 == 0:  # 100 duplicates, another mailbox half the time
                email = values["email"] if rng.random() < 0.5 else f"other{index}@example.org"
                records.append(record_from_values(**{**values, "email": email}))
                if email == values["email"]:
                    same_mailbox.append((records[-2], records[-1]))
        model = MatchModel.from_rules(RULES)
        result = estimate(model, records, sessions(records, extended_blocking_keys), sample=20000)
        truth = 100 / (len(records) * (len(records) - 1) / 2)
        self.assertLess(truth / 3, result.prior)
        self.assertLess(result.prior, truth * 3)
        m, u = result.probabilities[("email", "agree")]
        rule_u = next(
            r["u_probability"] for r in RULES if (r["field"], r["outcome"]) == ("email", "agree")
        )
        self.assertEqual(u, rule_u)  # one customer's own mailbox: the rule's u
        self.assertGreater(m, 0.3)
        estimated = MatchModel.from_rules(
            [
                {**rule, "m_probability": result.probabilities[(rule["field"], rule["outcome"])][0],
                 "u_probability": result.probabilities[(rule["field"], rule["outcome"])][1]}
                for rule in RULES
            ],
            prior=result.prior,
        )  # fmt: skip
        for original, duplicate in same_mailbox:
            self.assertEqual(decide(estimated.score(original, duplicate)), "link")
