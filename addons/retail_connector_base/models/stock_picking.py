from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        """Override of `stock`: owe the channel the deliveries of its orders."""
        result = super()._action_done()
        Outbox = self.env["retail.outbox"].sudo()
        for picking in self.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing"
        ):
            backend = picking.sale_id.retail_backend_id
            if backend and backend.export_fulfillment and backend.support_fulfillment_export:
                Outbox._enqueue(backend, "fulfillment", picking)
        return result
