from odoo import fields, models


class RetailOutboxDiscardWizard(models.TransientModel):
    """Discard outbound messages with a reason (Retail Connect managers)."""

    _name = "retail.outbox.discard.wizard"
    _description = "Discard Outbound Messages"

    message_ids = fields.Many2many("retail.outbox", string="Messages", required=True)
    reason = fields.Text(required=True, help="Why these messages must never be sent.")

    def action_discard(self):
        self.ensure_one()
        self.message_ids._discard(self.reason)
        return {"type": "ir.actions.act_window_close"}
