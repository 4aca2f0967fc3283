"""Peak load benchmark: a burst of orders and stock counts, tiered against one shared channel.

Run it with ``make bench-peak`` (tests/bench/run.sh prepares the database and
the environment like tests/run.sh does); ``-o``/``-s`` set the burst's size.

What it does
------------
* Runs the same burst twice, each on a fresh copy of the installed database
  with a real multi-worker Odoo and queue_job's runner
  (tests/support/odoo_server.OdooServer):

  - ``tiered``: the channels as shipped, ``root.retail.realtime:2`` for
    orders and ``root.retail.batch:1`` for inventory counts;
  - ``shared`` (the baseline): every event job in ONE channel of capacity 3
    (the same number of jobs at once as the two tiers together): the
    backend's batch channel is set to its realtime one, so inventory events
    queue with the orders.

* Setup, not timed: a 20 % sales tax and the ``E2E-MUG`` product the orders
  sell (tests/conftest.py's catalog), ``--skus`` storable products the counts
  are about, an active ``generic`` backend.
* The burst: ``--orders`` signed ``order.created`` deliveries (each a new
  order with a new customer) and ``--stock`` signed ``inventory.updated``
  counts (one of the SKUs, a quantity), shuffled together (the same sequence
  in both runs; ``--shape stock-first``: the counts first, then the orders)
  and POSTed to the backend's webhook URL over loopback by
  ``--senders`` threads as fast as Odoo answers, each chunk of 200 signed
  when the senders reach it (a burst signed up front would send its last
  deliveries beyond the timestamp tolerance). Bounded in count and in time
  (``--timeout`` for the drain).
* While the runner drains them, a sampler reads every ``--sample`` seconds
  how many events of each tier are still waiting (state ``queued``): the
  backlog curve.
* Per tier it prints the time from delivery to done (the event's
  ``received_at``, stored by the webhook's transaction, to its
  ``processed_at``, written by the transaction that applied it: its job's,
  or the job of the count whose batch took it) p50/p95/max, the drain time
  (first delivery to the tier's last event done), the failures, and the
  ratio shared/tiered of each figure; the headline is the realtime-order p95 shared/tiered.
* Then the memory of Odoo's processes (RSS from /proc) after the burst.
* Checks, per run (any failure exits 1): every delivery answered 200
  ``accepted``; one event per delivery and one job per event; every event
  ``done``; one sale order per order event, confirmed (``sale``), and no
  order twice; no job failed; Odoo logged no errors.
"""

import argparse
import os
import random
import statistics
import sys
import threading
import time
import uuid

from ..conftest import GENERIC_SECRET, add_catalog
from ..support.generic_channel import order_payload, signed_delivery
from ..support.odoo_server import OdooServer, clone_database, drop_database, query
from .bench_webhook_ingestion import percentile, send_all, use_private_gevent_port
from .checks import report_checks

TIERED_CHANNELS = "root:4,root.retail.realtime:2,root.retail.batch:1"
SHARED_CHANNELS = "root:4,root.retail.realtime:3,root.retail.batch:1"
TIERS = {"order": "realtime (orders)", "inventory": "batch (stock)"}


# The burst


def build_burst(rng, path, n_orders, n_stock, skus, shape="mixed"):
    """``[(tier, payload)]`` of the whole burst in sending order: ``mixed``
    shuffles orders and counts together; ``stock-first`` sends the counts,
    then the orders (they arrive behind a flood already queued). Unsigned:
    :class:`SignedBurst` signs them just before they are sent."""
    items = []
    for _n in range(n_orders):
        external_id = uuid.uuid4().hex[:12]
        payload = order_payload(external_id)
        items.append(("order", payload))
    for _n in range(n_stock):
        payload = {
            "type": "inventory.updated",
            "data": {"sku": rng.choice(skus), "available": rng.randrange(0, 500)},
        }
        items.append(("inventory", payload))
    rng.shuffle(items)
    if shape == "stock-first":
        items.sort(key=lambda item: item[0] == "order")  # stable: each kind keeps its order
    return items


class SignedBurst:
    """The requests of a burst, signed a chunk at a time when the senders
    reach it: signing all of a large burst up front would date its last
    deliveries minutes before they are sent, beyond the webhook's timestamp
    tolerance (refused: 401). Each delivery is signed once, with its own
    ``webhook-id``, so the ledger stays exact."""

    def __init__(self, path, items, chunk=200):
        self.path, self.items, self.chunk = path, items, chunk
        self.signed = [None] * len(items)
        self.lock = threading.Lock()

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        if self.signed[index] is None:
            with self.lock:
                if self.signed[index] is None:
                    start = index - index % self.chunk
                    for n in range(start, min(start + self.chunk, len(self.items))):
                        body, headers = signed_delivery(self.items[n][1], GENERIC_SECRET)
                        self.signed[n] = ("POST", self.path, body, headers)
        return self.signed[index]


def setup(server, n_skus, shared):
    """Catalog, stock products and an active generic backend; returns (backend id, path, SKUs)."""
    add_catalog(server)
    skus = [f"PEAK-{n:04d}" for n in range(n_skus)]
    server.call(
        "product.product",
        "create",
        [{"name": sku, "default_code": sku, "type": "consu", "is_storable": True} for sku in skus],
    )
    backend_id = server.call(
        "retail.backend",
        "create",
        {
            "name": "Peak",
            "code": "generic",
            "webhook_secret": GENERIC_SECRET,
            "max_attempts": 5,
        },
    )
    if shared:
        [backend] = server.call("retail.backend", "read", [backend_id], ["job_channel_realtime_id"])
        server.call(
            "retail.backend",
            "write",
            [backend_id],
            {"job_channel_batch_id": backend["job_channel_realtime_id"][0]},
        )
    server.call("retail.backend", "action_activate", [backend_id])
    [backend] = server.call("retail.backend", "read", [backend_id], ["webhook_token"])
    return backend_id, f"/retail/webhook/{backend['webhook_token']}", skus


# Measuring


class BacklogSampler(threading.Thread):
    """Events still waiting per tier, every ``interval`` seconds, until stopped."""

    SQL = (
        "SELECT split_part(topic, '.', 1), count(*) FROM retail_event "
        "WHERE backend_id = %s AND state IN ('received', 'queued') GROUP BY 1"
    )

    def __init__(self, dbname, backend_id, interval):
        super().__init__(daemon=True)
        self.dbname, self.backend_id, self.interval = dbname, backend_id, interval
        self.samples = []  # (seconds since start, {tier: waiting})
        self.stopped = threading.Event()
        self.started_at = None

    def run(self):
        self.started_at = time.monotonic()
        while not self.stopped.is_set():
            counts = dict(query(self.dbname, self.SQL, (self.backend_id,)))
            self.samples.append((time.monotonic() - self.started_at, counts))
            self.stopped.wait(self.interval)


def wait_drained(dbname, backend_id, expected, timeout):
    """Wait until every event of the backend is out of the queue and every
    event job has ended (a count applied in another count's batch is done
    before its own job runs and finds it done); False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        [(total, waiting, running)] = query(
            dbname,
            "SELECT count(*), count(*) FILTER (WHERE e.state IN ('received', 'queued')), "
            "count(*) FILTER (WHERE j.state NOT IN ('done', 'failed', 'cancelled')) "
            "FROM retail_event e LEFT JOIN queue_job j ON j.id = e.job_id "
            "WHERE e.backend_id = %s",
            (backend_id,),
        )
        if total >= expected and not waiting and not running:
            return True
        time.sleep(1)
    return False


def tier_figures(dbname, backend_id):
    """Per tier: delivery-to-done seconds (sorted), first received, last done, failures.

    Done is the event's ``processed_at``, written by the transaction that
    applied it: its own job's, or for a stock count applied in another
    count's batch, that job's (its own job then only finds it done)."""
    rows = query(
        dbname,
        "SELECT split_part(e.topic, '.', 1), e.received_at, e.processed_at, e.state "
        "FROM retail_event e WHERE e.backend_id = %s",
        (backend_id,),
    )
    figures = {}
    for tier, received, done, state in rows:
        fig = figures.setdefault(
            tier, {"latencies": [], "first": received, "last": None, "failed": 0, "n": 0}
        )
        fig["n"] += 1
        fig["first"] = min(fig["first"], received)
        if state != "done" or done is None:
            fig["failed"] += 1
            continue
        fig["latencies"].append((done - received).total_seconds())
        fig["last"] = max(fig["last"] or done, done)
    for fig in figures.values():
        fig["latencies"].sort()
    return figures


def odoo_memory(server):
    """Memory of Odoo's processes in MiB, by role (from /proc): ``{role: [(rss, pss)]}``.

    The server's forked children are its HTTP workers and queue_job's runner
    (same command line), and the websocket (gevent) process; RSS counts the
    pages a worker shares with the main process, PSS shares them out.
    """
    main = server.process.pid
    roles = {"main": [], "worker": [], "gevent": []}
    for pid in [main, *_children(main)]:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                args = handle.read().split(b"\0")
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                sizes = {
                    line.split(":")[0]: int(line.split()[1]) / 1024
                    for line in handle
                    if line.startswith(("Rss:", "Pss:"))
                }
        except OSError:
            continue
        role = "main" if pid == main else "gevent" if b"gevent" in args else "worker"
        roles[role].append((sizes.get("Rss", 0), sizes.get("Pss", 0)))
    return roles


def _parent(pid):
    with open(f"/proc/{pid}/stat") as handle:
        return int(handle.read().rsplit(")", 1)[1].split()[1])


def _children(root):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if _parent(int(entry)) == root:
                    found.append(int(entry))
            except OSError:
                continue
    return found


# Checks


def check_run(label, server, backend_id, burst, answers):
    dbname = server.dbname
    checks = []
    bad = [(a[0], a[1][:80]) for a in answers if a[0] != 200 or b'"accepted"' not in a[1]]
    checks.append(
        (f"{label}: every delivery answered 200 accepted", not bad, f"{len(bad)} not: {bad[:3]}")
    )
    sent = {}
    for tier, _payload in burst:
        sent[tier] = sent.get(tier, 0) + 1
    rows = query(
        dbname,
        "SELECT split_part(topic, '.', 1), count(*), count(DISTINCT event_key), "
        "count(DISTINCT job_id), count(*) FILTER (WHERE state = 'done') "
        "FROM retail_event WHERE backend_id = %s GROUP BY 1",
        (backend_id,),
    )
    stored = {tier: (n, keys, jobs, done) for tier, n, keys, jobs, done in rows}
    for tier, n in sent.items():
        got = stored.get(tier, (0, 0, 0, 0))
        checks.append(
            (
                f"{label}: {tier} events stored once, one job each, all done",
                got == (n, n, n, n),
                f"sent {n}; stored, distinct keys, jobs, done = {got}",
            )
        )
    job_states = dict(
        query(
            dbname,
            "SELECT state, count(*) FROM queue_job WHERE model_name = 'retail.event' "
            "GROUP BY state",
        )
    )
    jobs, job_done = sum(job_states.values()), job_states.get("done", 0)
    checks.append(
        (
            f"{label}: every event job done (none failed)",
            jobs == job_done,
            f"{job_done}/{jobs} {job_states if jobs != job_done else ''}".strip(),
        )
    )
    [(orders, distinct, confirmed)] = query(
        dbname,
        "SELECT count(*), count(DISTINCT retail_external_id), count(*) FILTER "
        "(WHERE state = 'sale') FROM sale_order WHERE retail_backend_id = %s",
        (backend_id,),
    )
    n = sent.get("order", 0)
    checks.append(
        (
            f"{label}: every order imported once and confirmed (0 lost, 0 doubled)",
            (orders, distinct, confirmed) == (n, n, n),
            f"sent {n}; orders, distinct, confirmed = {orders}, {distinct}, {confirmed}",
        )
    )
    errors = [line for line in server.log(tail=10**7).splitlines() if " ERROR " in line]
    checks.append((f"{label}: Odoo logged no errors", not errors, errors[0] if errors else "none"))
    return checks


# One run


def run(label, args, channels, shared):
    dbname = clone_database(f"retail_bench_peak_{label}_{os.getpid()}")
    log_path = f"{os.environ.get('RETAIL_BENCH_LOG', '/tmp/odoo-bench.log')}.{label}"
    try:
        with OdooServer(
            dbname, workers=args.workers, queue_job=True, channels=channels, log_path=log_path
        ) as server:
            server.login()
            backend_id, path, skus = setup(server, args.skus, shared)
            burst = build_burst(
                random.Random(args.seed), path, args.orders, args.stock, skus, args.shape
            )
            print(
                f"== {label}: Odoo up on :{server.port} ({args.workers} workers, channels "
                f"{channels}); sending {args.orders} orders + {args.stock} stock counts"
            )
            sampler = BacklogSampler(dbname, backend_id, args.sample)
            sampler.start()
            answers, send_wall, _cpu = send_all(server.port, SignedBurst(path, burst), args.senders)
            print(f"== {label}: delivered in {send_wall:.1f}s ({len(burst) / send_wall:.0f}/s)")
            drained = wait_drained(dbname, backend_id, len(burst), args.timeout)
            sampler.stopped.set()
            sampler.join()
            memory = odoo_memory(server)
            figures = tier_figures(dbname, backend_id)
            checks = [(f"{label}: drained within {args.timeout}s", drained, "")]
            checks += check_run(label, server, backend_id, burst, answers)
    finally:
        drop_database(dbname)
    return {
        "figures": figures,
        "samples": sampler.samples,
        "send_wall": send_wall,
        "memory": memory,
        "checks": checks,
    }


# Report


def tier_row(fig):
    lat = fig["latencies"]
    drain = (fig["last"] - fig["first"]).total_seconds() if fig["last"] else float("nan")
    return {
        "n": fig["n"],
        "p50": percentile(lat, 0.50),
        "p95": percentile(lat, 0.95),
        "max": lat[-1] if lat else float("nan"),
        "drain": drain,
        "per_s": len(lat) / drain if drain and drain == drain else float("nan"),
        "failed": fig["failed"],
    }


def backlog_line(samples, points):
    """The backlog curve in at most ``points`` samples: ``t:orders/stock``."""
    if not samples:
        return "(no sample)"
    step = max(1, len(samples) // points)
    picked = samples[::step]
    if picked[-1] is not samples[-1]:
        picked.append(samples[-1])
    return "  ".join(f"{t:.0f}s:{c.get('order', 0)}/{c.get('inventory', 0)}" for t, c in picked)


def print_report(results, args):
    print(
        f"\nPeak burst ({args.shape}): {args.orders} orders + {args.stock} stock counts over "
        f"{args.skus} SKUs, "
        f"{args.senders} senders, {args.workers} Odoo workers, cores {os.cpu_count()}"
    )
    header = (
        f"{'run':<8}{'tier':<20}{'events':>7}{'p50 s':>8}{'p95 s':>8}{'max s':>8}"
        f"{'drain s':>9}{'done/s':>8}{'failed':>7}"
    )
    print(header)
    print("-" * len(header))
    rows = {}
    for label, result in results.items():
        for tier, name in TIERS.items():
            fig = result["figures"].get(tier)
            if not fig:
                continue
            row = rows[label, tier] = tier_row(fig)
            print(
                f"{label:<8}{name:<20}{row['n']:>7}{row['p50']:>8.1f}{row['p95']:>8.1f}"
                f"{row['max']:>8.1f}{row['drain']:>9.1f}{row['per_s']:>8.1f}{row['failed']:>7}"
            )
        print(f"{label:<8}{'(delivery)':<20}{'':>7}  all delivered in {result['send_wall']:.1f}s")
    print(
        "delivery to done: the event's received_at (webhook transaction) to its "
        "processed_at (the transaction that applied it);\ndrain: the tier's first "
        "delivery to its last event done."
    )
    print("\nBacklog (events waiting, 'seconds:orders/stock'):")
    for label, result in results.items():
        print(f"  {label:<7} {backlog_line(result['samples'], args.points)}")
    print("\nMemory after the burst (MiB, RSS / PSS):")
    for label, result in results.items():
        mem = result["memory"]
        workers = mem["worker"]
        rss = [r for r, _p in workers]
        pss = [p for _r, p in workers]
        print(
            f"  {label:<7} main {_mem(mem['main'])}; {len(workers)} forked workers (HTTP + job "
            f"runner) mean {_avg(rss):.0f} / {_avg(pss):.0f}, max {max(rss, default=0):.0f} / "
            f"{max(pss, default=0):.0f}; gevent {_mem(mem['gevent'])}"
        )
    if ("tiered", "order") in rows and ("shared", "order") in rows:
        print("\nTiers' benefit, shared/tiered (> 1: the tiers help):")
        for tier, name in TIERS.items():
            t, s = rows.get(("tiered", tier)), rows.get(("shared", tier))
            if not (t and s):
                continue
            print(
                f"  {name:<20} p50 {s['p50']:.1f}/{t['p50']:.1f} = {_ratio(s['p50'], t['p50'])}"
                f"  p95 {s['p95']:.1f}/{t['p95']:.1f} = {_ratio(s['p95'], t['p95'])}"
                f"  max {_ratio(s['max'], t['max'])}  drain {_ratio(s['drain'], t['drain'])}"
            )
        t, s = rows["tiered", "order"], rows["shared", "order"]
        print(f"  headline: realtime-order p95 shared/tiered = {_ratio(s['p95'], t['p95'])}")


def _mem(pairs):
    return f"{sum(r for r, _p in pairs):.0f} / {sum(p for _r, p in pairs):.0f}"


def _avg(values):
    return statistics.mean(values) if values else 0.0


def _ratio(a, b):
    return f"{a / b:.2f}x" if b else "n/a"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--orders", type=int, default=10000, help="orders (10000)")
    parser.add_argument("-s", "--stock", type=int, default=50000, help="stock counts (50000)")
    parser.add_argument("--skus", type=int, default=500, help="products counted (500)")
    parser.add_argument("-c", "--senders", type=int, default=8, help="concurrent senders (8)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--timeout", type=int, default=3600, help="drain limit, s (3600)")
    parser.add_argument("--sample", type=float, default=1.0, help="backlog sampling, s (1)")
    parser.add_argument("--points", type=int, default=16, help="backlog points printed (16)")
    parser.add_argument(
        "--shape",
        choices=("mixed", "stock-first"),
        default="mixed",
        help="orders and counts shuffled together (mixed), or the counts sent first",
    )
    parser.add_argument("--seed", type=int, default=20261205)
    parser.add_argument(
        "--only", choices=("tiered", "shared"), help="one run, no baseline (no ratio)"
    )
    args = parser.parse_args(argv)
    if args.orders < 1 or args.stock < 0:
        parser.error("--orders must be positive and --stock not negative")

    config_path = use_private_gevent_port()
    results = {}
    try:
        for label, channels, shared in (
            ("tiered", TIERED_CHANNELS, False),
            ("shared", SHARED_CHANNELS, True),
        ):
            if args.only in (None, label):
                results[label] = run(label, args, channels, shared)
    finally:
        os.unlink(config_path)
    print_report(results, args)

    checks = [check for result in results.values() for check in result["checks"]]
    return report_checks(checks)


if __name__ == "__main__":
    sys.exit(main())
