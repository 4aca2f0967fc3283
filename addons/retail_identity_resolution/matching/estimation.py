"""Weights learned from the customer base itself, without labels.

The ``u`` of each field level (its probability between two different
people) is counted on random pairs: almost all random pairs are two
people. The ``m`` (same person) and the share of true pairs are estimated by
expectation-maximisation (Fellegi-Sunter with conditional independence) on
the pairs blocking brings together, ``u`` kept fixed, as Splink does. The
term frequencies (how common each name word and street is) are counted on
the way. Pure Python: the field rules' form and the accuracy benchmark run
the same code.
"""

import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations

from .comparators import FIELDS

# Probabilities are kept within (FLOOR, 1 - FLOOR): a level never seen is
# not impossible.
FLOOR = 1e-6
# The fields each kind of blocking key is made of: its pairs agree on them
# whoever the two are, so an EM session on them estimates the others.
KEY_FIELDS = {
    "email": ("email",),
    "phone": ("phone",),
    "zip_name": ("name", "locality"),
    "city_name": ("name", "locality"),
    "zip_phonetic": ("name", "locality"),
    "phonetic_city": ("name", "locality"),
    "street_house": ("street", "house"),
    "zip_house": ("locality", "house"),
}
# Weights of a level no pair reached: its m and u fall back on the rule's.
MIN_OBSERVED = 3
# The rule's m weighs as much as this many pairs in each EM step (a Dirichlet
# prior): a level few true pairs reach keeps a sensible m instead of
# collapsing to nothing (or taking the households' share).
M_PSEUDO_PAIRS = 20


@dataclass
class Estimate:
    """What :func:`estimate` learned: ``{(field, outcome): (m, u)}``, the
    share of true pairs among the blocked ones, the EM iterations run, and
    the term counts (see ``MatchModel.score``'s ``frequencies``)."""

    probabilities: dict = field(default_factory=dict)
    match_share: float = 0.0
    iterations: int = 0
    pairs: int = 0
    term_frequencies: dict = field(default_factory=dict)
    prior: float | None = None  # lambda: the probability two random records are one


def pattern(model, a, b):
    """The level index each field of ``model`` puts the pair in (``None``:
    one side lacks it)."""
    levels = []
    for spec in model.fields:
        similarity = spec.similarity(a, b)
        if similarity is None:
            levels.append(None)
            continue
        levels.append(
            next((i for i, lv in enumerate(spec.levels) if similarity >= lv.min_similarity), None)
        )
    return tuple(levels)


def count_terms(model, records):
    """Term counts of the fields ``model`` adjusts by frequency, as
    ``MatchModel.score`` takes them: ``{("tf:<field>", term): count,
    ("tf", field): (total, expected share)}``."""
    counts = Counter()
    totals = Counter()
    for spec in model.fields:
        terms = spec.terms
        if not terms:
            continue
        for record in records:
            for term in terms(record):
                counts[(f"tf:{spec.name}", term)] += 1
                totals[spec.name] += 1
    frequencies = dict(counts)
    for name, total in totals.items():
        key = f"tf:{name}"
        expected = sum((c / total) ** 2 for (k, _t), c in counts.items() if k == key)
        frequencies[("tf", name)] = (total, expected)
    return frequencies


def _u_probabilities(model, records, sample, rng):
    counts = [Counter() for _spec in model.fields]
    n = len(records)
    if n < 2:
        return counts
    for _ in range(sample):
        i, j = rng.randrange(n), rng.randrange(n)
        if i == j:
            continue
        for index, level in enumerate(pattern(model, records[i], records[j])):
            if level is not None:
                counts[index][level] += 1
    return counts


def sessions(records, keys_of, limit=50):
    """The EM sessions of ``records`` blocked by ``keys_of`` (a function of a
    record returning ``(kind, value)`` keys): one per set of fields key
    kinds block on, with the index pairs sharing such a key (keys more
    than ``limit`` records share left out: a common name, a big block)."""
    blocks = defaultdict(list)
    for index, record in enumerate(records):
        for key in keys_of(record):
            blocks[key].append(index)
    by_fields = defaultdict(set)
    for (kind, _value), members in blocks.items():
        if kind in KEY_FIELDS and len(members) <= limit:
            by_fields[KEY_FIELDS[kind]].update(combinations(members, 2))
    return [(sorted(pairs), fields) for fields, pairs in sorted(by_fields.items())]


def _em_session(model, patterns_of, pairs, u, m_start, free, iterations, tolerance):
    """EM over the ``free`` fields (indexes) of the pairs one blocking rule
    brought together (``patterns_of``: their comparison patterns); return
    ``(m rows, match share, iterations)``. The fields the rule blocked on are
    left out: among its pairs they agree by construction, whoever the two
    are."""
    patterns = Counter(
        tuple(lv if index in free else None for index, lv in enumerate(patterns_of[pair]))
        for pair in pairs
    )
    m = [list(row) for row in m_start]
    share = 0.1
    done = 0
    for done in range(1, iterations + 1):  # noqa: B007
        m_sums = [[M_PSEUDO_PAIRS * x for x in row] for row in m_start]
        share_sum = 0.0
        for levels, count in patterns.items():
            log_ratio = math.log(share) - math.log(1 - share)
            for index, level in enumerate(levels):
                if level is not None:
                    log_ratio += math.log(m[index][level]) - math.log(u[index][level])
            posterior = 1 / (1 + math.exp(-max(-700, min(700, log_ratio))))
            share_sum += posterior * count
            for index, level in enumerate(levels):
                if level is not None:
                    m_sums[index][level] += posterior * count
        new_m = []
        for index, (row, old) in enumerate(zip(m_sums, m, strict=True)):
            total = sum(row)
            free_row = index in free and total
            new_m.append([min(1 - FLOOR, max(FLOOR, x / total)) for x in row] if free_row else old)
        new_share = min(1 - FLOOR, max(FLOOR, share_sum / max(1, sum(patterns.values()))))
        change = max(
            abs(x - y)
            for row, old in zip(new_m, m, strict=True)
            for x, y in zip(row, old, strict=True)
        )
        m, share = new_m, new_share
        if change < tolerance:
            break
    return m, share, done


def estimate(model, records, sessions, sample=200_000, iterations=50, seed=0, tolerance=1e-6):
    """Estimate ``m`` and ``u`` of every level of ``model``'s fields on
    ``records`` (IdentityRecord); return an :class:`Estimate`.

    ``sessions``: ``[(pairs, blocked fields)]``, the index pairs one
    blocking rule brought together and the names of the fields it blocked
    on. Each session estimates ``m`` of the other fields (Splink's way: a
    field a rule blocked on agrees among its pairs, matches or not); a
    field free in several sessions takes their mean, a field free in none
    keeps the rule's ``m``. A level seen on fewer than ``MIN_OBSERVED``
    random pairs keeps the rule's ``u`` (or less), and so does agreeing on an
    email or phone (see below).
    """
    rng = random.Random(seed)
    u_counts = _u_probabilities(model, records, sample, rng)
    u = []
    for spec, counter in zip(model.fields, u_counts, strict=True):
        total = sum(counter.values())
        row = []
        identifier = FIELDS[spec.name][2] is not None
        for index, level in enumerate(spec.levels):
            if identifier and level.outcome == "agree":
                # Random pairs agree on the values many share (a switchboard, a
                # family mailbox), which the score already weighs less by how
                # many share them: agreeing on one customer's own is the rule's.
                row.append(level.u)
            elif total and counter[index] >= MIN_OBSERVED:
                row.append(min(1 - FLOOR, max(FLOOR, counter[index] / total)))
            elif total:
                row.append(min(level.u, max(FLOOR, 0.5 / total)))
            else:
                row.append(level.u)
        u.append(row)
    m_start = [[lv.m for lv in spec.levels] for spec in model.fields]
    found = [[] for _spec in model.fields]
    shares = []
    done = pairs_seen = 0
    patterns_of = {}
    for pairs, _blocked in sessions:
        for i, j in pairs:
            if (i, j) not in patterns_of:
                patterns_of[(i, j)] = pattern(model, records[i], records[j])
    for pairs, blocked in sessions:
        free = {i for i, spec in enumerate(model.fields) if spec.name not in set(blocked)}
        m, share, steps = _em_session(
            model, patterns_of, pairs, u, m_start, free, iterations, tolerance
        )
        done += steps
        pairs_seen += len(pairs)
        shares.append(share)
        for index in free:
            found[index].append(m[index])
    m = [
        [sum(column) / len(rows) for column in zip(*rows, strict=True)] if rows else start
        for rows, start in zip(found, m_start, strict=True)
    ]
    probabilities = {
        (spec.name, level.outcome): (m[i][k], u[i][k])
        for i, spec in enumerate(model.fields)
        for k, level in enumerate(spec.levels)
    }
    return Estimate(
        probabilities=probabilities,
        match_share=sum(shares) / len(shares) if shares else 0.0,
        iterations=done,
        pairs=pairs_seen,
        term_frequencies=count_terms(model, records),
        prior=_prior(patterns_of.values(), m, u, len(records)),
    )


def _prior(patterns, m, u, n, iterations=30):
    """Lambda: the expected number of true pairs among every blocked pair
    (all fields scored with the estimated m and u; true pairs blocking
    misses are few) over all the pairs of ``n`` records, the share of true
    pairs re-estimated until it settles. ``None`` without pairs."""
    counts = Counter(patterns)
    all_pairs = n * (n - 1) / 2
    if not counts or all_pairs <= 0:
        return None
    ratios = {
        levels: sum(
            math.log(m[index][level]) - math.log(u[index][level])
            for index, level in enumerate(levels)
            if level is not None
        )
        for levels in counts
    }
    share = 0.1
    for _ in range(iterations):
        logit = math.log(share) - math.log(1 - share)
        expected = sum(
            count / (1 + math.exp(-max(-700, min(700, logit + ratios[levels]))))
            for levels, count in counts.items()
        )
        share = min(1 - FLOOR, max(FLOOR, expected / sum(counts.values())))
    return min(0.5, max(1e-12, expected / all_pairs))
