"""The shipped candidate search on plain records: the ``retail.identity.key``
table and ``res.partner._retail_identity_candidates`` (``identity_keys``'
kinds, ``KEY_WEIGHTS``, ``MIN_CANDIDATE_WEIGHT``, ``MAX_CANDIDATES``,
``ROWS_PER_KEY``), and the import path that feeds it as the resolver does.

* A partner holds every key it was seen with: its form's (written on create
  and on each update), the incoming records linked to it, and those of the
  partners merged into it. Keys brought by a link on weak evidence are
  provisional and attract nobody (no cascade); a confirmed one confirms them.
* A candidate search reads, per key of the record, the ``ROWS_PER_KEY``
  most recent active partners holding it (confirmed), keeps those whose keys
  weigh ``MIN_CANDIDATE_WEIGHT`` together and returns the ``MAX_CANDIDATES``
  whose keys weigh most, each key's weight shared among the partners holding
  it, the most recent first on a tie: the SQL of
  ``_retail_identity_candidates`` line for line.
* A candidate is compared as the resolver reads it: its form's values and
  the emails and phones of its confirmed keys.
"""

from collections import Counter, defaultdict

from odoo.addons.retail_identity_resolution.identity_keys import (
    IDENTIFIER_KINDS,
    ROWS_PER_KEY,
    identity_keys,
    rank_candidates,
)
from odoo.addons.retail_identity_resolution.matching import is_strong

from .evaluate import Outcome, _filled, _frequencies, _suggest, _survivor, _updated

FORM_ONLY = ("known_emails", "known_phones")


class KeyTable:
    """``retail.identity.key`` rows of the partners, in memory."""

    def __init__(self, to_record):
        self.to_record = to_record
        self.holders = defaultdict(set)  # (kind, value) -> partners holding it, confirmed
        self.keys = defaultdict(dict)  # partner -> {(kind, value): provisional}
        self.active = set()
        self.values = {}  # partner -> form values
        self._records = {}  # partner -> IdentityRecord (cache)

    def set_form(self, partner, values, provisional=False):
        """Create or write ``partner``'s form: its own keys are kept (write)."""
        self.values[partner] = {k: v for k, v in values.items() if k not in FORM_ONLY}
        self.active.add(partner)
        self.add(partner, self.to_record(self.values[partner]), provisional)

    def add(self, partner, record, provisional=False):
        """``_retail_add_identity_keys(record, provisional=...)`` (``_upsert``)."""
        self.add_keys(partner, identity_keys(record), provisional)

    def add_keys(self, partner, keys, provisional=False):
        held = self.keys[partner]
        for key in keys:
            now = held.get(key, True) and provisional
            held[key] = now
            if not now:
                self.holders[key].add(partner)
        self._records.pop(partner, None)

    def merge(self, dst, src, values, provisional=False):
        """``_merge_partners``: ``src``'s keys copied to ``dst`` (provisional
        with ``provisional``, or if they were), the survivor's ``values``
        written on ``dst`` (keys provisional alike), ``src`` archived."""
        for key, was in list(self.keys[src].items()):
            self.add_keys(dst, [key], was or provisional)
        self.active.discard(src)
        self.set_form(dst, values, provisional)

    def record(self, partner):
        """The candidate as ``_retail_identity_records`` reads it."""
        if partner not in self._records:
            known = {kind: [] for kind in IDENTIFIER_KINDS}
            for (kind, value), provisional in self.keys[partner].items():
                if kind in known and not provisional:
                    known[kind].append(value)
            self._records[partner] = self.to_record(
                {
                    **self.values[partner],
                    "known_emails": tuple(known["email"]),
                    "known_phones": tuple(known["phone"]),
                }
            )
        return self._records[partner]

    def candidates(self, record, below=None, exclude=()):
        """``_retail_identity_candidates(record)``: partner numbers, best first
        (``below``: only partners of a lower number, the batch's older ones)."""
        rows_per_key = {
            key: sorted(
                (
                    p
                    for p in self.holders.get(key, ())
                    if p in self.active and p not in exclude and (below is None or p < below)
                ),
                reverse=True,
            )[:ROWS_PER_KEY]
            for key in identity_keys(record)
        }
        return rank_candidates(rows_per_key)


def form_counts(table):
    """Email and phone frequencies over the active partners' forms."""
    counts = Counter()
    for partner in table.active:
        record = table.to_record(table.values[partner])
        for kind, value in (("email", record.email_key), ("phone", record.phone_key)):
            if value:
                counts[(kind, value)] += 1
    return counts


def _count(counts, table, partner, sign):
    record = table.to_record(table.values[partner])
    for kind, value in (("email", record.email_key), ("phone", record.phone_key)):
        if value:
            counts[(kind, value)] += sign


def resolve_incrementally(
    rows, to_record, model, thresholds, resolve, bridges="merge", update=True, terms=None
):
    """Import path (``retail.partner.resolver._identity_resolve``) with the
    key table: as ``evaluate.resolve_incrementally`` otherwise."""
    auto_threshold, review_threshold = thresholds
    table = KeyTable(to_record)
    outcome = Outcome()
    partner_of = {}  # partner number -> record index it was created from
    counts = Counter()
    for i, row in enumerate(rows):
        record = to_record(row)
        candidates = sorted(table.candidates(record))  # the resolver sorts them by id
        frequencies = _frequencies(record, counts, len(table.active), terms)
        result = resolve(
            record,
            [(partner, table.record(partner)) for partner in candidates],
            model,
            auto_threshold,
            review_threshold,
            frequencies,
        )
        for partner, score in result.scores:
            outcome.scores[(partner_of[partner], i)] = score
        outcome.compared += len(result.scores)
        if result.decision == "link":
            best = result.partner
            strong = is_strong(result.score, auto_threshold)
            outcome.links.append((partner_of[best], i))
            if update and strong:
                _count(counts, table, best, -1)
                table.set_form(best, _updated(table.values[best], row, table.record(best)))
                _count(counts, table, best, +1)
            table.add(best, record, provisional=not strong)
            scores = dict(result.scores)
            for other in result.merge:
                if bridges == "merge":
                    outcome.links.append((partner_of[best], partner_of[other]))
                    _count(counts, table, best, -1)
                    _count(counts, table, other, -1)
                    values = _filled(table.values[best], table.values[other])
                    weak = not is_strong(scores[other], auto_threshold)
                    table.merge(best, other, values, provisional=weak)
                    _count(counts, table, best, +1)
                elif bridges == "suggest":
                    _suggest(outcome, partner_of[best], partner_of[other], 0.0)
            for other, score in result.suggest:  # told apart from it
                _suggest(outcome, partner_of[other], i, score.total)
            continue
        number = len(partner_of)
        partner_of[number] = i
        table.set_form(number, row)
        _count(counts, table, number, +1)
        for other, score in result.suggest:
            _suggest(outcome, partner_of[other], i, score.total)
    return outcome


def resolve_batch(rows, to_record, model, thresholds, resolve, terms=None):
    """Batch path (``retail.identity.dedup.run`` with auto-link) with the key
    table: every record a partner holding its form's keys; in id order each
    active one resolved against the older active partners the key search
    finds; a link merges it (and the others it links to) into the best one,
    its keys copied, the survivor's values written (``evaluate._survivor``)."""
    auto_threshold, review_threshold = thresholds
    table = KeyTable(to_record)
    outcome = Outcome()
    for number, row in enumerate(rows):
        table.set_form(number, row)
    counts = form_counts(table)
    updated = list(range(len(rows)))
    for i in range(len(rows)):
        if i not in table.active:
            continue
        record = table.record(i)
        candidates = sorted(table.candidates(record, below=i))
        frequencies = _frequencies(record, counts, len(table.active), terms)
        for kind, value in (("email", record.email_key), ("phone", record.phone_key)):
            if value:  # but itself
                frequencies[(kind, value)] -= 1
        result = resolve(
            record,
            [(j, table.record(j)) for j in candidates],
            model,
            auto_threshold,
            review_threshold,
            frequencies,
        )
        for j, score in result.scores:
            outcome.scores[(j, i)] = score
        outcome.compared += len(result.scores)
        if result.decision == "link":
            best = result.partner
            for src in (i, *result.merge):
                outcome.links.append((min(best, src), max(best, src)))
                _count(counts, table, best, -1)
                _count(counts, table, src, -1)
                values = _survivor(
                    table.values[best], table.values[src], updated[src] > updated[best]
                )
                updated[best] = len(rows)
                table.merge(best, src, values)
                _count(counts, table, best, +1)
            for j, score in result.suggest:  # told apart from it
                _suggest(outcome, j, i, score.total)
            continue
        for j, score in result.suggest:
            _suggest(outcome, j, i, score.total)
    return outcome
