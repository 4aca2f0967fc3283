"""Resolution of a labelled record set the way the addon does it, and the
cluster-level figures of the outcome.

* :func:`resolve_incrementally` is the import path (``_lookup_partner``):
  records arrive one by one; each is compared with the partners that share
  one of its :func:`blocking_keys` (at most ``limit`` per key, as the
  resolver's indexed searches), with frequencies counted over the partners
  so far; "link" binds it to the best partner (whose values stay as they
  were), otherwise it becomes a partner and every candidate in the review
  band becomes a suggestion.
* :func:`resolve_batch` is batch deduplication (``retail.identity.dedup.run``
  with auto-link, ``dedup_matcher``): every record is a partner from the
  start; in id order, each active one is resolved with ``resolve`` against
  the older active partners sharing one of its keys now (at most ``limit``
  per key, the most recent), frequencies over the active partners but
  itself; "link" merges it, and the other partners it links to, into the
  best one (whose values and keys change as the merge's default
  survivorship rules say, the records' order standing for their last
  update); otherwise every pair ``resolve`` suggests is a suggestion.
  :func:`resolve_batch_pairwise` is the naive batch: every pair sharing a key
  decided alone and the links joined transitively, for comparison.

Both return auto links and review pairs between record indexes; :func:`figures`
turns them into clusters (union-find) and compares those with the truth.
"""

from bisect import bisect_left, insort
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations

# importable once bench_identity_accuracy has put the addons on the path
from odoo.addons.retail_identity_resolution.matching import (
    CANDIDATES_PER_KEY,
    Resolution,
    decide,
    is_strong,
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


def _frequencies(record, counts, total, terms=None):
    frequencies = dict(terms or {})
    frequencies["total"] = total
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
    terms=None,
):
    """Import path: raw ``rows`` in arrival order, ``to_record(values)`` their
    IdentityRecord.

    ``update``: a linked partner takes the record's non-empty values, as
    ``retail.partner.resolver._update_partner`` does with the backends'
    default sync settings (a relay email never replaces a real one); its keys
    are re-indexed. ``bridges``: what to do when a record links to more than
    one partner ("merge" them, as :func:`resolve` says; "suggest" the
    pairs instead; "ignore" them). A link on weak evidence
    (``matching.is_strong``) updates nothing (no cascade). The partner keeps
    every email and phone it was seen with as identity keys. ``terms``: the
    term counts of the whole set (``matching.estimation.count_terms``).
    """
    auto_threshold, review_threshold = thresholds
    records = [to_record(row) for row in rows]
    outcome = Outcome()
    partner_of = {}  # partner number -> record index it was created from
    current = {}  # partner number -> (values, IdentityRecord) as it is now
    index = defaultdict(list)  # (key, value) -> partner numbers
    counts = Counter()

    def add(number, record, sign):
        for key in blocking_keys(record):
            if sign > 0:
                index[key].append(number)
            else:
                index[key].remove(number)
        for kind, value in (("email", record.email_key), ("phone", record.phone_key)):
            if value:
                counts[(kind, value)] += sign

    for i, record in enumerate(records):
        candidates = []
        for key in blocking_keys(record):
            # the most recent partners, as the resolver's searches (order="id desc")
            for partner in sorted(index[key], reverse=True)[:limit]:
                if partner not in candidates:
                    candidates.append(partner)
        frequencies = _frequencies(record, counts, len(partner_of), terms)
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
            for other, score in result.suggest:  # told apart from it
                _suggest(outcome, partner_of[other], i, score.total)
            if update and is_strong(result.score, auto_threshold):
                values = _updated(current[best][0], rows[i], current[best][1])
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


def _updated(values, incoming, record):
    """A partner's values after an import of ``incoming`` (non-empty values
    win; an address is taken whole; a relay email never replaces a real
    one); the emails and phones it held stay known (``record``'s)."""
    values = dict(values)
    values["known_emails"] = tuple(record.emails)
    values["known_phones"] = tuple(record.phones)
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


def resolve_batch(
    rows, to_record, model, thresholds, blocking_keys, resolve, limit=CANDIDATES_PER_KEY, terms=None
):
    """Batch path, as ``retail.identity.dedup.run`` decides with auto-link on
    (see the module's docstring): no pair is linked alone, so two partners
    told apart are never joined through a third one."""
    auto_threshold, review_threshold = thresholds
    outcome = Outcome()
    values = [dict(row) for row in rows]
    current = [to_record(row) for row in rows]
    active = [True] * len(rows)
    index = defaultdict(list)  # (key, value) -> active partners holding it, ascending
    counts = Counter()

    def add(number, sign):
        for key in blocking_keys(current[number]):
            if sign > 0:
                insort(index[key], number)
            else:
                index[key].remove(number)
        for kind, value in (
            ("email", current[number].email_key),
            ("phone", current[number].phone_key),
        ):
            if value:
                counts[(kind, value)] += sign

    # when each partner was updated last (the survivorship's "most recent"):
    # in arrival order, then at the run for a partner a merge wrote
    updated = list(range(len(rows)))

    def merge(dst, src):
        add(dst, -1)
        add(src, -1)
        active[src] = False
        values[dst] = _survivor(values[dst], values[src], updated[src] > updated[dst])
        updated[dst] = len(rows)
        current[dst] = to_record(values[dst])
        add(dst, +1)

    for number in range(len(rows)):
        add(number, +1)
    population = len(rows)
    for i in range(len(rows)):
        if not active[i]:
            continue
        record = current[i]
        candidates = set()
        for key in blocking_keys(record):
            members = index[key]
            end = bisect_left(members, i)
            candidates.update(members[max(0, end - limit) : end])
        frequencies = _frequencies(record, counts, population, terms)
        for kind, value in (("email", record.email_key), ("phone", record.phone_key)):
            if value:  # but itself
                frequencies[(kind, value)] -= 1
        result = resolve(
            record,
            [(j, current[j]) for j in sorted(candidates)],
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
                merge(best, src)
                population -= 1
            for j, score in result.suggest:  # told apart from it
                _suggest(outcome, j, i, score.total)
            continue
        for j, score in result.suggest:
            _suggest(outcome, j, i, score.total)
    return outcome


def _survivor(kept, merged, merged_is_recent):
    """The values a merge leaves on the kept partner, after the default
    survivorship rules (``data/retail_identity_survivorship_rule_data.xml``,
    ``retail.identity.merge._get_surviving_values``): the name by channel
    priority (no channel here: the kept one's); email, phone and the whole
    address of the side updated last (``merged_is_recent``); a value always
    beats none, and a real email a relay one."""
    values = dict(kept)
    values["name"] = kept.get("name") or merged.get("name")
    for names in (("email", "email_is_relay"), ("phone",), ADDRESS_FIELDS):
        src = {name: merged.get(name) or None for name in names}
        dst = {name: kept.get(name) or None for name in names}
        if src == dst or not any(src.values()):
            continue
        if names[0] == "email" and src["email"] and dst["email"]:
            if src["email_is_relay"] and not dst["email_is_relay"]:
                continue
            if dst["email_is_relay"] and not src["email_is_relay"]:
                values.update(src)
                continue
        if merged_is_recent or not any(dst.values()):
            values.update(src)
    return values


def resolve_batch_pairwise(records, model, decision_of, blocking_keys, limit=500, terms=None):
    """Naive batch, for comparison: every pair sharing a blocking key
    (blocks larger than ``limit`` are skipped) scored once and decided alone,
    the links joined transitively (A~B and B~C join A and C)."""
    outcome = Outcome()
    blocks = defaultdict(list)
    counts = Counter()
    for i, record in enumerate(records):
        for key in blocking_keys(record):
            blocks[key].append(i)
        for kind, value in (("email", record.email_key), ("phone", record.phone_key)):
            if value:
                counts[(kind, value)] += 1
    pairs = set()
    for members in blocks.values():
        if len(members) <= limit:
            pairs.update(combinations(members, 2))
    for i, j in sorted(pairs):
        frequencies = _frequencies(records[j], counts, len(records), terms)
        score = model.score(records[j], records[i], frequencies)
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
    keys = [set(blocking_keys(r)) for r in records]
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
