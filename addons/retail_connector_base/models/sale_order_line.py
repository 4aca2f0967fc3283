from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    retail_line_id = fields.Char(string="Channel line id", readonly=True, copy=False)
