import logging
import time

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.queue_job.exception import FailedJobError, RetryableJobError

from ..api_client import CircuitOpen
from ..processing import RetryPolicy, retryable_job_error

_logger = logging.getLogger(__name__)

JOB_MANAGER_GROUP = "queue_job.group_queue_job_manager"


def elapsed_ms(started):
    """Milliseconds since ``started`` (a ``time.monotonic()`` reading)."""
    return int((time.monotonic() - started) * 1000)


class RetailProcessingMixin(models.AbstractModel):
    """A unit of work run by a queue_job job (an inbound event, an outbox
    message...), tried again on transient errors by the processing core's
    retry policy (``processing/``).

    A model using it has a ``state`` selection with ``failed`` and ``dead``
    among its values and a ``backend_id`` (or overrides
    :meth:`_get_retry_policy`); it names its job method, the state of a unit
    waiting for its next attempt and the states a failure never overwrites;
    its job method hands the work to :meth:`_run_processing`.
    """

    _name = "retail.processing.mixin"
    _description = "Retail Processing Unit"

    # The job method running the unit (``_process``, ``_send``...).
    _processing_job_method = None
    # The state of a unit waiting for its next attempt.
    _processing_retry_state = None
    # States a unit never leaves by a failure (another job finished it).
    _processing_final_states = ("done",)

    attempts = fields.Integer(readonly=True)
    error = fields.Text(readonly=True)
    job_id = fields.Many2one(
        "queue.job", readonly=True, index="btree_not_null", groups=JOB_MANAGER_GROUP
    )

    def _run_processing(self, work):
        """Run one attempt: ``work(state, started)``, in a savepoint holding
        the unit's row lock (two jobs for one unit never run it together),
        with its ``state`` as locked and the ``time.monotonic()`` start.

        On failure the savepoint undoes the work, the outcome is recorded by
        :meth:`_record_failure` and raised for queue_job (unless another job
        finished the unit meanwhile: then nothing is left to do).

        :return: what ``work`` returns (the job's result)
        """
        self.ensure_one()
        started = time.monotonic()
        try:
            with self.env.cr.savepoint():
                return work(self._lock_for_processing(), started)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a record
            return self._record_failure(exc, started)

    def _lock_for_processing(self):
        """Lock the unit's row for this transaction; return its state.

        When another job changed the unit after this transaction's snapshot
        (it finished it: a batch, a duplicate job), PostgreSQL refuses the
        lock (40001): expected, so not logged as a bad query; the failure
        path then sees the unit finished and ends this job quietly.
        """
        self.env.cr.execute(
            SQL(
                "SELECT state FROM %s WHERE id = %s FOR NO KEY UPDATE",
                SQL.identifier(self._table),
                self.id,
            ),
            log_exceptions=False,
        )
        self.invalidate_recordset(["state"])
        return self.env.cr.fetchone()[0]

    def _record_failure(self, exc, started):
        """Record what the failed attempt leads to, by the retry policy, and
        raise it for queue_job: :class:`RetryableJobError` for another
        attempt, :class:`FailedJobError` for a dead or failed unit.

        A call its circuit breaker held back was no attempt: the unit waits
        for the breaker's next probe, its attempts unchanged."""
        if isinstance(exc, CircuitOpen):
            self._write_outcome({"state": self._processing_retry_state, "error": str(exc)})
            _logger.info("%s %s waits: %s", self._name, self.id, exc)
            raise retryable_job_error(exc) from exc
        outcome = self._get_retry_policy().decide(exc, self.attempts + 1, self.env._)
        state = self._processing_retry_state if outcome.retry else outcome.kind
        values = {"state": state, "attempts": outcome.attempts, "error": outcome.message}
        if not self._write_outcome(values | self._get_failure_values(started)):
            _logger.info(
                "%s %s was finished by another job meanwhile (%s)",
                self._name,
                self.id,
                outcome.message,
            )
            return f"Finished by another job meanwhile ({outcome.message})."
        _logger.info("%s %s: %s (%s ms)", self._name, self.id, outcome.message, elapsed_ms(started))
        if outcome.retry:
            raise RetryableJobError(outcome.message, seconds=outcome.retry_after) from exc
        raise FailedJobError(outcome.message) from exc

    def _get_failure_values(self, started):
        """Values written with a failed attempt's outcome, beside ``state``,
        ``attempts`` and ``error``."""
        return {}

    def _write_outcome(self, values):
        """Record an outcome that must survive the job's rollback, from a
        cursor of its own, unless another job finished the unit meanwhile;
        return whether it was recorded."""
        with self.env.registry.cursor() as cr:
            unit = self.with_env(self.env(cr=cr)).sudo()
            written = unit.state not in self._processing_final_states
            if written:
                unit.write(values)
        self.invalidate_recordset()
        return written

    def _get_retry_policy(self):
        """The unit's retry policy: its backend's ``max_attempts`` and the
        retry pattern of its job function."""
        self.ensure_one()
        return RetryPolicy(self.backend_id.max_attempts, self._get_job_config().retry_pattern)

    @api.model
    def _get_job_config(self):
        """queue_job's configuration of the job function running the units."""
        functions = self.env["queue.job.function"].sudo()
        return functions.job_config(
            functions.job_function_name(self._name, self._processing_job_method)
        )
