import logging
import time

import urllib3

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job

from ..business_events import amqp_publisher, http_sender
from ..business_events.address_guard import AddressRefused
from ..exceptions import PermanentError, TransientError
from ..processing import RetryPolicy
from .retail_processing_mixin import elapsed_ms

_logger = logging.getLogger(__name__)

DELIVERY_STATES = [
    ("pending", "Pending"),
    ("done", "Delivered"),
    ("failed", "Failed"),
    ("dead", "Dead-lettered"),
]
# Advisory lock class of the per-subscriber concurrency slots.
CONCURRENCY_LOCK_CLASS = 0x5245
# A delivery waiting for a free slot or for an earlier event of its object
# tries again this many seconds later, without spending an attempt.
WAIT_SECONDS = (1, 3)


class RetailBusinessEventDelivery(models.Model):
    """One event owed to one subscriber, sent by a queue_job job in the
    subscriber's own channel, retried with backoff and jitter by the
    processing core (``retail.processing.mixin``), dead-lettered after the
    subscription's ``max_attempts``, replayable.

    Per subscriber and object, events go out in sequence: a delivery waits
    while an earlier one of the same object is still pending for that
    subscriber. At most ``max_concurrency`` deliveries of a subscriber are
    sent at a time.
    """

    _name = "retail.business.event.delivery"
    _inherit = ["retail.processing.mixin"]
    _description = "Retail Business Event Delivery"
    _order = "id desc"
    _processing_job_method = "_send"
    _processing_retry_state = "pending"

    event_id = fields.Many2one(
        "retail.business.event", required=True, readonly=True, index=True, ondelete="cascade"
    )
    event_type = fields.Selection(related="event_id.event_type", string="Type")
    event_uid = fields.Char(related="event_id.uid", string="Event id")
    subscription_id = fields.Many2one(
        "retail.business.event.subscription", required=True, readonly=True, ondelete="cascade"
    )
    backend_id = fields.Many2one(related="event_id.backend_id")
    company_id = fields.Many2one(related="event_id.company_id", store=True, index=True)
    subject_key = fields.Char(readonly=True)
    sequence = fields.Integer(readonly=True)
    state = fields.Selection(DELIVERY_STATES, required=True, default="pending", index=True)
    last_status = fields.Char(readonly=True, help="The receiver's last answer.")
    sent_at = fields.Datetime(readonly=True)
    duration_ms = fields.Integer(string="Duration (ms)", readonly=True)

    _order_idx = models.Index("(subscription_id, subject_key, sequence) WHERE state = 'pending'")

    @api.depends("event_id", "subscription_id")
    def _compute_display_name(self):
        for delivery in self:
            delivery.display_name = (
                f"{delivery.event_id.event_type} #{delivery.sequence} → "
                f"{delivery.subscription_id.name}"
            )

    def _schedule(self):
        """One job per delivery, in the subscriber's channel, stored in one
        INSERT (what ``with_delay()`` stores one by one, with a lookup
        each: this runs in the transaction of the business change)."""
        if not self:
            return
        jobs = [
            Job(
                delivery._send,
                max_retries=delivery.subscription_id.max_attempts,
                channel=delivery.subscription_id._job_channel(),
                description=f"Deliver {delivery.event_id.event_type} "
                f"to {delivery.subscription_id.name}",
            )
            for delivery in self
        ]
        JobModel = self.env["queue.job"]
        records = (
            JobModel.with_context(_job_edit_sentinel=JobModel.EDIT_SENTINEL)
            .sudo()
            .create([job._store_values(create=True) for job in jobs])
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE retail_business_event_delivery delivery SET job_id = new.job_id
                  FROM (VALUES %s) AS new (id, job_id) WHERE delivery.id = new.id
                """,
                SQL(", ").join(
                    SQL("(%s, %s)", delivery.id, record.id)
                    for delivery, record in zip(self, records, strict=True)
                ),
            )
        )
        self.invalidate_recordset(["job_id"])

    def _get_retry_policy(self):
        """Override of ``retail.processing.mixin``: the subscription's attempts."""
        self.ensure_one()
        return RetryPolicy(self.subscription_id.max_attempts, self._get_job_config().retry_pattern)

    # Sending (queue_job)

    def _send(self):
        """Job: deliver the event, once it is this delivery's turn."""
        self.ensure_one()
        self._wait_for_turn()
        return self._run_processing(self._send_locked)

    def _wait_for_turn(self):
        """Postpone (no attempt spent) while an earlier event of the same
        object waits for this subscriber, or all its slots are busy."""
        self.env.cr.execute(
            SQL(
                """
                SELECT 1 FROM retail_business_event_delivery
                 WHERE subscription_id = %s AND subject_key = %s AND sequence < %s
                   AND state = 'pending' AND id != %s
                 LIMIT 1
                """,
                self.subscription_id.id,
                self.subject_key,
                self.sequence,
                self.id,
            )
        )
        if self.env.cr.fetchone():
            raise RetryableJobError(
                "An earlier event of this object is not delivered yet.",
                seconds=WAIT_SECONDS,
                ignore_retry=True,
            )
        subscription = self.subscription_id
        for slot in range(max(subscription.max_concurrency, 1)):
            self.env.cr.execute(
                SQL(
                    "SELECT pg_try_advisory_xact_lock(%s, %s)",
                    CONCURRENCY_LOCK_CLASS,
                    subscription.id * 1000 + slot,
                )
            )
            if self.env.cr.fetchone()[0]:
                return
        raise RetryableJobError(
            "The subscriber's deliveries are all busy.", seconds=WAIT_SECONDS, ignore_retry=True
        )

    def _send_locked(self, state, started):
        if state != "pending":
            return f"Already {state}: nothing sent."
        subscription = self.subscription_id
        if subscription.state != "enabled" or not subscription.active:
            return "Subscription disabled: kept until it is enabled."
        event = self.event_id
        body = event._body_for(subscription)
        if subscription.kind == "amqp":
            status = self._publish(subscription, event, body)
        else:
            status = self._post(subscription, event, body)
            if status is None:
                return self.last_status
        self.write(
            {
                "state": "done",
                "attempts": self.attempts + 1,
                "last_status": status,
                "sent_at": fields.Datetime.now(),
                "duration_ms": elapsed_ms(started),
                "error": False,
            }
        )
        try:
            subscription._note_success()
        except Exception:  # health counters never undo a delivery
            _logger.exception("Success of subscription %s not recorded", subscription.id)
        return status

    def _post(self, subscription, event, body):
        """POST the event; return the status in words, or ``None`` when the
        receiver is gone (410: the subscription is disabled)."""
        headers = http_sender.signed_headers(subscription._signing_secret(), event.uid, body)
        try:
            answer = http_sender.post(subscription.url, body, headers, subscription._networks())
        except AddressRefused as exc:
            raise PermanentError(str(exc)) from None
        except ValueError as exc:
            raise PermanentError(str(exc)) from None
        except urllib3.exceptions.HTTPError as exc:
            raise TransientError(f"{subscription.url} unreachable: {exc}") from None
        status = f"{answer.status} ({answer.address})"
        if 200 <= answer.status < 300:
            return status
        if answer.status == 410:
            reason = self.env._("%s answered 410 Gone.", subscription.url)
            self.write(
                {
                    "state": "failed",
                    "attempts": self.attempts + 1,
                    "error": reason,
                    "last_status": status,
                }
            )
            subscription._disable(reason)
            return None
        if 300 <= answer.status < 400:
            raise TransientError(
                f"{subscription.url} answered a redirect ({answer.status}), not followed"
            )
        raise TransientError(f"{subscription.url} answered {answer.status}: {answer.body[:200]}")

    def _publish(self, subscription, event, body):
        try:
            amqp_publisher.publish(
                subscription.url,
                event.event_type,
                event.uid,
                body,
                timestamp=time.time(),
                headers={"sequence": event.sequence, "subject": event.subject_key},
                client_name=f"retail-connect {self.env.cr.dbname}",
            )
        except amqp_publisher.PublishError as exc:
            raise TransientError(str(exc)) from None
        return "confirmed"

    def _record_failure(self, exc, started):
        """Override of ``retail.processing.mixin``: the subscriber's failed
        attempts in a row are counted (and may disable it)."""
        try:
            self.subscription_id._note_failure(str(exc))
        except Exception:  # health counters never hide the outcome
            _logger.exception("Failure of subscription %s not counted", self.subscription_id.id)
        return super()._record_failure(exc, started)

    def _get_failure_values(self, started):
        return super()._get_failure_values(started) | {"duration_ms": elapsed_ms(started)}

    # Replay

    def action_replay(self):
        """Deliver failed or dead-lettered events again (a delivered one too,
        on purpose: the receiver deduplicates by event id)."""
        if not self:
            raise UserError(self.env._("Select the deliveries to replay."))
        waiting = self.filtered(lambda d: d.state == "pending")
        if waiting:
            raise UserError(
                self.env._(
                    "Still pending, will be sent: %s", ", ".join(waiting.mapped("display_name"))
                )
            )
        self.write({"state": "pending", "attempts": 0, "error": False})
        self.sorted("sequence")._schedule()
        return True
