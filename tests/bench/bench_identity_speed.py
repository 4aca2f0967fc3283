"""Identity resolution speed: one incoming customer against 1,000 and
1,000,000 partners, and a batch deduplication of 100,000.

Run it with ``make bench-identity`` (tests/bench/run.sh prepares the database
and the environment like tests/run.sh does).

What it does
------------
* Copies the installed database (a throwaway copy, dropped at the end unless
  ``--keep-db``) and opens its registry in this process: no HTTP server, no
  job runner; it measures the identity code path.
* Bulk-generates realistic partners with SQL (tests/bench/identity_population:
  ``COPY`` into a staging table and one ``INSERT ... SELECT``, the identity
  keys computed by the ORM's own compute methods, indexes present, then
  ``ANALYZE``), in three steps: ``--small`` partners (1,000), then up to
  ``--dedup`` (100,000), then up to ``--partners`` (1,000,000).
* Resolution, at the small size and at the full size: the same ``--samples``
  incoming customers (canonical ``Customer``), a mix of people of the first
  1,000 partners typed again by another channel (email case or Gmail dots,
  reformatted phone, typo, swapped names, missing field), POS customers with
  only a name and a phone, email-only web guests, and new people. Each goes
  through what ``retail.partner.resolver._lookup_partner()`` runs:
  ``_identity_record()`` then ``_identity_match()`` (candidate search by
  blocking keys, value frequencies, scoring, decision with the backend's
  thresholds; nothing is created, and each lookup runs in a savepoint rolled
  back after the timing), with the ORM cache emptied before each one (no
  partner in cache, as in a new job) except for the backend and its company,
  which the importer reads before it looks the customer up. Prints median,
  p95, mean, queries per lookup, the decisions, and the ratio full/small
  beside the target (median < 20 ms at 1,000,000).
* Batch deduplication of the ``--dedup`` partners: a live run (suggestions,
  no auto-link) whose block jobs are executed in this process one after the
  other, each committed as queue_job would; prints the duration, partners
  per second and the counts by decision.
Timings are printed, never asserted.
"""

import argparse
import cProfile
import os
import pstats
import random
import statistics
import sys
import time

from ..support.odoo_server import clone_database, drop_database, settings
from . import identity_population as population

TARGET_MEDIAN_MS = 20.0


# Samples


def _split_name(name):
    first, _sep, last = (name or "").partition(" ")
    return first or None, last or None


def customer_values(kind, values):
    """Canonical customer values of a partner's ``values`` as a channel sends them."""
    first, last = _split_name(values["name"])
    address = {
        "first_name": first,
        "last_name": last,
        "street": values.get("street"),
        "zip": values.get("zip"),
        "city": values.get("city"),
        "country_code": values.get("country_code"),
        "phone": values.get("phone"),
    }
    customer = {"first_name": first, "last_name": last, "default_address": address}
    if values.get("is_company"):
        customer.update(company_name=values["name"], is_company=True)
    if kind == "pos":  # a shop's till: a name and a phone
        customer.update(phone=values.get("phone") or "+33 6 11 22 33 44")
        customer.pop("default_address")
    elif kind == "guest":  # a web guest: email and shipping address
        customer.update(email=values.get("email") or "guest@example.org")
    else:
        customer.update(email=values.get("email"), phone=values.get("phone"))
    return customer


def build_samples(rng, known_rows, count):
    """``count`` (kind, canonical customer values): returning customers of
    ``known_rows`` typed again, POS customers, web guests and new people."""
    samples = []
    for n in range(count):
        draw = rng.random()
        if draw < 0.4:
            kind, values = "returning", population.retyped(rng, rng.choice(known_rows))
        elif draw < 0.6:
            kind, values = "pos", rng.choice(known_rows)
        elif draw < 0.7:
            kind, values = "guest", rng.choice(known_rows)
        else:
            kind, values = "new", population.person(rng, 10_000_000 + n)
        samples.append((kind, customer_values(kind, values)))
    return samples


# Measures


def measure_lookups(env, backend, samples, warmup):
    """Time the resolver's matching of each sample; return rows (kind, ms,
    queries, decision)."""
    from odoo.addons.retail_connector_base.schemas import Customer

    Resolver = env["retail.partner.resolver"]
    customers = [(kind, Customer.model_validate(values)) for kind, values in samples]
    rows = []
    cr = env.cr
    for index, (kind, customer) in enumerate(customers[:warmup] + customers):
        env.invalidate_all()
        # What the job read before the lookup: the backend's settings, its company.
        backend._get_identity_default_country()
        backend.read(["identity_auto_threshold", "identity_review_threshold", "company_id"])
        with cr.savepoint(flush=False) as savepoint:
            queries = cr.sql_log_count
            started = time.perf_counter()
            # What _lookup_partner() runs, keeping the decision for the report.
            match = Resolver._identity_match(backend, Resolver._identity_record(backend, customer))
            env.flush_all()
            elapsed = time.perf_counter() - started
            queries = cr.sql_log_count - queries
            savepoint.rollback()
        if index >= warmup:
            rows.append((kind, 1000 * elapsed, queries, match.decision))
    return rows


def summarize(rows):
    times = sorted(ms for _kind, ms, _q, _d in rows)
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    kinds = {}
    for kind, ms, _q, decision in rows:
        entry = kinds.setdefault(kind, {"n": 0, "ms": [], "link": 0, "review": 0, "new": 0})
        entry["n"] += 1
        entry[decision] += 1
        entry["ms"].append(ms)
    return {
        "n": len(times),
        "median": statistics.median(times),
        "p95": p95,
        "mean": statistics.fmean(times),
        "max": times[-1],
        "queries": statistics.fmean(q for _k, _ms, q, _d in rows),
        "kinds": kinds,
    }


def run_dedup(env, block_size):
    """A live deduplication run over every partner, its block jobs executed
    here one after the other, each committed like a queue_job job."""
    Run = env["retail.identity.dedup.run"]
    run = Run.create({"name": "Bench", "dry_run": False, "block_size": block_size})
    run.action_start()
    env.cr.commit()
    started = time.perf_counter()
    while run.state == "running":
        run._process_block(run.last_partner_id)
        env.cr.commit()
        env.invalidate_all()
    return run, time.perf_counter() - started


# Report


def print_lookups(label, partners, summary):
    print(
        f"  {label:<7}{partners:>10,} partners: median {summary['median']:6.2f} ms, "
        f"p95 {summary['p95']:6.2f} ms, mean {summary['mean']:6.2f} ms, "
        f"max {summary['max']:7.2f} ms, {summary['queries']:.1f} queries/lookup"
    )
    for kind, entry in sorted(summary["kinds"].items()):
        print(
            f"      {kind:<10}{entry['n']:>5} samples: link {entry['link']:>3}, review "
            f"{entry['review']:>3}, new {entry['new']:>3}; median "
            f"{statistics.median(entry['ms']):6.2f} ms"
        )


class Population:
    """The generated partners, grown in steps."""

    def __init__(self, env, rng):
        self.env = env
        self.rng = rng
        self.count = 0
        self.key_differences = 0
        self.key_checked = 0

    def grow(self, target, label, chunk=250_000):
        """Add partners until ``target`` generated ones exist; return the new
        partners' values."""
        if target <= self.count:
            return []
        print(f"== Generating {target - self.count:,} partners ({label})")
        rows = list(population.people(self.rng, target - self.count, start=self.count))
        for start in range(0, len(rows), chunk):
            ids = population.load_partners(self.env, rows[start : start + chunk])
            differ = population.check_keys(self.env, ids, self.rng)
            self.key_checked += min(300, len(ids))
            self.key_differences += len(differ)
            if differ:
                print(f"   keys differ from the ORM's compute on partners {differ[:10]}")
        self.count = target
        return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partners", type=int, default=1_000_000, help="full size (1,000,000)")
    parser.add_argument("--small", type=int, default=1_000, help="small size (1,000)")
    parser.add_argument("--dedup", type=int, default=100_000, help="batch dedup size (100,000)")
    parser.add_argument("--samples", type=int, default=300, help="lookups per size (300)")
    parser.add_argument("--warmup", type=int, default=20, help="lookups not counted (20)")
    parser.add_argument("--block-size", type=int, default=2000, help="dedup block (2000)")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="K", help="then profile K lookups at full size"
    )
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--keep-db", action="store_true", help="keep the database copy")
    args = parser.parse_args(argv)
    if not args.small <= args.dedup <= args.partners:
        parser.error("expected --small <= --dedup <= --partners")

    import odoo
    from odoo.modules.registry import Registry
    from odoo.tools import config

    dbname = clone_database(f"retail_bench_identity_{os.getpid()}")
    config.parse_config(["-c", settings()["config"], "-d", dbname], setup_logging=True)
    results = {}
    try:
        registry = Registry(dbname)
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            backend = env["retail.backend"].create(
                {"name": "Bench (generic)", "code": "generic", "state": "active"}
            )
            cr.commit()
            people = Population(env, random.Random(args.seed))
            known = people.grow(args.small, "small")
            samples = build_samples(random.Random(args.seed + 1), known, args.samples)
            print(f"== Resolving {args.samples} customers against {args.small:,} partners")
            results["small"] = summarize(measure_lookups(env, backend, samples, args.warmup))

            people.grow(args.dedup, "dedup")
            print(f"== Batch deduplication of {args.dedup:,} partners")
            run, seconds = run_dedup(env, args.block_size)
            results["dedup"] = (run, seconds)

            people.grow(args.partners, "full")
            cr.execute("SELECT pg_size_pretty(pg_total_relation_size('res_partner'))")
            print(f"   res_partner with its indexes: {cr.fetchone()[0]}")
            print(f"== Resolving {args.samples} customers against {args.partners:,} partners")
            results["full"] = summarize(measure_lookups(env, backend, samples, args.warmup))

            print(
                f"   keys of {people.key_checked} sampled partners recomputed by the ORM: "
                f"{people.key_differences} differ from the loaded ones"
            )
            print_report(args, results)
            if args.profile:
                print_profile(env, backend, samples[: args.profile])
    finally:
        Registry.delete(dbname)
        if args.keep_db:
            print(f"== Kept the database {dbname}")
        else:
            drop_database(dbname)
    return 0


def print_profile(env, backend, samples):
    """Where the time of ``samples`` lookups goes: cProfile, our code and the
    ORM calls it makes, by cumulative time (inflated by the profiler)."""
    profiler = cProfile.Profile()
    profiler.enable()
    measure_lookups(env, backend, samples, 0)
    profiler.disable()
    print(f"\nProfile of {len(samples)} lookups at full size (cumulative, profiler-inflated):")
    stats = pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative")
    stats.print_stats(r"retail_identity_resolution|odoo/orm/models.py|sql_db.py", 30)


def print_report(args, results):
    small, full = results["small"], results["full"]
    print("\nResolving one incoming customer (candidates + scoring + decision, nothing created)")
    print_lookups("small", args.small, small)
    print_lookups("full", args.partners, full)
    ratio = full["median"] / small["median"] if small["median"] else float("inf")
    print(f"  ratio of medians full/small: {ratio:.2f}x")
    run, seconds = results["dedup"]
    print(f"\nBatch deduplication of {run.partner_done:,} partners (live, no auto-link)")
    print(
        f"  {seconds:.1f} s ({run.partner_done / seconds if seconds else 0:,.0f} partners/s) in "
        f"{run.block_count} blocks of {args.block_size}; state {run.state}"
        + (f" ({run.error})" if run.error else "")
    )
    print(
        f"  pairs scored {run.pair_count:,}: auto-link level {run.link_count:,}, review "
        f"{run.review_count:,}, distinct {run.new_count:,}; suggestions created "
        f"{run.suggestion_count:,}, known {run.known_count:,}"
    )
    verdict = "met" if full["median"] < TARGET_MEDIAN_MS else "MISSED"
    print("\nTarget (printed, never failing the run):")
    print(
        f"  median at {args.partners:,} partners {full['median']:.2f} ms "
        f"(target < {TARGET_MEDIAN_MS:.0f} ms)  {verdict}"
    )


if __name__ == "__main__":
    sys.exit(main())
