"""Order import benchmark: our event processing against the bare ORM work.

Run it with ``make bench-import`` (tests/bench/run.sh prepares the database and
the environment like tests/run.sh does).

What it does
------------
* Copies the installed database and opens its registry in this process (no
  HTTP server, no queue_job runner): it measures the import code path, not
  ingestion.
* Setup, committed and not timed: a 20 % sales tax (percent, price excluded,
  sequence 0, its own tax group), 50 products with SKUs, an active ``generic``
  backend, and for every ``EXISTING`` customer of the order sets a
  ``res.partner`` with the same email, name, phone and address.
* Builds two disjoint sets of canonical orders (``canonical_order()``'s shape,
  own ids and emails per set): 3 product lines + 1 shipping line, each taxed
  20 % on top, totals consistent with them; one customer per order, every
  other one NEW (unknown email) and the others EXISTING (a partner of the
  setup); one order in four ships to another address than the billing one.
* ``ours``: per order, the event is stored with
  ``retail.event._insert_idempotent()`` and committed (the webhook's
  transaction: timed apart, *not* in the figures), then ``event._process()``
  runs, the queue_job job method itself (adapter ``to_canonical`` with its
  pydantic validation, partner resolution, bindings and their advisory locks,
  tax matching, ``sale.order`` creation, totals check, ``action_confirm``,
  the event's outcome), then ``env.flush_all()``: that is what is timed.
* ``baseline``: per order, the same business records with plain ORM calls
  and none of our code: the partner found by a plain search on its email or
  created (the delivery contact too when the order ships elsewhere), each
  product found by a plain search on its SKU, ``sale.order.create()`` with the
  same lines (product, quantity, price, the tax) and shipping line, then
  ``action_confirm()`` and ``env.flush_all()``. The tax id is taken from the
  setup (a hand-written integration would hard-code it); the order is created
  with ``mail_create_nolog`` and without fiscal position, as ours is, so that
  both post the same chatter and keep the channel's taxes. The pricelist is
  left to Odoo (ours looks one up in the order's currency and sets it).
* Both run with the same superuser environment and empty caches, and each
  order is committed on its own after the timed part (as each job is), for
  both sides alike; commits are timed apart and not in the figures.
* Warm-up orders first for both (not counted), then ``--rounds`` rounds that
  alternate which side goes first (ABBA), each side on its own orders.
* Prints orders/s, wall and Python-CPU ms per order, queries per order (the
  cursor's ``sql_log_count``) for both, and the cost ratio ours/baseline
  beside its target (printed, never failing the run). Then checks every order
  of both sides: ``sale`` state, no hold, Odoo's total equal to the channel's,
  existing customers reused and none duplicated; any failure exits 1.
* ``--profile K`` then imports K more orders per side under cProfile and
  prints where our time goes: our functions (importer, partner resolver, tax
  matcher, bindings and their locks, event) by cumulative time and by the
  time of their own layer, the calls both sides share (ORM create/search,
  ``action_confirm``, flush, pydantic validation) and the queries per order
  by the innermost function of ours that sent them.
"""

import argparse
import cProfile
import json
import os
import pstats
import random
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ..support.odoo_server import clone_database, drop_database, settings
from .checks import report_checks

TARGET_RATIO = 1.5  # our import costs at most 1.5 x the bare ORM work
TAX_RATE = Decimal("0.2")
CENT = Decimal("0.01")
N_PRODUCTS = 50
SHIP_ELSEWHERE_EVERY = 4  # one order in four ships to another address
SIDES = ("baseline", "ours")

FIRST_NAMES = [
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Linus", "Margaret", "Donald",
    "Frances", "Niklaus", "Radia", "Ken", "Sophie", "Tim", "Hedy", "Dennis",
]  # fmt: skip
LAST_NAMES = [
    "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Torvalds", "Hamilton",
    "Knuth", "Allen", "Wirth", "Perlman", "Thompson", "Wilson", "Berners-Lee",
]  # fmt: skip
STREETS = [
    "Rue de la Loi", "Avenue Louise", "Rue de la République", "Keizersgracht",
    "Rua de Santa Catarina", "Friedrichstraße", "Via Dante", "Calle de Alcalá",
    "Korenmarkt", "Main Street", "Boulevard Haussmann", "Prinsengracht",
]  # fmt: skip
# (city, zip, country): real pairs, so that addresses look like a shop's.
CITIES = [
    ("Brussels", "1000", "BE"),
    ("Gent", "9000", "BE"),
    ("Lyon", "69002", "FR"),
    ("Paris", "75009", "FR"),
    ("Amsterdam", "1016 DK", "NL"),
    ("Porto", "4000-322", "PT"),
    ("Berlin", "10117", "DE"),
    ("Milano", "20121", "IT"),
    ("Madrid", "28014", "ES"),
    ("Cambridge", "CB2 1TN", "GB"),
]
PRODUCT_NAMES = [
    "Ceramic mug", "Linen tea towel", "Oak serving board", "Wool throw",
    "Cotton apron", "Glass carafe", "Enamel bowl", "Beeswax candle",
]  # fmt: skip
COLOURS = ["Blue", "Sand", "Charcoal", "Natural", "Olive", "Rust"]
SHIPPING_PRICES = [Decimal("4.95"), Decimal("6.50"), Decimal("9.90")]


# Canonical orders


def money(value):
    return f"{value.quantize(CENT)}"


def build_products(rng):
    """(sku, name, channel price) of the catalogue; prices are multiples of
    0.05, so that every line's 20 % tax is a whole cent (no rounding at all)."""
    return [
        (
            f"BENCH-{n:03d}",
            f"{PRODUCT_NAMES[n % len(PRODUCT_NAMES)]} - {COLOURS[n % len(COLOURS)]} #{n}",
            Decimal(rng.randrange(60, 2000)) * Decimal("0.05"),
        )
        for n in range(N_PRODUCTS)
    ]


def address(rng, first, last, company=None):
    city, zip_code, country = rng.choice(CITIES)
    return {
        "first_name": first,
        "last_name": last,
        "company": company,
        "street": f"{rng.randrange(1, 300)} {rng.choice(STREETS)}",
        "street2": rng.choice([None, None, "Building B, 3rd floor", "Apartment 12"]),
        "city": city,
        "zip": zip_code,
        "country_code": country,
        "phone": f"+32 4{rng.randrange(10, 99)} {rng.randrange(10, 99)} "
        f"{rng.randrange(10, 99)} {rng.randrange(10, 99)}",
    }


def build_orders(rng, side, count, products, currency):
    """``count`` canonical orders of ``side``; even positions are EXISTING customers."""
    started = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    orders = []
    for n in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first}.{last}.{side}.{n}@example.com".lower()
        billing = address(rng, first, last)
        if n % SHIP_ELSEWHERE_EVERY == SHIP_ELSEWHERE_EVERY - 1:
            shipping = address(rng, first, last, company=rng.choice(["Acme NV", "Globex SA"]))
        else:
            shipping = billing
        lines, untaxed, tax = [], Decimal(0), Decimal(0)
        for k, (sku, name, price) in enumerate(rng.sample(products, 3)):
            quantity = rng.randrange(1, 4)
            net = price * quantity
            line_tax = (net * TAX_RATE).quantize(CENT)
            untaxed += net
            tax += line_tax
            lines.append(
                {
                    "external_id": f"{side}-{n}-line-{k}",
                    "sku": sku,
                    "name": name,
                    "quantity": quantity,
                    "unit_price": money(price),
                    "tax_lines": [{"title": "VAT 20%", "rate": "0.2", "amount": money(line_tax)}],
                }
            )
        shipping_price = rng.choice(SHIPPING_PRICES)
        shipping_tax = (shipping_price * TAX_RATE).quantize(CENT)
        untaxed += shipping_price
        tax += shipping_tax
        created = started + timedelta(minutes=7 * n)
        orders.append(
            {
                "external_id": f"bench-{side}-{n}",
                "name": f"#{side[0].upper()}{100000 + n}",
                "created_at": created.isoformat(),
                "updated_at": (created + timedelta(seconds=3)).isoformat(),
                "currency": currency,
                "taxes_included": False,
                "customer": {
                    "external_id": f"cust-{side}-{n}",
                    "email": email,
                    "phone": billing["phone"],
                    "first_name": first,
                    "last_name": last,
                    "default_address": billing,
                    "updated_at": "2026-02-01T08:00:00Z",
                },
                "email": email,
                "billing_address": billing,
                "shipping_address": shipping,
                "lines": lines,
                "shipping_lines": [
                    {
                        "title": "Home delivery",
                        "code": "home",
                        "price": money(shipping_price),
                        "tax_lines": [
                            {"title": "VAT 20%", "rate": "0.2", "amount": money(shipping_tax)}
                        ],
                    }
                ],
                "totals": {
                    "untaxed": money(untaxed),
                    "tax": money(tax),
                    "total": money(untaxed + tax),
                },
                "payment_state": "paid",
                "channel_status": "open",
                "note": "Please leave the parcel with the neighbour if nobody is home.",
                "existing": n % 2 == 0,  # removed from the payload: the benchmark's own mark
            }
        )
    return orders


def payload_of(order):
    data = {key: value for key, value in order.items() if key != "existing"}
    return {"type": "order.created", "timestamp": data["updated_at"], "data": data}


# Setup


def address_name(values):
    return " ".join(p for p in (values["first_name"], values["last_name"]) if p)


def setup_data(env, products, orders_by_side):
    """Tax, products, backend and the EXISTING customers; returns the context
    both sides work with."""
    company = env.company
    tax = env["account.tax"].create(
        {
            "name": "Bench sales tax 20%",
            "amount": 20,
            "amount_type": "percent",
            "type_tax_use": "sale",
            "sequence": 0,
            "tax_group_id": env["account.tax.group"].create({"name": "Bench VAT"}).id,
            "country_id": (company.account_fiscal_country_id or env.ref("base.us")).id,
        }
    )
    env["product.product"].create(
        [
            {"name": name, "default_code": sku, "type": "consu", "list_price": float(price)}
            for sku, name, price in products
        ]
    )
    backend = env["retail.backend"].create(
        {"name": "Bench (generic)", "code": "generic", "state": "active", "max_attempts": 3}
    )
    countries = {c.code: c.id for c in env["res.country"].search([])}
    existing = {}
    for side, orders in orders_by_side.items():
        values = []
        for order in orders:
            if not order["existing"]:
                continue
            customer = order["customer"]
            billing = customer["default_address"]
            values.append(
                {
                    "name": address_name(billing),
                    "email": customer["email"],
                    "phone": customer["phone"],
                    "street": billing["street"],
                    "street2": billing["street2"],
                    "city": billing["city"],
                    "zip": billing["zip"],
                    "country_id": countries[billing["country_code"]],
                }
            )
        partners = env["res.partner"].create(values)
        existing[side] = {p.email: p.id for p in partners}
    env.cr.commit()
    return {
        "backend": backend,
        "settings": backend._get_settings(),
        "tax_ids": tax.ids,
        "shipping_product_id": env.ref("retail_connector_base.product_retail_shipping").id,
        "existing": existing,
    }


# The two sides


def baseline_import(env, order, ctx):
    """The same business records with plain ORM calls, none of our code."""
    from odoo import Command

    Partner = env["res.partner"]

    def address_values(values):
        country = env["res.country"].search([("code", "=", values["country_code"])], limit=1)
        return {
            "name": address_name(values),
            "street": values["street"],
            "street2": values["street2"],
            "city": values["city"],
            "zip": values["zip"],
            "country_id": country.id,
            "phone": values["phone"],
        }

    customer = order["customer"]
    partner = Partner.search([("email", "=", customer["email"])], limit=1)
    if not partner:
        partner = Partner.create(
            dict(address_values(customer["default_address"]), email=customer["email"])
        )
    delivery = partner
    if order["shipping_address"] != order["billing_address"]:
        delivery = Partner.create(
            dict(address_values(order["shipping_address"]), parent_id=partner.id, type="delivery")
        )
    Product = env["product.product"]
    lines = []
    for line in order["lines"]:
        product = Product.search([("default_code", "=", line["sku"])], limit=1)
        lines.append(
            Command.create(
                {
                    "product_id": product.id,
                    "name": line["name"],
                    "product_uom_qty": float(line["quantity"]),
                    "price_unit": float(line["unit_price"]),
                    "tax_ids": [Command.set(ctx["tax_ids"])],
                }
            )
        )
    for shipping in order["shipping_lines"]:
        lines.append(
            Command.create(
                {
                    "product_id": ctx["shipping_product_id"],
                    "name": shipping["title"],
                    "product_uom_qty": 1,
                    "price_unit": float(shipping["price"]),
                    "tax_ids": [Command.set(ctx["tax_ids"])],
                }
            )
        )
    sale_order = (
        env["sale.order"]
        .with_context(mail_create_nolog=True)
        .create(
            {
                "partner_id": partner.id,
                "partner_invoice_id": partner.id,
                "partner_shipping_id": delivery.id,
                "client_order_ref": order["name"],
                "note": order["note"],
                # The channel's taxes, as ours: no fiscal position remaps them.
                "fiscal_position_id": False,
                "order_line": lines,
            }
        )
    )
    sale_order.action_confirm()
    return sale_order


def store_event(env, order, ctx):
    """Store ``order`` as the webhook controller does; return the event."""
    from odoo.addons.retail_connector_base.adapters import EventValues

    key = f"msg_{uuid.uuid4().hex}"
    body = json.dumps(payload_of(order)).encode()
    values = EventValues(
        event_key=key,
        topic="order.created",
        headers={"webhook-id": key, "webhook-timestamp": str(int(time.time()))},
    )
    return env["retail.event"]._insert_idempotent(ctx["settings"], values, body)


class Meter:
    """Wall time, Python CPU time and queries of the timed parts, per order."""

    def __init__(self):
        self.wall, self.cpu, self.queries = [], [], []

    def measure(self, cr, func):
        queries = cr.sql_log_count
        cpu = time.process_time()
        wall = time.perf_counter()
        result = func()
        self.wall.append(time.perf_counter() - wall)
        self.cpu.append(time.process_time() - cpu)
        self.queries.append(cr.sql_log_count - queries)
        return result

    def extend(self, other):
        self.wall += other.wall
        self.cpu += other.cpu
        self.queries += other.queries

    def row(self):
        n = len(self.wall)
        wall = sum(self.wall)
        if not n:
            keys = ("seconds", "ops", "ms", "p50", "cpu_ms", "queries")
            return {"n": 0, **dict.fromkeys(keys, float("nan"))}
        return {
            "n": n,
            "seconds": wall,
            "ops": n / wall if wall else float("nan"),
            "ms": 1000 * wall / n,
            "p50": 1000 * statistics.median(self.wall),
            "cpu_ms": 1000 * sum(self.cpu) / n,
            "queries": sum(self.queries) / n,
        }


def run_side(env, side, orders, ctx, meters):
    """Import ``orders`` one transaction each; timed parts go to ``meters``."""
    cr = env.cr
    for order in orders:
        if side == "ours":
            event = meters["store"].measure(cr, lambda o=order: store_event(env, o, ctx))
            meters["store_commit"].measure(cr, cr.commit)
            order["event_id"] = event.id

            def work(event=event):
                event._process()
                env.flush_all()

        else:

            def work(order=order):
                order["sale_order_id"] = baseline_import(env, order, ctx).id
                env.flush_all()

        try:
            meters[side].measure(cr, work)
        except Exception as exc:  # noqa: BLE001 - reported by the checks, the run goes on
            cr.rollback()
            order["error"] = f"{type(exc).__name__}: {exc}"[:300]
            continue
        meters[f"{side}_commit"].measure(cr, cr.commit)


# Checks


def check_side(env, side, orders, ctx, label="measured"):
    """Every order confirmed, unheld, at the channel's total; customers reused."""
    if side == "ours":
        events = env["retail.event"].browse([o["event_id"] for o in orders])
        states = {e.id: (e.state, e.state_reason or e.error) for e in events}
        SaleOrder = env["sale.order"]
        sale_orders = SaleOrder.search(
            [
                ("retail_backend_id", "=", ctx["backend"].id),
                ("retail_external_id", "in", [o["external_id"] for o in orders]),
            ]
        )
        by_key = {so.retail_external_id: so for so in sale_orders}
    else:
        states = {}
        by_key = {
            o["external_id"]: env["sale.order"].browse(o["sale_order_id"])
            for o in orders
            if "sale_order_id" in o
        }
    problems = []
    for order in orders:
        key = order["external_id"]
        if order.get("error"):
            problems.append(f"{key}: {order['error']}")
            continue
        if side == "ours":
            state, reason = states[order["event_id"]]
            if state != "done":
                problems.append(f"{key}: event {state} ({reason})")
                continue
        sale_order = by_key.get(key)
        if not sale_order:
            problems.append(f"{key}: no sale order")
            continue
        if sale_order.state != "sale" or sale_order.retail_hold_reason:
            problems.append(
                f"{key}: {sale_order.name} is {sale_order.state}, "
                f"hold {sale_order.retail_hold_reason or 'none'}"
            )
        total = Decimal(order["totals"]["total"])
        if Decimal(str(sale_order.amount_total)).quantize(CENT) != total:
            problems.append(f"{key}: total {sale_order.amount_total} != channel {total}")
        email = order["customer"]["email"]
        expected = ctx["existing"][side].get(email)
        if expected and sale_order.partner_id.id != expected:
            problems.append(f"{key}: existing customer {email} not reused")
        same_email = env["res.partner"].search_count(
            [("email", "=", email), ("parent_id", "=", False)]
        )
        if same_email != 1:
            problems.append(f"{key}: {same_email} partners with email {email}")
    n_existing = sum(1 for o in orders if o["existing"])
    failed = {problem.split(":", 1)[0] for problem in problems}
    detail = (
        f"{len(orders) - len(failed)}/{len(orders)} ok ({n_existing} existing, "
        f"{len(orders) - n_existing} new customers)"
    )
    if problems:
        detail += f"; {len(problems)} problem(s), e.g. " + "; ".join(
            problem[:200] for problem in problems[:3]
        )
    return (
        f"{side} ({label}): every order confirmed (sale), no hold, channel's total, "
        "customers reused",
        not problems,
        detail,
    )


# Profile


OUR_CODE = ("/retail_connector_", "/retail_identity_resolution/")


def _ours(filename):
    return any(marker in filename for marker in OUR_CODE)


def _short(filename):
    for marker in ("/addons/", "/site-packages/", "/odoo/"):
        if marker in filename:
            return filename.rsplit(marker, 1)[1]
    return filename


class QueryAttribution:
    """Counts queries and their time by the innermost function of our code
    on the stack (``odoo`` when none: the baseline)."""

    def __init__(self):
        self.by_function = {}

    def hook(self, _cr, query, _params, _start, delay):
        frame = sys._getframe(1)
        where = "odoo (no function of ours on the stack)"
        while frame is not None:
            code = frame.f_code
            if _ours(code.co_filename):
                where = f"{_short(code.co_filename)}:{code.co_firstlineno} {code.co_name}"
                break
            frame = frame.f_back
        count, seconds = self.by_function.get(where, (0, 0.0))
        self.by_function[where] = (count + 1, seconds + delay)

    def __enter__(self):
        thread = threading.current_thread()
        if not hasattr(thread, "query_hooks"):
            thread.query_hooks = []
        thread.query_hooks.append(self.hook)
        return self

    def __exit__(self, *exc):
        threading.current_thread().query_hooks.remove(self.hook)


def profile_side(env, side, orders, ctx):
    """Import ``orders`` under cProfile and the query attribution."""
    profiler = cProfile.Profile()
    meters = new_meters()
    with QueryAttribution() as queries:
        profiler.enable()
        run_side(env, side, orders, ctx, meters)
        profiler.disable()
    return pstats.Stats(profiler), queries


def _entries(stats):
    for key, (_cc, ncalls, tottime, cumtime, callers) in stats.stats.items():
        yield key, ncalls, tottime, cumtime, callers


def our_layers(stats):
    """Per function of ours: cumulative time, and the time it spends itself or
    in Odoo and libraries, i.e. minus the time of the functions of ours it calls."""
    rows = {}
    for key, ncalls, tottime, cumtime, _callers in _entries(stats):
        if _ours(key[0]):
            rows[key] = {"calls": ncalls, "own": tottime, "cum": cumtime, "layer": cumtime}
    for key, _n, _t, _c, callers in _entries(stats):
        if key not in rows:
            continue
        for caller, (_cc, _nc, _tt, ct) in callers.items():
            if caller in rows and caller != key:
                rows[caller]["layer"] -= ct
    return rows


SHARED_CALLS = [
    ("odoo/orm/models.py", "create"),
    ("odoo/orm/models.py", "write"),
    ("odoo/orm/models.py", "search_fetch"),
    ("odoo/orm/models.py", "read"),
    ("sale/models/sale_order.py", "create"),
    ("sale/models/sale_order.py", "action_confirm"),
    ("odoo/orm/environments.py", "flush_all"),
    ("odoo/sql_db.py", "execute"),
    ("pydantic/main.py", "model_validate"),
    ("json/__init__.py", "loads"),
]


def print_profile(profiles, n, top):
    (ours, ours_queries), (baseline, base_queries) = profiles["ours"], profiles["baseline"]
    total = {side: sum(e[2] for e in _entries(stats)) for side, (stats, _q) in profiles.items()}
    print(
        f"\nProfile: {n} more orders per side under cProfile (times inflated by the profiler: "
        f"compare them with each other)\n  profiled time per order: baseline "
        f"{1000 * total['baseline'] / n:.1f} ms, ours {1000 * total['ours'] / n:.1f} ms"
    )
    layers = our_layers(ours)
    print(
        f"\nours, functions of our code by cumulative time (top {top}); 'layer': the time in"
        "\nthe function itself and in Odoo or libraries it calls, excluding our functions it calls"
    )
    print(f"{'cum ms':>8}{'layer ms':>9}{'calls':>7}  function (per order)")
    for key, row in sorted(layers.items(), key=lambda kv: -kv[1]["cum"])[:top]:
        print(
            f"{1000 * row['cum'] / n:8.2f}{1000 * row['layer'] / n:9.2f}{row['calls'] / n:7.1f}"
            f"  {_short(key[0])}:{key[1]} {key[2]}"
        )
    print("\nShared calls, cumulative ms per order (calls per order): baseline | ours")
    for path, func in SHARED_CALLS:
        cells = []
        for stats in (baseline, ours):
            hits = [e for e in _entries(stats) if e[0][0].endswith(path) and e[0][2] == func]
            cum = max((e[3] for e in hits), default=0.0)  # the outermost definition
            calls = sum(e[1] for e in hits)
            cells.append(f"{1000 * cum / n:8.2f} ({calls / n:5.1f})")
        print(f"  {path + ' ' + func:<42}{cells[0]} | {cells[1]}")
    print(
        "\nQueries per order by the innermost function of ours on the stack (ours, storing"
        " the event incl.)"
    )
    print(f"{'queries':>8}{'sql ms':>8}  function")
    rows = sorted(ours_queries.by_function.items(), key=lambda kv: -kv[1][0])
    for where, (count, seconds) in rows:
        print(f"{count / n:8.1f}{1000 * seconds / n:8.2f}  {where}")
    base_count = sum(c for c, _s in base_queries.by_function.values())
    base_seconds = sum(s for _c, s in base_queries.by_function.values())
    print(f"{base_count / n:8.1f}{1000 * base_seconds / n:8.2f}  baseline, all of it")


# Report


def new_meters():
    return {
        name: Meter()
        for name in ("baseline", "ours", "store", "store_commit", "baseline_commit", "ours_commit")
    }


def print_report(rows, totals, meters, args):
    print(
        f"\nOrder import in one process: {args.orders} orders per side in {args.rounds} rounds "
        f"(3 lines + shipping, half new customers, 1 in {SHIP_ELSEWHERE_EVERY} shipped "
        "elsewhere), one transaction per order"
    )
    header = (
        f"{'round':<7}{'side':<10}{'orders':>7}{'seconds':>9}{'orders/s':>10}{'ms/order':>10}"
        f"{'p50 ms':>8}{'cpu ms':>8}{'queries':>9}"
    )
    print(header)
    print("-" * len(header))
    for label, side, row in [*rows, *totals]:
        print(
            f"{label:<7}{side:<10}{row['n']:>7}{row['seconds']:>9.2f}{row['ops']:>10.1f}"
            f"{row['ms']:>10.2f}{row['p50']:>8.2f}{row['cpu_ms']:>8.2f}{row['queries']:>9.1f}"
        )
    store, store_commit = meters["store"].row(), meters["store_commit"].row()
    print(
        "ms/order: wall time of the timed part (ours: event._process() + flush; baseline: the\n"
        "ORM calls + flush); cpu ms: this process's CPU in it (the rest is PostgreSQL and I/O);\n"
        "queries: per order, cursor.sql_log_count. Not in the figures: storing the event\n"
        f"(_insert_idempotent) {store['ms']:.2f} ms, {store['queries']:.0f} queries, and its "
        f"commit {store_commit['ms']:.2f} ms;\ncommit after the timed part: baseline "
        f"{meters['baseline_commit'].row()['ms']:.2f} ms, ours "
        f"{meters['ours_commit'].row()['ms']:.2f} ms per order."
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--orders", type=int, default=300, help="per side (300)")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds (4)")
    parser.add_argument("--warmup", type=int, default=10, help="orders per side, not timed (10)")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="K", help="then profile K orders per side"
    )
    parser.add_argument("--top", type=int, default=30, help="profile rows (30)")
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument("--keep-db", action="store_true", help="keep the database copy")
    args = parser.parse_args(argv)
    if args.orders < args.rounds or args.rounds < 1:
        parser.error("--orders must be at least --rounds, which must be positive")

    import odoo
    from odoo.modules.registry import Registry
    from odoo.tools import config

    dbname = clone_database(f"retail_bench_import_run_{os.getpid()}")
    config.parse_config(["-c", settings()["config"], "-d", dbname], setup_logging=True)
    checks = []
    try:
        started = time.perf_counter()
        registry = Registry(dbname)
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            rng = random.Random(args.seed)
            products = build_products(rng)
            count = args.warmup + args.orders + args.profile
            currency = env.company.currency_id.name
            orders_by_side = {
                side: build_orders(rng, side, count, products, currency) for side in SIDES
            }
            ctx = setup_data(env, products, orders_by_side)
            print(
                f"== Registry of {dbname} loaded and setup committed in "
                f"{time.perf_counter() - started:.1f}s ({N_PRODUCTS} products, "
                f"{sum(len(v) for v in ctx['existing'].values())} existing customers)"
            )

            meters = new_meters()
            warm = new_meters()
            for side in SIDES:
                run_side(env, side, orders_by_side[side][: args.warmup], ctx, warm)
            print(f"== Warmed up ({args.warmup} orders per side)")

            rows = []
            per_round = [
                (args.orders * r // args.rounds, args.orders * (r + 1) // args.rounds)
                for r in range(args.rounds)
            ]
            for r, (start, stop) in enumerate(per_round):
                order = SIDES if r % 2 == 0 else SIDES[::-1]
                for side in order:
                    chunk = orders_by_side[side][args.warmup + start : args.warmup + stop]
                    round_meters = new_meters()
                    run_side(env, side, chunk, ctx, round_meters)
                    for name, meter in round_meters.items():
                        meters[name].extend(meter)
                    rows.append((str(r + 1), side, round_meters[side].row()))
                    print(f"== Round {r + 1} {side}: {rows[-1][2]['ops']:.1f} orders/s")
            totals = [("total", side, meters[side].row()) for side in SIDES]

            measured = args.warmup + args.orders
            for side in SIDES:
                checks.append(check_side(env, side, orders_by_side[side][:measured], ctx))

            profiles = {}
            if args.profile:
                for side in SIDES:
                    profiled = orders_by_side[side][measured:]
                    profiles[side] = profile_side(env, side, profiled, ctx)
                    checks.append(check_side(env, side, profiled, ctx, label="profiled"))
    finally:
        Registry.delete(dbname)
        if args.keep_db:
            print(f"== Kept the database {dbname}")
        else:
            drop_database(dbname)
    print_report(rows, totals, meters, args)

    baseline, ours = meters["baseline"].row(), meters["ours"].row()
    ratio = ours["ms"] / baseline["ms"]
    verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
    print("\nTarget (printed, never failing the run):")
    print(
        f"  cost per order ours/baseline {ours['ms']:.2f}/{baseline['ms']:.2f} ms = {ratio:.2f}x"
        f"  (target <= {TARGET_RATIO}x)  {verdict}"
        f"   [orders/s: ours {ours['ops']:.1f}, baseline {baseline['ops']:.1f}; "
        f"queries/order: ours {ours['queries']:.1f}, baseline {baseline['queries']:.1f}]"
    )
    if profiles:
        print_profile(profiles, args.profile, args.top)

    return report_checks(checks)


if __name__ == "__main__":
    sys.exit(main())
