from odoo import fields, models


class RetailEventCorrection(models.Model):
    """A manager's correction of an event's payload before its replay: the
    body before and after, who, when and why. The first correction of an
    event holds its body as the channel sent it."""

    _name = "retail.event.correction"
    _description = "Retail Event Payload Correction"
    _order = "create_date desc, id desc"

    event_id = fields.Many2one(
        "retail.event", required=True, ondelete="cascade", readonly=True, index=True
    )
    backend_id = fields.Many2one(related="event_id.backend_id", store=True)
    company_id = fields.Many2one(related="event_id.company_id", store=True)
    body_before = fields.Text(required=True, readonly=True)
    body_after = fields.Text(required=True, readonly=True)
    note = fields.Text(string="Why", required=True, readonly=True)
    user_id = fields.Many2one(
        "res.users", required=True, readonly=True, default=lambda s: s.env.user
    )
