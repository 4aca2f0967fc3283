from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

DEFAULT_RETENTION_DAYS = 90


class RetailApiCall(models.Model):
    """One call to the Channel API: which key, which route, the answer's
    status, latency and sizes, the idempotency key. Never a body: bodies
    may carry personal data and secrets."""

    _name = "retail.api.call"
    _description = "Retail Channel API Call"
    _order = "id desc"
    _log_access = False

    called_at = fields.Datetime(required=True, readonly=True, index=True)
    key_id = fields.Many2one("retail.api.key", readonly=True, ondelete="cascade", index=True)
    backend_id = fields.Many2one("retail.backend", readonly=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    method = fields.Char(readonly=True)
    route = fields.Char(readonly=True, help="The path as called, without the query string.")
    status = fields.Integer(readonly=True, index=True)
    latency_ms = fields.Integer(string="Latency (ms)", readonly=True)
    request_bytes = fields.Integer(string="Request size (bytes)", readonly=True)
    response_bytes = fields.Integer(string="Response size (bytes)", readonly=True)
    idempotency_key = fields.Char(readonly=True)
    replayed = fields.Boolean(readonly=True, help="Answered from a previous call's record.")
    remote_addr = fields.Char(string="Client address", readonly=True)

    @api.model
    def _record(self, values):
        """Insert one call row (the API's hot path: one statement, no ORM)."""
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO retail_api_call (
                    called_at, key_id, backend_id, company_id, method, route, status,
                    latency_ms, request_bytes, response_bytes, idempotency_key, replayed,
                    remote_addr)
                VALUES (now() at time zone 'UTC', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                        %s, %s)
                """,
                values.get("key_id"),
                values.get("backend_id"),
                values.get("company_id"),
                values["method"],
                values["route"][:500],
                values["status"],
                values["latency_ms"],
                values.get("request_bytes") or 0,
                values.get("response_bytes") or 0,
                (values.get("idempotency_key") or None) and values["idempotency_key"][:255],
                bool(values.get("replayed")),
                values.get("remote_addr"),
            )
        )

    @api.model
    def _cron_purge(self):
        """Delete calls past the retention (``retail_connector_base.api_call_retention_days``)
        and idempotency records past theirs; retire the users of expired keys."""
        days = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("retail_connector_base.api_call_retention_days", DEFAULT_RETENTION_DAYS)
        )
        limit = fields.Datetime.now() - timedelta(days=days)
        self.flush_model()
        self.env.cr.execute(SQL("DELETE FROM retail_api_call WHERE called_at < %s", limit))
        self.invalidate_model()
        self.env["retail.api.idempotency"]._purge_expired()
        self.env["retail.api.key"]._retire_expired_users()
