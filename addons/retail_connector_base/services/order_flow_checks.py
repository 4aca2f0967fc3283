from decimal import Decimal

from odoo import api, models

from .. import flow


class RetailOrderFlow(models.AbstractModel):
    """The steps before confirmation: each reads the canonical order and the
    quotation built from it, decides, and changes nothing."""

    _inherit = "retail.order.flow"

    @api.model
    def _step_customer(self, step, sale_order, order, holds):
        params = step._get_params()
        partner = sale_order.partner_id.commercial_partner_id
        if params.get("check_blocked") and partner.retail_order_blocked:
            return flow.held(
                self.env._(
                    "Customer %s is blocked for channel orders: unblock them, then release "
                    "or cancel the order.",
                    partner.display_name,
                ),
                self.env._("rule: blocked customer"),
            )
        if params.get("require_identity_decided"):
            undecided = self._get_identity_hold(partner)
            if undecided:
                return flow.held(undecided, self.env._("identity resolution"))
        if params.get("check_credit_limit") and sale_order.company_id.account_use_credit_limit:
            limit = partner.with_company(sale_order.company_id).credit_limit
            if limit:
                exposure = partner.credit + sale_order.amount_total
                if exposure > limit:
                    return flow.held(
                        self.env._(
                            "Credit limit of %(partner)s exceeded: %(exposure).2f owed with "
                            "this order, limit %(limit).2f.",
                            partner=partner.display_name,
                            exposure=exposure,
                            limit=limit,
                        ),
                        self.env._("rule: credit limit"),
                    )
        return flow.passed(
            self.env._("Customer %s.", partner.display_name), self.env._("customer resolution")
        )

    @api.model
    def _get_identity_hold(self, partner):
        """Hook: why who ``partner`` is has not been decided yet (e.g. a
        possible duplicate waiting for review), else ``None``."""
        return None

    @api.model
    def _step_tax(self, step, sale_order, order, holds):
        """What the import could not resolve (products, taxes, currency),
        else Odoo's totals against the channel's (rounding explained away)."""
        found = list(holds) or self.env["retail.order.total.checker"]._holds(sale_order, order)
        if found:
            return flow.held("\n".join(found), self.env._("import and totals check"))
        return flow.passed(
            self.env._("Taxes and totals equal the channel's."),
            self.env._("import and totals check"),
        )

    @api.model
    def _step_channel(self, step, sale_order, order, holds):
        """The channel's own reasons to wait (``_channel_holds``)."""
        found = self.env["retail.order.importer"]._channel_holds(sale_order, order)
        if found:
            return flow.waiting("\n".join(found), sale_order.retail_backend_id.name)
        return flow.passed("", sale_order.retail_backend_id.name)

    @api.model
    def _step_payment(self, step, sale_order, order, holds):
        params = step._get_params()
        state = order.payment_state.value
        by = self.env._("channel payment state")
        if state in params.get("accepted_states", ()):
            return flow.passed(self.env._("Payment %s.", state), by)
        if (
            params.get("allow_invoiced_customers")
            and sale_order.partner_id.property_payment_term_id
        ):
            return flow.passed(
                self.env._(
                    "Invoiced customer (payment terms %s).",
                    sale_order.partner_id.property_payment_term_id.name,
                ),
                self.env._("rule: invoiced customers"),
            )
        gateways = {
            (payment.gateway or "").lower() for payment in order.payments if payment.gateway
        }
        if params.get("allow_cash_on_delivery") and gateways & {
            gateway.lower() for gateway in params.get("cash_on_delivery_gateways", ())
        }:
            return flow.passed(
                self.env._("Payment on delivery."), self.env._("rule: payment on delivery")
            )
        if not params.get("require_payment"):
            return flow.passed(self.env._("Payment %s (not required).", state), by)
        if state in ("voided", "refunded"):
            return flow.failed(self.env._("The channel's payment is %s.", state), by)
        return flow.waiting(self.env._("Waiting for the payment (%s on the channel).", state), by)

    @api.model
    def _step_fraud(self, step, sale_order, order, holds):
        params = step._get_params()
        by = self.env._("fraud rules")
        reasons = []
        if params.get("channel_risk"):
            risk = self._get_channel_risk(sale_order, order)
            if risk:
                return risk
        threshold = params.get("amount_threshold") or 0
        if threshold and order.totals.total > Decimal(str(threshold)):
            reasons.append(
                self.env._(
                    "amount %(total)s above the review threshold %(threshold)s",
                    total=order.totals.total,
                    threshold=threshold,
                )
            )
        if params.get("new_customer_express") and self._is_new_customer(sale_order):
            codes = {code.lower() for code in params.get("express_shipping_codes", ())}
            express = [
                line.title
                for line in order.shipping_lines
                if (line.code or "").lower() in codes
                or any(code in line.title.lower() for code in codes)
            ]
            if express:
                reasons.append(
                    self.env._("new customer with express shipping (%s)", ", ".join(express))
                )
        if params.get("address_mismatch") and self._addresses_differ(order):
            reasons.append(self.env._("billing and shipping addresses differ"))
        if reasons:
            return flow.held(
                self.env._(
                    "Fraud review: %s. Check the order, then release or cancel it.",
                    "; ".join(reasons),
                ),
                by,
            )
        return flow.passed(self.env._("No risk found."), by)

    @api.model
    def _get_channel_risk(self, sale_order, order):
        """Hook: a :class:`~..flow.StepResult` when the channel's own risk
        assessment holds the order, else ``None``."""
        return None

    @api.model
    def _is_new_customer(self, sale_order):
        partner = sale_order.partner_id.commercial_partner_id
        return not self.env["sale.order"].search_count(
            [
                ("partner_id", "child_of", partner.id),
                ("state", "=", "sale"),
                ("id", "!=", sale_order.id),
            ],
            limit=1,
        )

    @api.model
    def _addresses_differ(self, order):
        billing, shipping = order.billing_address, order.shipping_address
        if not billing or not shipping:
            return False
        keys = ("street", "zip", "city", "country_code")
        return any(
            (getattr(billing, key, None) or "").strip().lower()
            != (getattr(shipping, key, None) or "").strip().lower()
            for key in keys
        )
