from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.queue_job.job import identity_exact

from .. import flow
from ..carrier_client import CarrierClient
from ..exceptions import PermanentError, TransientError

# The least delay before a pending label is tried again.
LABEL_RETRY_SECONDS = 5


class RetailOrderFlow(models.AbstractModel):
    """The steps after confirmation: reserve, release to the warehouse,
    get the carrier's label."""

    _inherit = "retail.order.flow"

    @api.model
    def _deliveries(self, sale_order):
        return sale_order.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state not in ("done", "cancel")
        )

    @api.model
    def _step_stock(self, step, sale_order, order, holds):
        params = step._get_params()
        pickings = self._deliveries(sale_order)
        by = self.env._("stock reservation")
        if not pickings:
            return flow.skipped(self.env._("Nothing to deliver."), by)
        moves = pickings.move_ids.filtered(lambda m: m.state not in ("done", "cancel"))
        if moves.filtered(lambda m: m.state in ("confirmed", "partially_available", "waiting")):
            pickings.action_assign()
        wanted = sum(moves.mapped("product_uom_qty"))
        reserved = sum(moves.mapped("quantity"))
        if reserved >= wanted:
            return flow.passed(self.env._("All %g units reserved.", wanted), by)
        if params.get("allow_partial"):
            return flow.passed(
                self.env._(
                    "%(reserved)g of %(wanted)g units reserved (partial allowed).",
                    reserved=reserved,
                    wanted=wanted,
                ),
                by,
            )
        return flow.held(
            self.env._(
                "Only %(reserved)g of %(wanted)g units in stock and this channel ships "
                "complete orders: retry when the stock is in, or release or cancel.",
                reserved=reserved,
                wanted=wanted,
            ),
            self.env._("rule: complete orders only"),
        )

    @api.model
    def _step_release(self, step, sale_order, order, holds):
        sale_order.retail_released_at = fields.Datetime.now()
        return flow.passed(
            self.env._("Delivery released to the warehouse."), self.env._("every earlier step")
        )

    # Shipment label

    @api.model
    def _step_shipment(self, step, sale_order, order, holds):
        params = step._get_params()
        if not params.get("carrier_url"):
            return flow.skipped(self.env._("No carrier configured."), self.env._("flow settings"))
        return self._create_label(step, sale_order)

    @api.model
    def _carrier_endpoint(self, params):
        return f"{params['carrier_url'].rstrip('/')}/labels"

    @api.model
    def _create_label(self, step, sale_order):
        """Ask the carrier for the label, through the endpoint's breaker; a
        carrier down leaves the label pending and retried by a job."""
        params = step._get_params()
        endpoint = self._carrier_endpoint(params)
        breakers = self.env["retail.circuit.breaker.service"]
        by = params.get("carrier_code") or self.env._("carrier")
        allowed = breakers._allow(endpoint, **self._carrier_breaker_values(sale_order, params))
        if not allowed:
            return self._label_pending(
                step, sale_order, self.env._("the carrier's circuit breaker is open"), by
            )
        try:
            answer = self._carrier_client(params).create_label(
                self._label_payload(sale_order, params), self._label_key(sale_order)
            )
        except TransientError as exc:
            breakers._record_failure(endpoint, str(exc))
            return self._label_pending(step, sale_order, str(exc), by)
        except PermanentError as exc:
            breakers._record_success(endpoint)
            return flow.failed(self.env._("The carrier refused the label: %s", exc), by)
        breakers._record_success(endpoint)
        sale_order.write(
            {
                "retail_label_state": "done",
                "retail_label_ref": answer.get("tracking_number") or False,
            }
        )
        return flow.passed(self.env._("Label %s created.", answer.get("tracking_number") or ""), by)

    @api.model
    def _carrier_breaker_values(self, sale_order, params):
        """How the carrier's breaker is made on first use."""
        return {
            "label": self.env._("Carrier %s", params.get("carrier_code") or ""),
            "backend": sale_order.retail_backend_id,
            "threshold": params.get("breaker_threshold", 5),
            "cooldown": params.get("breaker_cooldown_seconds", 30),
        }

    @api.model
    def _label_pending(self, step, sale_order, why, by):
        sale_order.retail_label_state = "pending"
        self._delay_carrier_retry(
            sale_order, step._get_params(), f"Carrier label of {sale_order.name}"
        )._retry_label(sale_order)
        return flow.waiting(self.env._("Label pending: %s.", why), by)

    @api.model
    def _delay_carrier_retry(self, sale_order, params, description):
        """The delayed flow whose job calls the carrier again when its
        breaker lets a call through (at the earliest a few seconds away)."""
        eta = self.env["retail.circuit.breaker.service"]._retry_at(self._carrier_endpoint(params))
        eta = max(eta, fields.Datetime.now() + timedelta(seconds=LABEL_RETRY_SECONDS))
        return self.with_delay(
            eta=eta,
            channel=sale_order.retail_backend_id._get_job_channel(),
            identity_key=identity_exact,
            description=description,
        )

    @api.model
    def _carrier_client(self, params):
        return CarrierClient(params["carrier_url"], timeout=params.get("timeout_seconds", 10))

    @api.model
    def _label_key(self, sale_order):
        return f"{self.env.cr.dbname}-{sale_order.id}"

    @api.model
    def _label_payload(self, sale_order, params):
        address = sale_order.partner_shipping_id
        return {
            "reference": sale_order.name,
            "carrier_code": params.get("carrier_code") or "",
            "recipient": {
                "name": address.name or "",
                "street": address.street or "",
                "street2": address.street2 or "",
                "zip": address.zip or "",
                "city": address.city or "",
                "country_code": address.country_id.code or "",
                "phone": address.phone or "",
            },
            "parcels": [
                {"sku": line.product_id.default_code or "", "quantity": line.product_uom_qty}
                for line in sale_order.order_line
                if line.product_id.type == "consu" and not line.display_type
            ],
        }

    @api.model
    def _retry_label(self, sale_order):
        """Job: create the pending label of ``sale_order`` if the carrier is
        back, else try again later; never for a cancelled order."""
        self.env.cr.execute(
            SQL("SELECT 1 FROM sale_order WHERE id = %s FOR NO KEY UPDATE", sale_order.id)
        )
        sale_order.invalidate_recordset()
        run = sale_order.sudo().retail_step_run_ids.filtered(
            lambda r: r.kind == "run" and r.code == "shipment" and r.outcome == flow.WAITING
        )[-1:]
        if sale_order.state == "cancel" or sale_order.retail_label_state != "pending" or not run:
            if sale_order.state == "cancel" and sale_order.retail_label_state == "pending":
                sale_order.retail_label_state = "cancelled"
            return f"No label to create ({sale_order.state}, {sale_order.retail_label_state})."
        self._run(sale_order, run.version)
        return f"Label {sale_order.retail_label_state}."
