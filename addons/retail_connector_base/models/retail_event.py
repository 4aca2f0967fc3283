import json
import logging
import time
from datetime import timedelta

import psycopg2
import requests
from psycopg2.extras import Json

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from odoo.addons.queue_job.exception import FailedJobError, RetryableJobError

from .. import schemas
from ..const import (
    EVENT_JOB_PRIORITY,
    EVENT_SOURCES,
    EVENT_STATES,
    PENDING_EVENT_STATES,
    REPLAYABLE_EVENT_STATES,
)
from ..exceptions import PermanentError, TransientError

_logger = logging.getLogger(__name__)

JOB_MANAGER_GROUP = "queue_job.group_queue_job_manager"

# Errors that may go away by themselves: retried with backoff.
TRANSIENT_ERRORS = (
    TransientError,
    RetryableJobError,
    psycopg2.errors.SerializationFailure,
    psycopg2.errors.LockNotAvailable,
    psycopg2.errors.DeadlockDetected,
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    # Two workers importing the same new record: the loser is retried and
    # then finds the winner's binding.
    psycopg2.errors.UniqueViolation,
)
# Errors that retrying cannot fix: the event fails at once.
PERMANENT_ERRORS = (PermanentError, ValidationError, UserError, AccessError, ValueError)


class RetailEvent(models.Model):
    _name = "retail.event"
    _description = "Retail Inbound Event"
    _order = "received_at desc, id desc"

    backend_id = fields.Many2one(
        "retail.backend", required=True, index=True, ondelete="restrict", readonly=True
    )
    company_id = fields.Many2one(
        related="backend_id.company_id", store=True, index=True, readonly=True
    )
    channel_code = fields.Selection(related="backend_id.code", string="Channel")
    source = fields.Selection(EVENT_SOURCES, required=True, default="webhook", readonly=True)
    topic = fields.Char(required=True, index=True, readonly=True)
    event_key = fields.Char(
        required=True,
        readonly=True,
        help="The channel's identifier of this delivery; one event per key and backend.",
    )
    received_at = fields.Datetime(
        required=True, default=fields.Datetime.now, index=True, readonly=True
    )
    body = fields.Text(string="Raw body", readonly=True, help="Exactly as received.")
    body_purged = fields.Boolean(readonly=True)
    body_size = fields.Integer(string="Body size (bytes)", readonly=True)
    headers = fields.Json(string="Kept headers", readonly=True)
    headers_text = fields.Text(string="Headers", compute="_compute_pretty_json")
    body_pretty = fields.Text(string="Payload", compute="_compute_pretty_json")
    state = fields.Selection(
        EVENT_STATES, required=True, default="received", index=True, readonly=True
    )
    state_reason = fields.Char(
        string="Reason", readonly=True, help="Why an event was ignored (duplicate, stale...)."
    )
    attempts = fields.Integer(readonly=True)
    error = fields.Text(readonly=True)
    job_id = fields.Many2one(
        "queue.job", readonly=True, index="btree_not_null", groups=JOB_MANAGER_GROUP
    )
    job_state = fields.Selection(
        related="job_id.state", string="Job state", groups=JOB_MANAGER_GROUP
    )
    processed_at = fields.Datetime(readonly=True)
    processing_ms = fields.Integer(string="Processing time (ms)", readonly=True)

    _backend_event_key_uniq = models.Constraint(
        "UNIQUE(backend_id, event_key)",
        "An event with this key was already received for this backend.",
    )
    _state_backend_idx = models.Index("(state, backend_id)")

    @api.depends("topic", "event_key")
    def _compute_display_name(self):
        for event in self:
            event.display_name = f"{event.topic or ''} {event.event_key or ''}".strip()

    @api.depends("headers", "body")
    def _compute_pretty_json(self):
        for event in self:
            event.headers_text = json.dumps(event.headers or {}, indent=2, sort_keys=True)
            try:
                event.body_pretty = json.dumps(json.loads(event.body), indent=2, ensure_ascii=False)
            except (TypeError, ValueError):
                event.body_pretty = event.body

    # Ingestion

    @api.model
    def _insert_idempotent(self, backend, event_values, body, source="webhook"):
        """Store an inbound event unless its key is known; enqueue it.

        ``INSERT ... ON CONFLICT DO NOTHING`` keeps concurrent deliveries of
        the same key to one row without an error. Returns the new event, or
        an empty recordset for a duplicate.
        """
        text = body.decode() if isinstance(body, bytes) else body
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO retail_event (
                    backend_id, company_id, source, topic, event_key, received_at,
                    body, body_size, headers, state, attempts,
                    create_uid, create_date, write_uid, write_date)
                VALUES (%s, %s, %s, %s, %s, now() at time zone 'UTC',
                        %s, %s, %s, 'received', 0,
                        %s, now() at time zone 'UTC', %s, now() at time zone 'UTC')
                ON CONFLICT (backend_id, event_key) DO NOTHING
                RETURNING id
                """,
                backend.id,
                backend.company_id.id,
                source,
                event_values.topic,
                event_values.event_key,
                text,
                len(body),
                Json(event_values.headers or {}),
                self.env.uid,
                self.env.uid,
            )
        )
        row = self.env.cr.fetchone()
        if not row:
            return self.browse()
        event = self.browse(row[0])
        backend.invalidate_recordset(["event_ids"])
        if backend.state == "active":
            event._enqueue_processing()
        return event

    def _enqueue_processing(self):
        """Create one processing job per event, in the current transaction."""
        for event in self:
            backend = event.backend_id
            job = event.with_delay(
                channel=backend._get_job_channel("realtime"),
                priority=EVENT_JOB_PRIORITY,
                max_retries=backend.max_attempts,
                description=f"Process {backend.code} event {event.topic} ({event.event_key})",
            )._process()
            event.write({"state": "queued", "job_id": job.db_record().id})

    # Processing (queue_job)

    def _process(self):
        """Job: translate the event with its channel adapter and apply it.

        The work runs in a savepoint that also holds the event's row lock, so
        two jobs for one event never both apply it; on failure the outcome is
        recorded from another cursor (the job's transaction is rolled back)
        and the error is raised for queue_job to retry or fail the job.
        """
        self.ensure_one()
        started = time.monotonic()
        try:
            with self.env.cr.savepoint():
                return self._process_locked(started)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a record
            self._handle_processing_error(exc, started)

    def _process_locked(self, started):
        self.env.cr.execute(
            SQL("SELECT state FROM retail_event WHERE id = %s FOR NO KEY UPDATE", self.id)
        )
        self.invalidate_recordset(["state"])
        state = self.env.cr.fetchone()[0]
        if state in ("done", "ignored"):
            return f"Event already {state}: nothing applied."
        if self.backend_id.state != "active":
            self.write({"state": "received"})
            return "Backend not active: event kept until it is activated."
        outcome, reason = self._apply()
        self.write(
            {
                "state": outcome,
                "state_reason": reason,
                "attempts": self.attempts + 1,
                "error": False,
                "processed_at": fields.Datetime.now(),
                "processing_ms": _elapsed_ms(started),
            }
        )
        return f"{outcome}: {reason}" if reason else outcome

    def _apply(self):
        """Translate the stored payload and hand it to the importer.

        :return: ``(state, reason)`` with state ``done`` or ``ignored``
        """
        if self.body_purged:
            raise PermanentError("the raw body was purged; the event can't be processed")
        try:
            payload = json.loads(self.body)
        except (TypeError, ValueError) as exc:
            raise PermanentError(f"the stored body is not JSON ({exc})") from None
        adapter = self.backend_id._get_adapter()
        canonical = adapter.to_canonical(self.topic, payload, self.headers or {})
        return self._apply_canonical(canonical)

    def _apply_canonical(self, canonical):
        """Write ``canonical`` data to Odoo's business objects.

        Channel modules may override this for canonical types of their own
        and call ``super()`` for the others.

        :return: ``(state, reason)``
        """
        if isinstance(canonical, schemas.Order):
            return self.env["retail.order.importer"]._import(self, canonical)
        if isinstance(canonical, schemas.Customer):
            return self.env["retail.partner.resolver"]._import(self, canonical)
        return "ignored", self.env._("No importer handles topic %s.", self.topic)

    def _reimport(self):
        """Apply this event's data once more, e.g. to retry an order on hold
        after fixing its cause; importers update what they created before."""
        self.ensure_one()
        _state, reason = self.with_context(retail_reimport=True)._apply()
        self.state_reason = reason

    def _handle_processing_error(self, exc, started):
        transient = self._is_transient_error(exc)
        message = self._describe_error(exc)
        attempts = self.attempts + 1
        if not transient:
            state = "failed"
        elif attempts >= self.backend_id.max_attempts:
            state = "dead"
            message = self.env._(
                "Gave up after %(attempts)s attempts: %(error)s", attempts=attempts, error=message
            )
        else:
            state = "queued"
        self._write_in_new_cursor(
            {
                "state": state,
                "attempts": attempts,
                "error": message,
                "processed_at": fields.Datetime.now(),
                "processing_ms": _elapsed_ms(started),
            }
        )
        if state == "queued":
            retry_after = getattr(exc, "retry_after", None)
            raise RetryableJobError(message, seconds=retry_after) from exc
        raise FailedJobError(message) from exc

    def _write_in_new_cursor(self, values):
        """Record a processing outcome that must survive the job's rollback."""
        with self.env.registry.cursor() as cr:
            event = self.with_env(self.env(cr=cr)).sudo()
            if event.state not in ("done", "ignored"):
                event.write(values)
        self.invalidate_recordset()

    @api.model
    def _is_transient_error(self, exc):
        # An unexpected error may be a passing fault: it is retried and ends dead.
        return isinstance(exc, TRANSIENT_ERRORS) or not isinstance(exc, PERMANENT_ERRORS)

    @api.model
    def _describe_error(self, exc):
        """A message a person can act on, without a traceback."""
        if isinstance(exc, PermanentError | TransientError):
            return str(exc)
        if isinstance(exc, UserError | ValidationError | AccessError):
            return exc.args[0] if exc.args else str(exc)
        if isinstance(exc, requests.exceptions.RequestException):
            return self.env._("Channel unreachable: %s", exc)
        if isinstance(exc, psycopg2.Error):
            return self.env._(
                "Database contention (%s); will retry.", exc.pgcode or type(exc).__name__
            )
        return f"{type(exc).__name__}: {exc}"

    # Replay

    def action_replay(self):
        """Process failed, dead or waiting events again.

        Done and ignored events are never replayed: an event is applied once.
        """
        replayable = self.filtered(
            lambda e: e.state in REPLAYABLE_EVENT_STATES and not e.body_purged
        )
        if not replayable:
            raise UserError(
                self.env._(
                    "Only failed, dead or waiting events with their raw body can be "
                    "replayed; processed events are never applied twice."
                )
            )
        inactive = replayable.backend_id.filtered(lambda b: b.state != "active")
        if inactive:
            raise UserError(
                self.env._(
                    "Activate these backends before replaying their events: %s",
                    ", ".join(inactive.mapped("display_name")),
                )
            )
        replayable.write({"attempts": 0, "error": False, "state_reason": False})
        replayable._enqueue_processing()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("%s event(s) queued again.", len(replayable)),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    # Housekeeping

    @api.model
    def _cron_purge_raw_bodies(self):
        """Erase raw bodies past each backend's retention; the rows stay."""
        self.flush_model()
        backends = self.env["retail.backend"].with_context(active_test=False).search([])
        for backend in backends:
            limit = fields.Datetime.now() - timedelta(days=backend.raw_body_retention_days)
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE retail_event
                       SET body = NULL, body_purged = TRUE,
                           write_date = now() at time zone 'UTC', write_uid = %s
                     WHERE backend_id = %s AND received_at < %s
                       AND NOT COALESCE(body_purged, FALSE) AND state NOT IN %s
                    """,
                    self.env.uid,
                    backend.id,
                    limit,
                    PENDING_EVENT_STATES,
                )
            )
            if self.env.cr.rowcount:
                _logger.info(
                    "Purged the raw body of %s events of backend %s",
                    self.env.cr.rowcount,
                    backend.id,
                )
        self.invalidate_model(["body", "body_purged"])


def _elapsed_ms(started):
    return int((time.monotonic() - started) * 1000)
