"""A fake Mirakl marketplace for tests: a real HTTP server on 127.0.0.1 speaking the seller API.

It plays what /work/shared/CHANNELS.md (section Mirakl) describes: the raw-key
``Authorization`` header (no "Bearer"), ``shop_id=`` on every call of a multi-shop key,
A01 (account), OR11 (orders, filtered and paginated, with Mirakl's safety delta on
``start_update_date``), OR21 (accept/refuse lines), OR23/OR24 (tracking, ship), OR28 (refunds),
OR29 (cancel), RE01 (reasons) and STO01/STO02/STO03 (stock imports). Orders follow Mirakl's
state machine — WAITING_ACCEPTANCE → WAITING_DEBIT → WAITING_DEBIT_PAYMENT → SHIPPING →
SHIPPED → RECEIVED → CLOSED, or REFUSED / CANCELED — with the customer's addresses ``null``
until SHIPPING, and an operator that refuses orders left undecided past the acceptance
deadline. Time is the fake's own clock, which tests move. State is plain Python that tests
arrange and assert on; faults (5xx, a timeout, a connection reset, a 429) are queued on
demand::

    with FakeMirakl(api_key="k") as mirakl:
        order = mirakl.add_order(lines=[{"offer_sku": "MUG", "quantity": 2, "price_unit": 9.5}])
        mirakl.fail_next("5xx", api="OR24")       # the connector's next ship call gets a 502
        ...                                      # base URL = mirakl.base_url
        mirakl.now += timedelta(days=4)          # past the acceptance deadline
        mirakl.expire_deadlines()                # (or lazily on the next request)
        assert mirakl.order(order["order_id"])["order_state"] == "REFUSED"
        assert not mirakl.server_errors
"""

import copy
import csv
import email
import email.policy
import io
import itertools
import json
import math
import re
import socket
import socketserver
import struct
import threading
import traceback
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_API_KEY = "5e4f1c2a-9b7d-4a3e-8f60-0123456789ab"
FAULT_KINDS = ("5xx", "timeout", "reset", "429")
ORDER_STATES = (
    "STAGING", "WAITING_ACCEPTANCE", "WAITING_DEBIT", "WAITING_DEBIT_PAYMENT", "SHIPPING",
    "SHIPPED", "TO_COLLECT", "RECEIVED", "CLOSED", "REFUSED", "CANCELED",
)  # fmt: skip
# advance(): one step along the happy path.
NEXT_STATE = {
    "STAGING": "WAITING_ACCEPTANCE",
    "WAITING_DEBIT": "WAITING_DEBIT_PAYMENT",
    "WAITING_DEBIT_PAYMENT": "SHIPPING",
    "SHIPPED": "RECEIVED",
    "RECEIVED": "CLOSED",
}
BEFORE_SHIPPED = ("STAGING", "WAITING_ACCEPTANCE", "WAITING_DEBIT", "WAITING_DEBIT_PAYMENT")
CANCELABLE = (*BEFORE_SHIPPED, "SHIPPING")
REFUNDABLE = ("SHIPPING", "SHIPPED", "TO_COLLECT", "RECEIVED", "CLOSED")
# Line states that no longer follow the order's state.
FINAL_LINE_STATES = ("REFUSED", "CANCELED", "REFUNDED")
KNOWN_CARRIERS = {
    "UPS": ("UPS", "https://www.ups.com/track?tracknum={tracking}"),
    "DHL": ("DHL", "https://www.dhl.com/track?id={tracking}"),
    "COLISSIMO": ("Colissimo", "https://www.laposte.fr/outils/suivre-vos-envois?code={tracking}"),
    "CHRONOPOST": ("Chronopost", "https://www.chronopost.fr/tracking?listeNumeros={tracking}"),
}
DEFAULT_REASONS = (
    {"code": "34", "label": "Product unavailable", "type": "REFUND"},
    {"code": "35", "label": "Damaged product", "type": "REFUND"},
    {"code": "36", "label": "Customer return", "type": "REFUND"},
    {"code": "40", "label": "Out of stock", "type": "ORDER_CANCEL"},
    {"code": "41", "label": "Cancelled by the customer", "type": "ORDER_CANCEL"},
    {"code": "OPERATOR_CANCEL", "label": "Cancelled by the operator", "type": "ORDER_CANCEL"},
    {"code": "16", "label": "Item not received", "type": "INCIDENT_OPEN"},
)
STOCK_COLUMNS = ("offer-sku", "quantity", "warehouse-code", "update-delete")
CENT = Decimal("0.01")


# -- Time, money ----------------------------------------------------------------------------


def utcnow():
    return datetime.now(UTC).replace(microsecond=0)


def iso(value):
    """Mirakl's dates: ISO-8601 UTC with ``Z`` (``2026-11-02T09:00:00Z``); None stays None."""
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value):
    """An ISO-8601 date as sent in a query (``Z``, an offset or naive UTC); ValueError if not."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def dec(value):
    return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)


def num(value):
    """An amount as a JSON number (Mirakl sends numbers, not strings)."""
    return float(dec(value))


def as_timedelta(value):
    if value is None or isinstance(value, timedelta):
        return value
    return timedelta(seconds=value)


def tax_amount(base, rate, included):
    base, rate = Decimal(str(base)), Decimal(str(rate))
    amount = base * rate / (100 + rate) if included else base * rate / 100
    return dec(amount)


def error_body(status, message, code=None, **extra):
    """Mirakl's error shape: ``{"message", "status"}``; coded errors add ``errors[]``."""
    body = {"message": message, "status": status}
    if code:
        body["errors"] = [{"code": code, "message": message, **extra}]
    return body


class MiraklError(Exception):
    def __init__(self, status, message, code=None, **extra):
        super().__init__(message)
        self.status = status
        self.body = error_body(status, message, code, **extra)


# -- HTTP plumbing -------------------------------------------------------------------------


@dataclass
class Fault:
    kind: str
    status: int | None = None
    seconds: float | None = None
    retry_after: int | None = None
    api: str | None = None


@dataclass
class LoggedRequest:
    """One request the fake received; ``status`` is None when it never answered."""

    method: str
    path: str  # without the query string
    query: dict  # name → last value
    headers: dict  # lower-case names
    body: bytes
    api: str | None = None  # "OR11", "OR21", ... (None: an unknown path)
    status: int | None = None
    fault: str | None = None
    throttled: bool = False

    def json(self):
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    drop: str | None = None  # "reset" or "timeout": no answer at all
    hang: float = 0.0


def json_reply(status, payload, headers=None):
    body = json.dumps(payload).encode()
    return Reply(
        status, body, {"Content-Type": "application/json;charset=UTF-8", **(headers or {})}
    )


def empty_reply(status=204):
    return Reply(status)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = True  # server_close() joins every handler thread

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)  # no reverse DNS lookup (getfqdn)
        self.server_name, self.server_port = self.server_address[:2]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeMirakl"
    sys_version = ""
    timeout = 10  # seconds an idle or slow client may hold a handler thread

    def do_GET(self):
        self._serve()

    def do_PUT(self):
        self._serve()

    def do_POST(self):
        self._serve()

    def do_DELETE(self):
        self._serve()

    def _serve(self):
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        reply = fake.respond(self.command, self.path, self.headers, body)
        if reply.drop == "timeout":
            fake._stopping.wait(reply.hang)
        if reply.drop:
            self._reset()
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("X-Mirakl-Request-Id", str(uuid.uuid4()))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(reply.body)

    def _reset(self):
        """Close without answering; SO_LINGER 0 makes the close a TCP reset."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def log_message(self, format, *args):  # quiet: tests read fake.request_log
        pass


# (method, path regex, API code, handler method name)
ROUTES = (
    ("GET", r"/api/account", "A01", "_account"),
    ("GET", r"/api/orders", "OR11", "_list_orders"),
    ("PUT", r"/api/orders/refund", "OR28", "_refund"),
    ("PUT", r"/api/orders/cancel", "OR30", "_cancel_lines"),
    ("PUT", r"/api/orders/(?P<order_id>[^/]+)/accept", "OR21", "_accept"),
    ("PUT", r"/api/orders/(?P<order_id>[^/]+)/tracking", "OR23", "_tracking"),
    ("PUT", r"/api/orders/(?P<order_id>[^/]+)/ship", "OR24", "_ship"),
    ("PUT", r"/api/orders/(?P<order_id>[^/]+)/cancel", "OR29", "_cancel"),
    ("GET", r"/api/reasons", "RE01", "_reasons"),
    ("POST", r"/api/offers/stock/imports", "STO01", "_stock_import"),
    ("GET", r"/api/offers/stock/imports/(?P<import_id>\d+)", "STO02", "_stock_import_status"),
    (
        "GET",
        r"/api/offers/stock/imports/(?P<import_id>\d+)/error_report",
        "STO03",
        "_stock_import_errors",
    ),
)
_ROUTES = [(method, re.compile(path), api, name) for method, path, api, name in ROUTES]


# -- The fake marketplace ------------------------------------------------------------------


class FakeMirakl:
    """A Mirakl operator's seller API for one shop, on 127.0.0.1 (``with FakeMirakl() as m:``).

    Knobs: ``api_key`` (the raw key); ``shop_id`` (a multi-shop key: every call must carry
    ``shop_id=<it>``; None: a single-shop key, the account's id is ``account_shop_id``);
    ``operator_allows_partial_acceptance``; ``acceptance_deadline`` (None: never);
    ``auto_accept`` (the operator accepts every line as soon as an order waits for acceptance);
    ``debit_delay`` (after acceptance, WAITING_DEBIT → WAITING_DEBIT_PAYMENT → SHIPPING: 0 at
    once, seconds or a timedelta on the fake clock, None only through ``advance()``);
    ``reveal_addresses_at`` ("SHIPPING", or "WAITING_DEBIT" for operators that reveal them on
    acceptance); ``rate_limit`` (minimum seconds between two OR11 calls; faster → 429 with
    Retry-After; 0: off) and ``stock_rate_limit`` (the same for STO01; None: as
    ``rate_limit``); ``max_page`` (largest ``max``); ``update_overlap`` (the safety delta
    subtracted from ``start_update_date``); ``sort_by`` (OR11's order: "last_updated_date" or
    "created_date", ascending; ``order=desc`` reverses it); ``clock`` (a callable giving an
    aware datetime; ``fake.now`` moves on from it when assigned).
    """

    def __init__(
        self,
        *,
        api_key=DEFAULT_API_KEY,
        shop_id=None,
        shop_name="Retail Connect Shop",
        account_shop_id=2001,
        currency="EUR",
        operator="marketplace",
        operator_allows_partial_acceptance=True,
        acceptance_deadline=timedelta(days=3),
        auto_accept=False,
        debit_delay=0,
        reveal_addresses_at="SHIPPING",
        leadtime_to_ship=2,
        commission_rate=Decimal("0.15"),
        rate_limit=0,
        stock_rate_limit=None,
        max_page=100,
        default_page=10,
        update_overlap=timedelta(seconds=5),
        sort_by="last_updated_date",
        clock: Callable[[], datetime] | None = None,
        timeout_seconds=5.0,
        first_order=1001,
        reasons=DEFAULT_REASONS,
    ):
        if reveal_addresses_at not in ("SHIPPING", "WAITING_DEBIT"):
            raise ValueError("reveal_addresses_at: SHIPPING or WAITING_DEBIT")
        self.api_key = api_key
        self.shop_id = shop_id
        self.shop_name = shop_name
        self.account_shop_id = shop_id if shop_id is not None else account_shop_id
        self.currency = currency
        self.operator = operator
        self.operator_allows_partial_acceptance = operator_allows_partial_acceptance
        self.acceptance_deadline = as_timedelta(acceptance_deadline)
        self.auto_accept = auto_accept
        self.debit_delay = as_timedelta(debit_delay)
        self.reveal_addresses_at = reveal_addresses_at
        self.leadtime_to_ship = leadtime_to_ship
        self.commission_rate = Decimal(str(commission_rate))
        self.rate_limit = rate_limit
        self.stock_rate_limit = rate_limit if stock_rate_limit is None else stock_rate_limit
        self.max_page = max_page
        self.default_page = default_page
        self.update_overlap = as_timedelta(update_overlap)
        if sort_by not in ("last_updated_date", "created_date"):
            raise ValueError("sort_by: last_updated_date or created_date")
        self.sort_by = sort_by
        self.timeout_seconds = timeout_seconds
        self.reasons = [dict(reason) for reason in reasons]
        self.carriers = dict(KNOWN_CARRIERS)
        self._clock = clock or utcnow
        self._offset = timedelta(0)
        # State that tests arrange and assert on
        self.orders = {}  # order_id → the payload OR11 answers (live dict)
        self._meta = {}  # order_id → {"addresses", "deadline", "accepted_at", "tracked"}
        self.transitions = []  # (order_id, from_state, to_state, when)
        self.offers = {}  # offer_sku → quantity; empty: STO01 accepts any SKU
        self.stock = {}  # offer_sku → last quantity imported (any warehouse)
        self.warehouse_stock = {}  # (offer_sku, warehouse_code or None) → quantity
        self.stock_imports = {}  # import_id → record
        self.refunds = {}  # refund_id → (order_line_id, refund)
        self.accept_calls = []  # (order_id, {line_id: accepted}) of every applied OR21
        self._order_numbers = itertools.count(first_order)
        self._refund_ids = itertools.count(5001)
        self._cancel_ids = itertools.count(7001)
        self._import_ids = itertools.count(1)
        self._last_call = {}  # api → the fake time of the last call let through
        # HTTP
        self.lock = threading.RLock()
        self.faults = deque()
        self.request_log = []
        self.server_errors = []  # tracebacks of bugs in the fake itself
        self._stopping = threading.Event()
        self._server = None
        self._thread = None

    # Lifecycle

    def start(self):
        if self._server is None:
            self._stopping.clear()
            self._server = _Server(("127.0.0.1", 0), _Handler)
            self._server.fake = self
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"fake-mirakl-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self):
        """Stop serving, wake held requests, close the port and join every thread."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self):
        return self._server.server_address[1]

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    # Time

    @property
    def now(self):
        moment = self._clock()
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return moment + self._offset

    @now.setter
    def now(self, value):
        """``fake.now += timedelta(days=4)``: the fake's clock jumps (and keeps running)."""
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        self._offset += value - self.now

    # Knobs and faults

    def fail_next(self, kind, times=1, *, status=None, seconds=None, retry_after=None, api=None):
        """Fault the next ``times`` requests (only those to ``api``, e.g. "OR24", if given).

        ``5xx`` (``status``, default 502: an HTML gateway page for 502/504, Mirakl's JSON error
        otherwise; optional ``retry_after``), ``timeout`` (hold the request ``seconds``,
        default ``timeout_seconds``, then close without answering), ``reset`` (TCP reset, no
        answer), ``429`` (``retry_after`` seconds, default 1). A fault is checked before
        authentication, and the faulted call changes nothing.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; choose from {FAULT_KINDS}")
        with self.lock:
            self.faults.extend(Fault(kind, status, seconds, retry_after, api) for _ in range(times))

    def clear_log(self):
        self.request_log.clear()

    def requests_to(self, api):
        """The logged requests to one API (``"OR11"``, ``"OR21"``...)."""
        return [entry for entry in self.request_log if entry.api == api]

    # Arranging orders

    def add_order(
        self,
        lines,
        *,
        tax_mode="TAX_INCLUDED",
        shipping_price=0,
        customer=None,
        currency=None,
        created=None,
        state="WAITING_ACCEPTANCE",
        order_id=None,
        leadtime_to_ship=None,
        extra=None,
    ):
        """A new order as the operator creates it; returns its (live) payload.

        ``lines``: ``{"offer_sku", "price_unit", "quantity"=1, "tax_rate"=20 (percent),
        "tax_code"="TVA", "shipping_price", "product_sku", "product_title",
        "commission_rate", "extra"}``; an order-level ``shipping_price`` goes on the first
        line. ``customer``: ``firstname``, ``lastname``, ``civility``, ``locale``,
        ``billing_address``/``shipping_address`` (dicts merged over a default French
        address). ``state``: "WAITING_ACCEPTANCE" or "STAGING". ``extra``: fields merged into
        the payload (tolerance probes).
        """
        if tax_mode not in ("TAX_INCLUDED", "TAX_EXCLUDED"):
            raise ValueError("tax_mode: TAX_INCLUDED or TAX_EXCLUDED")
        if state not in ("WAITING_ACCEPTANCE", "STAGING"):
            raise ValueError("new orders start in WAITING_ACCEPTANCE or STAGING")
        if not lines:
            raise ValueError("an order needs lines")
        with self.lock:
            now = self.now if created is None else created
            number = next(self._order_numbers)
            commercial_id = f"CMD-{number}"
            order_id = order_id or f"{commercial_id}-A"
            if order_id in self.orders:
                raise ValueError(f"order {order_id} exists")
            included = tax_mode == "TAX_INCLUDED"
            leadtime = self.leadtime_to_ship if leadtime_to_ship is None else leadtime_to_ship
            order_lines = []
            for index, spec in enumerate(lines, start=1):
                line_shipping = spec.get("shipping_price")
                if line_shipping is None:
                    line_shipping = shipping_price if index == 1 else 0
                order_lines.append(
                    self._new_line(order_id, index, spec, line_shipping, included, state)
                )
            customer = dict(customer or {})
            firstname = customer.get("firstname", "Camille")
            lastname = customer.get("lastname", "Martin")
            addresses = {
                kind: self._address(customer.get(kind), firstname, lastname)
                for kind in ("billing_address", "shipping_address")
            }
            order = {
                "order_id": order_id,
                "commercial_id": commercial_id,
                "created_date": iso(now),
                "last_updated_date": iso(now),
                "acceptance_decision_date": None,
                "order_state": state,
                "order_state_reason_code": None,
                "order_state_reason_label": None,
                "currency_iso_code": currency or self.currency,
                "payment_workflow": "PAY_ON_ACCEPTANCE",
                "payment_type": "CREDIT_CARD",
                "order_tax_mode": tax_mode,
                "price": 0,
                "shipping_price": 0,
                "total_price": 0,
                "total_commission": 0,
                "shipping_deadline": iso(now + timedelta(days=leadtime)),
                "leadtime_to_ship": leadtime,
                "shipping_type_code": "STD",
                "shipping_type_label": "Standard",
                "shipping_zone_code": "FR-METRO",
                "shipping_tracking": None,
                "shipping_tracking_url": None,
                "shipping_carrier_code": None,
                "shipping_company": None,
                "customer_notification_email": (
                    f"{uuid.uuid4().hex[:20]}@relay.{self.operator}.example"
                ),
                "customer": {
                    "customer_id": f"C-{uuid.uuid4().hex[:12]}",
                    "firstname": firstname,
                    "lastname": lastname,
                    "civility": customer.get("civility", "MME"),
                    "locale": customer.get("locale", "fr_FR"),
                    "billing_address": None,
                    "shipping_address": None,
                },
                "order_lines": order_lines,
                # Fields the connector doesn't read: tolerance probes.
                "channel": {"code": "FR", "label": "France"},
                "fulfillment": {"center": {"code": "DEFAULT"}},
                "order_additional_fields": [],
                "references": {"order_reference_for_customer": commercial_id},
                "has_customer_message": False,
                "has_incident": False,
                "promotions": {"applied_promotions": [], "total_deduced_amount": 0},
                "quote_id": None,
            }
            order.update(copy.deepcopy(extra or {}))
            self.orders[order_id] = order
            self._meta[order_id] = {
                "addresses": addresses,
                "deadline": None,
                "accepted_at": None,
                "tracked": False,
                "leadtime": leadtime,
            }
            self._recompute(order)
            if state == "WAITING_ACCEPTANCE":
                self._entered_waiting_acceptance(order, since=now)
            return order

    def add_offer(self, offer_sku, quantity=0):
        """Declare an offer: once any exists, STO01 rows for unknown SKUs are errors."""
        with self.lock:
            self.offers[offer_sku] = quantity
            self.stock.setdefault(offer_sku, quantity)

    def order(self, order_id):
        """The live payload of an order (KeyError if unknown)."""
        return self.orders[order_id]

    def line(self, order_line_id):
        order_id = order_line_id.rsplit("-", 1)[0]
        order = self.orders[order_id]
        return next(line for line in order["order_lines"] if line["order_line_id"] == order_line_id)

    # Operator-side moves

    def advance(self, order_id):
        """One step along the happy path (STAGING → WAITING_ACCEPTANCE, WAITING_DEBIT →
        WAITING_DEBIT_PAYMENT → SHIPPING, SHIPPED → RECEIVED → CLOSED); returns the state."""
        with self.lock:
            order = self.orders[order_id]
            target = NEXT_STATE.get(order["order_state"])
            if target is None:
                raise ValueError(f"{order_id} in {order['order_state']} has no next step")
            self._set_state(order, target)
            if target == "WAITING_ACCEPTANCE":
                self._entered_waiting_acceptance(order)
            return target

    def expire_deadlines(self):
        """Refuse every order still waiting for acceptance past its deadline; their ids."""
        with self.lock:
            refused = []
            for order_id, order in self.orders.items():
                deadline = self._meta[order_id]["deadline"]
                if (
                    order["order_state"] == "WAITING_ACCEPTANCE"
                    and deadline
                    and self.now >= deadline
                ):
                    for line in order["order_lines"]:
                        line["order_line_state"] = "REFUSED"
                    order["order_state_reason_code"] = "ACCEPTANCE_DEADLINE_EXPIRED"
                    order["order_state_reason_label"] = "Not accepted before the deadline"
                    self._set_state(order, "REFUSED")
                    self._recompute(order)
                    refused.append(order_id)
            return refused

    def tick(self):
        """What time does on its own: deadlines expire, debits complete (runs on each call)."""
        with self.lock:
            self.expire_deadlines()
            if self.debit_delay:
                for order_id, order in self.orders.items():
                    accepted_at = self._meta[order_id]["accepted_at"]
                    waiting = order["order_state"] in ("WAITING_DEBIT", "WAITING_DEBIT_PAYMENT")
                    if waiting and accepted_at and self.now >= accepted_at + self.debit_delay:
                        self._debit(order)

    def operator_cancel(self, order_id, reason_code="OPERATOR_CANCEL"):
        """The operator (or the customer through it) cancels an order not yet shipped."""
        with self.lock:
            order = self.orders[order_id]
            if order["order_state"] not in CANCELABLE:
                raise ValueError(f"{order_id} in {order['order_state']} can't be canceled")
            self._cancel_order(order, reason_code)

    def operator_refund(
        self, order_line_id, *, amount=None, shipping_amount=0, quantity=None, reason_code="36"
    ):
        """The operator refunds a line (all of it by default); returns the refund id."""
        line = self.line(order_line_id)
        if quantity is None and amount is None:
            quantity = line["quantity"] - self._refunded(line)["quantity"]
        if amount is None:
            amount = dec(line["price_unit"]) * quantity
        request = {
            "order_line_id": order_line_id,
            "amount": float(amount),
            "shipping_amount": shipping_amount,
            "quantity": quantity,
            "reason_code": reason_code,
        }
        with self.lock:
            [(_line_id, refund_id)] = self._apply_refunds([request])
            return refund_id

    def operator_cancel_line(self, order_line_id, quantity=None, reason_code="OPERATOR_CANCEL"):
        """The operator cancels units of a line of a SHIPPING order (all that is left by
        default); returns the cancelation id."""
        line = self.line(order_line_id)
        if quantity is None:
            quantity = line["quantity"] - self._cancelled(line)["quantity"]
        request = {
            "order_line_id": order_line_id,
            "quantity": quantity,
            "amount": float(dec(line["price_unit"]) * quantity),
            "reason_code": reason_code,
        }
        with self.lock:
            [(_line_id, cancel_id)] = self._apply_cancelations([request])
            return cancel_id

    # Requests

    def respond(self, method, path, headers, body):
        """Answer one HTTP request (called by the handler thread)."""
        parts = urlsplit(path)
        query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        entry = LoggedRequest(
            method, parts.path, query, {k.lower(): v for k, v in headers.items()}, body
        )
        self.request_log.append(entry)
        try:
            route = self._route(method, parts.path)
            entry.api = route[0] if route else None
            with self.lock:
                fault = self._take_fault(entry.api)
            if fault:
                entry.fault = fault.kind
                reply = self._fault_reply(fault)
            else:
                reply = self._dispatch(entry, route)
        except Exception:  # noqa: BLE001 - a bug in the fake: answer 500 and keep it for tests
            self.server_errors.append(traceback.format_exc())
            reply = Reply(500, traceback.format_exc().encode(), {"Content-Type": "text/plain"})
        entry.status = None if reply.drop else reply.status
        entry.throttled = entry.status == 429
        return reply

    def _route(self, method, url_path):
        for route_method, pattern, api, name in _ROUTES:
            match = pattern.fullmatch(url_path)
            if match and route_method == method:
                return api, name, {key: unquote(value) for key, value in match.groupdict().items()}
        return None

    def _take_fault(self, api):
        for fault in self.faults:
            if fault.api is None or fault.api == api:
                self.faults.remove(fault)
                return fault
        return None

    def _fault_reply(self, fault):
        if fault.kind == "5xx":
            status = fault.status or 502
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            if status in (502, 504):
                title = f"{status} {HTTPStatus(status).phrase}"
                html = (
                    f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
                    f"<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
                )
                return Reply(status, html.encode(), {"Content-Type": "text/html", **headers})
            message = HTTPStatus(status).phrase
            return json_reply(status, error_body(status, message), headers)
        if fault.kind == "429":
            retry_after = 1 if fault.retry_after is None else fault.retry_after
            return self._too_many(retry_after)
        if fault.kind == "timeout":
            seconds = self.timeout_seconds if fault.seconds is None else fault.seconds
            return Reply(drop="timeout", hang=seconds)
        return Reply(drop="reset")

    @staticmethod
    def _too_many(retry_after):
        body = error_body(429, "Too many requests: retry later")
        return json_reply(429, body, {"Retry-After": str(retry_after)})

    def _dispatch(self, entry, route):
        authorization = entry.headers.get("authorization")
        if not authorization or authorization != self.api_key:
            return json_reply(401, error_body(401, "Unauthorized"))
        if self.shop_id is not None:
            given = entry.query.get("shop_id")
            if not given:
                message = "This API key gives access to several shops: shop_id is required"
                return json_reply(400, error_body(400, message))
            if given != str(self.shop_id):
                return json_reply(403, error_body(403, f"Access denied to the shop {given}"))
        if route is None:
            return json_reply(404, error_body(404, "Not Found"))
        api, name, params = route
        with self.lock:
            self.tick()
            limit = self.stock_rate_limit if api == "STO01" else self.rate_limit
            if limit and api in ("OR11", "STO01"):
                last = self._last_call.get(api)
                if last is not None:
                    wait = limit - (self.now - last).total_seconds()
                    if wait > 0:
                        return self._too_many(max(1, math.ceil(wait)))
            try:
                reply = getattr(self, name)(entry, **params)
            except MiraklError as error:
                return json_reply(error.status, error.body)
            if limit and api in ("OR11", "STO01"):
                self._last_call[api] = self.now
            return reply

    def _json_body(self, entry):
        try:
            payload = json.loads(entry.body or b"null")
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            raise MiraklError(400, "The request body must be a JSON object")
        return payload

    def _find(self, order_id):
        order = self.orders.get(order_id)
        if order is None:
            raise MiraklError(404, f"Order with id {order_id} not found")
        return order

    # A01, RE01

    def _account(self, entry):
        return json_reply(
            200,
            {
                "shop_id": self.account_shop_id,
                "shop_name": self.shop_name,
                "shop_state": "OPEN",
                "currency_iso_code": self.currency,
                "is_professional": True,
                "premium": False,
                "offers_count": len(self.offers),
                "channels": [{"code": "FR", "label": "France"}],
                "contact_informations": {"email": "seller@example.com", "country": "FRA"},
                "shipping_info": {"default_shipping_type_code": "STD"},
                "domains": [],
            },
        )

    def _reasons(self, entry):
        wanted = entry.query.get("type")
        reasons = [r for r in self.reasons if not wanted or r["type"] == wanted]
        return json_reply(200, {"reasons": reasons})

    # OR11

    def _int_param(self, entry, name, default, minimum):
        raw = entry.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise MiraklError(400, f"Invalid value '{raw}' for parameter '{name}'") from None
        if value < minimum:
            raise MiraklError(400, f"Parameter '{name}' must be at least {minimum}")
        return value

    def _time_param(self, entry, name):
        raw = entry.query.get(name)
        if not raw:
            return None
        try:
            return parse_time(raw)
        except ValueError:
            raise MiraklError(400, f"Invalid date '{raw}' for parameter '{name}'") from None

    def _list_orders(self, entry):
        size = self._int_param(entry, "max", self.default_page, 1)
        if size > self.max_page:
            raise MiraklError(400, f"Parameter 'max' must not exceed {self.max_page}")
        offset = self._int_param(entry, "offset", 0, 0)
        paginate = entry.query.get("paginate", "true").lower() != "false"
        ids = {i for i in entry.query.get("order_ids", "").split(",") if i}
        states = {s for s in entry.query.get("order_state_codes", "").split(",") if s}
        unknown = states - set(ORDER_STATES)
        if unknown:
            raise MiraklError(400, f"Unknown order state code(s): {', '.join(sorted(unknown))}")
        start_update = self._time_param(entry, "start_update_date")
        end_update = self._time_param(entry, "end_update_date")
        start_created = self._time_param(entry, "start_date")
        end_created = self._time_param(entry, "end_date")
        if start_update is not None and self.update_overlap:
            start_update -= self.update_overlap  # Mirakl's safety delta
        found = []
        for order in self.orders.values():
            updated, created = (
                parse_time(order["last_updated_date"]),
                parse_time(order["created_date"]),
            )
            if (
                (ids and order["order_id"] not in ids)
                or (states and order["order_state"] not in states)
                or (start_update and updated < start_update)
                or (end_update and updated > end_update)
                or (start_created and created < start_created)
                or (end_created and created > end_created)
            ):
                continue
            found.append(order)
        found.sort(key=lambda o: (parse_time(o[self.sort_by]), o["order_id"]))
        if entry.query.get("order", "asc").lower() == "desc":
            found.reverse()
        page = found[offset : offset + size] if paginate else found
        return json_reply(200, {"orders": copy.deepcopy(page), "total_count": len(found)})

    # OR21

    def _accept(self, entry, order_id):
        order = self._find(order_id)
        payload = self._json_body(entry)
        decisions = payload.get("order_lines")
        if not isinstance(decisions, list) or not decisions:
            raise MiraklError(400, "order_lines is required", "ORDER_LINES_REQUIRED")
        if order["order_state"] != "WAITING_ACCEPTANCE":
            message = (
                f"Order {order_id} is in state {order['order_state']}: only orders in "
                "WAITING_ACCEPTANCE can be accepted or refused"
            )
            raise MiraklError(400, message, "ORDER_NOT_WAITING_ACCEPTANCE")
        lines = {line["order_line_id"]: line for line in order["order_lines"]}
        chosen = {}
        for decision in decisions:
            line_id = decision.get("id") if isinstance(decision, dict) else None
            accepted = decision.get("accepted") if isinstance(decision, dict) else None
            if line_id not in lines:
                message = f"Order line {line_id} not found in order {order_id}"
                raise MiraklError(400, message, "ORDER_LINE_NOT_FOUND", field="id")
            if not isinstance(accepted, bool):
                message = f"accepted must be true or false for the order line {line_id}"
                raise MiraklError(400, message, "ORDER_LINE_ACCEPTED_INVALID", field="accepted")
            chosen[line_id] = accepted
        missing = sorted(set(lines) - set(chosen))
        if missing:
            message = f"No acceptance decision for the order line(s) {', '.join(missing)}"
            raise MiraklError(400, message, "ORDER_LINE_ACCEPTANCE_DECISION_MISSING")
        if len(set(chosen.values())) > 1 and not self.operator_allows_partial_acceptance:
            message = "The operator does not allow accepting only part of an order"
            raise MiraklError(400, message, "ORDER_PARTIAL_ACCEPTANCE_DISABLED")
        self.accept_calls.append((order_id, dict(chosen)))
        self._decide(order, chosen)
        return empty_reply()

    # OR23, OR24

    def _tracking(self, entry, order_id):
        order = self._find(order_id)
        payload = self._json_body(entry)
        if order["order_state"] != "SHIPPING":
            message = f"Order {order_id} is in state {order['order_state']}, not SHIPPING"
            raise MiraklError(400, message, "ORDER_NOT_SHIPPING")
        code, name = payload.get("carrier_code"), payload.get("carrier_name")
        tracking = payload.get("tracking_number")
        if not code and not name:
            raise MiraklError(400, "carrier_code or carrier_name is required", "CARRIER_REQUIRED")
        if code and code not in self.carriers:
            raise MiraklError(400, f"Unknown carrier code {code}", "CARRIER_UNKNOWN")
        if code and not tracking:
            message = "tracking_number is required with a carrier_code"
            raise MiraklError(400, message, "TRACKING_NUMBER_REQUIRED")
        url = payload.get("carrier_url")
        if code:
            name, template = self.carriers[code]
            url = template.format(tracking=tracking)
        order.update(
            shipping_carrier_code=code,
            shipping_company=name,
            shipping_tracking=tracking,
            shipping_tracking_url=url,
        )
        self._meta[order_id]["tracked"] = True
        self._touch(order)
        return empty_reply()

    def _ship(self, entry, order_id):
        order = self._find(order_id)
        if order["order_state"] != "SHIPPING":
            message = f"Order {order_id} is in state {order['order_state']}, not SHIPPING"
            raise MiraklError(400, message, "ORDER_NOT_SHIPPING")
        if not self._meta[order_id]["tracked"]:
            message = f"Order {order_id} has no tracking information (OR23) yet"
            raise MiraklError(400, message, "TRACKING_INFORMATION_MISSING")
        self._set_state(order, "SHIPPED")
        return empty_reply()

    # OR28, OR29

    def _refund(self, entry):
        payload = self._json_body(entry)
        requests_ = payload.get("refunds")
        if not isinstance(requests_, list) or not requests_:
            raise MiraklError(400, "refunds is required", "REFUNDS_REQUIRED")
        done = self._apply_refunds(requests_)
        return json_reply(
            200,
            {"refunds": [{"order_line_id": line, "refund_id": rid} for line, rid in done]},
        )

    def _cancel(self, entry, order_id):
        order = self._find(order_id)
        if order["order_state"] not in CANCELABLE:
            message = f"Order {order_id} is in state {order['order_state']}: it can't be canceled"
            raise MiraklError(400, message, "ORDER_NOT_CANCELABLE")
        self._cancel_order(order, "40")
        return empty_reply()

    # OR30

    def _cancel_lines(self, entry):
        payload = self._json_body(entry)
        requests_ = payload.get("cancelations")
        if not isinstance(requests_, list) or not requests_:
            raise MiraklError(400, "cancelations is required", "CANCELATIONS_REQUIRED")
        done = self._apply_cancelations(requests_)
        return json_reply(
            200,
            {"cancelations": [{"order_line_id": line, "id": cid} for line, cid in done]},
        )

    # STO01-03

    def _stock_import(self, entry):
        content_type = entry.headers.get("content-type", "")
        if not content_type.lower().startswith("multipart/form-data"):
            raise MiraklError(400, "The file must be sent as multipart/form-data")
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        message = email.message_from_bytes(head + entry.body, policy=email.policy.HTTP)
        parts = {
            part.get_param("name", header="content-disposition"): part
            for part in (message.iter_parts() if message.is_multipart() else ())
        }
        if "file" not in parts:
            raise MiraklError(400, "The 'file' part is required")
        data = parts["file"].get_payload(decode=True) or b""
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise MiraklError(400, "The file must be UTF-8") from None
        rows = list(csv.reader(io.StringIO(text), delimiter=";"))
        header = [name.strip() for name in rows[0]] if rows else []
        if "offer-sku" not in header or "quantity" not in header:
            raise MiraklError(400, "The file needs the columns offer-sku and quantity")
        import_id = next(self._import_ids)
        record = {
            "import_id": import_id,
            "date_created": iso(self.now),
            "header": header,
            "rows": [],
            "errors": [],
        }
        for number, row in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue
            values = dict(zip(header, (cell.strip() for cell in row), strict=False))
            error = self._stock_row(values)
            if error:
                record["errors"].append({"line": number, "row": row, "message": error})
            else:
                record["rows"].append(values)
        record.update(
            import_status="COMPLETE",
            lines_read=len(record["rows"]) + len(record["errors"]),
            lines_in_success=len(record["rows"]),
            lines_in_error=len(record["errors"]),
        )
        self.stock_imports[import_id] = record
        return json_reply(201, {"import_id": import_id})

    def _stock_row(self, values):
        sku, raw = values.get("offer-sku", ""), values.get("quantity", "")
        action = values.get("update-delete", "").lower() or "update"
        warehouse = values.get("warehouse-code") or None
        if not sku:
            return "offer-sku is required"
        if self.offers and sku not in self.offers:
            return f"The offer {sku} does not exist"
        if action not in ("update", "delete"):
            return f"update-delete must be update or delete, not {action}"
        if action == "delete":
            self.stock.pop(sku, None)
            self.warehouse_stock.pop((sku, warehouse), None)
            return None
        if not raw.isdigit():
            return f"quantity must be a whole number >= 0, not '{raw}'"
        self.stock[sku] = int(raw)
        self.warehouse_stock[(sku, warehouse)] = int(raw)
        if sku in self.offers:
            self.offers[sku] = int(raw)
        return None

    def _stock_import_status(self, entry, import_id):
        record = self.stock_imports.get(int(import_id))
        if record is None:
            raise MiraklError(404, f"Import {import_id} not found")
        keys = ("import_id", "import_status", "date_created", "lines_read", "lines_in_success")
        answer = {key: record[key] for key in keys}
        answer.update(
            lines_in_error=record["lines_in_error"], has_error_report=bool(record["errors"])
        )
        return json_reply(200, answer)

    def _stock_import_errors(self, entry, import_id):
        record = self.stock_imports.get(int(import_id))
        if record is None or not record["errors"]:
            raise MiraklError(404, f"No error report for the import {import_id}")
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow([*record["header"], "error-line", "error-message"])
        for error in record["errors"]:
            writer.writerow([*error["row"], error["line"], error["message"]])
        return Reply(200, out.getvalue().encode(), {"Content-Type": "text/csv;charset=UTF-8"})

    # The state machine

    def _new_line(self, order_id, index, spec, shipping, included, state):
        quantity = spec.get("quantity", 1)
        price_unit = dec(spec["price_unit"])
        price = price_unit * quantity
        rate = spec.get("tax_rate", 20)
        code = spec.get("tax_code", "TVA")
        total = price + dec(shipping)
        commission_rate = Decimal(str(spec.get("commission_rate", self.commission_rate)))
        line = {
            "order_line_id": f"{order_id}-{index}",
            "order_line_index": index,
            "order_line_state": state,
            "offer_id": 3000 + index,
            "offer_sku": spec["offer_sku"],
            "product_sku": spec.get("product_sku", f"P{abs(hash(spec['offer_sku'])) % 10**8}"),
            "product_title": spec.get("product_title", spec["offer_sku"].title()),
            "category_code": spec.get("category_code", "home"),
            "quantity": quantity,
            "price_unit": num(price_unit),
            "price": num(price),
            "shipping_price": num(shipping),
            "total_price": num(total),
            "taxes": [
                {"code": code, "amount": num(tax_amount(price, rate, included)), "rate": rate}
            ],
            "shipping_taxes": [
                {"code": code, "amount": num(tax_amount(shipping, rate, included)), "rate": rate}
            ],
            "commission_fee": num(total * commission_rate),
            "commission_rate_vat": 20,
            "refunds": [],
            "cancelations": [],
            "order_line_additional_fields": [],
            "product_medias": [],
            "price_additional_info": None,
        }
        line.update(copy.deepcopy(spec.get("extra") or {}))
        return line

    def _address(self, given, firstname, lastname):
        address = {
            "civility": None,
            "firstname": firstname,
            "lastname": lastname,
            "company": None,
            "street_1": "12 rue de la Paix",
            "street_2": None,
            "zip_code": "75002",
            "city": "Paris",
            "state": None,
            "country": "France",
            "country_iso_code": "FRA",
            "phone": "+33123456789",
            "phone_secondary": None,
            "additional_info": None,
        }
        address.update(given or {})
        return address

    def _touch(self, order):
        """Bump last_updated_date: the fake's now, strictly later than before (to the second)."""
        previous = parse_time(order["last_updated_date"])
        moment = max(self.now.replace(microsecond=0), previous + timedelta(seconds=1))
        order["last_updated_date"] = iso(moment)

    def _set_state(self, order, state):
        previous = order["order_state"]
        order["order_state"] = state
        for line in order["order_lines"]:
            if line["order_line_state"] not in FINAL_LINE_STATES:
                line["order_line_state"] = state
        reveal_from = ORDER_STATES.index(self.reveal_addresses_at)
        if state not in ("REFUSED", "CANCELED") and ORDER_STATES.index(state) >= reveal_from:
            customer = order["customer"]
            if customer["shipping_address"] is None:
                addresses = self._meta[order["order_id"]]["addresses"]
                customer.update(copy.deepcopy(addresses))
        self._touch(order)
        self.transitions.append((order["order_id"], previous, state, order["last_updated_date"]))

    def _entered_waiting_acceptance(self, order, since=None):
        meta = self._meta[order["order_id"]]
        if self.acceptance_deadline is not None:
            meta["deadline"] = (since or self.now) + self.acceptance_deadline
        if self.auto_accept:
            self._decide(order, {line["order_line_id"]: True for line in order["order_lines"]})

    def _decide(self, order, chosen):
        now = self.now
        order["acceptance_decision_date"] = iso(now)
        for line in order["order_lines"]:
            if not chosen[line["order_line_id"]]:
                line["order_line_state"] = "REFUSED"
        self._recompute(order)
        if not any(chosen.values()):
            self._set_state(order, "REFUSED")
            return
        meta = self._meta[order["order_id"]]
        meta["accepted_at"] = now
        order["shipping_deadline"] = iso(now + timedelta(days=meta["leadtime"]))
        self._set_state(order, "WAITING_DEBIT")
        if self.debit_delay is not None and not self.debit_delay:
            self._debit(order)

    def _debit(self, order):
        if order["order_state"] == "WAITING_DEBIT":
            self._set_state(order, "WAITING_DEBIT_PAYMENT")
        if order["order_state"] == "WAITING_DEBIT_PAYMENT":
            self._set_state(order, "SHIPPING")

    def _recompute(self, order):
        """Order amounts: the sum of its lines that weren't refused."""
        lines = [line for line in order["order_lines"] if line["order_line_state"] != "REFUSED"]
        for key, line_key in (
            ("price", "price"),
            ("shipping_price", "shipping_price"),
            ("total_price", "total_price"),
            ("total_commission", "commission_fee"),
        ):
            order[key] = num(sum((dec(line[line_key]) for line in lines), Decimal(0)))

    def _cancel_order(self, order, reason_code):
        for line in order["order_lines"]:
            if line["order_line_state"] in FINAL_LINE_STATES:
                continue
            line["cancelations"].append(
                {
                    "id": next(self._cancel_ids),
                    "amount": line["price"],
                    "shipping_amount": line["shipping_price"],
                    "quantity": line["quantity"],
                    "reason_code": reason_code,
                    "created_date": iso(self.now),
                    "taxes": copy.deepcopy(line["taxes"]),
                    "shipping_taxes": copy.deepcopy(line["shipping_taxes"]),
                }
            )
            line["order_line_state"] = "CANCELED"
        self._set_state(order, "CANCELED")

    def _order_line(self, line_id):
        """(order, line) of an order line id of a request; ORDER_LINE_NOT_FOUND otherwise."""
        order = self.orders.get(str(line_id).rsplit("-", 1)[0])
        for line in (order or {}).get("order_lines", []):
            if line["order_line_id"] == line_id:
                return order, line
        message = f"Order line {line_id} not found"
        raise MiraklError(400, message, "ORDER_LINE_NOT_FOUND", field="order_line_id")

    @staticmethod
    def _cancelled(line):
        cancelations = line["cancelations"]
        return {
            "amount": sum((dec(c["amount"]) for c in cancelations), Decimal(0)),
            "shipping_amount": sum((dec(c["shipping_amount"]) for c in cancelations), Decimal(0)),
            "quantity": sum(c["quantity"] or 0 for c in cancelations),
        }

    def _apply_cancelations(self, requested):
        """OR30: check every line cancellation, then apply them all (or none): units of
        lines of SHIPPING orders; the order's amounts drop by what was cancelled, a line
        with nothing left is CANCELED, an order with no line left too.
        [(order_line_id, cancelation_id)]."""
        reasons = {r["code"] for r in self.reasons if r["type"] == "ORDER_CANCEL"}
        plan, pending = [], {}
        for index, spec in enumerate(requested):
            if not isinstance(spec, dict):
                raise MiraklError(400, f"cancelations[{index}] must be an object")
            line_id = spec.get("order_line_id")
            order, line = self._order_line(line_id)
            if order["order_state"] != "SHIPPING" or line["order_line_state"] != "SHIPPING":
                message = (
                    f"Order line {line_id} ({line['order_line_state']}, order "
                    f"{order['order_state']}) can't be canceled"
                )
                raise MiraklError(400, message, "ORDER_LINE_NOT_CANCELABLE")
            if spec.get("reason_code") not in reasons:
                message = f"Unknown cancelation reason code {spec.get('reason_code')!r}"
                raise MiraklError(400, message, "REASON_CODE_INVALID", field="reason_code")
            quantity = spec.get("quantity")
            if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
                raise MiraklError(400, f"cancelations[{index}]: quantity must be a whole number")
            try:
                amount = dec(spec.get("amount"))
                shipping = dec(spec.get("shipping_amount") or 0)
            except ArithmeticError:
                raise MiraklError(400, f"cancelations[{index}]: amounts must be numbers") from None
            done = pending.setdefault(line_id, self._cancelled(line))
            done["amount"] += amount
            done["shipping_amount"] += shipping
            done["quantity"] += quantity
            too_much = (
                amount < 0
                or shipping < 0
                or done["quantity"] > line["quantity"]
                or done["amount"] > dec(line["price"])
                or done["shipping_amount"] > dec(line["shipping_price"])
            )
            if too_much:
                message = f"The cancelation exceeds what is left on the line {line_id}"
                raise MiraklError(400, message, "CANCELATION_AMOUNT_EXCEEDED")
            plan.append((order, line, spec, amount, shipping, quantity))
        answer, touched = [], {}
        for order, line, spec, amount, shipping, quantity in plan:
            rate = line["taxes"][0]["rate"] if line["taxes"] else 0
            included = order["order_tax_mode"] == "TAX_INCLUDED"
            cancel_id = next(self._cancel_ids)
            line["cancelations"].append(
                {
                    "id": cancel_id,
                    "amount": num(amount),
                    "shipping_amount": num(shipping),
                    "quantity": quantity,
                    "reason_code": spec["reason_code"],
                    "created_date": iso(self.now),
                    "taxes": [{"code": "TVA", "amount": num(tax_amount(amount, rate, included))}],
                    "shipping_taxes": [
                        {"code": "TVA", "amount": num(tax_amount(shipping, rate, included))}
                    ],
                }
            )
            if self._cancelled(line)["quantity"] >= line["quantity"]:
                line["order_line_state"] = "CANCELED"
            touched[order["order_id"]] = order
            answer.append((line["order_line_id"], cancel_id))
        for order in touched.values():
            self._recompute_net(order)
            if all(li["order_line_state"] in FINAL_LINE_STATES for li in order["order_lines"]):
                self._set_state(order, "CANCELED")
            else:
                self._touch(order)
        return answer

    def _recompute_net(self, order):
        """Order amounts after line cancellations (refused lines left out)."""
        price = shipping = Decimal(0)
        for line in order["order_lines"]:
            if line["order_line_state"] == "REFUSED":
                continue
            cancelled = self._cancelled(line)
            price += dec(line["price"]) - cancelled["amount"]
            shipping += dec(line["shipping_price"]) - cancelled["shipping_amount"]
        order["price"] = num(price)
        order["shipping_price"] = num(shipping)
        order["total_price"] = num(price + shipping)

    @staticmethod
    def _refunded(line):
        refunds = line["refunds"]
        return {
            "amount": sum((dec(r["amount"]) for r in refunds), Decimal(0)),
            "shipping_amount": sum((dec(r["shipping_amount"]) for r in refunds), Decimal(0)),
            "quantity": sum(r["quantity"] or 0 for r in refunds),
        }

    def _apply_refunds(self, requested):
        """Check every refund, then apply them all (or none); [(order_line_id, refund_id)]."""
        reasons = {r["code"] for r in self.reasons if r["type"] == "REFUND"}
        plan, pending = [], {}
        for index, spec in enumerate(requested):
            if not isinstance(spec, dict):
                raise MiraklError(400, f"refunds[{index}] must be an object")
            line_id = spec.get("order_line_id")
            order, line = self._order_line(line_id)
            if (
                order["order_state"] not in REFUNDABLE
                or line["order_line_state"] in FINAL_LINE_STATES
            ):
                message = (
                    f"Order line {line_id} ({line['order_line_state']}, order "
                    f"{order['order_state']}) can't be refunded"
                )
                raise MiraklError(400, message, "ORDER_LINE_NOT_REFUNDABLE")
            if spec.get("reason_code") not in reasons:
                message = f"Unknown refund reason code {spec.get('reason_code')!r}"
                raise MiraklError(400, message, "REASON_CODE_INVALID", field="reason_code")
            try:
                amount = dec(spec.get("amount"))
                shipping = dec(spec.get("shipping_amount") or 0)
            except ArithmeticError:
                raise MiraklError(400, f"refunds[{index}]: amounts must be numbers") from None
            quantity = spec.get("quantity")
            if quantity is not None and (not isinstance(quantity, int) or quantity < 0):
                raise MiraklError(400, f"refunds[{index}]: quantity must be a whole number")
            done = pending.setdefault(line_id, self._refunded(line))
            done["amount"] += amount
            done["shipping_amount"] += shipping
            done["quantity"] += quantity or 0
            too_much = (
                amount < 0
                or shipping < 0
                or done["amount"] > dec(line["price"])
                or done["shipping_amount"] > dec(line["shipping_price"])
                or done["quantity"] > line["quantity"]
            )
            if too_much:
                message = f"The refund exceeds what is left to refund on the line {line_id}"
                raise MiraklError(400, message, "REFUND_AMOUNT_EXCEEDED")
            plan.append((order, line, spec, amount, shipping, quantity))
        answer, touched = [], {}
        for order, line, spec, amount, shipping, quantity in plan:
            rate = line["taxes"][0]["rate"] if line["taxes"] else 0
            included = order["order_tax_mode"] == "TAX_INCLUDED"
            refund_id = next(self._refund_ids)
            refund = {
                "id": refund_id,
                "amount": num(amount),
                "shipping_amount": num(shipping),
                "quantity": quantity,
                "reason_code": spec["reason_code"],
                "state": "REFUNDED",
                "created_date": iso(self.now),
                "transaction_date": iso(self.now),
                "taxes": spec.get("taxes")
                or [{"code": "TVA", "amount": num(tax_amount(amount, rate, included))}],
                "shipping_taxes": spec.get("shipping_taxes")
                or [{"code": "TVA", "amount": num(tax_amount(shipping, rate, included))}],
            }
            line["refunds"].append(refund)
            self.refunds[refund_id] = (line["order_line_id"], refund)
            done = self._refunded(line)
            if done["quantity"] >= line["quantity"] or done["amount"] >= dec(line["price"]):
                line["order_line_state"] = "REFUNDED"
            touched[order["order_id"]] = order
            answer.append((line["order_line_id"], refund_id))
        for order in touched.values():
            self._touch(order)  # once per order and call
        return answer
