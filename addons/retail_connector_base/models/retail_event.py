import json
import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .. import schemas
from ..const import (
    EVENT_SOURCES,
    EVENT_STATES,
    PENDING_EVENT_STATES,
    REPLAYABLE_EVENT_STATES,
)
from ..exceptions import PermanentError
from ..processing import job_rows
from ..utils import format_age
from .retail_processing_mixin import JOB_MANAGER_GROUP, elapsed_ms

_logger = logging.getLogger(__name__)


class RetailEvent(models.Model):
    """A delivery from a channel (webhook, poll, API), stored as received and
    applied once by its processing job.

    Ingestion writes the event and its job in one statement
    (``processing/job_rows.py``); attempts, retries and failures follow the
    processing core through ``retail.processing.mixin``.
    """

    _name = "retail.event"
    _inherit = ["retail.processing.mixin"]
    _description = "Retail Inbound Event"
    _order = "received_at desc, id desc"
    _processing_job_method = "_process"
    _processing_retry_state = "queued"
    _processing_final_states = ("done", "ignored")

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

        One statement writes both rows: this is the webhook's hot path (see
        :func:`~odoo.addons.retail_connector_base.processing.job_rows.insert_event`).

        :param settings: the backend's :class:`BackendSettings`
        """
        event_id = job_rows.insert_event(self, settings, event_values, body, source)
        return self.browse(event_id) if event_id else self.browse()

    def _enqueue_processing(self, settings_by_backend=None):
        """Create one processing job per event, in the current transaction
        (on activation of a backend, on replay)."""
        if not self:
            return
        settings_by_backend = dict(settings_by_backend or {})
        for backend in self.backend_id:
            if backend.id not in settings_by_backend:
                settings_by_backend[backend.id] = backend._get_settings()
        job_rows.enqueue_events(self, settings_by_backend)
        self.invalidate_recordset(["job_id", "state", "write_date", "write_uid"])

    # Processing (queue_job)

    def _process(self):
        """Job: translate the event with its channel adapter and apply it.

        The work runs in a savepoint that also holds the event's row lock, so
        two jobs for one event never both apply it; on failure the outcome is
        recorded from another cursor (the job's transaction is rolled back)
        and the error is raised for queue_job to retry or fail the job
        (``retail.processing.mixin``).
        """
        return self._run_processing(self._process_locked)

    def _process_locked(self, state, started):
        """One attempt at the event, locked in ``state``: apply it unless it
        was already applied or its backend is not active."""
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
                "processing_ms": elapsed_ms(started),
            }
        )
        return f"{outcome}: {reason}" if reason else outcome

    def _get_failure_values(self, started):
        """Override of ``retail.processing.mixin``: a failed attempt is a
        processing too."""
        return super()._get_failure_values(started) | {
            "processed_at": fields.Datetime.now(),
            "processing_ms": elapsed_ms(started),
        }

    def _apply(self):
        """Translate the stored payload and hand it to the importer.

        :return: ``(state, reason)`` with state ``done`` or ``ignored``
        """
        canonical = self._get_canonical()
        # Business events caused here are the channel's own (echo marking).
        return self.with_context(retail_source_backend_id=self.backend_id.id)._apply_canonical(
            canonical
        )

    def _get_canonical(self):
        """The stored payload translated by the channel adapter.

        :raise PermanentError: when it can't be (purged, not JSON, invalid)
        """
        self.ensure_one()
        if self.body_purged:
            raise PermanentError("the raw body was purged; the event can't be processed")
        try:
            payload = json.loads(self.body)
        except (TypeError, ValueError) as exc:
            raise PermanentError(f"the stored body is not JSON ({exc})") from None
        adapter = self.backend_id._get_adapter()
        return adapter.to_canonical(self.topic, payload, self.headers or {})

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
        if isinstance(canonical, schemas.Return):
            return self.env["retail.return.importer"]._import(self, canonical)
        if isinstance(canonical, schemas.Shipment):
            return self.env["retail.shipment.importer"]._import(self, canonical)
        if isinstance(canonical, schemas.InventoryLevel):
            return self.env["retail.inventory.batch"]._import(self, canonical)
        return "ignored", self.env._("No importer handles topic %s.", self.topic)

    def _reimport(self):
        """Apply this event's data once more, e.g. to retry an order on hold
        after fixing its cause; importers update what they created before."""
        self.ensure_one()
        _state, reason = self.with_context(retail_reimport=True)._apply()
        self.state_reason = reason

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

    # Health of backends

    @api.model
    def _get_backend_health(self, backends):
        """``{backend id: values}`` of the health fields of ``backends``:
        events received, failed and dead today, the backlog and its oldest."""
        today = fields.Datetime.to_datetime(fields.Date.context_today(self))
        counts = {
            (backend.id, state): count
            for backend, state, count in self._read_group(
                [("backend_id", "in", backends.ids), ("received_at", ">=", today)],
                ["backend_id", "state"],
                ["__count"],
            )
        }
        pending = {
            backend.id: (count, oldest)
            for backend, count, oldest in self._read_group(
                [("backend_id", "in", backends.ids), ("state", "in", PENDING_EVENT_STATES)],
                ["backend_id"],
                ["__count", "received_at:min"],
            )
        }
        now = fields.Datetime.now()
        health = {}
        for backend in backends:
            backlog, oldest = pending.get(backend.id, (0, False))
            health[backend.id] = {
                "event_received_today": sum(
                    count
                    for (backend_id, _state), count in counts.items()
                    if backend_id == backend.id
                ),
                "event_failed_today": counts.get((backend.id, "failed"), 0),
                "event_dead_today": counts.get((backend.id, "dead"), 0),
                "event_backlog": backlog,
                "oldest_pending_at": oldest,
                "oldest_pending_age": format_age(now - oldest) if oldest else False,
            }
        return health

    # Housekeeping: purge of raw bodies

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
