from odoo import fields, models


class RetailEvent(models.Model):
    """Edit-before-replay and the index the metrics read."""

    _inherit = "retail.event"

    correction_ids = fields.One2many(
        "retail.event.correction", "event_id", string="Payload corrections", readonly=True
    )
    original_body = fields.Text(
        compute="_compute_original_body",
        help="The body as the channel sent it, before any correction.",
    )

    # Metrics count the events finished since the last snapshot.
    _processed_at_idx = models.Index("(processed_at) WHERE processed_at IS NOT NULL")

    def _compute_original_body(self):
        for event in self:
            first = event.correction_ids.sorted("id")[:1]
            event.original_body = first.body_before if first else event.body

    def action_open_edit_wizard(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "retail.event.edit.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_event_id": self.id},
        }
