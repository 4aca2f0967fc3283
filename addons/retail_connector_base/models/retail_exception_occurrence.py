from odoo import api, fields, models

OCCURRENCE_STATES = [("open", "Still failing"), ("resolved", "Resolved")]


class RetailExceptionOccurrence(models.Model):
    """One failing record (an event, a job, a held order, an outbound
    message) in its group; read again on each triage run, never twice."""

    _name = "retail.exception.occurrence"
    _description = "Retail Exception Occurrence"
    _order = "seen_at desc, id desc"

    group_id = fields.Many2one(
        "retail.exception.group", required=True, ondelete="cascade", readonly=True
    )
    source = fields.Selection(related="group_id.source", store=True)
    res_model = fields.Char(required=True, readonly=True)
    res_id = fields.Many2oneReference(model_field="res_model", required=True, readonly=True)
    backend_id = fields.Many2one("retail.backend", ondelete="cascade", readonly=True, index=True)
    topic = fields.Char(readonly=True)
    message = fields.Text(readonly=True)
    seen_at = fields.Datetime(readonly=True, index=True)
    state = fields.Selection(OCCURRENCE_STATES, required=True, default="open", index=True)
    resolved_at = fields.Datetime(readonly=True)

    _record_group_uniq = models.Constraint(
        "UNIQUE(group_id, res_model, res_id)", "A record is in a group once."
    )

    @api.depends("res_model", "res_id")
    def _compute_display_name(self):
        for occurrence in self:
            record = self.env[occurrence.res_model].browse(occurrence.res_id).exists()
            occurrence.display_name = record.display_name if record else occurrence.res_model

    @api.model
    def _upsert(self, group, entries):
        """Attach ``entries`` to ``group``: a record already there is seen
        again (reopened if it had been resolved), never counted twice."""
        existing = {
            (o.res_model, o.res_id): o
            for o in self.search(
                [("group_id", "=", group.id), ("res_id", "in", [e.res_id for e in entries])]
            )
        }
        to_create = {}
        for entry in entries:
            occurrence = existing.get((entry.res_model, entry.res_id))
            if occurrence:
                if occurrence.state != "open" or occurrence.seen_at != entry.seen_at:
                    occurrence.write(
                        {"state": "open", "seen_at": entry.seen_at, "message": entry.message}
                    )
                continue
            to_create[(entry.res_model, entry.res_id)] = {
                "group_id": group.id,
                "res_model": entry.res_model,
                "res_id": entry.res_id,
                "backend_id": entry.backend_id,
                "topic": entry.topic,
                "message": entry.message,
                "seen_at": entry.seen_at,
            }
        return self.create(list(to_create.values()))

    def action_open_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }
