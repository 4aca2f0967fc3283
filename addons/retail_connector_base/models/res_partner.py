from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    retail_binding_ids = fields.One2many(
        "retail.binding",
        "res_id",
        string="Channel bindings",
        domain=[("res_model", "=", "res.partner")],
        help="Every channel customer this contact stands for.",
        groups="retail_connector_base.group_retail_connect_user",
    )
