"""The small exception hierarchy of the suite.

Adapters raise these; the webhook controller and the event job translate them
into HTTP answers and event states.
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
    """Processing may succeed later (channel outage, lock contention...)."""

    def __init__(self, message, retry_after=None):
        super().__init__(message)
        self.retry_after = retry_after
