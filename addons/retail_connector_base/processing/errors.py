"""Which errors are worth another attempt, and how an error reads to a
person. Plain Python: no ORM."""

import psycopg2
import requests

from odoo.exceptions import AccessError, UserError, ValidationError

from odoo.addons.queue_job.exception import RetryableJobError

from ..api_client import CircuitOpen
from ..exceptions import PermanentError, TransientError

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
# Errors that retrying cannot fix: the unit of work fails at once.
PERMANENT_ERRORS = (PermanentError, ValidationError, UserError, AccessError, ValueError)


def untranslated(message, *args, **kwargs):
    """Stand-in for ``env._`` where no environment translates: ``message``
    formatted with ``args`` or ``kwargs``."""
    values = args or kwargs
    return message % values if values else message


def is_transient_error(exc):
    """Whether another attempt may succeed where this one raised ``exc``.

    An unexpected error may be a passing fault: it is retried (and ends dead
    if it keeps coming back).
    """
    return isinstance(exc, TRANSIENT_ERRORS) or not isinstance(exc, PERMANENT_ERRORS)


def describe_error(exc, _=untranslated):
    """A message a person can act on, without a traceback.

    :param _: the translation function (``env._``)
    """
    if isinstance(exc, PermanentError | TransientError):
        return str(exc)
    if isinstance(exc, UserError | ValidationError | AccessError):
        return exc.args[0] if exc.args else str(exc)
    if isinstance(exc, requests.exceptions.RequestException):
        return _("Channel unreachable: %s", exc)
    if isinstance(exc, psycopg2.Error):
        return _("Database contention (%s); will retry.", exc.pgcode or type(exc).__name__)
    return f"{type(exc).__name__}: {exc}"


def retryable_job_error(exc):
    """The queue_job retry of a job that met ``exc``, a :class:`TransientError`:
    after its ``retry_after``; an open circuit breaker (the call was never
    sent) costs the job none of its attempts."""
    return RetryableJobError(
        str(exc),
        seconds=exc.retry_after,
        ignore_retry=isinstance(exc, CircuitOpen),
    )
