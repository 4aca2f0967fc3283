"""Business events benchmark (``make bench-events``): what events cost the
order import, and how fast the outbox delivers them.

* Copies the installed database and opens its registry in this process (no
  HTTP server, no job runner), with the setup of ``bench_order_import``
  (products, tax, a generic backend, existing customers).
* Import: ``event._process()`` + flush per order (the queue_job job of an
  inbound order: import, confirmation, and the business events written in
  its transaction), one commit per order, in alternating rounds (ABBA) with
  **no** subscriber and with **3** enabled webhook subscribers hearing every
  type. Prints ms/order and queries/order of both and the ratio.
* Delivery: the deliveries written by the import to one subscriber (a local
  receiver on 127.0.0.1), sent one by one as their jobs would be
  (``_send()`` + commit): events/s, beside the same bodies POSTed straight
  with urllib3 (no Odoo, the baseline). Then the same events published to
  RabbitMQ at 127.0.0.1:5672 through a RabbitMQ subscription, beside a bare
  pika publish with confirms. Ratios printed, nothing asserted.
"""

import argparse
import importlib.util
import logging
import os
import random
import time
from pathlib import Path

from ..support.odoo_server import clone_database, drop_database, settings
from .bench_order_import import (
    Meter,
    build_orders,
    build_products,
    run_side,
    setup_data,
)

ARMS = ("none", "three")
BROKER_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
ROOT = Path(__file__).resolve().parents[2]


def _receiver_class():
    path = ROOT / "addons/retail_connector_base/tests/event_receiver.py"
    spec = importlib.util.spec_from_file_location("retail_event_receiver", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.EventReceiver


def meters():
    return {name: Meter() for name in ("ours", "store", "store_commit", "ours_commit")}


def set_subscribers(env, subscriptions, enabled):
    subscriptions.write({"state": "enabled" if enabled else "disabled"})
    env.cr.commit()


def bench_import(env, orders_by_arm, subscriptions, args):
    totals = {arm: meters() for arm in ARMS}
    per_round = [
        (args.orders * r // args.rounds, args.orders * (r + 1) // args.rounds)
        for r in range(args.rounds)
    ]
    ctx = args.ctx
    for arm in ARMS:  # warm-up, not counted
        set_subscribers(env, subscriptions, arm == "three")
        run_side(env, "ours", orders_by_arm[arm][: args.warmup], ctx, meters())
    for r, (start, stop) in enumerate(per_round):
        for arm in ARMS if r % 2 == 0 else ARMS[::-1]:
            set_subscribers(env, subscriptions, arm == "three")
            chunk = orders_by_arm[arm][args.warmup + start : args.warmup + stop]
            run_side(env, "ours", chunk, ctx, totals[arm])
    errors = [o["error"] for arm in ARMS for o in orders_by_arm[arm] if o.get("error")]
    rows = {arm: totals[arm]["ours"].row() for arm in ARMS}
    print(f"\nOrder import, {args.orders} orders per arm in {args.rounds} alternating rounds")
    print(f"{'subscribers':<13}{'orders':>7}{'ms/order':>10}{'p50 ms':>8}{'queries':>9}")
    for arm, label in (("none", "none"), ("three", "3 webhooks")):
        row = rows[arm]
        print(f"{label:<13}{row['n']:>7}{row['ms']:>10.2f}{row['p50']:>8.2f}{row['queries']:>9.1f}")
    ratio = rows["three"]["ms"] / rows["none"]["ms"]
    print(f"overhead of 3 subscribers: x{ratio:.3f} ms/order "
          f"(+{rows['three']['ms'] - rows['none']['ms']:.2f} ms, "
          f"+{rows['three']['queries'] - rows['none']['queries']:.1f} queries)")  # fmt: skip
    if errors:
        print(f"!! {len(errors)} orders failed: {errors[:3]}")
    return not errors


def send_all(env, deliveries):
    """Each delivery sent as its job sends it: one record, one transaction."""
    Delivery = env["retail.business.event.delivery"]
    started = time.perf_counter()
    for delivery_id in deliveries.ids:
        Delivery.browse(delivery_id)._send()
        env.cr.commit()
    elapsed = time.perf_counter() - started
    deliveries.invalidate_recordset()
    return elapsed


def bench_webhook_delivery(env, subscription, receiver, limit):
    from odoo.addons.retail_connector_base.business_events import http_sender

    deliveries = env["retail.business.event.delivery"].search(
        [("subscription_id", "=", subscription.id), ("state", "=", "pending")],
        order="id",
        limit=limit,
    )
    bodies = [(d.event_id.uid, d.event_id._body_for(subscription)) for d in deliveries]
    secret = subscription._signing_secret()
    networks = subscription._networks()
    started = time.perf_counter()
    for uid, body in bodies:
        http_sender.post(
            receiver.url, body, http_sender.signed_headers(secret, uid, body), networks
        )
    raw = time.perf_counter() - started
    ours = send_all(env, deliveries)
    done = deliveries.filtered(lambda d: d.state == "done")
    n = len(deliveries)
    print(f"\nWebhook delivery of {n} events to a local receiver (one at a time, in process)")
    print(f"  outbox jobs (_send + commit): {n / ours:8.1f} events/s  ({1000 * ours / n:.2f} ms)")
    print(f"  bare signed POSTs (baseline): {n / raw:8.1f} events/s  ({1000 * raw / n:.2f} ms)")
    print(f"  ratio outbox/bare: x{ours / raw:.2f} time per event; delivered {len(done)}/{n}")
    return len(done) == n


def bench_rabbitmq(env, events, limit):
    import pika

    from odoo.addons.retail_connector_base.business_events import amqp_publisher

    try:
        pika.BlockingConnection(pika.URLParameters(BROKER_URL)).close()
    except (pika.exceptions.AMQPError, OSError):
        print(f"\nRabbitMQ: no broker answers at {BROKER_URL}; skipped.")
        return True
    subscription = env["retail.business.event.subscription"].create(
        {"name": "Bench broker", "kind": "amqp", "url": BROKER_URL, "event_types": "*"}
    )
    events = events[:limit]
    deliveries = env["retail.business.event.delivery"].create(
        [
            {
                "event_id": e.id,
                "subscription_id": subscription.id,
                "subject_key": e.subject_key,
                "sequence": e.sequence,
            }
            for e in events
        ]
    )
    env.cr.commit()
    bodies = [(e.event_type, e.uid, e._body_for(subscription)) for e in events]
    started = time.perf_counter()
    for event_type, uid, body in bodies:
        amqp_publisher.publish(BROKER_URL, event_type, uid, body)
    raw = time.perf_counter() - started
    ours = send_all(env, deliveries)
    n = len(deliveries)
    done = len(deliveries.filtered(lambda d: d.state == "done"))
    print(f"\nRabbitMQ publishing of {n} events (persistent, confirmed, one at a time)")
    print(f"  outbox jobs (_send + commit): {n / ours:8.1f} events/s  ({1000 * ours / n:.2f} ms)")
    print(f"  bare confirmed publish:       {n / raw:8.1f} events/s  ({1000 * raw / n:.2f} ms)")
    print(f"  ratio outbox/bare: x{ours / raw:.2f} time per event; confirmed {done}/{n}")
    return done == n


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--orders", type=int, default=200, help="per arm (200)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--deliveries", type=int, default=500, help="events sent (500)")
    parser.add_argument("--seed", type=int, default=20261205)
    args = parser.parse_args(argv)

    import odoo
    from odoo.modules.registry import Registry
    from odoo.tools import config

    dbname = clone_database(f"retail_bench_events_{os.getpid()}")
    config.parse_config(["-c", settings()["config"], "-d", dbname], setup_logging=True)
    logging.getLogger("pika").setLevel(logging.WARNING)
    ok = True
    try:
        registry = Registry(dbname)
        with _receiver_class()() as receiver, registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            rng = random.Random(args.seed)
            products = build_products(rng)
            count = args.warmup + args.orders
            currency = env.company.currency_id.name
            orders_by_arm = {arm: build_orders(rng, arm, count, products, currency) for arm in ARMS}
            args.ctx = setup_data(env, products, orders_by_arm)
            subscriptions = env["retail.business.event.subscription"].create(
                [
                    {
                        "name": f"Bench subscriber {i}",
                        "url": receiver.url,
                        "event_types": "*",
                        "allowed_networks": "127.0.0.1/32",
                        "state": "disabled",
                    }
                    for i in range(3)
                ]
            )
            env.cr.commit()
            ok &= bench_import(env, orders_by_arm, subscriptions, args)
            set_subscribers(env, subscriptions, True)
            ok &= bench_webhook_delivery(env, subscriptions[0], receiver, args.deliveries)
            events = env["retail.business.event"].search([], order="id")
            ok &= bench_rabbitmq(env, events, args.deliveries)
    finally:
        Registry.delete(dbname)
        drop_database(dbname)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
