"""Business events through a real Odoo (2 workers, queue_job's runner): 1,000
order confirmations (and 100 cancellations) to a webhook receiver that fails
30 % of calls and is down for a while, and to RabbitMQ whose connection is cut
mid-burst. Every event arrives, none twice, in sequence per order."""

import importlib.util
import json
import shutil
import subprocess
import time
from collections import defaultdict
from pathlib import Path

import pika
import pytest
import standardwebhooks

from ..support.odoo_server import wait_until as wait

ROOT = Path(__file__).resolve().parents[2]
BROKER_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
ORDERS = 1000
CANCELLED = 100
# Short delays for the test: attempts 1, 2... wait 1-2 s, then 2-3 s.
FAST_RETRY_PATTERN = {1: [1, 2], 3: [2, 3]}


def _load_receiver():
    path = ROOT / "addons/retail_connector_base/tests/event_receiver.py"
    spec = importlib.util.spec_from_file_location("retail_event_receiver", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.EventReceiver


EventReceiver = _load_receiver()


def broker_answers():
    try:
        pika.BlockingConnection(pika.URLParameters(BROKER_URL)).close()
    except (pika.exceptions.AMQPError, OSError):
        return False
    return True


def subscribe(server, url, **values):
    return server.call(
        "retail.business.event.subscription",
        "create",
        {"name": f"e2e {url}", "url": url, "event_types": "order.*", **values},
    )


def fast_retries(server):
    [function] = server.call(
        "queue.job.function",
        "search",
        [("name", "=", "<retail.business.event.delivery>._send")],
    )
    server.call("queue.job.function", "write", [function], {"retry_pattern": FAST_RETRY_PATTERN})


def deliveries(server, subscription_id, states):
    return server.call(
        "retail.business.event.delivery",
        "search_count",
        [("subscription_id", "=", subscription_id), ("state", "in", states)],
    )


def cut_broker_connections(dbname):
    """Close the broker's connections of this Odoo (by their connection name)."""
    listing = subprocess.run(
        ["rabbitmqctl", "-q", "list_connections", "pid", "client_properties"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    closed = 0
    for line in listing.splitlines():
        if f"retail-connect {dbname}" in line:
            pid = line.split("\t", 1)[0]
            subprocess.run(
                ["rabbitmqctl", "-q", "close_connection", pid, "e2e: connection cut"],
                capture_output=True,
                timeout=30,
                check=False,
            )
            closed += 1
    return closed


class Consumer:
    """A queue bound to ``order.*`` on ``retail.events``, drained by a thread."""

    def __init__(self):
        self.connection = pika.BlockingConnection(pika.URLParameters(BROKER_URL))
        channel = self.connection.channel()
        channel.exchange_declare("retail.events", exchange_type="topic", durable=True)
        self.queue = channel.queue_declare("", exclusive=True).method.queue
        channel.queue_bind(self.queue, "retail.events", routing_key="order.*")
        self.channel = channel
        self.messages = []

    def drain(self):
        while True:
            method, properties, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                return self.messages
            self.messages.append((properties.message_id, json.loads(body)))

    def close(self):
        self.connection.close()


def assert_in_sequence(received):
    """Each order's events arrive in their sequence; returns them by order."""
    by_subject = defaultdict(list)
    for event in received:
        by_subject[event["subject"]["id"]].append(event["sequence"])
    for subject, sequences in by_subject.items():
        assert sequences == sorted(sequences), f"order {subject} out of sequence: {sequences}"
    return by_subject


def test_thousand_confirmations_reach_a_flaky_receiver_and_rabbitmq(odoo_server):
    server = odoo_server
    fast_retries(server)
    product = server.call(
        "product.product", "create", {"name": "E2E service", "type": "service", "list_price": 5}
    )
    partner = server.call("res.partner", "create", {"name": "E2E events customer"})
    use_broker = broker_answers()
    consumer = Consumer() if use_broker else None
    with EventReceiver(fail_ratio=0.3) as receiver:
        hook = subscribe(
            server, receiver.url, allowed_networks="127.0.0.1/32", max_concurrency=4,
            max_attempts=40,
        )  # fmt: skip
        [secret] = server.call("retail.business.event.subscription", "read", [hook], ["secret"])
        amqp = (
            subscribe(server, BROKER_URL, kind="amqp", max_attempts=40, max_concurrency=4)
            if use_broker
            else None
        )
        started = time.monotonic()
        order_ids = []
        for _batch in range(ORDERS // 200):
            order_ids += server.call(
                "sale.order",
                "create",
                [
                    {
                        "partner_id": partner,
                        "order_line": [(0, 0, {"product_id": product, "product_uom_qty": 1})],
                    }
                    for _i in range(200)
                ],
            )
        cut = 0
        for index in range(0, ORDERS, 100):
            server.call("sale.order", "action_confirm", order_ids[index : index + 100])
            if index == 300:
                receiver.down = True  # down for a while, mid-burst
            if index == 600:
                receiver.down = False
            if index == 500 and use_broker:
                cut = cut_broker_connections(server.dbname)
        server.call(
            "sale.order",
            "action_cancel",
            order_ids[:CANCELLED],
            context={"disable_cancel_warning": True},
        )
        total = ORDERS + CANCELLED
        confirmed_at = time.monotonic()
        try:
            wait(
                lambda: deliveries(server, hook, ["done"]) == total,
                "every event delivered to the receiver",
                timeout=240,
                interval=1,
            )
        except AssertionError:
            states = {
                state: deliveries(server, hook, [state])
                for state in ("pending", "done", "failed", "dead")
            }
            raise AssertionError(
                f"deliveries after {time.monotonic() - confirmed_at:.0f} s: {states}; "
                f"receiver calls {len(receiver.requests)}\n{server.log()}"
            ) from None
        if use_broker:
            wait(
                lambda: deliveries(server, amqp, ["done"]) == total,
                "every event published to RabbitMQ",
                server,
                timeout=60,
                interval=1,
            )
        elapsed = time.monotonic() - started
        server.call(
            "retail.business.event.subscription",
            "write",
            [hook, amqp] if amqp else [hook],
            {"state": "disabled"},
        )
    print(
        f"\n{total} events in {elapsed:.1f} s ({confirmed_at - started:.1f} s to create and "
        f"confirm the orders); receiver calls {len(receiver.requests)}"
    )
    assert deliveries(server, hook, ["dead", "failed"]) == 0
    ids = [event["id"] for event in receiver.delivered]
    assert len(ids) == total and len(set(ids)) == total, "every event once"
    failures = [r for r in receiver.requests if r["status"] >= 500]
    assert len(failures) > 0.2 * total, "the receiver did fail"
    by_order = assert_in_sequence(receiver.delivered)
    assert sorted(map(int, by_order)) == sorted(order_ids)
    assert all(len(by_order[str(o)]) == 2 for o in order_ids[:CANCELLED])
    webhook = standardwebhooks.Webhook(secret["secret"])
    for request in receiver.requests[:: max(len(receiver.requests) // 50, 1)]:
        webhook.verify(request["body"], request["headers"])
    if use_broker:
        messages = consumer.drain()
        consumer.close()
        by_id = {}
        for message_id, body in messages:
            assert message_id == body["id"]
            by_id.setdefault(message_id, body)
        assert set(by_id) == set(ids), "RabbitMQ got every event the webhook got"
        webhook_by_id = {event["id"]: event for event in receiver.delivered}
        assert all(by_id[i] == webhook_by_id[i] for i in ids), "the same events"
        assert_in_sequence(body for _m, body in messages)
        if shutil.which("rabbitmqctl"):
            assert cut, "the broker connection was cut mid-burst"
    else:
        pytest.skip(f"No RabbitMQ broker answers at {BROKER_URL}: its half was skipped.")


def test_gone_receiver_is_disabled_and_private_address_refused(odoo_server):
    server = odoo_server
    partner = server.call("res.partner", "create", {"name": "E2E gone"})
    product = server.call(
        "product.product", "create", {"name": "E2E gone", "type": "service", "list_price": 1}
    )
    with EventReceiver(status=410) as receiver:
        gone = subscribe(server, receiver.url, allowed_networks="127.0.0.1/32")
        private = subscribe(server, receiver.url.replace("127.0.0.1", "localhost"))
        order = server.call(
            "sale.order",
            "create",
            {"partner_id": partner, "order_line": [(0, 0, {"product_id": product})]},
        )
        server.call("sale.order", "action_confirm", [order])
        [state] = wait(
            lambda: server.call(
                "retail.business.event.subscription",
                "search_read",
                [("id", "=", gone), ("state", "=", "disabled")],
                ["disabled_reason"],
            ),
            "the subscription answered 410 disabled",
            server,
        )
        assert "410" in state["disabled_reason"]
        [refused] = wait(
            lambda: server.call(
                "retail.business.event.delivery",
                "search_read",
                [("subscription_id", "=", private), ("state", "=", "failed")],
                ["error"],
            ),
            "the private address refused",
            server,
        )
    server.call("retail.business.event.subscription", "write", [private], {"state": "disabled"})
    assert "loopback" in refused["error"]
    assert len(receiver.requests) == 1, "only the 410 answer; nothing reached via localhost"
