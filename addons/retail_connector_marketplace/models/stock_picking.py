from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def action_cancel(self):
        """Override of `stock`: a marketplace order ships whole (OR24). When
        the last open delivery of an order is cancelled after others were
        done, the done ones are owed to the marketplace now: the shipment,
        after cancelling the units that won't come (OR30)."""
        orders = self.filtered(lambda p: p.picking_type_code == "outgoing").sale_id
        result = super().action_cancel()
        Outbox = self.env["retail.outbox"].sudo()
        for order in orders.filtered(lambda o: o.retail_backend_id.code == "mirakl"):
            backend = order.retail_backend_id
            if not (backend.export_fulfillment and backend.support_fulfillment_export):
                continue
            deliveries = order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")
            if deliveries.filtered(lambda p: p.state not in ("done", "cancel")):
                continue
            done = deliveries.filtered(lambda p: p.state == "done").sorted("date_done")
            if done:
                Outbox._enqueue(backend, "fulfillment", done[-1])
        return result
