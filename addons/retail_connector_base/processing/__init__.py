"""The processing core shared by every unit of work a job runs: inbound
events, outbox messages (and the outbound deliveries to come).

- ``errors.py``: which errors are worth another attempt, and how an error
  reads to a person;
- ``policy.py``: the retry policy (max attempts, backoff) and the one rule
  that turns a failed attempt into ``retry``, ``dead`` or ``failed``;
- ``job_rows.py``: the queue_job rows of event processing, written in the
  statement that stores the event (the webhook's hot path).

``errors.py`` and ``policy.py`` are plain Python (no ORM), tested without a
database in ``tests/test_processing_core.py``; the models run them through
``retail.processing.mixin`` (``models/retail_processing_mixin.py``).
"""

from .errors import (
    PERMANENT_ERRORS,
    TRANSIENT_ERRORS,
    describe_error,
    is_transient_error,
    retryable_job_error,
    untranslated,
)
from .policy import DEAD, FAILED, RETRY, Outcome, RetryPolicy

__all__ = [
    "DEAD",
    "FAILED",
    "PERMANENT_ERRORS",
    "RETRY",
    "TRANSIENT_ERRORS",
    "Outcome",
    "RetryPolicy",
    "describe_error",
    "is_transient_error",
    "retryable_job_error",
    "untranslated",
]
