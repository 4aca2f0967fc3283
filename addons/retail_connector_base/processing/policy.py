"""When a unit of work is tried again: one retry policy, and the one rule
that turns a failed attempt into another attempt, ``dead`` or ``failed``.
Plain Python: no ORM."""

from dataclasses import dataclass, field

from .errors import describe_error, is_transient_error, untranslated

# What a failed attempt leads to.
RETRY = "retry"  # transient error, attempts left: tried again after a delay
DEAD = "dead"  # transient error, but that was the last attempt
FAILED = "failed"  # retrying can't fix it: a person must act


@dataclass(frozen=True)
class Outcome:
    """What a failed attempt leads to.

    :param kind: ``RETRY``, ``DEAD`` or ``FAILED``
    :param attempts: attempts made, the failed one included
    :param message: the error in words, recorded on the unit of work
    :param retry_after: seconds before the next attempt (``RETRY`` only;
        ``None``: queue_job's default interval)
    """

    kind: str
    attempts: int
    message: str
    retry_after: int | tuple | None = None

    @property
    def retry(self):
        return self.kind == RETRY


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how soon a unit of work is tried.

    Both values are data: ``max_attempts`` is the backend's setting (every
    attempt counts, the first included); ``backoff`` is the retry pattern of
    the job function (``data/queue_job_function_data.xml``, editable in Queue
    > Job Functions): attempt number -> seconds before the next attempt, the
    last entry holding beyond, a ``(min, max)`` pair for a random delay.
    queue_job's own ``max_retries`` is set to ``max_attempts`` so that its
    count never disagrees with the policy's.

    >>> policy = RetryPolicy(3, {1: 10, 2: 30})
    >>> [policy.delay(attempt) for attempt in (1, 2, 3)]
    [10, 30, 30]
    """

    max_attempts: int
    backoff: dict = field(default_factory=dict)

    def delay(self, attempts):
        """Seconds to wait after attempt number ``attempts`` (read as
        queue_job reads a retry pattern); ``None`` without a pattern."""
        seconds = None
        for attempt, postpone in sorted(self.backoff.items()):
            if attempts < attempt:
                break
            seconds = postpone
        return seconds

    def decide(self, exc, attempts, _=untranslated):
        """What attempt number ``attempts``, failed with ``exc``, leads to.

        :param _: the translation function (``env._``)
        :rtype: Outcome
        """
        message = describe_error(exc, _)
        if not is_transient_error(exc):
            return Outcome(FAILED, attempts, message)
        if attempts >= self.max_attempts:
            message = _(
                "Gave up after %(attempts)s attempts: %(error)s", attempts=attempts, error=message
            )
            return Outcome(DEAD, attempts, message)
        # A channel's own hint (a throttle's Retry-After) wins over the pattern.
        retry_after = getattr(exc, "retry_after", None) or self.delay(attempts)
        return Outcome(RETRY, attempts, message, retry_after)
