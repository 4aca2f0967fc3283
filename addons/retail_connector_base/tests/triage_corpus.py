"""A labelled corpus of failures for the triage assistant, made by the
suite's own code paths (the generic adapter, the canonical schemas, the line
builder, the tax matcher, the order importer, the carrier and channel clients
against real HTTP servers on 127.0.0.1: the fake carrier and the API
client's scripted server), so the messages are the ones support will really
see.

Each kind comes with its fix as a person would record it; each sample is
``(kind, source, topic, message)``.
"""

import json
import random
import socket
from contextlib import ExitStack
from copy import deepcopy

import psycopg2

from ..api_client import ApiClient
from ..carrier_client import CarrierClient
from ..exceptions import RetailError
from ..processing.errors import describe_error
from ..schemas import Order
from .carrier_fake import FakeCarrier
from .common import canonical_order, generic_order_payload, signed_generic_headers
from .test_api_client import ScriptedServer

# kind -> (cause, fix, team name) as a person records them when resolving.
KNOWN_FIXES = {
    "schema": (
        "The sender's payload does not match the canonical order schema.",
        "Correct the payload with Edit and replay, and ask the sender to fix its mapping.",
        "Integration",
    ),
    "signature": (
        "The channel signs with a secret Odoo does not have (rotated on one side only).",
        "Copy the channel's current webhook secret to the backend, then ask it to resend.",
        "Integration",
    ),
    "unknown_sku": (
        "The order names a product Odoo does not know.",
        "Create the product (or fix its internal reference), then Retry import.",
        "Catalog",
    ),
    "tax": (
        "A channel tax rate has no matching sales tax in Odoo.",
        "Create the sales tax with the channel's rate and price inclusion, then Retry import.",
        "Accounting",
    ),
    "carrier_down": (
        "The carrier's label service is down or unreachable.",
        "Wait for the carrier (labels are retried); check its status page if it lasts.",
        "Warehouse",
    ),
    "throttled": (
        "The channel throttles our calls (HTTP 429).",
        "Nothing to fix: the job retries after Retry-After; lower the batch size if it lasts.",
        "Integration",
    ),
    "credentials": (
        "The channel refuses our API credentials.",
        "Renew the API key or access token on the backend, then Replay.",
        "Integration",
    ),
}


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _error_of(call):
    try:
        call()
    except RetailError as exc:
        return describe_error(exc)
    raise AssertionError("the call was expected to fail")


class CorpusMaker:
    """Makes samples of each kind through the suite's code; ``case`` is a
    ``RetailCase`` (its backend, products and taxes)."""

    def __init__(self, case, seed=16):
        self.case = case
        self.env = case.env
        self.random = random.Random(seed)

    def samples(self, per_kind):
        made = []
        with FakeCarrier() as carrier, ExitStack() as stack:
            self.channel = ScriptedServer().start()
            stack.callback(self.channel.stop)
            self.carrier = carrier
            for kind in (*KNOWN_FIXES, "currency", "contention"):
                maker = getattr(self, f"_{kind}")
                made += [(kind, *maker(i)) for i in range(per_kind)]
        return made

    # Inbound events

    def _schema(self, i):
        """The generic adapter's canonical validation of a broken order."""
        breakages = (
            lambda o: o["lines"][0].update(quantity=f"lots-{i}"),
            lambda o: o["lines"][0].update(unit_price=f"{i},90 EUR"),
            lambda o: o.update(currency=f"EURO{i}"),
            lambda o: o.pop("created_at"),
            lambda o: o.update(payment_state=f"settled-{i}"),
            lambda o: o["lines"].append(deepcopy(o["lines"][0])),
            lambda o: o["totals"].update(total=None),
            lambda o: o["lines"][0].update(tax_lines=[{"title": "VAT", "rate": "twenty"}]),
        )
        payload = generic_order_payload(f"S{i}")
        breakages[i % len(breakages)](payload["data"])
        adapter = self.case.backend._get_adapter()
        message = _error_of(lambda: adapter.to_canonical("order.created", payload, {}))
        return "event", "order.created", message

    def _signature(self, i):
        body = json.dumps(generic_order_payload(f"G{i}")).encode()
        headers = signed_generic_headers(body, secret="whsec_" + "b3RoZXItc2VjcmV0LWtleQ==")
        if i % 3 == 1:
            headers = signed_generic_headers(body, timestamp=1_700_000_000 + i)
        elif i % 3 == 2:
            headers.pop("webhook-signature")
        adapter = self.case.backend._get_adapter()
        error = _error_of(lambda: adapter.verify_webhook(headers, body))
        return "event", "order.created", error

    # Holds

    def _unknown_sku(self, i):
        sku = self.random.choice(("MUG", "CAP", "SOCK", "TEE")) + f"-{i}{'XL' if i % 2 else ''}"
        name = self.random.choice(("Mug, 30 cl", "Cap", "Socks (pair)", "T-shirt, size L"))
        line = dict(canonical_order()["lines"][0], sku=sku, name=name)
        order = Order.model_validate(canonical_order(f"U{i}", lines=[line]))
        _commands, holds = self.env["retail.order.line.builder"]._line_commands(
            self.case.backend, order
        )
        return "hold", None, holds[0]

    def _tax(self, i):
        rate = self.random.choice(("0.07", "0.055", "0.19", "0.21", "0.085", "0.13"))
        lines = Order.model_validate(
            canonical_order(
                f"T{i}",
                taxes_included=bool(i % 2),
                lines=[
                    dict(
                        canonical_order()["lines"][0],
                        tax_lines=[{"title": "VAT", "rate": rate, "amount": "1.00"}],
                    )
                ],
            )
        ).lines
        _ids, hold = self.env["retail.tax.matcher"]._match(
            self.case.backend, lines[0].tax_lines, bool(i % 2)
        )
        return "hold", None, hold

    def _currency(self, i):
        code = ("XAU", "XAG", "XPT", "XPD")[i % 4]
        _pricelist, hold = self.env["retail.order.importer"]._pricelist(self.case.backend, code)
        return "hold", None, hold

    # Calls out

    def _carrier_down(self, i):
        if i % 2:
            client = CarrierClient(f"http://127.0.0.1:{_closed_port()}", max_attempts=1, timeout=5)
        else:
            self.carrier.down = True
            client = CarrierClient(self.carrier.url, max_attempts=1, timeout=5)
        error = _error_of(
            lambda: client.create_label({"recipient": {"zip": f"7500{i % 9}"}}, f"SO{i:05d}")
        )
        self.carrier.down = False
        return "job", "retail.order.flow._retry_label", error

    def _client(self, i):
        client = ApiClient(self.channel.url, max_attempts=1, max_retry_wait=5, timeout=5)
        client.channel = ("Shopify", "Mirakl", "The channel")[i % 3]
        return client

    def _throttled(self, i):
        path = f"/api/orders/{1000 + i}/ship"
        self.channel.answer((429, {"errors": "slow"}, {"Retry-After": str(60 + i * 7)}))
        client = self._client(i)
        return "outbox", "fulfillment", _error_of(lambda: client.send("POST", path, json={}))

    def _credentials(self, i):
        path = f"/api/inventory/{i}"
        status, words = ((401, "Invalid API key or access token"), (403, "Forbidden"))[i % 2]
        self.channel.answer((status, {"errors": f"{words} (request {i:08x})"}))
        client = self._client(i)
        return "outbox", "stock", _error_of(lambda: client.send("GET", path))

    # Never in the training sample

    def _contention(self, i):
        errors = (psycopg2.errors.SerializationFailure, psycopg2.errors.DeadlockDetected)
        return "event", "order.updated", describe_error(errors[i % 2]())


def label_of(kind):
    """``(cause, fix, team name)`` people recorded for ``kind``."""
    return KNOWN_FIXES[kind]
