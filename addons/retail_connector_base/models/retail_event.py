import json
import logging
import time
import uuid
from datetime import timedelta

import psycopg2
import requests
from psycopg2.extras import Json

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from odoo.addons.queue_job.exception import FailedJobError, RetryableJobError
from odoo.addons.queue_job.fields import JobEncoder

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
JOB_FUNCTION_NAME = "<retail.event>._process"
# The queue_job columns a new job fills, in the order of _job_row()'s values.
JOB_COLUMNS = SQL(
    "uuid, user_id, company_id, name, model_name, method_name, func_string,"
    " channel_method_name, job_function_id, channel, records, args, kwargs, dependencies,"
    " state, priority, max_retries, retry, date_created"
)
# VALUES lose the columns' types: cast the JSON ones.
JOB_VALUES = SQL(
    "uuid, user_id, company_id, name, model_name, method_name, func_string,"
    " channel_method_name, job_function_id, channel, records::jsonb, args::jsonb,"
    " kwargs::jsonb, dependencies, state, priority, max_retries, retry, date_created"
)

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

    # Indexed by the (backend_id, event_key) unique constraint.
    backend_id = fields.Many2one(
        "retail.backend", required=True, ondelete="restrict", readonly=True
    )
    company_id = fields.Many2one(
        related="backend_id.company_id", store=True, index=True, readonly=True
    )
    channel_code = fields.Selection(related="backend_id.code", string="Channel")
    source = fields.Selection(EVENT_SOURCES, required=True, default="webhook", readonly=True)
    topic = fields.Char(required=True, readonly=True)
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
    # Indexed by _state_backend_idx.
    state = fields.Selection(EVENT_STATES, required=True, default="received", readonly=True)
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
    def _insert_idempotent(self, settings, event_values, body, source="webhook"):
        """Store an inbound event unless its key is known, with its job when
        the backend is active; return the new event, or an empty recordset
        for a duplicate.

        One statement writes both rows: this is the webhook's hot path. The
        job is only inserted when the key is new; ``ON CONFLICT DO NOTHING``
        settles two deliveries of the same key racing each other, and the
        loser's job is deleted before its transaction commits.

        :param settings: the backend's :class:`BackendSettings`
        """
        text = body.decode() if isinstance(body, bytes) else body
        self.env.cr.execute(SQL("SELECT nextval('retail_event_id_seq')"))
        event_id = self.env.cr.fetchone()[0]
        enqueue = settings.state == "active" or event_values.always_process
        job_uuid = str(uuid.uuid4())
        if enqueue:
            job = SQL(
                """
                WITH job AS (
                    INSERT INTO queue_job (%s)
                    SELECT %s FROM (VALUES %s) AS new_job (%s)
                     WHERE NOT EXISTS (
                        SELECT 1 FROM retail_event WHERE backend_id = %s AND event_key = %s)
                    RETURNING id
                )
                """,
                JOB_COLUMNS,
                JOB_VALUES,
                self._job_row(
                    event_id, settings, event_values.topic, event_values.event_key, job_uuid
                ),
                JOB_COLUMNS,
                settings.id,
                event_values.event_key,
            )
            job_id, state, source_sql = SQL("job.id"), SQL("'queued'"), SQL("FROM job")
        else:
            job, job_id, state, source_sql = SQL(), SQL("NULL"), SQL("'received'"), SQL()
        self.env.cr.execute(
            SQL(
                """
                %s
                INSERT INTO retail_event (
                    id, backend_id, company_id, source, topic, event_key, received_at,
                    body, body_size, headers, state, attempts, job_id,
                    create_uid, create_date, write_uid, write_date)
                SELECT %s, %s, %s, %s, %s, %s, now() at time zone 'UTC',
                       %s, %s, %s, %s, 0, %s,
                       %s, now() at time zone 'UTC', %s, now() at time zone 'UTC'
                %s
                ON CONFLICT (backend_id, event_key) DO NOTHING
                RETURNING id
                """,
                job,
                event_id,
                settings.id,
                settings.company_id,
                source,
                event_values.topic,
                event_values.event_key,
                text,
                len(body),
                Json(event_values.headers or {}),
                state,
                job_id,
                self.env.uid,
                self.env.uid,
                source_sql,
            )
        )
        if self.env.cr.fetchone():
            return self.browse(event_id)
        if enqueue:
            self.env.cr.execute(SQL("DELETE FROM queue_job WHERE uuid = %s", job_uuid))
        return self.browse()

    def _enqueue_processing(self, settings_by_backend=None):
        """Create one processing job per event, in the current transaction
        (on activation of a backend, on replay)."""
        if not self:
            return
        settings_by_backend = dict(settings_by_backend or {})
        for backend in self.backend_id:
            if backend.id not in settings_by_backend:
                settings_by_backend[backend.id] = backend._get_settings()
        self.env.cr.execute(
            SQL(
                "SELECT id, backend_id, topic, event_key FROM retail_event WHERE id IN %s",
                tuple(self.ids),
            )
        )
        rows = [
            (event_id, str(uuid.uuid4()), settings_by_backend[backend_id], topic, event_key)
            for event_id, backend_id, topic, event_key in self.env.cr.fetchall()
        ]
        self.env.cr.execute(
            SQL(
                """
                WITH new_job (%s) AS (VALUES %s),
                job AS (
                    INSERT INTO queue_job (%s) SELECT %s FROM new_job RETURNING id, uuid
                )
                UPDATE retail_event event
                   SET job_id = job.id, state = 'queued',
                       write_date = now() at time zone 'UTC', write_uid = %s
                  FROM job
                  JOIN (VALUES %s) AS job_event (uuid, event_id) ON job_event.uuid = job.uuid
                 WHERE event.id = job_event.event_id
                """,
                JOB_COLUMNS,
                SQL(", ").join(
                    self._job_row(event_id, settings, topic, key, job_uuid)
                    for event_id, job_uuid, settings, topic, key in rows
                ),
                JOB_COLUMNS,
                JOB_VALUES,
                self.env.uid,
                SQL(", ").join(
                    SQL("(%s, %s)", job_uuid, event_id) for event_id, job_uuid, *_rest in rows
                ),
            )
        )
        self.invalidate_recordset(["job_id", "state", "write_date", "write_uid"])

    @api.model
    def _job_row(self, event_id, settings, topic, event_key, job_uuid):
        """The ``queue_job`` row ``with_delay()._process()`` would store for
        event ``event_id``, with queue_job's own encoder and job function; it
        costs a fraction of queue_job's record-by-record ORM path, which
        would otherwise dominate the webhook request."""
        job_function = self.env["queue.job.function"].job_config(JOB_FUNCTION_NAME)
        return SQL(
            "(%s, %s, %s, %s, 'retail.event', '_process', %s, %s, %s, %s, %s, %s, %s, %s,"
            " 'pending', %s, %s, 0, now() at time zone 'UTC')",
            job_uuid,
            self.env.uid,
            settings.company_id,
            f"Process {settings.code} event {topic} ({event_key})",
            f"retail.event({event_id},)._process()",
            JOB_FUNCTION_NAME,
            job_function.job_function_id,
            settings.realtime_channel,
            Json(json.dumps(self.browse(event_id), cls=JobEncoder)),
            Json(json.dumps([])),
            Json(json.dumps({})),
            json.dumps({"depends_on": [], "reverse_depends_on": []}),
            EVENT_JOB_PRIORITY,
            settings.max_attempts,
        )

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
        if self.backend_id.state != "active" and not (
            self.backend_id._get_adapter().always_processed(self.topic)
        ):
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
        if isinstance(canonical, schemas.Refund):
            return self.env["retail.refund.importer"]._import(self, canonical)
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
