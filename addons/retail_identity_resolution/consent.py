"""Marketing consent: what a statement changes, and what two records keep.

Pure functions. A consent is a value (opted in, opted out, or unknown), the
source that stated it (a channel backend id, ``None`` for Odoo) and when.
The rules are conservative: an opt-out from any source wins over an opt-in
from another one, and keeps its source and date.
"""

from dataclasses import dataclass
from datetime import datetime

OPT_IN = "opt_in"
OPT_OUT = "opt_out"
CONSENT_SELECTION = [(OPT_IN, "Opted in"), (OPT_OUT, "Opted out")]
# The marketing channels a partner carries a consent for, and the canonical
# ``Consent`` attribute each one is read from.
CONSENT_CHANNELS = {"email": "email_marketing", "sms": "sms_marketing"}


@dataclass(frozen=True)
class ConsentState:
    value: str | None = None  # OPT_IN, OPT_OUT or None (never stated)
    source: int | None = None  # retail.backend id; None: stated in Odoo
    date: datetime | None = None


def _date_key(state):
    return state.date or datetime.min


def apply_statement(current, incoming):
    """Return the consent after ``incoming`` is stated, or ``None`` if the
    statement changes nothing.

    - Anything beats "never stated".
    - An opt-out replaces an opt-in, unless it is older than an opt-in from
      the same source (the customer subscribed again there since).
    - A second opt-out changes nothing: the first one keeps its source and date.
    - An opt-in never lifts an opt-out from another source; the source that
      recorded the opt-out lifts it with a newer opt-in.
    - A newer opt-in refreshes an opt-in.
    """
    if incoming.value not in (OPT_IN, OPT_OUT):
        return None
    if current.value not in (OPT_IN, OPT_OUT):
        return incoming
    same_source = current.source == incoming.source
    newer = _date_key(incoming) > _date_key(current)
    if incoming.value == OPT_OUT:
        if current.value == OPT_OUT:
            return None
        if same_source and not newer and current.date:
            return None
        return incoming
    if current.value == OPT_OUT:
        return incoming if same_source and newer else None
    return incoming if newer else None


def merge_consent(kept, merged):
    """The consent of two records that are one person.

    An opt-out on either side wins, with its own source and date (the
    earliest one if both opted out); otherwise the latest opt-in; otherwise
    unknown. Ties keep the kept record's consent.
    """
    states = [kept, merged]
    opt_outs = [state for state in states if state.value == OPT_OUT]
    if opt_outs:
        return min(opt_outs, key=lambda state: state.date or datetime.max)
    opt_ins = [state for state in states if state.value == OPT_IN]
    if opt_ins:
        return max(opt_ins, key=_date_key)
    return ConsentState()
