"""The plain-Python contract between the base and each channel.

An adapter knows one channel's wire format: how its webhooks are signed, which
header or field identifies a delivery, and how a payload becomes canonical
data. It holds no database state; it reads the settings it needs from the
backend it was built with, so it can be tested with any object that has those
attributes.
"""

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

_ADAPTERS = {}


class EventValues(NamedTuple):
    """What the base needs to store an inbound event."""

    event_key: str
    topic: str
    headers: dict
    # Processed even while the backend is draft or paused (e.g. legal
    # requests that must be honoured after an uninstall).
    always_process: bool = False


class ChannelAdapter:
    """Base class of channel adapters; subclasses set ``code``."""

    code = None
    # Lower-case header names worth keeping on the event (never secrets).
    kept_headers = ()

    def __init__(self, backend):
        self.backend = backend

    def verify_webhook(self, headers, body):
        """Authenticate a webhook delivery before anything is parsed.

        :param dict headers: request headers, keys lower-cased
        :param bytes body: the raw body, exactly as received
        :raise SignatureError: when the delivery is not authentic
        """
        raise NotImplementedError

    def extract_event_values(self, headers, payload):
        """Return the :class:`EventValues` of an authenticated delivery.

        :raise PayloadError: when the key or the topic cannot be found
        """
        raise NotImplementedError

    def always_processed(self, topic):
        """Whether events of ``topic`` are processed whatever the backend's
        state (default: only while it is active)."""
        return False

    def job_tier(self, topic):
        """The service tier whose job channel processes events of ``topic``:
        ``realtime`` (order capture, payments: the default) or ``batch``
        (inventory counts and other bulk work, so that a flood of them never
        delays an order)."""
        return "realtime"

    def to_canonical(self, topic, payload, headers):
        """Translate a stored payload into canonical data for the importer.

        Runs in the job, never in the webhook controller.

        :raise PermanentError: when the payload cannot be translated
        """
        raise NotImplementedError

    @staticmethod
    def _secrets_in_grace(current, previous, rotated_at, grace_hours, now=None):
        """The secrets a delivery may be signed with: ``current``, and
        ``previous`` for ``grace_hours`` after ``rotated_at`` (naive UTC),
        while the channel switches to the new one. Every channel rotates
        its secret the same way (``retail.backend._remember_previous_secret``)."""
        secrets = [current] if current else []
        if previous and rotated_at:
            now = now or datetime.now(UTC).replace(tzinfo=None)
            if now - rotated_at <= timedelta(hours=grace_hours or 0):
                secrets.append(previous)
        return secrets

    def _kept_headers(self, headers):
        return {name: headers[name] for name in self.kept_headers if name in headers}


def register_adapter(adapter_class):
    """Class decorator: make ``adapter_class`` the adapter of its ``code``."""
    if not adapter_class.code:
        raise ValueError(f"{adapter_class.__name__} has no code")
    _ADAPTERS[adapter_class.code] = adapter_class
    return adapter_class


def get_adapter_class(code):
    """Return the adapter class registered for channel ``code``."""
    try:
        return _ADAPTERS[code]
    except KeyError:
        raise LookupError(f"No channel adapter is registered for {code!r}") from None
