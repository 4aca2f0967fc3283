"""Stock counts: ms and queries per count, batched against one count per job.

Run it with ``make bench-stock-counts`` (tests/bench/run.sh prepares the
database and the environment like tests/run.sh does).

What it does
------------
* Copies the installed database and opens its registry in this process, as
  ``bench_growth`` does (no HTTP, no runner: the processing code path).
* Setup: ``--skus`` storable products and an active ``generic`` backend.
* Each round stores ``--counts`` ``inventory.updated`` events as the webhook
  does (one random SKU each, a random quantity; not timed, committed), then
  runs every event's job in arrival order (``event._process()`` + flush,
  timed, then commit), on each side:

  - ``per-event`` (the baseline): each count applied alone by its own job
    (``retail_inventory_batch_size=1``), as before the batch;
  - ``batched``: the job of the first queued count applies up to
    ``INVENTORY_BATCH_SIZE`` counts (``retail.inventory.batch``); the jobs of
    the others then find their event done. Their cost is in the figures.

  Rounds alternate the sides (``--rounds``), so that the machine's noise
  falls on both.
* Prints ms/count (wall of the timed parts over the counts), p50 of a job,
  Python CPU ms/count, queries/count and the ratios batched/per-event. Not
  counted on either side: queue_job's dispatch of each job over HTTP.
* Checks (any failure exits 1): every event done, with attempts 1; each SKU's
  quantity on hand is its last count of the round.
"""

import argparse
import json
import os
import random
import sys
import time
import uuid

from ..support.odoo_server import clone_database, drop_database, settings
from .bench_order_import import Meter
from .checks import report_checks

SIDES = ("per-event", "batched")


def store_counts(env, settings_, skus, n, rng):
    """Store ``n`` counts as the webhook does; ``[(event, sku, available)]``."""
    from odoo.addons.retail_connector_base.adapters import EventValues

    stored = []
    for _n in range(n):
        sku, available = rng.choice(skus), rng.randrange(0, 500)
        key = f"msg_{uuid.uuid4().hex}"
        body = json.dumps(
            {"type": "inventory.updated", "data": {"sku": sku, "available": available}}
        ).encode()
        values = EventValues(event_key=key, topic="inventory.updated", headers={})
        event = env["retail.event"]._insert_idempotent(settings_, values, body)
        stored.append((event, sku, available))
    env.cr.commit()
    return stored


def run_side(env, side, stored, meter):
    cr = env.cr
    for event, _sku, _available in stored:
        job = event if side == "batched" else event.with_context(retail_inventory_batch_size=1)

        def work(job=job):
            job._process()
            env.flush_all()

        meter.measure(cr, work)
        cr.commit()


def check_side(env, label, stored):
    events = env["retail.event"].browse([event.id for event, _s, _a in stored])
    events.invalidate_recordset()
    states = {(e.state, e.attempts) for e in events}
    last = {sku: available for _e, sku, available in stored}
    products = env["product.product"].search([("default_code", "in", list(last))])
    wrong = {
        p.default_code: (p.qty_available, last[p.default_code])
        for p in products
        if p.qty_available != last[p.default_code]
    }
    return [
        (f"{label}: every event done once", states == {("done", 1)}, f"states {states}"),
        (f"{label}: every SKU at its last count", not wrong, f"{len(wrong)} wrong: {wrong}"),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--counts", type=int, default=500, help="counts per round (500)")
    parser.add_argument("--skus", type=int, default=200, help="products counted (200)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each side (2)")
    parser.add_argument("--seed", type=int, default=20261205)
    args = parser.parse_args(argv)

    import odoo
    from odoo.modules.registry import Registry
    from odoo.tools import config

    dbname = clone_database(f"retail_bench_stock_{os.getpid()}")
    config.parse_config(["-c", settings()["config"], "-d", dbname], setup_logging=True)
    meters, checks = {side: Meter() for side in SIDES}, []
    rng = random.Random(args.seed)
    try:
        registry = Registry(dbname)
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            skus = [f"COUNT-{n:04d}" for n in range(args.skus)]
            env["product.product"].create(
                [{"name": s, "default_code": s, "type": "consu", "is_storable": True} for s in skus]
            )
            backend = env["retail.backend"].create(
                {"name": "Bench counts", "code": "generic", "state": "active", "max_attempts": 3}
            )
            cr.commit()
            warm = store_counts(env, backend._get_settings(), skus, 20, rng)
            run_side(env, "batched", warm, Meter())
            for round_ in range(args.rounds):
                for side in SIDES if round_ % 2 == 0 else reversed(SIDES):
                    stored = store_counts(env, backend._get_settings(), skus, args.counts, rng)
                    started = time.perf_counter()
                    run_side(env, side, stored, meters[side])
                    print(
                        f"== round {round_ + 1} {side}: {args.counts} counts in "
                        f"{time.perf_counter() - started:.1f}s"
                    )
                    checks += check_side(env, f"round {round_ + 1} {side}", stored)
    finally:
        Registry.delete(dbname)
        drop_database(dbname)

    from odoo.addons.retail_connector_base.const import INVENTORY_BATCH_SIZE

    print(
        f"\nStock counts: {args.rounds} x {args.counts} counts of {args.skus} SKUs per side, "
        f"one job per count run in arrival order (batch size {INVENTORY_BATCH_SIZE})"
    )
    header = (
        f"{'side':<11}{'counts':>7}{'ms/count':>10}{'job p50 ms':>12}{'cpu ms':>8}{'queries':>9}"
    )
    print(header)
    print("-" * len(header))
    rows = {side: meters[side].row() for side in SIDES}
    for side, row in rows.items():
        print(
            f"{side:<11}{row['n']:>7}{row['ms']:>10.2f}{row['p50']:>12.2f}"
            f"{row['cpu_ms']:>8.2f}{row['queries']:>9.1f}"
        )
    base, ours = rows["per-event"], rows["batched"]
    print(
        f"batched/per-event: ms {ours['ms'] / base['ms']:.2f}x, "
        f"queries {ours['queries'] / base['queries']:.2f}x "
        f"(counts/s {1000 / base['ms']:.1f} -> {1000 / ours['ms']:.1f})"
    )
    print(
        "ms/count: wall of every job of the side over its counts (event._process() + flush;\n"
        "a batched follower's job finds its event done); cpu ms: this process's CPU;\n"
        "queries: cursor.sql_log_count per count. Not counted: queue_job's HTTP dispatch."
    )
    return report_checks(checks)


if __name__ == "__main__":
    sys.exit(main())
