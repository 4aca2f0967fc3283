"""Channel API benchmark (``make bench-api``): figures beside Odoo's own
``/web/health``, measured by the same client against the same server in the
same run; timings never fail the run.

* A real multi-worker Odoo (tests/support/odoo_server.OdooServer) on a copy
  of the installed database, queue_job's runner off (``root:0``) so that no
  job competes with the measured requests.
* Routes, each with N requests from C concurrent clients:
  ``GET /web/health`` (the baseline: Odoo's floor), a plain Odoo
  ``http.route`` that opens the database (the webhook, unknown token: 404), the API's fixed cost (an
  unknown order: key check, rate bucket, call log, a 404 problem),
  ``GET /inventory`` with 50 SKUs at 1,000 and at 100,000 products with
  stock, and ``POST /orders`` (a 3-line canonical order imported in the
  request).
* Products and quants are copied in SQL from one made through the ORM (a
  100,000-product catalog through the ORM would take longer than the rest).
"""

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from ..support.odoo_server import OdooServer, clone_database, db_connect, drop_database

API = "/retail/api/v1"


def _columns(cr, table, skip):
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
        "AND column_name <> ALL(%s) ORDER BY ordinal_position",
        (table, list(skip)),
    )
    return [row[0] for row in cr.fetchall()]


def grow_catalog(dbname, model_product_id, total):
    """Copies of product ``model_product_id`` (and its quant) until the
    catalog holds ``total`` BENCH-* products, SKU BENCH-<n>, stock n % 97."""
    with db_connect(dbname) as conn, conn.cursor() as cr:
        cr.execute("SELECT count(*) FROM product_product WHERE default_code LIKE 'BENCH-%%'")
        have = cr.fetchone()[0]
        if have >= total:
            return
        cr.execute("SELECT product_tmpl_id FROM product_product WHERE id = %s", (model_product_id,))
        tmpl_id = cr.fetchone()[0]
        tmpl_cols = _columns(cr, "product_template", ("id", "name"))
        cr.execute(
            f"""
            INSERT INTO product_template (name, {", ".join(tmpl_cols)})
            SELECT jsonb_build_object('en_US', 'BENCH-' || n), {", ".join(tmpl_cols)}
              FROM product_template, generate_series(%s, %s) n WHERE id = %s
            """,
            (have + 1, total, tmpl_id),
        )
        prod_cols = _columns(cr, "product_product", ("id", "product_tmpl_id", "default_code"))
        cr.execute(
            f"""
            INSERT INTO product_product (product_tmpl_id, default_code, {", ".join(prod_cols)})
            SELECT t.id, t.name->>'en_US', {", ".join("p." + c for c in prod_cols)}
              FROM product_template t, product_product p
             WHERE p.id = %s AND t.name->>'en_US' LIKE 'BENCH-%%'
               AND NOT EXISTS (SELECT 1 FROM product_product x WHERE x.product_tmpl_id = t.id)
            """,
            (model_product_id,),
        )
        quant_cols = _columns(cr, "stock_quant", ("id", "product_id", "quantity"))
        cr.execute(
            f"""
            INSERT INTO stock_quant (product_id, quantity, {", ".join(quant_cols)})
            SELECT p.id, (substr(p.default_code, 7)::int %% 97),
                   {", ".join("q." + c for c in quant_cols)}
              FROM product_product p, stock_quant q
             WHERE q.product_id = %s AND p.default_code LIKE 'BENCH-%%'
               AND NOT EXISTS (SELECT 1 FROM stock_quant x WHERE x.product_id = p.id)
            """,
            (model_product_id,),
        )
        cr.execute("ANALYZE product_product; ANALYZE stock_quant; ANALYZE product_template")


def measure(url, count, concurrency, make_request):
    """``(req/s, p50 ms, p99 ms, statuses)`` of ``count`` requests."""
    latencies, statuses = [], {}
    lock = threading.Lock()

    def one(i):
        started = time.perf_counter()
        status = make_request(url, i)
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            latencies.append(elapsed)
            statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(count)))
    wall = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return count / wall, statistics.median(latencies), p99, statuses


def order(i):
    return {
        "external_id": f"bench-{uuid.uuid4().hex[:12]}",
        "created_at": "2026-11-02T10:00:00Z",
        "updated_at": "2026-11-02T10:00:00Z",
        "currency": "USD",
        "taxes_included": False,
        "customer": {"email": f"bench{i}@example.com", "first_name": "Bench", "last_name": str(i)},
        "lines": [
            {
                "external_id": str(n),
                "sku": f"BENCH-{i * 3 + n + 1}",
                "name": "Bench product",
                "quantity": 1,
                "unit_price": "10.00",
            }
            for n in range(3)
        ],
        "totals": {"tax": "0", "total": "30.00"},
        "payment_state": "paid",
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--requests", type=int, default=500)
    parser.add_argument("-c", "--concurrency", type=int, default=8)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--sizes", default="1000,100000", help="catalog sizes (1000,100000)")
    args = parser.parse_args(argv)
    dbname = clone_database(f"retail_bench_api_{os.getpid()}")
    try:
        with OdooServer(
            dbname,
            workers=args.workers,
            channels="root:0",
            log_path=os.environ.get("RETAIL_BENCH_LOG"),
        ) as server:
            server.login()
            return run(server, args)
    finally:
        drop_database(dbname)


def run(server, args):
    backend_id = server.call(
        "retail.backend",
        "create",
        {"name": "Bench POS", "code": "generic", "create_missing_products": True},
    )
    server.call("retail.backend", "action_activate", [backend_id])
    key_id = server.call(
        "retail.api.key",
        "create",
        {
            "name": "bench",
            "backend_id": backend_id,
            "rate_limit_per_minute": 10**7,
            "rate_limit_burst": 10**6,
        },
    )
    secret = server.call("retail.api.key", "action_generate_secret", [key_id])["params"]["message"]
    model_id = server.call(
        "product.product",
        "create",
        {"name": "BENCH-0", "default_code": "BENCH-0", "type": "consu", "is_storable": True},
    )
    [warehouse] = server.call("stock.warehouse", "search_read", [], ["lot_stock_id"], limit=1)
    quant = server.call(
        "stock.quant",
        "create",
        {
            "product_id": model_id,
            "location_id": warehouse["lot_stock_id"][0],
            "inventory_quantity": 5,
        },
        context={"inventory_mode": True},
    )
    server.call("stock.quant", "action_apply_inventory", [quant])

    auth = {"Authorization": f"Bearer {secret}"}
    base = server.base_url

    def get(path, headers=None):
        def request(url, _i):
            return requests.get(url + path, headers=headers, timeout=60).status_code

        return request

    def inventory(size):
        def request(url, i):
            start = (i * 37) % max(size - 50, 1) + 1
            skus = [("sku", f"BENCH-{n}") for n in range(start, start + 50)]
            return requests.get(
                f"{url}{API}/inventory", params=skus, headers=auth, timeout=60
            ).status_code

        return request

    def post_order(url, i):
        return requests.post(
            f"{url}{API}/orders",
            json=order(i),
            headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
            timeout=60,
        ).status_code

    rows = []

    def record(name, count, make_request, concurrency=args.concurrency):
        measure(base, min(50, count), concurrency, make_request)  # warm-up
        rows.append((name, *measure(base, count, concurrency, make_request)))
        print(f"  measured {name}", file=sys.stderr, flush=True)

    record("GET /web/health (baseline)", args.requests, get("/web/health"))
    record(
        "plain Odoo http.route with a database: POST /retail/webhook/<unknown>",
        args.requests,
        lambda url, _i: (
            requests.post(f"{url}/retail/webhook/x", data=b"{}", timeout=60).status_code
        ),
    )
    record(
        "API floor: GET /orders/<unknown> (auth, rate, log, 404)",
        args.requests,
        get(f"{API}/orders/none", auth),
    )
    for size in [int(s) for s in args.sizes.split(",")]:
        grow_catalog(server.dbname, model_id, size)
        record(f"GET /inventory 50 SKUs, {size:,} products", args.requests, inventory(size))
    record("POST /orders (3 lines, imported in the request)", args.orders, post_order, 4)
    record("GET /web/health (baseline, again)", args.requests, get("/web/health"))

    health_p50 = statistics.mean([rows[0][2], rows[-1][2]])
    print(
        f"\nChannel API benchmark: {args.workers} workers, concurrency {args.concurrency}"
        " (POST /orders: 4)"
    )
    print(f"{'route':<58} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'p50/health':>10}  statuses")
    for name, rate, p50, p99, statuses in rows:
        print(f"{name:<58} {rate:8.1f} {p50:8.1f} {p99:8.1f} {p50 / health_p50:10.2f}x  {statuses}")
    failed = [name for name, *_figures, statuses in rows if any(s >= 500 for s in statuses)]
    if failed:
        print(f"5xx answers on: {failed}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
