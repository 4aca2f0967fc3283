from odoo import fields, models


class RetailExceptionIgnoreWizard(models.TransientModel):
    _name = "retail.exception.ignore.wizard"
    _description = "Ignore retail failure groups"

    group_ids = fields.Many2many("retail.exception.group", required=True)
    reason = fields.Text(required=True)

    def action_ignore(self):
        self.group_ids._ignore(self.reason)
        return {"type": "ir.actions.act_window_close"}
