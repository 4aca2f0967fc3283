"""The demo channel's simulator (tools/demo_channel) without Odoo: what it
sends is canonical, signed the Standard Webhooks way, and reported."""

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pydantic
import pytest
import standardwebhooks

from odoo.addons.retail_connector_base import schemas
from odoo.addons.retail_connector_base.demo_catalogue import DEMO_PRODUCTS

from tools.demo_channel.__main__ import main
from tools.demo_channel.scenario import PATTERN, UNKNOWN_SKU, DemoShop
from tools.demo_channel.sender import delivery

from .conftest import GENERIC_SECRET

CONFIG = {
    "backend": "Demo shop (simulated)",
    "webhook_path": "/retail/webhook/token",
    "webhook_url": "http://odoo.invalid/retail/webhook/token",
    "secret": GENERIC_SECRET,
    "currency": "USD",
    "tax_rate": "0.08",
    "products": [{"sku": sku, "name": name, "price": price} for sku, name, price in DEMO_PRODUCTS],
}
CANONICAL = {"order": schemas.Order, "customer": schemas.Customer, "refund": schemas.Refund}


def fixed_now(tz=None):
    return datetime(2026, 12, 5, 9, 0, tzinfo=tz or UTC)


def messages(count, seed=7):
    shop = DemoShop(CONFIG, seed=seed, run="test", now=fixed_now)
    return [shop.next_message() for _i in range(count)]


def test_sixteen_messages_show_every_kind():
    assert {m.kind for m in messages(len(PATTERN))} == set(PATTERN)


def test_messages_are_canonical_except_the_invalid_one():
    for message in messages(48):
        model = CANONICAL[message.topic.split(".")[0]]
        if message.kind == "invalid_payload":
            with pytest.raises(pydantic.ValidationError) as error:
                model.model_validate(message.payload["data"])
            assert error.value.errors()[0]["loc"][:3] == ("lines", 0, "unit_price")
        else:
            model.model_validate(message.payload["data"])


def test_order_totals_add_up_to_the_cent():
    orders = [
        schemas.Order.model_validate(m.payload["data"])
        for m in messages(48)
        if m.topic.startswith("order.") and m.kind != "invalid_payload"
    ]
    assert orders
    for order in orders:
        lines = sum(line.unit_price * line.quantity for line in order.lines)
        shipping = sum(line.price for line in order.shipping_lines)
        tax = sum(t.amount for line in order.lines for t in line.tax_lines)
        assert order.totals.untaxed == lines + shipping
        assert order.totals.tax == tax
        assert order.totals.total == lines + shipping + tax


def test_only_the_unknown_sku_order_sells_outside_the_catalogue():
    catalogue = {sku for sku, *_rest in DEMO_PRODUCTS}
    held = set()
    for message in messages(32):
        if message.topic.startswith("order."):
            data = message.payload["data"]
            if message.kind == "unknown_sku":
                held.add(data["external_id"])
            outside = {line["sku"] for line in data["lines"]} - catalogue
            # Updates of the held order carry its SKU too.
            assert outside == ({UNKNOWN_SKU[0]} if data["external_id"] in held else set())
    assert held


def test_signatures_verify_with_the_reference_library_except_the_bad_one():
    verifier = standardwebhooks.Webhook(GENERIC_SECRET)
    for message in messages(16):
        body, headers = delivery(message, GENERIC_SECRET)
        if message.bad_signature:
            with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
                verifier.verify(body, headers)
        else:
            assert verifier.verify(body, headers) == message.payload


def test_a_duplicate_repeats_an_accepted_delivery_with_its_webhook_id():
    sent = messages(16)
    [duplicate] = [m for m in sent if m.kind == "duplicate"]
    original = sent[duplicate.number - 2]
    assert (duplicate.msg_id, duplicate.payload) == (original.msg_id, original.payload)
    assert original.expected_status == 200


def test_updates_cancellations_and_refunds_name_orders_sent_before():
    sent = messages(32)
    created = set()
    for message in sent:
        data = message.payload["data"]
        if message.topic == "order.created" and message.expected_status == 200:
            created.add(data["external_id"])
        elif message.topic in ("order.updated", "order.cancelled"):
            assert data["external_id"] in created
        elif message.topic == "refund.created":
            assert data["order_external_id"] in created


def test_typo_duplicates_reuse_a_known_customer_with_other_spelling():
    sent = messages(16)
    names = {}
    for message in sent:
        if message.kind == "order":
            customer = message.payload["data"]["customer"]
            names[customer["last_name"]] = customer
    for message in (m for m in sent if m.kind == "typo_duplicate"):
        customer = message.payload["data"]["customer"]
        assert customer["external_id"].endswith("-b")
        assert customer["phone"] in {c["phone"] for c in names.values()} | {customer["phone"]}


def test_the_same_seed_sends_the_same_mix():
    assert [m.summary for m in messages(32, seed=3)] == [m.summary for m in messages(32, seed=3)]
    assert [m.summary for m in messages(32, seed=3)] != [m.summary for m in messages(32, seed=4)]


class _Receiver(BaseHTTPRequestHandler):
    """A webhook endpoint that checks signatures like Odoo does; it can be
    told to accept every delivery (a broken backend)."""

    accept_all = False
    seen = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            standardwebhooks.Webhook(GENERIC_SECRET).verify(body, headers)
            status, answer = 200, {"status": "accepted"}
        except standardwebhooks.webhooks.WebhookVerificationError as exc:
            status, answer = 401, {"status": "error", "error": str(exc)}
        if self.accept_all:
            status, answer = 200, {"status": "accepted"}
        self.seen.append((headers["webhook-id"], status))
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver(tmp_path):
    _Receiver.seen = []
    _Receiver.accept_all = False
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    config = tmp_path / "demo.json"
    config.write_text(json.dumps(CONFIG))
    yield f"http://127.0.0.1:{server.server_address[1]}", str(config)
    server.shutdown()
    server.server_close()


def test_the_command_sends_count_messages_and_prints_each_answer(receiver, capsys):
    url, config = receiver
    args = ["--config", config, "--odoo-url", url, "--count", "16", "--rate", "0", "--seed", "1"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert len(_Receiver.seen) == 16
    assert sorted(status for _id, status in _Receiver.seen) == [200] * 15 + [401]
    assert "sent 16 message(s), 0 unexpected answer(s)" in out
    assert "bad_signature    401 x 1" in out
    assert out.count("→ 200 accepted") == 15


def test_the_command_fails_when_a_bad_message_is_accepted(receiver, capsys):
    url, config = receiver
    _Receiver.accept_all = True
    args = ["--config", config, "--odoo-url", url, "--count", "8", "--rate", "0", "--seed", "1"]
    assert main(args) == 1
    assert "<-- UNEXPECTED" in capsys.readouterr().out
