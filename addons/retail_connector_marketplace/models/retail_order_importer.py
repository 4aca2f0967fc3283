from odoo import api, models

from ..adapters.mirakl import REFUNDS_KEY


class RetailOrderImporter(models.AbstractModel):
    _inherit = "retail.order.importer"

    @api.model
    def _import(self, event, order):
        """Override of `retail_connector_base`: for Mirakl orders, follow the
        acceptance (``retail.mirakl.acceptance``), hold an order whose
        customer opened an incident, and record the operator's refunds."""
        outcome, reason = super()._import(event, order)
        backend = event.backend_id
        if backend.code != "mirakl" or outcome != "done":
            return outcome, reason
        sale_order = self.env["retail.binding"]._find(backend, "sale.order", order.external_id)
        sale_order = sale_order._record() if sale_order else None
        if not sale_order:
            return outcome, reason
        note = self.env["retail.mirakl.acceptance"]._follow(backend, sale_order, order)
        if note:
            reason = f"{reason} {note}"
        incidents = [
            line.external_id
            for line in order.lines
            if line.extra.get("order_line_state") == "INCIDENT_OPEN"
        ]
        if incidents:
            self._add_hold(
                sale_order,
                self.env._(
                    "The customer opened an incident on the marketplace (line %s): answer it "
                    "there.",
                    ", ".join(incidents),
                ),
            )
        refunds = self._mirakl_import_refunds(event, order)
        if refunds:
            reason = f"{reason} {refunds}"
        return outcome, reason

    @api.model
    def _mirakl_import_refunds(self, event, order):
        """Record the operator's refunds of the order's lines (each once),
        which the adapter put in the canonical order's extra, through base's
        refund importer; return what was recorded."""
        reasons = []
        for refund in order.extra.get(REFUNDS_KEY) or ():
            state, reason = self.env["retail.refund.importer"]._import(event, refund)
            if state == "done":
                reasons.append(reason)
        return " ".join(reasons)
