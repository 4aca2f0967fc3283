"""Cost growth: ms/order and queries/order of the order import with 1k, 10k and
100k existing orders and customers.

Run it with ``make bench-growth`` (tests/bench/run.sh prepares the database and
the environment like tests/run.sh does).

What it does
------------
* Copies the installed database and opens its registry in this process, as
  ``bench_order_import`` does (no HTTP, no runner: the import code path).
* Setup as ``bench_order_import.setup_data()``: a 20 % tax, 50 products, an
  active ``generic`` backend and the EXISTING customers of the measured orders
  (half of them are known customers, half new people).
* Grows the database in steps (``--sizes``, 1,000 then 10,000 then 100,000):
  customers with realistic, partly similar identities loaded with SQL by
  ``identity_population`` (identity keys computed by the addon's own
  functions, into its indexes), each bound to the backend as a channel
  customer (``retail.binding``), and as many channel orders of the backend
  (``sale.order`` rows copied from one the ORM created, each with its own
  ``retail_external_id`` and customer; no lines: the import never reads the
  lines of other orders), then ``ANALYZE``.
* At each size, imports ``--orders`` new orders (after ``--warmup``) exactly
  as ``bench_order_import``'s ``ours`` side: the event stored and committed
  (not timed), then ``event._process()`` + flush timed, then commit. Prints
  ms/order (mean, p50), Python-CPU ms, queries/order, and each size's ratio
  to the smallest. A query count that grows with the size would be an N+1;
  time that grows with flat queries a missing index.
* Checks every imported order (confirmed, total right, existing customers
  reused, none doubled): any failure exits 1.
"""

import argparse
import os
import random
import sys
import time

from ..support.odoo_server import clone_database, drop_database, settings
from .bench_identity_speed import Population
from .bench_order_import import (
    build_orders,
    build_products,
    check_side,
    new_meters,
    run_side,
    setup_data,
)
from .checks import report_checks


def seed_orders(env, backend, partner_ids, start):
    """Channel orders of ``backend``, one per partner of ``partner_ids``, and a
    customer binding for each, with SQL; ``start`` numbers their external ids."""
    cr = env.cr
    template = (
        env["sale.order"]
        .with_context(mail_create_nolog=True)
        .create({"partner_id": partner_ids[0], "retail_backend_id": backend.id})
    )
    env.flush_all()
    cr.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_name = 'sale_order' AND table_schema = current_schema()"
    )
    varied = {
        "id", "name", "partner_id", "partner_invoice_id", "partner_shipping_id",
        "retail_external_id", "access_token",
    }  # fmt: skip
    kept = [name for (name,) in cr.fetchall() if name not in varied]
    kept_sql = ", ".join(f'"{c}"' for c in kept)
    cr.execute(
        f"""
        INSERT INTO sale_order (name, partner_id, partner_invoice_id, partner_shipping_id,
                                retail_external_id, {kept_sql})
        SELECT 'SEED/' || n, p.id, p.id, p.id, 'seed-' || n, {", ".join(f't."{c}"' for c in kept)}
          FROM unnest(%s::int[]) WITH ORDINALITY AS p (id, k)
          CROSS JOIN LATERAL (SELECT %s + p.k AS n) num, sale_order t
         WHERE t.id = %s
        """,
        [partner_ids, start, template.id],
    )
    cr.execute(
        """
        INSERT INTO retail_binding (backend_id, company_id, res_model, res_id, external_id,
                                    create_uid, create_date, write_uid, write_date)
        SELECT %s, %s, 'res.partner', p.id, 'seed-cust-' || (%s + p.k), 1,
               now() at time zone 'UTC', 1, now() at time zone 'UTC'
          FROM unnest(%s::int[]) WITH ORDINALITY AS p (id, k)
        """,
        [backend.id, backend.company_id.id, start, partner_ids],
    )
    template.unlink()
    cr.execute("ANALYZE sale_order")
    cr.execute("ANALYZE retail_binding")
    cr.commit()


def counts(env, backend):
    cr = env.cr
    cr.execute(
        "SELECT (SELECT count(*) FROM sale_order WHERE retail_backend_id = %s),"
        " (SELECT count(*) FROM res_partner WHERE parent_id IS NULL)",
        [backend.id],
    )
    return cr.fetchone()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="1000,10000,100000", help="existing orders and customers per step"
    )
    parser.add_argument("-n", "--orders", type=int, default=200, help="measured per size (200)")
    parser.add_argument("--warmup", type=int, default=10, help="orders per size, not timed (10)")
    parser.add_argument("--seed", type=int, default=20261205)
    parser.add_argument("--keep-db", action="store_true", help="keep the database copy")
    args = parser.parse_args(argv)
    sizes = sorted(int(size) for size in args.sizes.split(","))

    import odoo
    from odoo.modules.registry import Registry
    from odoo.tools import config

    dbname = clone_database(f"retail_bench_growth_{os.getpid()}")
    config.parse_config(["-c", settings()["config"], "-d", dbname], setup_logging=True)
    rows, checks = [], []
    try:
        registry = Registry(dbname)
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            rng = random.Random(args.seed)
            products = build_products(rng)
            currency = env.company.currency_id.name
            per_size = args.warmup + args.orders
            orders_by_side = {
                f"g{size}": build_orders(rng, f"g{size}", per_size, products, currency)
                for size in sizes
            }
            ctx = setup_data(env, products, orders_by_side)
            backend = ctx["backend"]
            cr.execute("SELECT max(id) FROM res_partner")
            [watermark] = cr.fetchone()  # the setup's customers are not seeded ones
            people = Population(env, random.Random(args.seed + 1))
            seeded = 0
            for size in sizes:
                people.grow(size, f"{size:,} customers")
                cr.execute(
                    "SELECT id FROM res_partner WHERE parent_id IS NULL AND id > %s"
                    " AND id NOT IN (SELECT res_id FROM retail_binding"
                    "  WHERE res_model = 'res.partner') ORDER BY id LIMIT %s",
                    [watermark, size - seeded],
                )
                partner_ids = [row[0] for row in cr.fetchall()]
                started = time.perf_counter()
                seed_orders(env, backend, partner_ids, seeded)
                seeded += len(partner_ids)
                orders, partners = counts(env, backend)
                print(
                    f"== {orders:,} channel orders, {partners:,} customers (seeded "
                    f"{len(partner_ids):,} orders in {time.perf_counter() - started:.1f}s)"
                )
                side = f"g{size}"
                warm = new_meters()
                run_side(env, "ours", orders_by_side[side][: args.warmup], ctx, warm)
                meters = new_meters()
                run_side(env, "ours", orders_by_side[side][args.warmup :], ctx, meters)
                row = meters["ours"].row()
                rows.append((size, orders, partners, row))
                print(f"   {row['ms']:.1f} ms/order, {row['queries']:.1f} queries/order")
                ctx["existing"].setdefault(side, {})
                name, ok, detail = check_side(
                    env,
                    "ours",
                    orders_by_side[side],
                    ctx | {"existing": {"ours": ctx["existing"][side]}},
                )
                checks.append((f"{size:,} existing: {name}", ok, detail))
    finally:
        Registry.delete(dbname)
        if args.keep_db:
            print(f"== Kept the database {dbname}")
        else:
            drop_database(dbname)

    print(
        f"\nImport cost as the database grows: {args.orders} orders per size (3 lines + "
        "shipping, half existing customers), one transaction each"
    )
    header = (
        f"{'existing':>9}{'orders':>9}{'customers':>11}{'ms/order':>10}{'p50 ms':>8}"
        f"{'cpu ms':>8}{'queries':>9}{'ms ratio':>10}{'q ratio':>9}"
    )
    print(header)
    print("-" * len(header))
    base = rows[0][3] if rows else None
    for size, orders, partners, row in rows:
        print(
            f"{size:>9,}{orders:>9,}{partners:>11,}{row['ms']:>10.2f}{row['p50']:>8.2f}"
            f"{row['cpu_ms']:>8.2f}{row['queries']:>9.1f}{row['ms'] / base['ms']:>9.2f}x"
            f"{row['queries'] / base['queries']:>8.2f}x"
        )
    print(
        "ms/order: event._process() + flush (the job's work, commit apart); ratios: against "
        f"the smallest size ({sizes[0]:,})."
    )
    return report_checks(checks)


if __name__ == "__main__":
    sys.exit(main())
