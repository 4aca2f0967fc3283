from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

DEFAULT_TTL_HOURS = 24


class RetailApiIdempotency(models.Model):
    """The first answer to each ``Idempotency-Key`` of a backend, replayed
    to every retry of the same request.

    The row is claimed in the request's transaction before the work and
    completed with the answer in the same transaction, so a request that
    fails leaves no claim behind, and a concurrent twin waits on the unique
    index, then replays the committed answer (Odoo re-runs the twin's
    request after the serialization failure PostgreSQL raises).
    """

    _name = "retail.api.idempotency"
    _description = "Retail Channel API Idempotency Record"
    _order = "id desc"
    _log_access = False

    backend_id = fields.Many2one("retail.backend", required=True, ondelete="cascade")
    key_id = fields.Many2one("retail.api.key", ondelete="set null")
    idempotency_key = fields.Char(required=True)
    request_hash = fields.Char(required=True, help="SHA-256 of the method, path and body.")
    created_at = fields.Datetime(required=True, index=True)
    status = fields.Integer()
    content_type = fields.Char()
    response_body = fields.Text()

    _backend_key_uniq = models.Constraint(
        "UNIQUE(backend_id, idempotency_key)", "An idempotency key is used once per backend."
    )

    @api.model
    def _claim(self, backend_id, key_id, idempotency_key, request_hash):
        """Claim ``idempotency_key`` for this request.

        :return: ``(claim id, None)`` for a new key, or ``(None, previous)``
            with ``previous`` the dict of the first request's record
        """
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                INSERT INTO retail_api_idempotency (
                    backend_id, key_id, idempotency_key, request_hash, created_at)
                VALUES (%s, %s, %s, %s, now() at time zone 'UTC')
                ON CONFLICT (backend_id, idempotency_key) DO NOTHING
                RETURNING id
                """,
                backend_id,
                key_id,
                idempotency_key,
                request_hash,
            )
        )
        row = cr.fetchone()
        if row:
            return row[0], None
        cr.execute(
            SQL(
                """
                SELECT request_hash, status, content_type, response_body
                  FROM retail_api_idempotency
                 WHERE backend_id = %s AND idempotency_key = %s
                """,
                backend_id,
                idempotency_key,
            )
        )
        request_hash_first, status, content_type, body = cr.fetchone()
        return None, {
            "request_hash": request_hash_first,
            "status": status,
            "content_type": content_type,
            "body": body,
        }

    @api.model
    def _complete(self, claim_id, status, content_type, body):
        """Keep the answer of the request that made claim ``claim_id``."""
        self.env.cr.execute(
            SQL(
                """
                UPDATE retail_api_idempotency
                   SET status = %s, content_type = %s, response_body = %s
                 WHERE id = %s
                """,
                status,
                content_type,
                body,
                claim_id,
            )
        )

    @api.model
    def _purge_expired(self):
        hours = float(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("retail_connector_base.api_idempotency_hours", DEFAULT_TTL_HOURS)
        )
        # Never less than the 24 hours the API promises.
        limit = fields.Datetime.now() - timedelta(hours=max(hours, DEFAULT_TTL_HOURS))
        self.flush_model()
        self.env.cr.execute(SQL("DELETE FROM retail_api_idempotency WHERE created_at < %s", limit))
        self.invalidate_model()
