from datetime import timedelta

from odoo import api, fields, models

from odoo.addons.queue_job.job import ENQUEUED, PENDING, WAIT_DEPENDENCIES, identity_exact

from ..exceptions import PermanentError
from ..polling import POLL_STREAM

# A poll job waiting longer than this for its next attempt is run at once by
# the cron (which runs every minute): once the channel is back, polling
# resumes within about a minute, whatever the retry pattern's delay.
POLL_RECOVERY_SECONDS = 60


class RetailBackendPolling(models.AbstractModel):
    """What a backend needs to poll its channel: one loop for every channel
    (``retail.poll.cursor._run``) around the ``_poll_fetch`` hook a channel
    module implements. Inherited by ``retail.backend`` only."""

    _name = "retail.backend.polling"
    _description = "Retail Backend Polling"

    # Polling (channels that support it): what webhooks missed, or all of it
    poll_interval_minutes = fields.Integer(
        string="Poll every (minutes)",
        default=5,
        required=True,
        help="How often the channel is asked for what changed.",
    )
    poll_overlap_minutes = fields.Integer(
        string="Poll overlap (minutes)",
        default=10,
        required=True,
        help="Each poll reads again this much before the cursor, for updates the channel "
        "indexed late; what was already received is not stored twice.",
    )
    poll_cursor_ids = fields.One2many("retail.poll.cursor", "backend_id", string="Poll cursors")
    poll_cursor = fields.Datetime(string="Polled up to", compute="_compute_poll_status")
    poll_last_at = fields.Datetime(string="Last poll", compute="_compute_poll_status")
    poll_last_result = fields.Char(string="Last poll result", compute="_compute_poll_status")

    _poll_interval_positive = models.Constraint(
        "CHECK(poll_interval_minutes >= 1)", "Polls run at most once a minute."
    )
    _poll_overlap_positive = models.Constraint(
        "CHECK(poll_overlap_minutes >= 0)", "The poll overlap can't be negative."
    )

    @api.depends("poll_cursor_ids.cursor", "poll_cursor_ids.last_run_at")
    def _compute_poll_status(self):
        for backend in self:
            cursor = backend.poll_cursor_ids.filtered(lambda c: c.stream == POLL_STREAM)[:1]
            backend.poll_cursor = cursor.cursor
            backend.poll_last_at = cursor.last_run_at
            backend.poll_last_result = cursor.last_result

    @api.model
    def _cron_poll(self):
        """Queue a poll of every active backend that polls and whose interval
        has passed, each in its batch channel (a slow channel never holds the
        cron)."""
        now = fields.Datetime.now()
        for backend in self.search([("state", "=", "active")]).filtered("support_polling"):
            waiting = backend._get_waiting_poll_job()
            if waiting:
                backend._bring_poll_forward(waiting, now + timedelta(seconds=POLL_RECOVERY_SECONDS))
                continue
            last = backend.poll_last_at
            if last and last > now - timedelta(minutes=max(backend.poll_interval_minutes, 1)):
                continue
            backend._queue_poll()

    def action_poll_now(self):
        """Poll now, without waiting for the cron: a poll job waiting for its
        next attempt runs now, else a new one is queued; not before the
        time the channel asked for (its Retry-After), though."""
        messages = []
        for backend in self.filtered(lambda b: b.state == "active" and b.support_polling):
            not_before = backend._get_poll_not_before()
            if not_before:
                messages.append(
                    self.env._(
                        "%(backend)s asked not to be polled before %(when)s UTC: "
                        "the poll waits until then.",
                        backend=backend.name,
                        when=not_before,
                    )
                )
            backend._queue_poll(force=True)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if messages else "success",
                "message": " ".join(messages) or self.env._("Poll queued."),
            },
        }

    def _queue_poll(self, force=False):
        """Queue a poll of the backend, or bring forward the poll job that
        waits for its next attempt (see :meth:`_bring_poll_forward`)."""
        self.ensure_one()
        waiting = self._get_waiting_poll_job()
        if waiting:
            self._bring_poll_forward(waiting, fields.Datetime.now())
            return waiting
        return self.with_delay(
            channel=self._get_job_channel("batch"),
            identity_key=identity_exact,
            eta=self._get_poll_not_before(),
            description=f"Poll the {self.code} channel of {self.name}",
        )._poll(force=force)

    def _get_waiting_poll_job(self, stream=POLL_STREAM):
        """The backend's poll job of ``stream`` not run yet (queued, or
        waiting for its next attempt), if any."""
        self.ensure_one()
        jobs = (
            self.env["queue.job"]
            .sudo()
            .search(
                [
                    ("model_name", "=", self._name),
                    ("method_name", "=", "_poll"),
                    ("state", "in", (WAIT_DEPENDENCIES, PENDING, ENQUEUED)),
                ],
                order="id",
            )
        )
        return jobs.filtered(
            lambda job: (
                self.id in job.records.ids and job.kwargs.get("stream", POLL_STREAM) == stream
            )
        )[:1]

    def _get_poll_not_before(self, stream=POLL_STREAM):
        """When the channel may be polled again if it asked to wait (naive
        UTC, in the future), else ``None``."""
        not_before = self.env["retail.poll.cursor"]._get(self, stream)._get_not_before()
        return not_before if not_before and not_before > fields.Datetime.now() else None

    def _bring_poll_forward(self, job, beyond):
        """Run ``job`` (a waiting poll) now if it waits beyond ``beyond``;
        not before the channel's Retry-After ends, though."""
        if job.state != PENDING or not job.eta or job.eta <= beyond:
            return
        now = fields.Datetime.now()
        stream = job.kwargs.get("stream", POLL_STREAM)
        eta = max(now, self._get_poll_not_before(stream) or now)
        if (job.eta - eta).total_seconds() >= 1:  # not for the job's own sub-second
            job.eta = eta

    def _poll(self, force=False, stream=POLL_STREAM):
        """Job: store what the channel changed since the cursor as events of
        source ``poll`` (the loop: ``retail.poll.cursor._run``).

        :param force: poll even if the last poll is less than an interval ago
        :return: a summary for the job's result
        """
        self.ensure_one()
        if self.state != "active" or not self.support_polling:
            return "Not an active backend that polls: nothing polled."
        return self.env["retail.poll.cursor"]._get(self, stream)._run(force=force)

    def _poll_fetch(self, since, stream=POLL_STREAM):
        """Hook: yield a :class:`~..polling.PolledRecord` for each change of
        ``stream`` the channel made since ``since`` (a naive UTC datetime).

        :raise TransientError: when the channel is unavailable (the poll job
            is retried)
        """
        raise PermanentError(f"Channel {self.code} can't be polled")

    def _get_poll_label(self, stream):
        """Hook: what a poll of ``stream`` reads, in its summary."""
        return stream
