import itertools
import logging
import math
from datetime import datetime, timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError

from ..exceptions import TransientError
from ..polling import POLL_CHUNK, newer
from ..processing import retryable_job_error

# The runtime value (``retail.backend.runtime``) keeping the time before
# which the channel asked not to be polled again (its Retry-After), per stream.
NOT_BEFORE_KEY = "poll_not_before/%s"

_logger = logging.getLogger(__name__)


class RetailPollCursor(models.Model):
    """How far a backend's poll has read a stream of the channel.

    Runtime state, kept off the backend's configuration: a poll writes here,
    never on ``retail.backend`` (whose writes drop every worker's cached
    webhook settings).
    """

    _name = "retail.poll.cursor"
    _description = "Retail Poll Cursor"
    _order = "backend_id, stream"

    backend_id = fields.Many2one("retail.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    stream = fields.Char(required=True, default="orders", help="What is polled, e.g. orders.")
    cursor = fields.Datetime(
        string="Polled up to",
        help="The channel's latest update seen; the next poll reads from there minus the "
        "backend's overlap. Empty: since the backend's creation.",
    )
    last_run_at = fields.Datetime(string="Last poll", readonly=True)
    last_result = fields.Char(string="Last poll result", readonly=True)

    _backend_stream_uniq = models.Constraint(
        "UNIQUE(backend_id, stream)", "One cursor per backend and stream."
    )

    @api.model
    def _get(self, backend, stream):
        """The cursor of ``backend``'s ``stream``, created when missing."""
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO retail_poll_cursor (backend_id, company_id, stream,
                                                create_uid, create_date, write_uid, write_date)
                VALUES (%s, %s, %s, %s, now() at time zone 'UTC', %s, now() at time zone 'UTC')
                ON CONFLICT (backend_id, stream) DO NOTHING
                """,
                backend.id,
                backend.company_id.id,
                stream,
                self.env.uid,
                self.env.uid,
            )
        )
        if self.env.cr.rowcount:
            backend.invalidate_recordset(["poll_cursor_ids"])
        return self.search([("backend_id", "=", backend.id), ("stream", "=", stream)], limit=1)

    def _record_run(self, run_at, result, newest=None):
        """Note a poll's time and summary; move the cursor forward only."""
        self.ensure_one()
        values = {"last_run_at": run_at, "last_result": result}
        if newest and (not self.cursor or newest > self.cursor):
            values["cursor"] = newest
        self.write(values)

    def _run(self, force=False):
        """Store what the backend's channel changed since the cursor (minus
        the backend's overlap) as events, through the same event store and
        idempotency as webhooks; move the cursor to the latest update.

        :param force: poll even if the last poll is less than an interval ago
        :return: a summary for the job's result
        """
        self.ensure_one()
        backend = self.backend_id
        now = fields.Datetime.now()
        interval = timedelta(minutes=max(backend.poll_interval_minutes, 1))
        if not force and self.last_run_at and self.last_run_at > now - interval:
            return "Polled less than an interval ago: skipped."
        if not backend._try_lock(f"poll-{self.stream}"):
            return "Another poll of this backend is running."
        not_before = self._get_not_before()
        if not_before and not_before > now:
            # The channel asked us to wait (Retry-After): no call before then.
            raise RetryableJobError(
                f"The channel asked not to be polled before {not_before} UTC.",
                seconds=math.ceil((not_before - now).total_seconds()),
            )
        start = self.cursor or backend.create_date
        since = start - timedelta(minutes=backend.poll_overlap_minutes)
        try:
            seen, stored, newest = self._store(backend._poll_fetch(since, self.stream))
        except TransientError as exc:
            if exc.retry_after:
                self._keep_not_before(now + timedelta(seconds=exc.retry_after))
            raise retryable_job_error(exc) from exc
        if not_before:
            backend._set_runtime_values({NOT_BEFORE_KEY % self.stream: None})
        result = self.env._(
            "%(seen)s %(what)s updated since %(since)s, %(stored)s new events.",
            seen=seen,
            what=backend._get_poll_label(self.stream),
            since=since,
            stored=stored,
        )
        self._record_run(now, result, newest)
        _logger.info("Poll of backend %s (%s): %s", backend.id, self.stream, result)
        return result

    def _get_not_before(self):
        """When the channel may be polled again, if it asked to wait (a
        naive UTC datetime), else ``None``."""
        self.ensure_one()
        value = self.backend_id._get_runtime_value(NOT_BEFORE_KEY % self.stream)
        return datetime.fromisoformat(value) if value else None

    def _keep_not_before(self, when):
        """Keep the channel's Retry-After beyond the failed job's rollback
        (from a cursor of its own), for the next attempts, the cron and
        "Poll now" to respect."""
        self.ensure_one()
        with self.env.registry.cursor() as cr:
            backend = self.backend_id.with_env(self.env(cr=cr))
            backend._set_runtime_values({NOT_BEFORE_KEY % self.stream: when.isoformat()})

    def _store(self, records):
        """Store polled ``records`` (:class:`~..polling.PolledRecord`) as
        events of source ``poll``, except changes their bindings already
        have; the cursor itself moves in :meth:`_record_run`.

        :return: ``(seen, stored, newest update)``
        """
        self.ensure_one()
        backend = self.backend_id
        settings = backend._get_settings()
        Event = self.env["retail.event"]
        seen = stored = 0
        newest = None
        for chunk in itertools.batched(records, POLL_CHUNK):
            applied = self.env["retail.binding"]._get_applied_updates(
                backend, [(record.res_model, record.external_id) for record in chunk]
            )
            for record in chunk:
                seen += 1
                newest = newer(newest, record.updated_at)
                known = applied.get((record.res_model, record.external_id))
                if known and known >= record.updated_at:
                    continue
                if Event._insert_idempotent(
                    settings, record.event_values, record.body, source="poll"
                ):
                    stored += 1
        return seen, stored, newest
