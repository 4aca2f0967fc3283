"""Exception triage, plain Python: fingerprints of errors and the rules that
suggest a likely cause. No ORM import: tested without a database."""

from .fingerprint import Fingerprint, fingerprint, normalize_message
from .entry import TriageEntry
from .hints import suggest_cause
from .assist import Example, NearestFixes, Suggestion
from .runbooks import HOLD_REASONS, alert_page, failure_page, hold_page, runbook_url
