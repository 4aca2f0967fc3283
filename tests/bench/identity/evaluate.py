"""Resolution of a labelled record set the way the addon does it, and the
cluster-level figures of the outcome.

* :func:`resolve_incrementally` is the import path (``_lookup_partner``):
  records arrive one by one; each is compared with the partners that share
  one of its :func:`blocking_keys` (at most ``limit`` per key, as the
  resolver's indexed searches), with frequencies counted over the partners
  so far; "link" binds it to the best partner (whose values stay as they
  were), otherwise it becomes a partner and every candidate in the review
  band becomes a suggestion.
* :func:`resolve_batch` is batch deduplication: every pair of records that
  share a blocking key is scored once (frequencies over all records).

Both return auto links and review pairs between record indexes; :func:`figures`
turns them into clusters (union-find) and compares those with the truth.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations

# importable once bench_identity_accuracy has put the addons on the path
from odoo.addons.retail_identity_resolution.matching import (
    CANDIDATES_PER_KEY,
    Resolution,
    decide,
)


class UnionFind:
    def __init__(self, n):
        self.parent = list(range(n))

    def find(self, x):
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass
class Outcome:
    links: list = field(default_factory=list)  # (record, record)
    reviews: list = field(default_factory=list)  # (record, record, score)
    compared: int = 0
    scores: dict = field(default_factory=dict)  # (i, j) -> Score, for misses
    suggested: set = field(default_factory=set)


def _frequencies(record, counts, total):
    frequencies = {"total": total}
    if record.email_key:
        frequencies[("email", record.email_key)] = counts[("email", record.email_key)]
    if record.phone_key:
        frequencies[("phone", record.phone_key)] = counts[("phone", record.phone_key)]
    return frequencies


def resolve_incrementally(
    rows,
    to_record,
    model,
    thresholds,
    blocking_keys,
    resolve,
    limit=CANDIDATES_PER_KEY,
    bridges="merge",
    update=True,
):
    """Import path: raw ``rows`` in arrival order, ``to_record(values)`` their
    IdentityRecord.

    ``update``: a linked partner takes the record's non-empty values, as
    ``retail.partner.resolver._update_partner`` does with the backends'
    default sync settings (a relay email never replaces a real one); its keys
    are re-indexed. ``bridges``: what to do when a record links to more than
    one partner ("merge" them, as :func:`resolve` says; "suggest" the
    pairs instead; "ignore" them).
    """
    auto_threshold, review_threshold = thresholds
    records = [to_record(row) for row in rows]
    outcome = Outcome()
    partner_of = {}  # partner number -> record index it was created from
    current = {}  # partner number -> (values, IdentityRecord) as it is now
    index = defaultdict(list)  # (key, value) -> partner numbers
    counts = Counter()

    def add(number, record, sign):
        for key in blocking_keys(record).items():
            if sign > 0:
                index[key].append(number)
            else:
                index[key].remove(number)
        for kind, value in (("email", record.email_key), ("phone", record.phone_key)):
            if value:
                counts[(kind, value)] += sign

    for i, record in enumerate(records):
        candidates = []
        for key in blocking_keys(record).items():
            # the most recent partners, as the resolver's searches (order="id desc")
            for partner in sorted(index[key], reverse=True)[:limit]:
                if partner not in candidates:
                    candidates.append(partner)
        frequencies = _frequencies(record, counts, len(partner_of))
        result = resolve(
            record,
            [(partner, current[partner][1]) for partner in candidates],
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
            outcome.links.append((partner_of[best], i))
            for other in result.merge:
                if bridges == "merge":
                    outcome.links.append((partner_of[best], partner_of[other]))
                    # archived by the merge; its values fill the survivor's gaps
                    add(other, current[other][1], -1)
                    add(best, current[best][1], -1)
                    values = _filled(current[best][0], current[other][0])
                    current[best] = (values, to_record(values))
                    add(best, current[best][1], +1)
                elif bridges == "suggest":
                    _suggest(outcome, partner_of[best], partner_of[other], 0.0)
            if update:
                values = _updated(current[best][0], rows[i])
                add(best, current[best][1], -1)
                current[best] = (values, to_record(values))
                add(best, current[best][1], +1)
            continue
        number = len(partner_of)
        partner_of[number] = i
        current[number] = (rows[i], record)
        add(number, record, +1)
        for other, score in result.suggest:
            _suggest(outcome, partner_of[other], i, score.total)
    return outcome


ADDRESS_FIELDS = ("street", "street2", "zip", "city", "country_code")


def _filled(values, other):
    """A merge's survivor: its values, gaps filled from the merged one."""
    values = dict(values)
    for name in ("name", "phone"):
        values[name] = values.get(name) or other.get(name)
    # a real email replaces a relay one; a relay one only fills a gap
    if other.get("email") and (
        not values.get("email")
        or (values.get("email_is_relay") and not other.get("email_is_relay"))
    ):
        values["email"] = other["email"]
        values["email_is_relay"] = other.get("email_is_relay", False)
    if not values.get("street") and other.get("street"):
        for name in ADDRESS_FIELDS:
            values[name] = other.get(name)
    return values


def _updated(values, incoming):
    """A partner's values after an import of ``incoming`` (non-empty values
    win; an address is taken whole; a relay email never replaces a real
    one)."""
    values = dict(values)
    for name in ("name", "phone"):
        if incoming.get(name):
            values[name] = incoming[name]
    if incoming.get("email") and not (incoming.get("email_is_relay") and values.get("email")):
        values["email"] = incoming["email"]
        values["email_is_relay"] = incoming.get("email_is_relay", False)
    if incoming.get("street"):
        for name in ADDRESS_FIELDS:
            values[name] = incoming.get(name)
    return values


def _suggest(outcome, a, b, total):
    """One suggestion per pair of partners, as ``retail.identity.suggestion``."""
    pair = (min(a, b), max(a, b))
    if pair not in outcome.suggested:
        outcome.suggested.add(pair)
        outcome.reviews.append((*pair, total))


def resolve_batch(records, model, decision_of, blocking_keys, limit=500):
    """Batch path: every pair sharing a blocking key (blocks larger than
    ``limit`` are skipped, as too common to tell anyone apart)."""
    outcome = Outcome()
    blocks = defaultdict(list)
    counts = Counter()
    for i, record in enumerate(records):
        for key in blocking_keys(record).items():
            blocks[key].append(i)
        for kind, value in (("email", record.email_key), ("phone", record.phone_key)):
            if value:
                counts[(kind, value)] += 1
    pairs = set()
    for members in blocks.values():
        if len(members) <= limit:
            pairs.update(combinations(members, 2))
    for i, j in sorted(pairs):
        score = model.score(records[j], records[i], _frequencies(records[j], counts, len(records)))
        outcome.scores[(i, j)] = score
        decision = decision_of(score)
        if decision == "link":
            outcome.links.append((i, j))
        elif decision == "review":
            outcome.reviews.append((i, j, score.total))
    outcome.compared = len(pairs)
    return outcome


def _pair_counts(truth, groups):
    """(predicted pairs, true positive pairs) of a clustering."""
    predicted = correct = 0
    for members in groups.values():
        n = len(members)
        predicted += n * (n - 1) // 2
        for k in Counter(truth[m] for m in members).values():
            correct += k * (k - 1) // 2
    return predicted, correct


def clusters(n, pairs):
    uf = UnionFind(n)
    for pair in pairs:
        uf.union(pair[0], pair[1])
    groups = defaultdict(list)
    for i in range(n):
        groups[uf.find(i)].append(i)
    return groups


def figures(truth, outcome):
    """Cluster-level pairwise precision/recall/F1 of the auto links alone and
    of links + suggestions, and review pairs per 1000 records."""
    n = len(truth)
    true_pairs = sum(k * (k - 1) // 2 for k in Counter(truth).values())
    result = {"records": n, "entities": len(set(truth)), "true_pairs": true_pairs}
    for label, pairs in (
        ("auto", outcome.links),
        ("auto+review", [*outcome.links, *((i, j) for i, j, _s in outcome.reviews)]),
    ):
        groups = clusters(n, pairs)
        predicted, correct = _pair_counts(truth, groups)
        precision = correct / predicted if predicted else 1.0
        recall = correct / true_pairs if true_pairs else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        impure = sum(1 for m in groups.values() if len({truth[i] for i in m}) > 1)
        result[label] = {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "predicted_pairs": predicted,
            "impure_clusters": impure,
        }
    result["review_pairs"] = len(outcome.reviews)
    result["review_per_1000"] = 1000 * len(outcome.reviews) / n if n else 0.0
    result["review_true"] = sum(1 for i, j, _s in outcome.reviews if truth[i] == truth[j])
    result["compared"] = outcome.compared
    return result


def blocking_recall(truth, records, blocking_keys):
    """Return (share of the true pairs sharing a blocking key, recall ceiling).

    The ceiling is the pairwise recall of the best clustering blocking
    allows: each person's records split where no chain of shared keys joins
    them (a POS record with only a phone and a web record with only another
    email can only meet through a third record)."""
    keys = [set(blocking_keys(r).items()) for r in records]
    by_entity = defaultdict(list)
    for i, entity in enumerate(truth):
        by_entity[entity].append(i)
    total = found = 0
    joined = []
    for members in by_entity.values():
        for i, j in combinations(members, 2):
            total += 1
            if keys[i] & keys[j]:
                found += 1
                joined.append((i, j))
    _predicted, reachable = _pair_counts(truth, clusters(len(truth), joined))
    return (found / total, reachable / total) if total else (1.0, 1.0)


def resolve_best_only(record, candidates, model, auto_threshold, review_threshold, frequencies):
    """The plain policy, for comparison with ``matching.resolve``: the best
    decision, then the best score, wins; no merge of partners a record
    bridges and no check that two linkable candidates are one person."""
    rank = {"link": 0, "review": 1, "new": 2}
    scored = []
    for ref, candidate in candidates:
        score = model.score(record, candidate, frequencies)
        scored.append((ref, score, decide(score, auto_threshold, review_threshold)))
    scored.sort(key=lambda item: (rank[item[2]], -item[1].total))
    scores = tuple((ref, score) for ref, score, _d in scored)
    if scored and scored[0][2] == "link":
        return Resolution("link", scored[0][0], scored[0][1], (), (), scores)
    reviews = tuple((ref, score) for ref, score, d in scored if d == "review")
    best = scored[0][1] if scored else None
    return Resolution("review" if reviews else "new", None, best, (), reviews, scores)
