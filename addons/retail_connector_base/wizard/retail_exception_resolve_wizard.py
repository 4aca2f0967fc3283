from odoo import api, fields, models


class RetailExceptionResolveWizard(models.TransientModel):
    """Record what fixed a failure group: the suggestion as it is (accept)
    or changed (correct); the triage assistant learns from it."""

    _name = "retail.exception.resolve.wizard"
    _description = "Record the resolution of a retail failure group"

    group_id = fields.Many2one("retail.exception.group", required=True, ondelete="cascade")
    suggestion_confidence = fields.Float(related="group_id.suggestion_confidence")
    cause = fields.Text()
    fix = fields.Text(required=True)
    team_id = fields.Many2one("crm.team", string="Team")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        group = self.env["retail.exception.group"].browse(values.get("group_id"))
        if group:
            values.setdefault("cause", group.resolution_cause or group.suggested_cause)
            values.setdefault("fix", group.resolution_fix or group.suggested_fix)
            values.setdefault(
                "team_id", (group.resolution_team_id or group.suggested_team_id or group.team_id).id
            )
        return values

    def action_record(self):
        self.group_id._record_resolution(self.cause, self.fix, self.team_id)
        return {"type": "ir.actions.act_window_close"}
