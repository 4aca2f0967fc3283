from datetime import datetime
from typing import NamedTuple

from .fingerprint import Fingerprint, fingerprint


class TriageEntry(NamedTuple):
    """One failing record as a triage source reports it."""

    source: str
    res_model: str
    res_id: int
    backend_id: int | None
    topic: str | None
    message: str
    seen_at: datetime
    fingerprint: Fingerprint

    @classmethod
    def of(cls, source, record, message, seen_at, backend_id=None, topic=None, kind=None):
        return cls(
            source,
            record._name,
            record.id,
            backend_id or None,
            topic or None,
            message or "",
            seen_at,
            fingerprint(source, message, kind),
        )
