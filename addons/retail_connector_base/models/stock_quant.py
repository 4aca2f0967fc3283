from odoo import api, models

# The quant fields whose change changes what is available to sell.
STOCK_LEVEL_FIELDS = ("quantity", "reserved_quantity")


class StockQuant(models.Model):
    _inherit = "stock.quant"

    @api.model_create_multi
    def create(self, vals_list):
        """Override of `stock`: a new quant with stock changes what channels may sell."""
        quants = super().create(vals_list)
        # In inventory mode, a quant counted is created (or found) empty: it
        # changes nothing until applied. Quants may not match vals_list 1:1.
        if any(vals.get(name) for vals in vals_list for name in STOCK_LEVEL_FIELDS):
            changed = quants.filtered(lambda q: q.quantity or q.reserved_quantity)
            self.env["retail.stock.change.notifier"]._note_quants(changed)
        return quants

    def write(self, vals):
        """Override of `stock`: every change of a quant's quantity or
        reservation (moves done, reservations made or released, inventory
        applied, scrap...) goes through here; channels are owed the new level."""
        result = super().write(vals)
        if any(name in vals for name in STOCK_LEVEL_FIELDS):
            self.env["retail.stock.change.notifier"]._note_quants(self)
        return result
