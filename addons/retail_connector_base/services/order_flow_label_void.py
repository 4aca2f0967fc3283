from odoo import api, fields, models
from odoo.tools import SQL

from .. import flow
from ..exceptions import PermanentError, TransientError


class RetailOrderFlow(models.AbstractModel):
    """Undoing the shipment step: a pending label is dropped, a label made
    is voided with the carrier, through the carrier's breaker; a carrier
    down leaves the void pending and retried by a job. The timeline's
    compensation row of the shipment says where the void is."""

    _inherit = "retail.order.flow"

    @api.model
    def _undo_shipment(self, sale_order):
        if sale_order.retail_label_state == "pending":
            sale_order.retail_label_state = "cancelled"
            return self.env._("Pending carrier label dropped.")
        if sale_order.retail_label_state == "done":
            return self._void_label(sale_order)
        return None

    @api.model
    def _cancel_label(self, sale_order):
        """The labelled order was cancelled (not by a compensation): void
        its label and show it on the timeline."""
        self._record_label_void(sale_order, self._void_label(sale_order))

    @api.model
    def _void_label(self, sale_order):
        """Void the order's label with the carrier of its shipment step.

        :return: a :class:`~..flow.StepResult`: compensated once voided,
            waiting while the carrier is down (a job retries), failed when
            the carrier refuses
        """
        number = sale_order.retail_label_ref
        params = self._shipment_params(sale_order)
        by = params.get("carrier_code") or self.env._("carrier")
        if not params.get("carrier_url") or not number:
            sale_order.retail_label_state = "void_refused"
            return flow.failed(
                self.env._(
                    "Carrier label %s cannot be voided here (no carrier configured): void it "
                    "with the carrier.",
                    number or "-",
                ),
                by,
            )
        endpoint = self._carrier_endpoint(params)
        breakers = self.env["retail.circuit.breaker.service"]
        if not breakers._allow(endpoint, **self._carrier_breaker_values(sale_order, params)):
            return self._void_pending(sale_order, params, self.env._("its breaker is open"), by)
        try:
            self._carrier_client(params).void_label(number)
        except TransientError as exc:
            breakers._record_failure(endpoint, str(exc))
            return self._void_pending(sale_order, params, str(exc), by)
        except PermanentError as exc:
            breakers._record_success(endpoint)
            sale_order.retail_label_state = "void_refused"
            return flow.failed(
                self.env._(
                    "The carrier refused to void label %(number)s (%(error)s): void it with "
                    "the carrier.",
                    number=number,
                    error=exc,
                ),
                by,
            )
        breakers._record_success(endpoint)
        sale_order.retail_label_state = "voided"
        return flow.StepResult(
            flow.COMPENSATED, self.env._("Carrier label %s voided with the carrier.", number), by
        )

    @api.model
    def _shipment_params(self, sale_order):
        step = sale_order.retail_backend_id._get_flow_steps().filtered(
            lambda s: s.code == "shipment"
        )[:1]
        return step._get_params() if step else {}

    @api.model
    def _void_pending(self, sale_order, params, why, by):
        sale_order.retail_label_state = "void_pending"
        self._delay_carrier_retry(
            sale_order, params, f"Void the carrier label of {sale_order.name}"
        )._retry_void(sale_order)
        return flow.waiting(
            self.env._(
                "Carrier label %(number)s to be voided: the carrier is unavailable (%(why)s); "
                "retried when it answers.",
                number=sale_order.retail_label_ref,
                why=why,
            ),
            by,
        )

    @api.model
    def _retry_void(self, sale_order):
        """Job: void the label of ``sale_order`` if the carrier is back, else
        try again later."""
        self.env.cr.execute(
            SQL("SELECT 1 FROM sale_order WHERE id = %s FOR NO KEY UPDATE", sale_order.id)
        )
        sale_order.invalidate_recordset()
        if sale_order.retail_label_state != "void_pending":
            return f"No label to void ({sale_order.retail_label_state})."
        result = self._void_label(sale_order)
        self._record_label_void(sale_order, result)
        return f"Label {sale_order.retail_label_state}."

    @api.model
    def _record_label_void(self, sale_order, result):
        """Show ``result`` on the shipment's compensation row of the timeline
        (made on the first try, brought up to date on the next ones)."""
        runs = sale_order.sudo().retail_step_run_ids.filtered(lambda r: r.code == "shipment")
        values = {
            "outcome": result.outcome,
            "reason": result.reason,
            "decided_by": result.decided_by or "Odoo",
            "date": fields.Datetime.now(),
        }
        undo = runs.filtered(lambda r: r.kind == "compensation").sorted("id")[-1:]
        if undo:
            undo.write(values)
            return
        run = runs.filtered(lambda r: r.kind == "run").sorted("id")[-1:]
        self.env["retail.order.step.run"].sudo().create(
            {
                "order_id": sale_order.id,
                "step_id": run.step_id.id,
                "code": "shipment",
                "name": run.name or self.env._("Shipment label"),
                "sequence": run.sequence,
                "kind": "compensation",
                "version": run.version or "cancel",
            }
            | values
        )
