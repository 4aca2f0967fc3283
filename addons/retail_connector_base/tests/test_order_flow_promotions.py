"""Amount and promotion verification: the backend's maximum-discount rules,
the channel's discount codes, and, where Odoo's ``loyalty`` is installed,
each code's program (its validity, minimum purchase and how much it takes
off) against what the channel granted."""

import unittest
from decimal import Decimal

from ..schemas import Order
from .common import canonical_order
from .test_order_flow import FlowCase

# Two T-shirts at 19.90 (39.80 before discounts), 8.00 off with a code.
DISCOUNTED = {
    "discount_lines": [{"title": "Spring sale", "amount": "8.00", "extra": {"code": "SPRING"}}],
    "totals": {"untaxed": "36.70", "tax": "8.94", "total": "45.64"},
}


class TestDiscountRules(FlowCase):
    def test_max_discount_amount_holds_a_larger_discount_only(self):
        self.set_step("amount", max_discount_amount=5)
        self.import_order(canonical_order(**DISCOUNTED))
        order = self.sale_order()
        self.assertEqual(self.timeline(order)[-1], ("amount", "held"))
        self.assertIn(
            "granted 8.00 USD discount, more than the 5 allowed", order.retail_hold_reason
        )
        self.set_step("amount", max_discount_amount=8)
        self.import_order(canonical_order("1002", **DISCOUNTED))
        self.assertEqual(self.step_run(self.sale_order("1002"), "amount").outcome, "passed")

    def test_channel_discount_codes_from_lines_and_the_orders_codes(self):
        order = Order.model_validate(
            canonical_order(
                discount_lines=[
                    {"title": "WELCOME", "amount": "2.00"},
                    {"title": "Spring sale", "amount": "3.00", "extra": {"code": "SPRING"}},
                ],
                extra={"discount_codes": [{"code": "SPRING", "amount": "1.50"}, {"code": ""}]},
            )
        )
        self.assertEqual(
            self.env["retail.order.flow"]._get_channel_discount_codes(order),
            {"WELCOME": Decimal("2.00"), "SPRING": Decimal("4.50")},
        )


class TestPromotionPrograms(FlowCase):
    """Needs Odoo's ``loyalty`` (not a dependency of the base): skipped where
    it is not installed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "loyalty.program" not in cls.env:
            raise unittest.SkipTest("Odoo's loyalty is not installed")

    def setUp(self):
        super().setUp()
        self.set_step("amount", check_promotion_codes=True)

    def program(self, code="SPRING", **reward):
        rule = {"mode": "with_code", "code": code, "minimum_amount": reward.pop("minimum", 0)}
        dates = {key: reward.pop(key) for key in ("date_from", "date_to") if key in reward}
        return self.env["loyalty.program"].create(
            {
                "name": f"{code} promotion",
                "program_type": "promo_code",
                "trigger": "with_code",
                "currency_id": self.env.ref("base.USD").id,
                "rule_ids": [(0, 0, rule)],
                "reward_ids": [
                    (
                        0,
                        0,
                        {
                            "reward_type": "discount",
                            "discount_mode": "percent",
                            "discount_applicability": "order",
                            **reward,
                        },
                    )
                ],
                **dates,
            }
        )

    def amount_run(self, external_id="1001"):
        self.import_order(canonical_order(external_id, **DISCOUNTED))
        return self.step_run(self.sale_order(external_id), "amount")

    def test_a_discount_within_its_program_passes(self):
        self.program(discount=25)  # 25 % of 39.80 = 9.95
        run = self.amount_run()
        self.assertEqual(run.outcome, "passed")
        self.assertEqual(self.sale_order().state, "sale")

    def test_a_discount_larger_than_its_program_allows_is_held_with_why(self):
        self.program(discount=10)  # 10 % of 39.80 = 3.98
        run = self.amount_run()
        self.assertEqual(run.outcome, "held")
        self.assertEqual(run.decided_by, "promotion programs")
        self.assertIn(
            "Discount code SPRING took 8.00 USD off; the program SPRING promotion allows at "
            "most 3.98",
            run.reason,
        )
        self.assertEqual(self.sale_order().state, "draft")

    def test_a_fixed_discount_and_a_cap(self):
        self.program(discount_mode="per_order", discount=10)
        self.assertEqual(self.amount_run().outcome, "passed")
        self.program(code="CAPPED", discount=50, discount_max_amount=5)  # 19.90, capped at 5
        self.import_order(
            canonical_order(
                "1002",
                discount_lines=[{"title": "CAPPED", "amount": "8.00"}],
                totals=DISCOUNTED["totals"],
            )
        )
        run = self.step_run(self.sale_order("1002"), "amount")
        self.assertEqual(run.outcome, "held")
        self.assertIn("allows at most 5", run.reason)

    def test_an_unknown_code_an_expired_program_and_a_minimum_purchase_are_held(self):
        run = self.amount_run()
        self.assertIn("Discount code SPRING matches no promotion program in Odoo.", run.reason)
        self.program(code="OLD", discount=50, date_to="2026-10-31")
        self.program(code="BIG", discount=50, minimum=100)
        self.import_order(
            canonical_order(
                "1002",
                discount_lines=[
                    {"title": "OLD", "amount": "4.00"},
                    {"title": "BIG", "amount": "4.00"},
                ],
                totals=DISCOUNTED["totals"],
            )
        )
        reason = self.step_run(self.sale_order("1002"), "amount").reason
        self.assertIn("the program OLD promotion is not valid on 2026-11-02", reason)
        self.assertIn("below the minimum purchase of 100", reason)
