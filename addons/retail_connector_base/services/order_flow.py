from odoo import api, fields, models

from .. import flow

FLOW_ORDER = "sale.order"


def version_of(order):
    """The order version a canonical order stands for: its channel update time."""
    return order.updated_at.replace(tzinfo=None).isoformat()


class RetailOrderFlow(models.AbstractModel):
    """Walks an imported order through its backend's steps
    (``retail.order.step``), records each outcome on the order's timeline
    (``retail.order.step.run``), confirms the quotation once every check
    passed, and undoes earlier effects in reverse order when a step fails
    for good.

    A step is a method ``_step_<code>(step, sale_order, order, holds)``
    returning a :class:`~..flow.StepResult`; a channel module adds its own
    steps (a ``code`` with ``selection_add`` and a ``_step_<code>``) and, for
    undoable effects, ``_undo_<code>(sale_order)``.
    """

    _name = "retail.order.flow"
    _description = "Retail Order Flow"

    @api.model
    def _start(self, sale_order, order, holds):
        """Run the flow for a version ``order`` of ``sale_order`` just
        imported; ``holds`` are what the import itself could not resolve
        (an unknown SKU, a missing tax, an inactive currency)."""
        if order.cancelled_at:
            sale_order.retail_hold_reason = "\n".join(holds) or False
            self.env["retail.order.importer"]._cancel(sale_order, order)
            return None
        return self._run(sale_order, version_of(order), order, holds)

    @api.model
    def _run(self, sale_order, version, order=None, holds=()):
        """Run the steps not settled yet for ``version``, from the first;
        stop at the first that holds, waits or fails. ``order`` (the
        canonical version) is needed until the order is confirmed."""
        backend = sale_order.retail_backend_id
        steps = backend._get_flow_steps()
        runs = {
            run.code: run
            for run in sale_order.sudo().retail_step_run_ids
            if run.kind == "run" and run.version == version
        }
        pending = []
        result, compensated = None, False
        for step in steps:
            if step._get_phase() == flow.FULFILMENT and sale_order.state in ("draft", "sent"):
                if order is None:
                    break
                self._confirm(sale_order, order)
            run = runs.get(step.code)
            if run and run.outcome in flow.SETTLED_OUTCOMES:
                if run.outcome == flow.FAILED:
                    # Failed for good and compensated then: nothing more to do.
                    result, compensated = flow.failed(run.reason), True
                    break
                continue
            result = self._run_step(step, sale_order, order, holds)
            values = self._run_values(sale_order, step, version, result)
            if run:
                run.sudo().write(values)
            else:
                pending.append(values)
            if result.stops:
                break
            result = None
        if pending:
            self.env["retail.order.step.run"].sudo().create(pending)
        if compensated:
            return result
        if result is None:
            sale_order.retail_hold_reason = False
            if sale_order.state in ("draft", "sent") and order is not None:
                self._confirm(sale_order, order)
        elif result.outcome == flow.FAILED:
            self._compensate(sale_order, version, result.reason, result.decided_by)
        elif result.outcome == flow.HELD or sale_order.state in ("draft", "sent"):
            sale_order.retail_hold_reason = result.reason
        else:
            # Waiting for a partner after confirmation (a label pending) is
            # not a hold: the order went to the warehouse.
            sale_order.retail_hold_reason = False
        return result

    @api.model
    def _run_step(self, step, sale_order, order, holds):
        method = getattr(self, f"_step_{step.code}", None)
        if method is None:
            return flow.skipped(self.env._("No handler for this step."), "Odoo")
        return method(step, sale_order, order, holds)

    @api.model
    def _run_values(self, sale_order, step, version, result, kind="run"):
        return {
            "order_id": sale_order.id,
            "step_id": step.id if step else False,
            "code": step.code if step else kind,
            "name": step.name if step else kind,
            "sequence": step.sequence if step else 0,
            "kind": kind,
            "version": version,
            "outcome": result.outcome,
            "reason": result.reason or False,
            "decided_by": result.decided_by or False,
            "date": fields.Datetime.now(),
        }

    @api.model
    def _confirm(self, sale_order, order):
        sale_order.retail_hold_reason = False
        sale_order.action_confirm()
        # Confirming dates the order now; the channel's date is when it was placed.
        sale_order.date_order = order.created_at.replace(tzinfo=None)

    # Steering from the timeline

    @api.model
    def _release(self, run):
        """A person lets a held step pass; the flow resumes after it."""
        run = run.sudo()
        run.write(
            {
                "outcome": flow.RELEASED,
                "user_id": self.env.user.id,
                "decided_by": self.env.user.name,
                "date": fields.Datetime.now(),
            }
        )
        self._resume(run.order_id.sudo(), run.version)

    @api.model
    def _retry(self, run):
        """Evaluate a held or waiting step again (and the flow after it)."""
        self._resume(run.order_id.sudo(), run.version)

    @api.model
    def _resume(self, sale_order, version):
        """Go on with the flow of ``sale_order``: a quotation takes its
        canonical version from its last channel event again (steps already
        settled for that version are not run again); a confirmed order needs
        none."""
        if sale_order.state in ("draft", "sent"):
            sale_order.action_retail_retry()
        elif sale_order.state == "sale":
            self._run(sale_order, version)

    @api.model
    def _cancel_from_step(self, run):
        """A person cancels the order from a held step: earlier effects
        are undone, then the order is cancelled and the channel told."""
        run = run.sudo()
        run.write(
            {
                "outcome": flow.FAILED,
                "reason": self.env._("%(reason)s Cancelled by a person.", reason=run.reason or ""),
                "user_id": self.env.user.id,
                "decided_by": self.env.user.name,
                "date": fields.Datetime.now(),
            }
        )
        self._compensate(run.order_id.sudo(), run.version, run.reason, self.env.user.name)
