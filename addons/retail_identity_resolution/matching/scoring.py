"""Fellegi-Sunter scoring of a pair of records, and the decision it leads to.

Each field is compared into one *level* (the first rule of the field, by
decreasing ``min_similarity``, whose threshold the similarity reaches); a level
weighs ``log2(m / u)`` bits, where ``m`` is the probability of that level
between two records of the same person and ``u`` between two different
people. A field one side lacks weighs nothing. The total is the sum.
"""

import math
from dataclasses import dataclass, field

from .comparators import FIELDS
from .graded import REPLACED, name_faults

# The prior (lambda): the probability that two customers drawn at random are
# one person, before anything is compared. One in 10,000: a base of 10,000
# customers where each has one duplicate. Estimation (EM) gives the base's own.
DEFAULT_PRIOR = 1e-4
# Defaults of the backends' thresholds, on the match probability (the
# posterior of the prior and the total weight, see Score.probability):
# auto-link when a wrong link is one chance in a thousand; suggest from an
# even chance. With the default prior: 23.3 and 13.3 bits.
DEFAULT_AUTO_THRESHOLD = 0.999
DEFAULT_REVIEW_THRESHOLD = 0.5

OUTCOMES = ("agree", "close", "partial", "weak", "disagree")
# Outcomes that count as evidence beyond the name, and fields that are names.
EVIDENCE = frozenset({"agree", "close"})
NAME_FIELDS = frozenset({"name"})
# Term-frequency adjustment (bits): see term_adjustment().
TERM_ADJUSTED = frozenset({"agree", "close"})
TERM_MIN, TERM_MAX = -3.0, 1.0
TERM_MIN_TOTAL, TERM_MAX_TOTAL = -6.0, 1.5
# Fields of one term (a street): its share is the chance two random
# customers agree on it, set against the rule's u (how often the rule
# expects random customers to agree): a base where every street is common
# (a town) weighs a street agreement less than the rule says.
SINGLE_TERM_FIELDS = frozenset({"street"})
# Fields that say where (a postal code and a city, or the locality that is
# both), and the parts of an address within one: in another place, these
# disagree because the place does (see _moved).
PLACE_FIELDS = ("locality", "zip", "city")
PLACED_FIELDS = frozenset({"house", "street"})
# Bits over the auto threshold from which a link is strong evidence.
STRONG_MARGIN = 8.0

# Reasons an auto-link is not allowed (Score.blocked).
BLOCKED_COMPANY_PERSON = "company_vs_person"
BLOCKED_CONFLICTING_IDS = "conflicting_identifiers"
BLOCKED_UNCONFIRMED = "identifier_differs"
BLOCKED_NAMES_DIFFER = "names_differ"
BLOCKED_NAME_ONLY = "name_only"
BLOCKED_NAME_WORD_DIFFERS = "name_word_differs"
BLOCKED_RELATIVE = "relative"
BLOCKED_NEIGHBOUR = "neighbour"
BLOCKED_REASONS = {
    BLOCKED_COMPANY_PERSON: "a company and a person are never the same customer",
    BLOCKED_CONFLICTING_IDS: "both the emails and the phones differ",
    BLOCKED_UNCONFIRMED: "an email or phone differs and none agrees "
    "(a relative of the same name at the same address)",
    BLOCKED_NAMES_DIFFER: "the names differ (household members share email, phone, address)",
    BLOCKED_NAME_ONLY: "nothing but the name agrees (namesakes are many)",
    BLOCKED_NAME_WORD_DIFFERS: "a word of the name differs (a relative at the same address?)",
    BLOCKED_RELATIVE: "a word of the name and an email or phone differ (a relative)",
    BLOCKED_NEIGHBOUR: "a word of the name and the house number differ (a neighbour)",
}
# Blocked pairs that are not even worth a suggestion.
NEVER_SUGGESTED = frozenset(
    {
        BLOCKED_COMPANY_PERSON,
        BLOCKED_NAMES_DIFFER,
        BLOCKED_RELATIVE,
        BLOCKED_NAME_ONLY,
        BLOCKED_NEIGHBOUR,
    }
)


@dataclass(frozen=True)
class Contribution:
    """What one field added to a score."""

    field: str
    outcome: str  # "agree" | "close" | "partial" | "disagree" | "missing"
    weight: float
    detail: str


def probability(total, prior=DEFAULT_PRIOR):
    """The match probability of a total weight of ``total`` bits given the
    ``prior`` (lambda): ``1 / (1 + 2 ** -(total + log2(prior / (1 - prior))))``."""
    bits = total + math.log2(prior / (1 - prior))
    return 1 / (1 + 2 ** -max(-1000.0, min(1000.0, bits)))


def bits_for(probability_, prior=DEFAULT_PRIOR):
    """The total weight whose match probability is ``probability_``."""
    p = min(1 - 1e-15, max(1e-15, probability_))
    return math.log2(p / (1 - p)) - math.log2(prior / (1 - prior))


@dataclass(frozen=True)
class Score:
    """A pair's total weight (bits), its contributions, why an auto-link is
    not allowed (``None`` when it is), and the prior its match probability
    starts from."""

    total: float
    contributions: tuple = ()
    blocked: str | None = None
    prior: float = DEFAULT_PRIOR

    @property
    def probability(self):
        """The estimated probability that the pair is one customer."""
        return probability(self.total, self.prior)

    def explain(self):
        """Return the contributions as JSON-able dicts, heaviest first, then
        the blocking reason if any (``field`` ``"blocked"``)."""
        rows = [
            {
                "field": c.field,
                "outcome": c.outcome,
                "weight": round(c.weight, 2),
                "detail": c.detail,
            }
            for c in sorted(self.contributions, key=lambda c: -abs(c.weight))
        ]
        if self.blocked:
            rows.append(
                {
                    "field": "blocked",
                    "outcome": self.blocked,
                    "weight": 0.0,
                    "detail": BLOCKED_REASONS.get(self.blocked, self.blocked),
                }
            )
        return rows


@dataclass(frozen=True)
class _Level:
    outcome: str
    min_similarity: float
    weight: float
    m: float
    u: float


@dataclass(frozen=True)
class _FieldModel:
    name: str
    comparator: str
    levels: tuple = field(default_factory=tuple)  # by decreasing min_similarity

    @property
    def similarity(self):
        return FIELDS[self.name][0][self.comparator]

    @property
    def terms(self):
        return FIELDS[self.name][3]


class MatchModel:
    """Compares two :class:`~.record.IdentityRecord` with field rules."""

    def __init__(self, fields, prior=DEFAULT_PRIOR):
        if not 0 < prior < 1:
            raise ValueError(f"the prior must be in (0, 1), not {prior!r}")
        self.fields = tuple(fields)
        self.prior = prior

    @classmethod
    def from_rules(cls, rules, prior=None):
        """Build a model from field-rule values: dicts with ``field``,
        ``comparator``, ``outcome``, ``min_similarity``, ``m_probability``,
        ``u_probability`` and optionally ``active`` and ``sequence``;
        ``prior``: the probability two random customers are one
        (``DEFAULT_PRIOR`` if not given).

        One rule per (field, outcome); fields are scored in the order of
        their first rule's ``sequence``.
        """
        by_field = {}
        order = {}
        for rule in sorted(rules, key=lambda r: r.get("sequence") or 0):
            if not rule.get("active", True):
                continue
            name = rule["field"]
            if name not in FIELDS:
                raise ValueError(f"unknown identity field {name!r}")
            comparator = rule.get("comparator") or next(iter(FIELDS[name][0]))
            if comparator not in FIELDS[name][0]:
                raise ValueError(f"field {name!r} has no comparator {comparator!r}")
            if rule["outcome"] not in OUTCOMES:
                raise ValueError(f"unknown outcome {rule['outcome']!r}")
            m, u = float(rule["m_probability"]), float(rule["u_probability"])
            if not (0 < m <= 1 and 0 < u <= 1):
                raise ValueError(f"{name}/{rule['outcome']}: m and u must be in (0, 1]")
            order.setdefault(name, len(order))
            by_field.setdefault(name, {"comparator": comparator, "levels": []})
            by_field[name]["levels"].append(
                _Level(
                    outcome=rule["outcome"],
                    min_similarity=float(rule.get("min_similarity") or 0.0),
                    weight=math.log2(m / u),
                    m=m,
                    u=u,
                )
            )
        fields = [
            _FieldModel(
                name=name,
                comparator=spec["comparator"],
                levels=tuple(sorted(spec["levels"], key=lambda lv: -lv.min_similarity)),
            )
            for name, spec in sorted(by_field.items(), key=lambda item: order[item[0]])
        ]
        return cls(fields, DEFAULT_PRIOR if prior is None else prior)

    def score(self, a, b, frequencies=None):
        """Return the :class:`Score` of records ``a`` and ``b``.

        ``frequencies`` tells how common values are, from a count over the
        customers (see :func:`term_adjustment`):

        * ``{("email", value): count, ("phone", value): count}``: agreeing
          on an email or phone that k partners share (a household mailbox, a
          shop's switchboard) weighs ``log2(k)`` bits less: it points to one
          of k people, not to one;
        * ``{("tf:name", word): count, ("tf:street", street): count,
          ("tf", "name"): (total, expected share), ...}``: the words two
          names (streets) agree on weigh less when common, more when rare
          (term-frequency adjustment, as Splink does).
        """
        frequencies = frequencies or {}
        contributions = []
        outcomes = {}
        for spec in self.fields:
            comparators, show, frequency_key, terms = FIELDS[spec.name]
            similarity = comparators[spec.comparator](a, b)
            shown = f"{show(a) or '∅'} / {show(b) or '∅'}"
            if similarity is None:
                contributions.append(Contribution(spec.name, "missing", 0.0, shown))
                continue
            level = next((lv for lv in spec.levels if similarity >= lv.min_similarity), None)
            if level is None:
                continue
            outcomes[spec.name] = level.outcome
            weight = level.weight
            detail = f"{shown} ({similarity:.2f})" if 0 < similarity < 1 else shown
            value = show(a)
            if frequency_key and level.outcome == "agree" and value:
                count = frequencies.get((frequency_key, value), 0)
                if count > 1:
                    weight -= math.log2(count)
                    detail += f", shared by {count} partners"
            if terms and level.outcome in TERM_ADJUSTED and frequencies:
                shared = set(terms(a)) & set(terms(b))
                adjustment = term_adjustment(
                    spec.name,
                    shared,
                    frequencies,
                    level.u if spec.name in SINGLE_TERM_FIELDS else None,
                )
                if adjustment:
                    weight += adjustment
                    detail += f", {'rare' if adjustment > 0 else 'common'} {adjustment:+.1f}"
            contributions.append(Contribution(spec.name, level.outcome, weight, detail))
        contributions = _moved(contributions, outcomes)
        return Score(
            total=sum(c.weight for c in contributions),
            contributions=tuple(contributions),
            blocked=self._blocked(a, b, outcomes),
            prior=self.prior,
        )

    @staticmethod
    def _blocked(a, b, outcomes):
        if bool(a.is_company) != bool(b.is_company):
            return BLOCKED_COMPANY_PERSON
        identifiers = {outcomes.get("email"), outcomes.get("phone")}
        # Household members: another first name, the same mailbox or phone
        # (and street), or each their own. Two names of one company differ
        # more freely. (An initial that fits, two slips: a name typed short
        # or badly, not another word.)
        person = not (a.is_company and b.is_company)
        replaced = (
            person
            and outcomes.get("name") == "weak"
            and name_faults(a.name_tokens, b.name_tokens) >= REPLACED
        )
        if (person and outcomes.get("name") == "disagree") or (replaced and "agree" in identifiers):
            return BLOCKED_NAMES_DIFFER
        if replaced and "disagree" in {*identifiers, outcomes.get("email_relay")}:
            return BLOCKED_RELATIVE
        if replaced and outcomes.get("house") == "disagree":
            # Another word of the name behind another door: someone else in
            # the street (namesakes of a common surname), not worth asking.
            return BLOCKED_NEIGHBOUR
        if outcomes.get("email") == "disagree" and outcomes.get("phone") == "disagree":
            return BLOCKED_CONFLICTING_IDS
        if replaced:
            # One word of the name replaced, nothing else to tell: a relative
            # at the same address as likely as a name typed for another.
            return BLOCKED_NAME_WORD_DIFFERS
        if "disagree" in identifiers and "agree" not in identifiers:
            return BLOCKED_UNCONFIRMED
        if not any(
            outcome in EVIDENCE for name, outcome in outcomes.items() if name not in NAME_FIELDS
        ):
            return BLOCKED_NAME_ONLY
        return None


def _moved(contributions, outcomes):
    """Another town: the street and house number differ because the place
    does (a move), not once more. Their disagreement (any level that weighs
    against) is counted in the locality's (``PLACE_FIELDS``): fields compared
    apart are not independent there, and three penalties for one move would
    sink an email that agrees. What agrees still counts."""
    if not any(outcomes.get(name) == "disagree" for name in PLACE_FIELDS):
        return contributions
    return [
        Contribution(c.field, c.outcome, 0.0, f"{c.detail}, in another place")
        if c.field in PLACED_FIELDS and c.weight < 0
        else c
        for c in contributions
    ]


def term_adjustment(field_name, shared_terms, frequencies, u=None):
    """Bits added to an agreement on ``field_name`` for the ``shared_terms``
    both records hold: ``log2(expected share / share of the term)`` per term
    (0 for a term as common as the average, negative for a common one), each
    term's within [``TERM_MIN``, ``TERM_MAX``], the sum within
    [``TERM_MIN_TOTAL``, ``TERM_MAX_TOTAL``]. Nothing without the field's
    counts. ``u``: the level's u, in place of the expected share (a field of
    one term: see ``SINGLE_TERM_FIELDS``)."""
    base = frequencies.get(("tf", field_name))
    if not base or not shared_terms:
        return 0.0
    total, expected = base
    if total <= 0 or expected <= 0:
        return 0.0
    adjustment = 0.0
    for term in shared_terms:
        share = max(frequencies.get((f"tf:{field_name}", term), 0), 1) / total
        if u is not None:  # one term: its share against the rule's u, not the mean
            return min(TERM_MAX, max(TERM_MIN_TOTAL, math.log2(u / share)))
        adjustment += min(TERM_MAX, max(TERM_MIN, math.log2(expected / share)))
    return min(TERM_MAX_TOTAL, max(TERM_MIN_TOTAL, adjustment))


def is_strong(score, auto_threshold=DEFAULT_AUTO_THRESHOLD):
    """Whether ``score`` links on strong evidence: an email or phone agrees,
    or the total clears the auto threshold (a match probability) by
    ``STRONG_MARGIN`` bits. A link on weaker evidence does not let the
    record's values attract further links (no cascade) until a person
    confirms it or strong evidence comes."""
    agreed = {c.field for c in score.contributions if c.outcome == "agree" and c.weight > 0}
    strong_from = bits_for(auto_threshold, score.prior) + STRONG_MARGIN
    return bool(agreed & {"email", "phone"}) or score.total >= strong_from


def decide(score, auto_threshold=DEFAULT_AUTO_THRESHOLD, review_threshold=DEFAULT_REVIEW_THRESHOLD):
    """Return ``"link"``, ``"review"`` or ``"new"`` for ``score``; the
    thresholds are match probabilities (``Score.probability``).

    "link" needs the auto threshold and nothing blocking; a blocked pair is
    at most "review". A company against a person, and two different names
    (the household case: a shared mailbox, landline and address would flood
    the review queue), are always "new".
    """
    if score.blocked in NEVER_SUGGESTED:
        return "new"
    chance = score.probability
    if chance >= auto_threshold and not score.blocked:
        return "link"
    if chance >= review_threshold:
        return "review"
    return "new"
