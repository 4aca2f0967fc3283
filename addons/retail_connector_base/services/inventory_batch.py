import logging
import time

from psycopg2.errors import SerializationFailure

from odoo import api, fields, models
from odoo.tools import SQL

from ..const import INVENTORY_BATCH_SIZE
from ..models.retail_processing_mixin import elapsed_ms

_logger = logging.getLogger(__name__)


class RetailInventoryBatch(models.AbstractModel):
    """Applies a channel's queued stock counts together.

    A flood of counts (a stock sync, a warehouse import) is one event and one
    job per count. The job of the first one takes up to
    :data:`INVENTORY_BATCH_SIZE` counts of the same backend and topic queued
    behind it (first processing: never one waiting for a retry), applies them
    in its transaction with one inventory adjustment, and records each
    event's own outcome (``done`` or ``ignored``, with its reason); their own
    jobs then find them done and apply nothing.

    Each event keeps its status and its idempotency (it is locked, then
    applied once). A count that can't be applied (an unknown SKU, a negative
    quantity, anything else) is left out of the batch untouched: its own job
    fails it alone, with its reason and the retry policy, as without a batch.
    """

    _name = "retail.inventory.batch"
    _description = "Retail Inventory Batch"

    @api.model
    def _import(self, event, level):
        """Apply the count ``level`` of ``event`` and the counts queued behind
        it; return ``(state, reason)`` of ``event`` (which fails as it would
        alone: the batch then applies nothing).

        The context's ``retail_inventory_batch_size`` overrides the size (1:
        each count alone, as ``make bench-stock-counts``' baseline)."""
        Importer = self.env["retail.inventory.importer"]
        size = self.env.context.get("retail_inventory_batch_size", INVENTORY_BATCH_SIZE)
        if size <= 1 or self.env.context.get("retail_reimport"):
            return Importer._import(event, level)
        started = time.monotonic()
        claims = {}
        counts = [Importer._prepare(event, level, claims)]
        for follower in self._take_queued(event, size - 1):
            try:
                with self.env.cr.savepoint():
                    canonical = follower._get_canonical()
                    counts.append(Importer._prepare(follower, canonical, claims))
            except Exception as exc:  # noqa: BLE001 - its own job records the failure
                _logger.info(
                    "retail.event %s left out of the batch of %s: %s", follower.id, event.id, exc
                )
        if len(counts) == 1:
            return Importer._apply_counts(counts)[0]
        try:
            with self.env.cr.savepoint():
                outcomes = Importer._apply_counts(counts)
        except Exception as exc:  # noqa: BLE001 - retried count by count
            _logger.info("Batch of stock counts of %s applied one by one: %s", event.id, exc)
            return self._apply_one_by_one(counts, started)
        self._record_outcomes(counts[1:], outcomes[1:], started)
        self._close_jobs(counts[1:], event)
        return outcomes[0]

    @api.model
    def _take_queued(self, event, limit):
        """Lock up to ``limit`` events of ``event``'s backend and topic waiting
        for their first processing, none that another job holds; return them.

        Events changed since this transaction's snapshot can't be locked in
        it (REPEATABLE READ): then no batch, ``event`` is applied alone."""
        cr = self.env.cr
        event.flush_model(["backend_id", "topic", "state", "attempts", "job_id"])
        try:
            with cr.savepoint(flush=False):
                cr.execute(
                    SQL(
                        """
                        SELECT id FROM retail_event
                         WHERE backend_id = %s AND topic = %s AND state = 'queued'
                           AND attempts = 0 AND job_id IS NOT NULL AND id != %s
                         ORDER BY id
                         LIMIT %s
                           FOR NO KEY UPDATE SKIP LOCKED
                        """,
                        event.backend_id.id,
                        event.topic,
                        event.id,
                        limit,
                    ),
                    log_exceptions=False,
                )
                ids = [row[0] for row in cr.fetchall()]
        except SerializationFailure:
            return event.browse()
        return event.browse(ids)

    @api.model
    def _apply_one_by_one(self, counts, started):
        """Apply each count alone (the batch failed as a whole): the first
        one's failure is raised, another one's leaves it to its own job."""
        leader, *followers = counts
        Importer = self.env["retail.inventory.importer"]
        outcome = Importer._apply_counts([leader])[0]
        applied = []
        for count in followers:
            try:
                with self.env.cr.savepoint():
                    [follower_outcome] = Importer._apply_counts([count])
            except Exception as exc:  # noqa: BLE001 - its own job records the failure
                _logger.info("retail.event %s left to its own job: %s", count.event.id, exc)
                continue
            self._record_outcomes([count], [follower_outcome], started)
            applied.append(count)
        self._close_jobs(applied, leader.event)
        return outcome

    @api.model
    def _close_jobs(self, counts, leader):
        """Mark the jobs of ``counts``, applied in ``leader``'s batch, done
        while they still wait (``pending``): the runner then does not send
        each of them through an HTTP worker only to find its event done,
        which cost more than the count itself. A job the runner already took
        (or changed since this transaction's snapshot) is left to run: it
        finds its event done and applies nothing."""
        job_ids = [count.event.job_id.id for count in counts if count.event.job_id]
        if not job_ids:
            return
        result = self.env._("Applied in the batch of event %s.", leader.id)
        cr = self.env.cr
        try:
            with cr.savepoint(flush=False):
                cr.execute(
                    SQL(
                        """
                        UPDATE queue_job
                           SET state = 'done', result = %s,
                               date_done = clock_timestamp() AT TIME ZONE 'UTC'
                         WHERE id IN (SELECT id FROM queue_job
                                       WHERE id = ANY(%s) AND state = 'pending'
                                         FOR NO KEY UPDATE SKIP LOCKED)
                        """,
                        result,
                        job_ids,
                    ),
                    log_exceptions=False,
                )
        except SerializationFailure:
            return
        self.env["queue.job"].invalidate_model(["state", "result", "date_done"])

    @api.model
    def _record_outcomes(self, counts, outcomes, started):
        """Record each follower's outcome on its event, as its own job would."""
        now, spent = fields.Datetime.now(), elapsed_ms(started)
        for count, (state, reason) in zip(counts, outcomes, strict=True):
            event = count.event
            event.write(
                {
                    "state": state,
                    "state_reason": reason,
                    "attempts": event.attempts + 1,
                    "error": False,
                    "processed_at": now,
                    "processing_ms": spent,
                }
            )
