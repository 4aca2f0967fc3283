from odoo import api, models

from .. import flow

# Payment states in which the customer's money was taken.
CAPTURED_STATES = ("paid", "partially_paid")


class RetailOrderFlow(models.AbstractModel):
    _inherit = "retail.order.flow"

    @api.model
    def _compensate(self, sale_order, version, reason, decided_by=""):
        """A step failed for good: undo what the steps before it did, last
        first (withdraw the release, free the reserved stock, cancel the
        order and its delivery and tell the channel, record a refund owed),
        each undo on the timeline."""
        runs = sale_order.sudo().retail_step_run_ids.filtered(
            lambda r: r.kind == "run" and r.outcome in (flow.PASSED, flow.RELEASED)
        )
        fulfilment = runs.filtered(lambda r: r.code in self._get_fulfilment_codes(sale_order))
        checks = runs - fulfilment
        pending = []
        for run in fulfilment.sorted(lambda r: (r.sequence, r.id), reverse=True):
            pending += self._undo_run(sale_order, run, version, decided_by)
        note = self._undo_confirmation(sale_order, reason)
        if note:
            pending.append(self._undo_values(sale_order, "confirmation", note, version, decided_by))
        for run in checks.sorted(lambda r: (r.sequence, r.id), reverse=True):
            pending += self._undo_run(sale_order, run, version, decided_by)
        if pending:
            self.env["retail.order.step.run"].sudo().create(pending)
        sale_order.retail_hold_reason = False

    @api.model
    def _get_fulfilment_codes(self, sale_order):
        steps = sale_order.retail_backend_id._get_flow_steps()
        return set(steps.filtered(lambda s: s._get_phase() == flow.FULFILMENT).mapped("code"))

    @api.model
    def _undo_run(self, sale_order, run, version, decided_by):
        """Undo what ``run`` did: ``_undo_<code>(sale_order)`` says how, as a
        note (compensated) or a :class:`~..flow.StepResult` (an undo waiting
        for a partner, or refused)."""
        method = getattr(self, f"_undo_{run.code}", None)
        note = method(sale_order) if method else None
        if not note:
            return []
        return [self._undo_values(sale_order, run.code, note, version, decided_by, run)]

    @api.model
    def _undo_values(self, sale_order, code, note, version, decided_by, run=None):
        if isinstance(note, flow.StepResult):
            outcome, note = note.outcome, note.reason
        else:
            outcome = flow.COMPENSATED
        return {
            "order_id": sale_order.id,
            "step_id": run.step_id.id if run else False,
            "code": code,
            "name": run.name if run else self.env._("Confirmation"),
            "sequence": run.sequence if run else 0,
            "kind": "compensation",
            "version": version,
            "outcome": outcome,
            "reason": note,
            "decided_by": decided_by or "Odoo",
        }

    @api.model
    def _undo_confirmation(self, sale_order, reason):
        """Cancel the order and its delivery; the cancellation goes to the
        channel through the outbox (``sale.order._action_cancel``)."""
        if sale_order.state == "cancel":
            return None
        if sale_order._retail_is_shipped():
            return None
        was_confirmed = sale_order.state == "sale"
        sale_order.with_context(disable_cancel_warning=True)._action_cancel()
        told = sale_order.retail_backend_id.support_cancellation_export
        return self.env._(
            "Order cancelled%(delivery)s: %(reason)s%(told)s",
            delivery=self.env._(" with its delivery") if was_confirmed else "",
            reason=reason or self.env._("a step failed"),
            told=self.env._(" The channel is told through the outbox.") if told else "",
        )

    @api.model
    def _undo_stock(self, sale_order):
        moves = sale_order.picking_ids.move_ids.filtered(
            lambda m: m.state in ("assigned", "partially_available")
        )
        if not moves:
            return None
        moves._do_unreserve()
        return self.env._("Reserved stock released.")

    @api.model
    def _undo_release(self, sale_order):
        if not sale_order.retail_released_at:
            return None
        sale_order.retail_released_at = False
        return self.env._("Delivery withdrawn from the warehouse.")

    @api.model
    def _undo_payment(self, sale_order):
        if sale_order.retail_payment_state not in CAPTURED_STATES:
            return None
        sale_order.retail_refund_owed = sale_order.amount_total
        return self.env._(
            "Refund owed to the customer: %(amount)s %(currency)s.",
            amount=sale_order.amount_total,
            currency=sale_order.currency_id.name,
        )
