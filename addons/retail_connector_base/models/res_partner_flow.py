from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    retail_order_blocked = fields.Boolean(
        string="Block channel orders",
        help="Channel orders of this customer are held at customer validation.",
    )
