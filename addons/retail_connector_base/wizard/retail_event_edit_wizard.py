import json

from odoo import api, fields, models
from odoo.exceptions import UserError

MANAGER_GROUP = "retail_connector_base.group_retail_connect_manager"


def _normalized(body):
    try:
        return json.dumps(json.loads(body), ensure_ascii=False)
    except (TypeError, ValueError):
        return body


class RetailEventEditWizard(models.TransientModel):
    """Correct a failed event's payload and replay it; the body before is
    kept in a correction with who, when and why."""

    _name = "retail.event.edit.wizard"
    _description = "Correct and replay a retail event"

    event_id = fields.Many2one("retail.event", required=True, readonly=True)
    payload = fields.Text(required=True)
    note = fields.Text(string="Why", required=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        event = self.env["retail.event"].browse(values.get("event_id"))
        if event and "payload" in fields_list:
            values["payload"] = event.body_pretty
        return values

    def action_replay(self):
        self.ensure_one()
        if not self.env.user.has_group(MANAGER_GROUP):
            raise UserError(self.env._("Only Retail Connect managers correct event payloads."))
        event = self.event_id
        if event.state not in ("failed", "dead"):
            raise UserError(self.env._("Only a failed or dead event can be corrected."))
        try:
            payload = json.loads(self.payload)
        except ValueError as exc:
            raise UserError(self.env._("The corrected payload is not JSON: %s", exc)) from None
        body = json.dumps(payload, ensure_ascii=False)
        if body == _normalized(event.body):
            raise UserError(self.env._("The payload is unchanged: use Replay instead."))
        self.env["retail.event.correction"].create(
            {"event_id": event.id, "body_before": event.body, "body_after": body, "note": self.note}
        )
        event.sudo().write({"body": body, "body_size": len(body.encode())})
        return event.action_replay()
