from odoo import models


class StockReturnPicking(models.TransientModel):
    _inherit = "stock.return.picking"

    def _prepare_picking_default_values(self):
        """Override of `stock`: a channel return goes where its goods'
        condition sends them (``retail.return.importer``)."""
        values = super()._prepare_picking_default_values()
        location_id = self.env.context.get("retail_return_location_id")
        if location_id:
            values["location_dest_id"] = location_id
        return values
