"""Anomalies in a backend's flow, from its own history: the same hour of the
same weekday in the previous weeks gives what to expect this hour."""

from statistics import mean
from typing import NamedTuple

# A drop: the hour brought less than this share of what was expected, and
# enough was expected for the silence to mean something.
DROP_RATIO = 0.25
DROP_MIN_EXPECTED = 4
# A spike: at least this many, and this many times what was expected.
SPIKE_FACTOR = 3
SPIKE_MIN_OBSERVED = 5
# Weeks of history read; fewer than MIN_WEEKS known: no judgement.
HISTORY_WEEKS = 4
MIN_WEEKS = 2


class Verdict(NamedTuple):
    anomalous: bool
    expected: float
    observed: int


def expected_count(history):
    """What to expect from the counts of the same hour in past weeks, or
    ``None`` when the history is too short."""
    if len(history) < MIN_WEEKS:
        return None
    return mean(history)


def detect_drop(observed, history):
    """Whether ``observed`` is far below the usual count of the hour."""
    expected = expected_count(history)
    if expected is None or expected < DROP_MIN_EXPECTED:
        return Verdict(False, expected or 0.0, observed)
    return Verdict(observed < expected * DROP_RATIO, expected, observed)


def detect_spike(observed, history):
    """Whether ``observed`` (failures, holds...) is far above its usual
    count; with no history, a burst of SPIKE_MIN_OBSERVED is one."""
    expected = expected_count(history) or 0.0
    return Verdict(
        observed >= SPIKE_MIN_OBSERVED and observed > SPIKE_FACTOR * max(expected, 1.0),
        expected,
        observed,
    )
