from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..metrics.anomaly import HISTORY_WEEKS, detect_drop, detect_spike

ALERT_KINDS = [
    ("order_drop", "Orders far below their usual level"),
    ("failure_spike", "Failures far above their usual level"),
    ("hold_spike", "Holds far above their usual level"),
]
MANAGER_GROUP = "retail_connector_base.group_retail_connect_manager"


class RetailAnomalyAlert(models.Model):
    """A backend's flow far from its usual level for the hour (weekday and
    hour from its own history). One alert, with one activity, per backend
    and kind while it is open; never acts on orders by itself."""

    _name = "retail.anomaly.alert"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Retail Anomaly Alert"
    _order = "hour_start desc, id desc"

    backend_id = fields.Many2one("retail.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    kind = fields.Selection(ALERT_KINDS, required=True)
    hour_start = fields.Datetime(required=True, readonly=True)
    expected = fields.Float(readonly=True, digits=(16, 1))
    observed = fields.Integer(readonly=True)
    last_hour_start = fields.Datetime(readonly=True, help="The last hour found anomalous.")
    state = fields.Selection(
        [("open", "Open"), ("closed", "Closed")], default="open", required=True, tracking=True
    )

    _open_uniq = models.UniqueIndex(
        "(backend_id, kind) WHERE state = 'open'", "One open alert per backend and kind."
    )

    @api.depends("backend_id", "kind", "hour_start")
    def _compute_display_name(self):
        labels = dict(ALERT_KINDS)
        for alert in self:
            alert.display_name = f"{alert.backend_id.name}: {labels.get(alert.kind, '')}"

    def action_close(self):
        self.write({"state": "closed"})
        self.activity_ids.action_feedback(feedback=self.env._("Closed."))

    # Detection

    @api.model
    def _cron_detect_anomalies(self):
        """Judge the last full hour of every active backend."""
        hour_end = fields.Datetime.now().replace(minute=0, second=0, microsecond=0)
        for backend in self.env["retail.backend"].search([("state", "=", "active")]):
            self._detect(backend, hour_end - timedelta(hours=1))

    @api.model
    def _detect(self, backend, hour_start):
        """Raise (or extend) the alerts of ``backend`` for the hour starting
        at ``hour_start``; return the alerts raised or extended."""
        # kind, rule, what is counted per hour: (table, backend column, time column, filter)
        checks = (
            ("order_drop", detect_drop, ("sale_order", "retail_backend_id", "date_order", "TRUE")),
            (
                "failure_spike",
                detect_spike,
                ("retail_event", "backend_id", "received_at", "state IN ('failed', 'dead')"),
            ),
            (
                "hold_spike",
                detect_spike,
                ("sale_order", "retail_backend_id", "date_order", "retail_on_hold"),
            ),
        )
        alerts = self.browse()
        for kind, detect, counted in checks:
            observed, history = self._hour_counts(counted, backend, hour_start)
            verdict = detect(observed, history)
            if verdict.anomalous:
                alerts |= self._raise(backend, kind, hour_start, verdict)
        return alerts

    def _hour_counts(self, counted, backend, hour_start):
        """The count of this hour and of the same hour in past weeks of
        ``counted``: ``(table, backend column, time column, filter)``."""
        table, backend_column, time_column, condition = (SQL(part) for part in counted)
        hours = [hour_start - timedelta(weeks=week) for week in range(HISTORY_WEEKS + 1)]
        counts = []
        for start in hours:
            self.env.cr.execute(
                SQL(
                    "SELECT COUNT(*) FROM %s WHERE %s = %s AND %s AND %s >= %s AND %s < %s",
                    table,
                    backend_column,
                    backend.id,
                    condition,
                    time_column,
                    start,
                    time_column,
                    start + timedelta(hours=1),
                )
            )
            counts.append(self.env.cr.fetchone()[0])
        history = counts[1:]
        # Weeks before the backend existed tell nothing.
        created = backend.create_date
        history = [
            c for c, h in zip(history, hours[1:], strict=False) if h >= created - timedelta(hours=1)
        ]
        return counts[0], history

    def _raise(self, backend, kind, hour_start, verdict):
        self.env.flush_all()
        alert = self.search(
            [("backend_id", "=", backend.id), ("kind", "=", kind), ("state", "=", "open")]
        )
        message = self.env._(
            "%(backend)s, hour from %(hour)s UTC: %(observed)s observed, %(expected).1f expected "
            "(same hour, same weekday, previous weeks).",
            backend=backend.name,
            hour=hour_start,
            observed=verdict.observed,
            expected=verdict.expected,
        )
        if alert:
            alert.write({"last_hour_start": hour_start, "observed": verdict.observed})
            alert.message_post(body=message)
            return alert
        alert = self.create(
            {
                "backend_id": backend.id,
                "kind": kind,
                "hour_start": hour_start,
                "last_hour_start": hour_start,
                "expected": verdict.expected,
                "observed": verdict.observed,
            }
        )
        alert.message_post(body=message)
        user = self.env.ref("base.user_admin", raise_if_not_found=False)
        if user:
            alert.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=user.id,
                summary=alert.display_name,
                note=message,
            )
        return alert
