"""The small exception hierarchy of the suite.

Adapters, clients and importers raise these; the webhook controller turns them
into HTTP answers, and the processing core (``processing/errors.py``) into
another attempt or a failure of an event or outbox message.
"""


class RetailError(Exception):
    """Base of every error raised on purpose by Retail Connect."""


class SignatureError(RetailError):
    """The request could not be authenticated (HTTP 401, nothing stored)."""


class PayloadError(RetailError):
    """The request body cannot be understood (HTTP 400, nothing stored)."""


class PermanentError(RetailError):
    """Processing cannot succeed by retrying; a person must act.

    ``path`` names the offending field (``data.lines.0.sku``) when known.
    """

    def __init__(self, message, path=None):
        super().__init__(message)
        self.path = path

    def __str__(self):
        message = super().__str__()
        return f"{self.path}: {message}" if self.path else message


class TransientError(RetailError):
    """Processing may succeed later (channel outage, lock contention...).

    ``retry_after`` is the delay in seconds the channel asked for, if any: it
    wins over the retry policy's backoff.
    """

    def __init__(self, message, retry_after=None):
        super().__init__(message)
        self.retry_after = retry_after
