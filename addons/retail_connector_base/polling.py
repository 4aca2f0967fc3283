"""What a channel's poll hands the base: one record per channel change.

Plain Python: a channel's ``_poll_fetch(since)`` yields :class:`PolledRecord`
values; the base's poll loop (``retail.backend._poll``) stores them as events
through the same event store and idempotency as webhooks, and moves the
cursor (``retail.poll.cursor``) to the latest update seen.
"""

import json
from datetime import UTC, datetime
from typing import NamedTuple

from .adapters import EventValues
from .exceptions import PermanentError

# The stream a backend polls unless told otherwise.
POLL_STREAM = "orders"
# Bindings are looked up, and events stored, this many records at a time.
POLL_CHUNK = 100


class PolledRecord(NamedTuple):
    """One change read from the channel.

    :param event_values: the event's key, topic and headers (the key makes a
        version seen twice one event)
    :param body: the payload as bytes, stored as the event's raw body
    :param updated_at: the channel's update time, a naive UTC ``datetime``
        (moves the cursor)
    :param res_model: with ``external_id``, the model of the record's
        bindings: a change already applied (the binding has this update or a
        later one) is not stored again
    """

    event_values: EventValues
    body: bytes
    updated_at: datetime
    res_model: str | None = None
    external_id: str | None = None


def json_body(payload):
    """``payload`` as the compact UTF-8 JSON an event stores."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def naive_utc(moment):
    """An aware ``datetime`` as the naive UTC value Odoo stores."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def parse_iso_utc(value, what="timestamp"):
    """An ISO-8601 timestamp (``Z`` or an offset) as a naive UTC ``datetime``.

    :raise PermanentError: naming ``what`` when ``value`` is not one
    """
    try:
        return naive_utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        raise PermanentError(f"not a {what}: {value!r}") from None


def newer(current, candidate):
    """The later of two naive datetimes, either may be ``None``."""
    if current is None:
        return candidate
    if candidate is None:
        return current
    return max(current, candidate)
