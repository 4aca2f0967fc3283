from odoo import fields, models

from ..services.circuit_breaker import CLOSED, HALF_OPEN, OPEN


class RetailCircuitBreaker(models.Model):
    """The state of one downstream endpoint's circuit breaker (see
    ``services/circuit_breaker.py``, which owns every change of state)."""

    _name = "retail.circuit.breaker"
    _description = "Retail Circuit Breaker"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "state desc, endpoint"

    endpoint = fields.Char(required=True, readonly=True)
    name = fields.Char(readonly=True)
    backend_id = fields.Many2one("retail.backend", ondelete="set null", readonly=True)
    state = fields.Selection(
        [(CLOSED, "Closed"), (OPEN, "Open"), (HALF_OPEN, "Half-open")],
        default=CLOSED,
        required=True,
        readonly=True,
    )
    failure_count = fields.Integer(readonly=True, help="Failures in a row.")
    failure_threshold = fields.Integer(default=5, help="Failures in a row that open it.")
    cooldown_seconds = fields.Integer(
        default=30, help="How long it stays open before one call probes the endpoint."
    )
    opened_at = fields.Datetime(readonly=True)
    probe_at = fields.Datetime(readonly=True)
    closed_at = fields.Datetime(readonly=True)
    last_failure_at = fields.Datetime(readonly=True)
    last_error = fields.Text(readonly=True)
    open_count = fields.Integer(readonly=True, help="Times it opened.")
    close_count = fields.Integer(readonly=True, help="Times it closed again.")

    _endpoint_uniq = models.Constraint("UNIQUE(endpoint)", "One breaker per endpoint.")

    def _on_opened(self):
        """The breaker just opened: one activity for a person, whatever the
        number of orders waiting behind it."""
        self.ensure_one()
        user = self.backend_id.user_id or self.env.ref("base.user_admin", raise_if_not_found=False)
        self.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._("%s is unavailable", self.name),
            note=self.env._(
                "Calls to %(endpoint)s failed %(count)s times in a row: %(error)s. Orders that "
                "need it wait and are retried when it answers again. Runbook: %(runbook)s",
                endpoint=self.endpoint,
                count=self.failure_count,
                error=self.last_error or "",
                runbook=self.runbook_url,
            ),
            user_id=(user or self.env.user).id,
        )

    def _on_closed(self):
        """The endpoint answers again: its activity is done."""
        self.ensure_one()
        self.sudo().activity_ids.action_feedback(feedback=self.env._("Answering again."))

    def action_reset(self):
        """Close the breaker by hand."""
        self.write({"state": CLOSED, "failure_count": 0, "closed_at": fields.Datetime.now()})
        self.sudo().activity_ids.action_feedback(feedback=self.env._("Closed by hand."))
        return True
