"""Estimating the matching rules from the customers themselves: the rules
take the estimates, the model and its prior follow, too few customers is a
clear error."""

import random

from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, tagged

from ..matching.scoring import DEFAULT_PRIOR
from ..models.retail_identity_field_rule_estimate import ESTIMATION_MINIMUM, PRIOR_PARAM


@tagged("post_install", "-at_install")
class TestRuleEstimation(TransactionCase):
    def customers(self, count, seed=4):
        rng = random.Random(seed)
        firsts = ["Ada", "Bruno", "Carla", "Denis", "Emma", "Felix", "Gina", "Hugo", "Ines"]
        lasts = ["Martin", "Dubois", "Lovelace", "Smith", "Muller", "Rossi", "Garcia", "Novak"]
        france = self.env.ref("base.fr")
        values = []
        for index in range(count):
            person = {
                "name": f"{rng.choice(firsts)} {rng.choice(lasts)}",
                "email": f"customer{index}@example.org",
                "street": f"{rng.randint(1, 99)} rue {rng.choice(['Foch', 'Pasteur', 'Gambetta'])}",
                "zip": f"750{rng.randint(10, 20)}",
                "city": "Paris",
                "country_id": france.id,
            }
            values.append(person)
            if index % 3 == 0:  # a duplicate with its name mistyped
                values.append({**person, "name": person["name"].replace("a", "e", 1)})
        return self.env["res.partner"].create(values)

    def test_estimation_writes_the_rules_and_the_prior(self):
        self.customers(120)
        Rule = self.env["retail.identity.field.rule"]
        house = self.env.ref("retail_identity_resolution.retail_identity_field_rule_house_agree")
        seeded = (house.m_probability, house.u_probability)
        before = Rule._match_model()
        self.assertEqual(before.prior, DEFAULT_PRIOR)
        action = Rule.action_estimate_from_customers()
        self.assertEqual(action["tag"], "display_notification")
        self.assertNotEqual((house.m_probability, house.u_probability), seeded)
        self.assertGreater(house.m_probability, house.u_probability)
        prior = float(self.env["ir.config_parameter"].get_param(PRIOR_PARAM))
        self.assertTrue(0 < prior < 1)
        after = Rule._match_model()
        self.assertIsNot(before, after)
        self.assertAlmostEqual(after.prior, prior)

    def test_a_broken_prior_parameter_falls_back_on_the_default(self):
        Rule = self.env["retail.identity.field.rule"]
        for value in ("nonsense", "1.5", "0"):
            self.env["ir.config_parameter"].set_param(PRIOR_PARAM, value)
            self.assertEqual(Rule._get_prior(), DEFAULT_PRIOR)

    def test_too_few_customers_is_a_clear_error(self):
        self.env["res.partner"].search(
            [("parent_id", "=", False), ("user_ids", "=", False)]
        ).active = False
        self.customers(ESTIMATION_MINIMUM // 3 - 1)
        rule = self.env.ref("retail_identity_resolution.retail_identity_field_rule_name_agree")
        m = rule.m_probability
        with self.assertRaises(UserError):
            self.env["retail.identity.field.rule"].action_estimate_from_customers()
        self.assertEqual(rule.m_probability, m)

    def test_only_managers_estimate(self):
        self.customers(60)
        user = self.env["res.users"].create(
            {
                "name": "Clerk",
                "login": "estimation-clerk",
                "group_ids": [
                    (6, 0, [self.env.ref("retail_connector_base.group_retail_connect_user").id])
                ],
            }
        )
        rule = self.env.ref("retail_identity_resolution.retail_identity_field_rule_name_agree")
        m = rule.m_probability
        with self.assertRaises(AccessError):
            self.env["retail.identity.field.rule"].with_user(user).action_estimate_from_customers()
        self.assertEqual(rule.m_probability, m)
