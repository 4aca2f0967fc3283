from odoo import fields, models


class RetailOrderStep(models.Model):
    _inherit = "retail.order.step"

    code = fields.Selection(
        selection_add=[("mirakl_acceptance", "Marketplace acceptance")],
        ondelete={"mirakl_acceptance": "cascade"},
    )
