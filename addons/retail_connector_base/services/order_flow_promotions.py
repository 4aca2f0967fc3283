from decimal import Decimal

from odoo import api, models

from .. import flow

# What a discount may exceed what Odoo allows by (rounding on the channel's side).
TOLERANCE = Decimal("0.01")


class RetailOrderFlow(models.AbstractModel):
    """Amount and promotion verification: the channel's discounts against
    what Odoo allows, the backend's maximum-discount rule and, with Odoo's
    ``loyalty`` installed (detected at runtime: no dependency), the
    promotion program of each discount code."""

    _inherit = "retail.order.flow"

    @api.model
    def _step_amount(self, step, sale_order, order, holds):
        params = step._get_params()
        gross = self._discount_base(order)
        discount = sum((line.discount for line in order.lines), Decimal(0)) + sum(
            (line.amount for line in order.discount_lines), Decimal(0)
        )
        percent = (discount / gross * 100) if gross else Decimal(0)
        rule = self.env._("rule: maximum discount")
        maximum = Decimal(str(params.get("max_discount_percent") or 0))
        if maximum and percent > maximum:
            return flow.held(
                self.env._(
                    "The channel granted %(percent).1f %% discount, more than the %(max)s %% "
                    "allowed: check it, then release or cancel the order.",
                    percent=percent,
                    max=maximum,
                ),
                rule,
            )
        ceiling = Decimal(str(params.get("max_discount_amount") or 0))
        if ceiling and discount > ceiling + TOLERANCE:
            return flow.held(
                self.env._(
                    "The channel granted %(discount)s %(currency)s discount, more than the "
                    "%(max)s allowed: check it, then release or cancel the order.",
                    discount=discount,
                    currency=order.currency,
                    max=ceiling,
                ),
                rule,
            )
        if params.get("check_promotion_codes") and "loyalty.rule" in self.env:
            problems = [
                problem
                for code, amount in self._get_channel_discount_codes(order).items()
                if (problem := self._check_promotion(code, amount, sale_order, order, gross))
            ]
            if problems:
                return flow.held(
                    "\n".join(problems)
                    + self.env._("\nCheck the discount, then release or cancel the order."),
                    self.env._("promotion programs"),
                )
        if not discount:
            return flow.passed(self.env._("No discount."), rule)
        return flow.passed(self.env._("Discount of %.1f %% within the rules.", percent), rule)

    @api.model
    def _discount_base(self, order):
        """What the order's lines cost before any discount."""
        return sum((line.unit_price * line.quantity for line in order.lines), Decimal(0))

    @api.model
    def _get_channel_discount_codes(self, order):
        """``{code: amount}``: the discount codes the customer used and what
        each took off (hook). The discount lines' ``code`` extra (else their
        title), and ``extra["discount_codes"]`` of the order
        (``[{"code", "amount"}]``, Shopify's shape)."""
        codes = {}
        for line in order.discount_lines:
            code = (line.extra.get("code") or line.title or "").strip()
            if code:
                codes[code] = codes.get(code, Decimal(0)) + line.amount
        for entry in order.extra.get("discount_codes") or []:
            code = str((entry or {}).get("code") or "").strip()
            if code:
                amount = Decimal(str(entry.get("amount") or 0))
                codes[code] = codes.get(code, Decimal(0)) + amount
        return codes

    @api.model
    def _check_promotion(self, code, amount, sale_order, order, gross):
        """Why Odoo's programs do not allow ``amount`` off with ``code``, or
        ``None`` when they do."""
        date = order.created_at.date()
        rule = (
            self.env["loyalty.rule"]
            .sudo()
            .search(
                [
                    ("code", "=", code),
                    ("mode", "=", "with_code"),
                    ("program_id.company_id", "in", (False, sale_order.company_id.id)),
                ],
                limit=1,
            )
        )
        if not rule:
            return self.env._("Discount code %s matches no promotion program in Odoo.", code)
        program = rule.program_id
        if (program.date_from and date < program.date_from) or (
            program.date_to and date > program.date_to
        ):
            return self.env._(
                "Discount code %(code)s: the program %(program)s is not valid on %(date)s.",
                code=code,
                program=program.name,
                date=date,
            )
        minimum = self._to_order_currency(rule.minimum_amount, program, sale_order)
        if minimum and gross < minimum:
            return self.env._(
                "Discount code %(code)s: the order (%(gross)s) is below the minimum purchase "
                "of %(minimum)s of the program %(program)s.",
                code=code,
                gross=gross,
                minimum=minimum,
                program=program.name,
            )
        allowances = [
            self._reward_allowance(reward, rule, sale_order, order, gross)
            for reward in program.reward_ids
            if reward.reward_type == "discount"
        ]
        if not allowances:
            return self.env._(
                "Discount code %(code)s: the program %(program)s grants no discount.",
                code=code,
                program=program.name,
            )
        if None in allowances:  # a reward whose amount Odoo cannot know here
            return None
        allowed = max(allowances)
        if amount > allowed + TOLERANCE:
            return self.env._(
                "Discount code %(code)s took %(amount)s %(currency)s off; the program "
                "%(program)s allows at most %(allowed)s.",
                code=code,
                amount=amount,
                currency=order.currency,
                program=program.name,
                allowed=allowed,
            )
        return None

    @api.model
    def _reward_allowance(self, reward, rule, sale_order, order, gross):
        """The most ``reward`` takes off this order (``None``: unknown, e.g.
        a discount per loyalty point of a rule counting per product)."""
        value = Decimal(str(reward.discount))
        if reward.discount_mode == "percent":
            if reward.discount_applicability == "cheapest":
                base = min((line.unit_price for line in order.lines), default=Decimal(0))
            elif reward.discount_applicability == "specific":
                domain = reward._get_discount_product_domain()
                base = sum(
                    (
                        Decimal(str(line.price_unit)) * Decimal(str(line.product_uom_qty))
                        for line in sale_order.order_line
                        if line.retail_line_id and line.product_id.filtered_domain(domain)
                    ),
                    Decimal(0),
                )
            else:
                base = gross
            allowed = base * value / 100
        elif reward.discount_mode == "per_order":
            allowed = self._to_order_currency(value, reward.program_id, sale_order)
        elif rule.reward_point_mode == "order":
            points = Decimal(str(rule.reward_point_amount))
            allowed = self._to_order_currency(value * points, reward.program_id, sale_order)
        else:
            return None
        cap = self._to_order_currency(reward.discount_max_amount, reward.program_id, sale_order)
        return min(allowed, cap) if cap else allowed

    @api.model
    def _to_order_currency(self, amount, program, sale_order):
        if not amount:
            return Decimal(0)
        if program.currency_id and program.currency_id != sale_order.currency_id:
            amount = program.currency_id._convert(
                float(amount), sale_order.currency_id, sale_order.company_id, sale_order.date_order
            )
        return Decimal(str(amount))
