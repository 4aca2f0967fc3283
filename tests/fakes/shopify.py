"""A fake Shopify for tests: a real HTTP server on 127.0.0.1 speaking Shopify's protocol.

It plays what /work/shared/CHANNELS.md (section Shopify) describes and our connector relies
on: the GraphQL Admin API at ``/admin/api/<version>/graphql.json``, answered by operation
name (the named operations of ``retail_connector_shopify/graphql.py``) with exactly the
fields each query selects; the client-credentials token grant; cost-based throttling with
``extensions.cost``; bulk operations over orders or customers with a JSONL download; and
signed webhook deliveries to Odoo. Its state is plain Python that tests arrange and assert
on, and faults (5xx, a timeout, a connection reset, a 401, a throttle) are queued on
demand::

    with FakeShopify() as shopify:
        variant = shopify.add_variant("MUG", available=5)
        order = shopify.add_order(line_items=[{"sku": "MUG", "quantity": 2}])
        shopify.fail_next("html_5xx")          # the connector's next call gets a 502
        ...                                    # api_url = shopify.base_url
        assert shopify.fulfillments and shopify.graphql_requests("RetailFulfillmentCreate")
"""

import base64
import copy
import hashlib
import hmac
import itertools
import json
import math
import re
import secrets
import socket
import socketserver
import struct
import threading
import time
import traceback
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests

API_VERSIONS = ("2026-01", "2026-04", "2026-07", "2026-10")
STATIC_TOKEN = "shpat_" + "0123456789abcdef" * 2
INVALID_TOKEN_BODY = {
    "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
}
RATE_LIMITS_DOC = "https://shopify.dev/api/usage/rate-limits"
DEFAULT_SCOPE = (
    "read_orders,write_orders,read_products,read_inventory,write_inventory,"
    "read_merchant_managed_fulfillment_orders,write_merchant_managed_fulfillment_orders"
)
FAULT_KINDS = ("html_5xx", "json_503", "timeout", "reset", "unauthorized", "throttled")
# WebhookSubscriptionTopic enum → the X-Shopify-Topic header.
TOPICS = {
    "APP_UNINSTALLED": "app/uninstalled",
    "BULK_OPERATIONS_FINISH": "bulk_operations/finish",
    "CUSTOMERS_CREATE": "customers/create",
    "CUSTOMERS_UPDATE": "customers/update",
    "FULFILLMENTS_CREATE": "fulfillments/create",
    "FULFILLMENTS_UPDATE": "fulfillments/update",
    "INVENTORY_LEVELS_UPDATE": "inventory_levels/update",
    "ORDERS_CANCELLED": "orders/cancelled",
    "ORDERS_CREATE": "orders/create",
    "ORDERS_FULFILLED": "orders/fulfilled",
    "ORDERS_PAID": "orders/paid",
    "ORDERS_PARTIALLY_FULFILLED": "orders/partially_fulfilled",
    "ORDERS_RISK_ASSESSMENT_CHANGED": "orders/risk_assessment_changed",
    "ORDERS_UPDATED": "orders/updated",
    "PRODUCTS_UPDATE": "products/update",
    "REFUNDS_CREATE": "refunds/create",
}
# Configured in the app's configuration, never through webhookSubscriptionCreate.
COMPLIANCE_TOPICS = {
    "CUSTOMERS_DATA_REQUEST": "customers/data_request",
    "CUSTOMERS_REDACT": "customers/redact",
    "SHOP_REDACT": "shop/redact",
}
INVENTORY_REASONS = frozenset(
    {
        "correction", "cycle_count_available", "damaged", "movement_canceled",
        "movement_created", "movement_received", "movement_updated", "other", "promotion",
        "quality_control", "received", "reservation_created", "reservation_deleted",
        "reservation_updated", "restock", "safety_stock", "shrinkage",
    }
)  # fmt: skip
FULFILLABLE_STATUSES = ("OPEN", "IN_PROGRESS")
RISK_LEVELS = {"ACCEPT": "LOW", "INVESTIGATE": "MEDIUM", "CANCEL": "HIGH"}


def sign_body(secret, body):
    """Shopify's ``X-Shopify-Hmac-Sha256``: base64 HMAC-SHA256 of the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


# -- Time, ids, money ---------------------------------------------------------------------


def utcnow():
    return datetime.now(UTC).replace(microsecond=0)


def iso(value):
    """Shopify's GraphQL DateTime: ``2026-11-02T09:00:00Z`` (strings pass through)."""
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value):
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def numeric_id(node):
    return int(node["id"].rsplit("/", 1)[1])


def money(amount, currency):
    value = {"amount": f"{Decimal(str(amount)):.2f}", "currencyCode": currency}
    return {"shopMoney": value, "presentmentMoney": dict(value)}


def rest_money(bag):
    """A GraphQL MoneyBag as a webhook's ``*_set`` twin."""
    return {
        side: {"amount": bag[key]["amount"], "currency_code": bag[key]["currencyCode"]}
        for side, key in (("shop_money", "shopMoney"), ("presentment_money", "presentmentMoney"))
    }


def _rest_address(address):
    if address is None:
        return None
    names = {
        "firstName": "first_name", "lastName": "last_name", "provinceCode": "province_code",
        "countryCodeV2": "country_code",
    }  # fmt: skip
    return {names.get(key, key): value for key, value in address.items() if key != "id"}


def _rest_taxes(tax_lines):
    return [
        {
            "title": tax["title"],
            "rate": tax["rate"],
            "price": tax["priceSet"]["shopMoney"]["amount"],
            "price_set": rest_money(tax["priceSet"]),
        }
        for tax in tax_lines
    ]


def _rest_allocations(allocations):
    return [
        {
            "amount": allocation["allocatedAmountSet"]["shopMoney"]["amount"],
            "amount_set": rest_money(allocation["allocatedAmountSet"]),
            "discount_application_index": 0,
        }
        for allocation in allocations
    ]


def order_webhook_payload(order):
    """The ``orders/*`` webhook body (REST shape) of a fake order node, as Shopify would
    send it for the order in its current state."""
    fulfillment = {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial"}
    customer = order.get("customer")
    payload = {
        "id": numeric_id(order),
        "admin_graphql_api_id": order["id"],
        "name": order["name"],
        "created_at": order["createdAt"],
        "updated_at": order["updatedAt"],
        "processed_at": order.get("processedAt"),
        "closed_at": order.get("closedAt"),
        "cancelled_at": order.get("cancelledAt"),
        "cancel_reason": (order.get("cancelReason") or "").lower() or None,
        "currency": order["currencyCode"],
        "presentment_currency": order.get("presentmentCurrencyCode") or order["currencyCode"],
        "taxes_included": order.get("taxesIncluded", False),
        "financial_status": (order.get("displayFinancialStatus") or "").lower() or None,
        "fulfillment_status": fulfillment.get(order.get("displayFulfillmentStatus")),
        "email": order.get("email"),
        "phone": order.get("phone"),
        "note": order.get("note"),
        "billing_address": _rest_address(order.get("billingAddress")),
        "shipping_address": _rest_address(order.get("shippingAddress")),
        "customer": None,
        "line_items": [
            {
                "id": numeric_id(line),
                "admin_graphql_api_id": line["id"],
                "sku": line["sku"],
                "name": line.get("name") or line["title"],
                "title": line["title"],
                "quantity": line["quantity"],
                "current_quantity": line.get("currentQuantity", line["quantity"]),
                "price": line["originalUnitPriceSet"]["shopMoney"]["amount"],
                "price_set": rest_money(line["originalUnitPriceSet"]),
                "discount_allocations": _rest_allocations(line.get("discountAllocations") or []),
                "tax_lines": _rest_taxes(line.get("taxLines") or []),
            }
            for line in order["lineItems"]["nodes"]
        ],
        "shipping_lines": [
            {
                "id": numeric_id(line),
                "title": line["title"],
                "code": line.get("code"),
                "price": line["originalPriceSet"]["shopMoney"]["amount"],
                "price_set": rest_money(line["originalPriceSet"]),
                "discount_allocations": _rest_allocations(line.get("discountAllocations") or []),
                "tax_lines": _rest_taxes(line.get("taxLines") or []),
            }
            for line in (order.get("shippingLines") or {}).get("nodes", [])
        ],
    }
    for rest, graphql in (
        ("total_price", "totalPriceSet"), ("total_tax", "totalTaxSet"),
        ("subtotal_price", "subtotalPriceSet"), ("total_discounts", "totalDiscountsSet"),
        ("current_total_price", "currentTotalPriceSet"),
    ):  # fmt: skip
        if order.get(graphql):
            payload[rest] = order[graphql]["shopMoney"]["amount"]
            payload[f"{rest}_set"] = rest_money(order[graphql])
    if customer:
        email = (customer.get("defaultEmailAddress") or {}).get("emailAddress")
        phone = (customer.get("defaultPhoneNumber") or {}).get("phoneNumber")
        payload["customer"] = {
            "id": numeric_id(customer),
            "admin_graphql_api_id": customer["id"],
            "first_name": customer.get("firstName"),
            "last_name": customer.get("lastName"),
            "email": email,
            "phone": phone,
            "updated_at": customer.get("updatedAt"),
            "default_address": _rest_address(customer.get("defaultAddress")),
        }
    return payload


def customer_webhook_payload(customer):
    """The ``customers/create`` or ``customers/update`` webhook body (REST shape) of a fake
    customer node."""
    email = customer.get("defaultEmailAddress") or {}
    phone = customer.get("defaultPhoneNumber") or {}

    def consent(channel, state_key):
        if not channel:
            return None
        consent = {
            "state": (channel.get("marketingState") or "").lower() or None,
            "opt_in_level": (channel.get("marketingOptInLevel") or "").lower() or None,
            state_key: channel.get("marketingUpdatedAt"),
        }
        if "marketingCollectedFrom" in channel:
            consent["consent_collected_from"] = channel["marketingCollectedFrom"]
        return consent

    return {
        "id": numeric_id(customer),
        "admin_graphql_api_id": customer["id"],
        "email": email.get("emailAddress"),
        "phone": phone.get("phoneNumber"),
        "first_name": customer.get("firstName"),
        "last_name": customer.get("lastName"),
        "created_at": customer.get("createdAt"),
        "updated_at": customer.get("updatedAt"),
        "state": "disabled",
        "tags": "",
        "default_address": _rest_address(customer.get("defaultAddress")),
        "email_marketing_consent": consent(email, "consent_updated_at"),
        "sms_marketing_consent": consent(phone, "consent_updated_at"),
    }


def user_error(path, message, code=None):
    error = {"field": path, "message": message}
    if code:
        error["code"] = code
    return error


# -- A small GraphQL reader: operations, fields, arguments, directives ---------------------


class GraphQLError(Exception):
    """A top-level GraphQL error: the answer has ``errors`` and no ``data``."""

    def __init__(self, message, code="BAD_REQUEST"):
        super().__init__(message)
        self.message = message
        self.code = code

    def as_json(self):
        return {"message": self.message, "extensions": {"code": self.code}}


@dataclass
class Variable:
    name: str


@dataclass
class Field:
    name: str
    alias: str
    args: dict
    directives: dict
    selections: list | None

    def child(self, name):
        return next((sub for sub in self.selections or () if sub.name == name), None)


@dataclass
class Operation:
    kind: str
    name: str | None
    variable_types: dict
    selections: list


_IGNORED_RE = re.compile(r"(?:[\s,\ufeff]+|#[^\n]*)+")
_TOKEN_RE = re.compile(
    r'"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|\.\.\.|[{}()\[\]:@$!=]'
    r"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|[A-Za-z_]\w*"
)
_NAME_RE = re.compile(r"[A-Za-z_]\w*")
_LITERALS = {"true": True, "false": False, "null": None}


class _Parser:
    """Recursive descent over the executable subset we send: no fragments."""

    def __init__(self, text):
        self.tokens, pos = [], 0
        while pos < len(text):
            if ignored := _IGNORED_RE.match(text, pos):
                pos = ignored.end()
            elif token := _TOKEN_RE.match(text, pos):
                self.tokens.append(token.group())
                pos = token.end()
            else:
                raise GraphQLError(f"Parse error on {text[pos : pos + 12]!r}", "syntaxError")
        self.pos = 0

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected=None):
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            wanted = repr(expected) if expected else "more input"
            raise GraphQLError(f"Parse error: expected {wanted}, got {token!r}", "syntaxError")
        self.pos += 1
        return token

    def name(self):
        token = self.take()
        if not _NAME_RE.fullmatch(token):
            raise GraphQLError(f"Parse error: expected a name, got {token!r}", "syntaxError")
        return token

    def operations(self):
        found = []
        while self.peek() is not None:
            if self.peek() == "{":
                found.append(Operation("query", None, {}, self.selection_set()))
            elif self.peek() in ("query", "mutation", "subscription"):
                kind = self.take()
                name = self.name() if self.peek() not in ("(", "{", "@") else None
                types = self.variable_definitions() if self.peek() == "(" else {}
                self.directives()
                found.append(Operation(kind, name, types, self.selection_set()))
            else:
                raise GraphQLError(
                    f"Unsupported definition {self.peek()!r}: the fake reads operations only",
                    "syntaxError",
                )
        return found

    def variable_definitions(self):
        types = {}
        self.take("(")
        while self.peek() != ")":
            self.take("$")
            name = self.name()
            self.take(":")
            types[name] = self.type_ref()
            if self.peek() == "=":
                self.take()
                self.value()
            self.directives()
        self.take(")")
        return types

    def type_ref(self):
        if self.peek() == "[":
            self.take()
            ref = f"[{self.type_ref()}]"
            self.take("]")
        else:
            ref = self.name()
        if self.peek() == "!":
            ref += self.take()
        return ref

    def selection_set(self):
        self.take("{")
        fields = []
        while self.peek() != "}":
            if self.peek() == "...":
                raise GraphQLError("Fragments are not supported by the fake Shopify", "syntaxError")
            fields.append(self.field())
        self.take("}")
        return fields

    def field(self):
        alias = name = self.name()
        if self.peek() == ":":
            self.take()
            name = self.name()
        args = self.arguments() if self.peek() == "(" else {}
        directives = self.directives()
        selections = self.selection_set() if self.peek() == "{" else None
        return Field(name, alias, args, directives, selections)

    def arguments(self):
        args = {}
        self.take("(")
        while self.peek() != ")":
            key = self.name()
            self.take(":")
            args[key] = self.value()
        self.take(")")
        return args

    def directives(self):
        found = {}
        while self.peek() == "@":
            self.take()
            name = self.name()
            found[name] = self.arguments() if self.peek() == "(" else {}
        return found

    def value(self):
        token = self.take()
        if token == "$":
            return Variable(self.name())
        if token == "[":
            items = []
            while self.peek() != "]":
                items.append(self.value())
            self.take("]")
            return items
        if token == "{":
            fields = {}
            while self.peek() != "}":
                key = self.name()
                self.take(":")
                fields[key] = self.value()
            self.take("}")
            return fields
        if token.startswith('"""'):
            return token[3:-3]
        if token.startswith('"'):
            return json.loads(token)
        if token in _LITERALS:
            return _LITERALS[token]
        if token[0] in "-0123456789":
            return float(token) if any(c in token for c in ".eE") else int(token)
        if _NAME_RE.fullmatch(token):
            return token  # an enum value
        raise GraphQLError(f"Parse error: unexpected {token!r}", "syntaxError")


def parse_operation(text, operation_name=None):
    operations = _Parser(text).operations()
    if operation_name:
        for operation in operations:
            if operation.name == operation_name:
                return operation
        raise GraphQLError(f"No operation named {operation_name!r}")
    if len(operations) != 1:
        raise GraphQLError("The document must hold exactly one operation (or give operationName)")
    return operations[0]


def resolve(value, variables):
    """Replace variables in an argument value by their values."""
    if isinstance(value, Variable):
        return variables.get(value.name)
    if isinstance(value, list):
        return [resolve(item, variables) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item, variables) for key, item in value.items()}
    return value


def project(value, selections, path):
    """Keep what the query selects; a field the fake doesn't model is a GraphQL error."""
    if selections is None or value is None:
        return value
    if isinstance(value, list):
        return [project(item, selections, path) for item in value]
    out = {}
    for sub in selections:
        where = f"{path}.{sub.alias}"
        if sub.name in value:
            raw = value[sub.name]
        elif sub.name == "edges" and "nodes" in value:
            raw = [{"cursor": cursor([numeric_id(n)]), "node": n} for n in value["nodes"]]
        elif sub.name == "pageInfo" and "nodes" in value:
            raw = page_info([cursor([numeric_id(n)]) for n in value["nodes"]], False, False)
        elif sub.name == "__typename":
            raw = value["id"].split("/")[3] if "id" in value else None
        else:
            raise GraphQLError(f"Field {sub.name!r} is not modelled by the fake (at {where})")
        out[sub.alias] = project(raw, sub.selections, where)
    return out


def connection_selection(field_):
    """The node selections of a connection field (``edges { node }`` or ``nodes``)."""
    edges = field_.child("edges")
    node = edges.child("node") if edges else None
    if node:
        return node.selections
    nodes = field_.child("nodes")
    return nodes.selections if nodes else None


def bulk_lines(node, selections, parent_id=None):
    """A node as bulk JSONL lines: itself, then its nested connections' nodes."""
    line, children = {}, []
    for sub in selections:
        inner = connection_selection(sub) if sub.selections else None
        value = node.get(sub.name)
        if inner is not None and isinstance(value, dict) and "nodes" in value:
            children.append((value["nodes"], inner))
        else:
            line.update(project(node, [sub], "bulk"))
    if parent_id:
        line["__parentId"] = parent_id
    yield line
    for nodes, inner in children:
        for child in nodes:
            yield from bulk_lines(child, inner, node["id"])


# -- Pagination and search --------------------------------------------------------------


def cursor(key):
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def decode_cursor(value):
    try:
        key = json.loads(base64.urlsafe_b64decode(value.encode()))
    except (ValueError, TypeError, AttributeError):
        key = None
    if not isinstance(key, list):
        raise GraphQLError(f"Invalid cursor {value!r}")
    return key


def page_info(cursors, has_next, has_previous):
    return {
        "hasNextPage": has_next,
        "hasPreviousPage": has_previous,
        "startCursor": cursors[0] if cursors else None,
        "endCursor": cursors[-1] if cursors else None,
    }


def connection_cost(count):
    """Roughly Shopify's: 2 points per connection plus one per ten nodes."""
    return 2 + math.ceil(count / 10) if isinstance(count, int) and count > 0 else 2


_TERM_RE = re.compile(r"(?P<field>\w+):(?P<op>>=|<=|>|<)?(?P<value>'[^']*'|\"[^\"]*\"|\S+)")
_TIME_TESTS = {
    ":": lambda a, b: a == b,
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
}


def search_terms(query):
    """Shopify search syntax, the part we use: ``field:value``, ``field:>='value'``."""
    terms = []
    for match in _TERM_RE.finditer(query or ""):
        value = match["value"]
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        terms.append((match["field"], match["op"] or ":", value))
    return terms


# -- Throttling, faults, the request log ------------------------------------------------


class CostBucket:
    """Shopify's leaky bucket of query cost points for one app on one shop."""

    def __init__(self, maximum_available=1000, restore_rate=100):
        self.maximum_available = float(maximum_available)
        self.restore_rate = float(restore_rate)
        self._available = self.maximum_available
        self._updated = time.monotonic()
        self._lock = threading.Lock()

    def _refill(self):
        now = time.monotonic()
        elapsed = now - self._updated
        self._available = min(self.maximum_available, self._available + elapsed * self.restore_rate)
        self._updated = now

    @property
    def available(self):
        with self._lock:
            self._refill()
            return self._available

    def set_available(self, points):
        """Drain (or fill) the bucket, e.g. ``set_available(0)``."""
        with self._lock:
            self._refill()
            self._available = max(0.0, min(self.maximum_available, float(points)))

    def take(self, points):
        with self._lock:
            self._refill()
            if self._available < points:
                return False
            self._available -= points
            return True

    def give_back(self, points):
        with self._lock:
            self._refill()
            self._available = min(self.maximum_available, self._available + points)

    def seconds_until(self, points):
        with self._lock:
            self._refill()
            missing = max(0.0, points - self._available)
            return missing / self.restore_rate if self.restore_rate else math.inf

    def status(self):
        with self._lock:
            self._refill()
            return {
                "maximumAvailable": self.maximum_available,
                "currentlyAvailable": int(self._available),
                "restoreRate": self.restore_rate,
            }


@dataclass
class Fault:
    kind: str
    status: int | None = None
    seconds: float | None = None
    retry_after: int | None = None


@dataclass
class LoggedRequest:
    """One request the fake received; ``status`` is None when it never answered."""

    method: str
    path: str
    headers: dict  # lower-case names
    body: bytes
    api_version: str | None = None
    operation: str | None = None
    variables: dict | None = None
    status: int | None = None
    fault: str | None = None
    throttled: bool = False


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
        status, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    )


@dataclass
class GraphQLCall:
    """What an operation resolver gets: the root field and its resolved arguments."""

    operation: Operation
    root: Field
    args: dict
    variables: dict
    search: list = field(default_factory=list)  # extensions.search warnings


# -- The HTTP layer ---------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = True  # server_close() joins every handler thread

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)  # no reverse DNS lookup (getfqdn)
        self.server_name, self.server_port = self.server_address[:2]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeShopify"
    sys_version = ""
    timeout = 10  # seconds an idle or slow client may hold a handler thread

    def do_GET(self):
        self._serve()

    def do_POST(self):
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
        self.send_header("X-Request-Id", str(uuid.uuid4()))
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


_GRAPHQL_PATH = re.compile(r"/admin/api/(?P<version>\d{4}-\d{2}|unstable)/graphql\.json")
_BULK_PATH = re.compile(r"/bulk/(?P<number>\d+)\.jsonl")
_OPERATION_NAME = re.compile(r"\b(?:query|mutation|subscription)\s+(\w+)")


# -- The shop's state -------------------------------------------------------------------


class ShopState:
    """What the fake shop holds, as plain Python that tests arrange and assert on.

    Nodes are GraphQL-shaped (``gid://shopify/Order/1001``, nested connections as
    ``{"nodes": [...]}``); the operations answer with the fields a query selects.
    """

    base_url = ""  # FakeShopify serves the bulk files

    def __init__(
        self, *, shop_domain, shop_name, currency, max_page_size, bulk_delay, first_order=1001
    ):
        self.shop_domain = shop_domain
        self.shop_name = shop_name
        self.currency = currency
        self.max_page_size = max_page_size
        self.bulk_delay = bulk_delay  # None: bulk operations wait for complete_bulk_operation()
        self.lock = threading.RLock()
        self.locations = {}
        self.orders = {}
        self.customers = {}
        self.variants = {}
        self.inventory_levels = {}  # (inventory item id, location id) → {"available", "on_hand"}
        self.webhook_subscriptions = {}
        self.fulfillments = {}
        self.inventory_set_calls = []
        self.inventory_adjustment_groups = {}
        self.bulk_operations = {}
        self.bulk_files = {}  # number → JSONL bytes
        self._idempotency = {}
        self._bulk_ready_at = {}
        self._counters = defaultdict(lambda: itertools.count(1), Order=itertools.count(first_order))
        self.location_id = self.add_location("Main warehouse")["id"]

    # Arranging state

    def new_gid(self, kind):
        return f"gid://shopify/{kind}/{next(self._counters[kind])}"

    def add_location(self, name):
        location = {"id": self.new_gid("Location"), "name": name, "isActive": True}
        self.locations[location["id"]] = location
        return location

    def add_variant(self, sku, *, available=0, location_ids=None, title=None):
        """A product variant and its inventory item, stocked at ``location_ids``."""
        with self.lock:
            item_id = self.new_gid("InventoryItem")
            variant = {
                "id": self.new_gid("ProductVariant"),
                "sku": sku,
                "title": title or sku,
                "inventoryItem": {"id": item_id, "sku": sku, "tracked": True},
            }
            self.variants[variant["id"]] = variant
            for location_id in location_ids or [self.location_id]:
                self.inventory_levels[(item_id, location_id)] = {
                    "available": available,
                    "on_hand": available,
                }
            return variant

    def available(self, sku_or_item_id, location_id=None):
        item_id = sku_or_item_id
        for variant in self.variants.values():
            if variant["sku"] == sku_or_item_id:
                item_id = variant["inventoryItem"]["id"]
        return self.inventory_levels[(item_id, location_id or self.location_id)]["available"]

    def add_order(
        self,
        *,
        line_items=None,
        updated_at=None,
        created_at=None,
        risk="ACCEPT",
        financial_status="PAID",
        taxes_included=False,
        tax_rate=None,
        tax_title="VAT",
        shipping=None,
        customer=None,
        address=None,
        **fields,
    ):
        """An order node, with one fulfillment order per location of its lines.

        ``line_items``: dicts with ``sku``, ``quantity`` and optionally ``price`` (string),
        ``discount`` (the line's total discount, string), ``title`` and ``location_id``
        (default: the first location). ``tax_rate`` (``"0.2"``) taxes every line and the
        shipping, included in the prices when ``taxes_included``; ``shipping``: a dict with
        ``title``, ``price`` and optionally ``code``. ``customer``: a node of
        :meth:`add_customer`, or a dict with ``first_name``, ``last_name``, ``email`` (a
        customer updated with the order is added; default: a guest) and ``address`` a dict
        of MailingAddress fields for billing and shipping (default: null, protected data).
        The totals follow from the lines, as Shopify's do. ``fields`` override or add
        top-level order fields (GraphQL names).
        """
        with self.lock:
            order_id = self.new_gid("Order")
            legacy_id = order_id.rsplit("/", 1)[1]
            created = iso(created_at or updated_at or utcnow())
            rate = Decimal(str(tax_rate)) if tax_rate is not None else None
            lines, by_location = [], {}
            subtotal = discounts = tax_total = Decimal(0)
            for spec in line_items or [{"sku": "SKU-1", "quantity": 1}]:
                price = Decimal(str(spec.get("price", "10.00")))
                discount = Decimal(str(spec.get("discount", "0")))
                net = price * spec["quantity"] - discount
                taxes, line_tax = self._tax_lines(net, rate, tax_title, taxes_included)
                title = spec.get("title", spec["sku"])
                line = {
                    "id": self.new_gid("LineItem"),
                    "sku": spec["sku"],
                    "title": title,
                    "name": title,
                    "variantTitle": None,
                    "quantity": spec["quantity"],
                    "currentQuantity": spec["quantity"],
                    "originalUnitPriceSet": money(price, self.currency),
                    "discountAllocations": (
                        [{"allocatedAmountSet": money(discount, self.currency)}] if discount else []
                    ),
                    "taxLines": taxes,
                }
                subtotal += net
                discounts += discount
                tax_total += line_tax
                lines.append(line)
                location_id = spec.get("location_id") or self.location_id
                by_location.setdefault(location_id, []).append(line)
            shipping_lines, shipping_total = [], Decimal(0)
            if shipping:
                shipping_total = Decimal(str(shipping["price"]))
                taxes, shipping_tax = self._tax_lines(
                    shipping_total, rate, tax_title, taxes_included
                )
                tax_total += shipping_tax
                shipping_lines.append(
                    {
                        "id": self.new_gid("ShippingLine"),
                        "title": shipping["title"],
                        "code": shipping.get("code", shipping["title"]),
                        "source": "shopify",
                        "carrierIdentifier": None,
                        "isRemoved": False,
                        "originalPriceSet": money(shipping_total, self.currency),
                        "discountAllocations": [],
                        "taxLines": taxes,
                    }
                )
            total = subtotal + shipping_total + (0 if taxes_included else tax_total)
            customer_node = customer
            if customer and "id" not in customer:
                customer_node = self.add_customer(
                    first_name=customer.get("first_name"),
                    last_name=customer.get("last_name"),
                    email=customer.get("email"),
                    address=address,
                    updated_at=created,
                )
            email = (customer_node or {}).get("defaultEmailAddress") or {}
            order = {
                "id": order_id,
                "legacyResourceId": legacy_id,
                "name": f"#{legacy_id}",
                "createdAt": created,
                "updatedAt": iso(updated_at) if updated_at else created,
                "processedAt": created,
                "cancelledAt": None,
                "cancelReason": None,
                "closed": False,
                "closedAt": None,
                "displayFinancialStatus": financial_status,
                "displayFulfillmentStatus": "UNFULFILLED",
                "currencyCode": self.currency,
                "presentmentCurrencyCode": self.currency,
                "taxesIncluded": taxes_included,
                "subtotalPriceSet": money(subtotal, self.currency),
                "totalDiscountsSet": money(discounts, self.currency),
                "totalShippingPriceSet": money(shipping_total, self.currency),
                "totalTaxSet": money(tax_total, self.currency),
                "totalPriceSet": money(total, self.currency),
                "currentSubtotalPriceSet": money(subtotal, self.currency),
                "currentTotalDiscountsSet": money(discounts, self.currency),
                "currentTotalTaxSet": money(tax_total, self.currency),
                "currentTotalPriceSet": money(total, self.currency),
                # protected ("level 2") data arrives as null unless given
                "email": email.get("emailAddress"),
                "phone": None,
                "note": None,
                "test": False,
                "customer": customer_node,
                "billingAddress": self._address(address),
                "shippingAddress": self._address(address),
                "lineItems": {"nodes": lines},
                "shippingLines": {"nodes": shipping_lines},
                "fulfillmentOrders": {
                    "nodes": [
                        self._new_fulfillment_order(location_id, location_lines)
                        for location_id, location_lines in by_location.items()
                    ]
                },
                "fulfillments": [],
                "risk": self._risk(risk),
            }
            order.update(fields)
            self.orders[order_id] = order
            return order

    def add_customer(
        self,
        *,
        first_name=None,
        last_name=None,
        email=None,
        phone=None,
        address=None,
        updated_at=None,
        created_at=None,
        email_marketing="NOT_SUBSCRIBED",
        sms_marketing="NOT_SUBSCRIBED",
        **fields,
    ):
        """A customer node, as the customers query reads it: ``email`` and ``phone`` with
        their marketing state (``SUBSCRIBED``, ``NOT_SUBSCRIBED``, ``UNSUBSCRIBED``,
        ``PENDING``...), ``address`` a dict of MailingAddress fields (the default address;
        default: none). ``fields`` override or add top-level customer fields (GraphQL names).
        """
        with self.lock:
            created = iso(created_at or updated_at or utcnow())
            updated = iso(updated_at) if updated_at else created

            def marketing(state):
                consented = state in ("SUBSCRIBED", "UNSUBSCRIBED")
                return {
                    "marketingState": state,
                    "marketingOptInLevel": "SINGLE_OPT_IN" if consented else None,
                    "marketingUpdatedAt": created if consented else None,
                }

            customer = {
                "id": self.new_gid("Customer"),
                "firstName": first_name,
                "lastName": last_name,
                "createdAt": created,
                "updatedAt": updated,
                "defaultEmailAddress": (
                    {"emailAddress": email, **marketing(email_marketing)} if email else None
                ),
                "defaultPhoneNumber": (
                    {
                        "phoneNumber": phone,
                        **marketing(sms_marketing),
                        "marketingCollectedFrom": "OTHER",
                    }
                    if phone
                    else None
                ),
                "defaultAddress": self._address(address),
            }
            customer.update(fields)
            self.customers[customer["id"]] = customer
            return customer

    def touch_customer(self, customer_id, updated_at=None):
        with self.lock:
            self.customers[customer_id]["updatedAt"] = iso(updated_at or utcnow())
            return self.customers[customer_id]

    def _tax_lines(self, amount, rate, title, included):
        """``(taxLines, tax)`` of ``amount`` at ``rate`` (none without a rate)."""
        if not rate:
            return [], Decimal(0)
        divisor = 1 + rate if included else 1
        tax = (amount * rate / divisor).quantize(Decimal("0.01"))
        return [{"title": title, "rate": float(rate), "priceSet": money(tax, self.currency)}], tax

    def _address(self, address):
        if not address:
            return None
        keys = (
            "firstName", "lastName", "company", "address1", "address2", "city", "province",
            "provinceCode", "zip", "country", "countryCodeV2", "phone",
        )  # fmt: skip
        return {"id": self.new_gid("MailingAddress"), **dict.fromkeys(keys), **address}

    def _new_fulfillment_order(self, location_id, lines):
        return {
            "id": self.new_gid("FulfillmentOrder"),
            "status": "OPEN",
            "requestStatus": "UNSUBMITTED",
            "assignedLocation": {
                "location": {"id": location_id},
                "name": self.locations[location_id]["name"],
            },
            "lineItems": {
                "nodes": [
                    {
                        "id": self.new_gid("FulfillmentOrderLineItem"),
                        "totalQuantity": line["quantity"],
                        "remainingQuantity": line["quantity"],
                        "lineItem": {"id": line["id"], "sku": line["sku"]},
                    }
                    for line in lines
                ]
            },
        }

    @staticmethod
    def _risk(recommendation):
        assessments = []
        if recommendation in RISK_LEVELS:
            facts = [{"description": "Fake risk analysis", "sentiment": "NEUTRAL"}]
            assessments.append({"riskLevel": RISK_LEVELS[recommendation], "facts": facts})
        return {"recommendation": recommendation, "assessments": assessments}

    def touch_order(self, order_id, updated_at=None):
        with self.lock:
            self.orders[order_id]["updatedAt"] = iso(updated_at or utcnow())
            return self.orders[order_id]

    def set_risk(self, order_id, recommendation):
        """Change the risk recommendation (ACCEPT, INVESTIGATE, CANCEL, NONE); touches the order."""
        with self.lock:
            self.orders[order_id]["risk"] = self._risk(recommendation)
            return self.touch_order(order_id)

    def fulfillment_order(self, fulfillment_order_id):
        """``(order, fulfillment order)`` for a fulfillment order id, or None."""
        for order in self.orders.values():
            for candidate in order["fulfillmentOrders"]["nodes"]:
                if candidate["id"] == fulfillment_order_id:
                    return order, candidate
        return None

    def add_webhook_subscription(self, topic, uri, format="JSON"):
        with self.lock:
            now = iso(utcnow())
            subscription = {
                "id": self.new_gid("WebhookSubscription"),
                "topic": topic,
                "uri": uri,
                "format": format,
                "includeFields": [],
                "filter": None,
                "createdAt": now,
                "updatedAt": now,
            }
            self.webhook_subscriptions[subscription["id"]] = subscription
            return subscription

    # Bulk operations

    def complete_bulk_operation(self):
        """Finish the running bulk operation now; its JSONL holds the nodes as they are."""
        with self.lock:
            operation = self._running_bulk_operation()
            if operation:
                self._finish_bulk_operation(operation)
            return operation

    def fail_bulk_operation(self, error_code="INTERNAL_SERVER_ERROR"):
        with self.lock:
            operation = self._running_bulk_operation()
            if operation:
                operation.update(status="FAILED", errorCode=error_code, completedAt=iso(utcnow()))
            return operation

    # Helpers of the operations

    def paginate(self, items, args, key):
        """A forward connection page of ``items`` (sorted by ``key``, a list)."""
        first = args.get("first")
        if args.get("last") is not None or args.get("before") is not None:
            raise GraphQLError("The fake Shopify paginates forward only (first/after)")
        if not isinstance(first, int) or first < 0:
            raise GraphQLError("You must provide one of first or last")
        if first > self.max_page_size:
            raise GraphQLError(
                f"first: {first} exceeds the maximum page size of {self.max_page_size}",
                "MAX_PAGE_SIZE_EXCEEDED",
            )
        items = sorted(items, key=key)
        after = args.get("after")
        if after:
            mark = decode_cursor(after)
            items = [item for item in items if key(item) > mark]
        page = items[:first]
        cursors = [cursor(key(item)) for item in page]
        return {
            "nodes": page,
            "edges": [{"cursor": c, "node": n} for c, n in zip(cursors, page, strict=True)],
            "pageInfo": page_info(cursors, len(items) > first, bool(after)),
        }

    def search_orders(self, query, call=None):
        """Orders matching ``updated_at:``/``created_at:`` terms; other fields are ignored
        with an ``extensions.search`` warning, as Shopify does."""
        return self._search(self.orders.values(), query, call)

    def search_customers(self, query, call=None):
        """Customers matching ``updated_at:``/``created_at:`` terms, as orders."""
        return self._search(self.customers.values(), query, call)

    def _search(self, nodes, query, call):
        tests, warnings = [], []
        for name, op, value in search_terms(query):
            field_name = {"updated_at": "updatedAt", "created_at": "createdAt"}.get(name)
            try:
                moment = parse_time(value) if field_name else None
            except ValueError:
                moment = None
            if moment is None:
                warnings.append({"field": name, "message": "Invalid search field for this query."})
                continue
            tests.append((field_name, _TIME_TESTS[op], moment))
        if warnings and call is not None:
            call.search.append({"path": [call.root.alias], "query": query, "warnings": warnings})
        return [
            node
            for node in nodes
            if all(test(parse_time(node[name]), moment) for name, test, moment in tests)
        ]

    def _running_bulk_operation(self):
        operations = list(self.bulk_operations.values())
        if operations and operations[-1]["status"] in ("CREATED", "RUNNING"):
            return operations[-1]
        return None

    def _current_bulk_operation(self):
        operation = self._running_bulk_operation()
        if operation:
            ready_at = self._bulk_ready_at.get(operation["id"])
            if ready_at is not None and time.monotonic() >= ready_at:
                self._finish_bulk_operation(operation)
            else:
                operation["status"] = "RUNNING"
        return next(reversed(self.bulk_operations.values()), None)

    def _bulk_export(self, query):
        """The JSONL lines of a bulk query over orders or customers, and how many of them."""
        operation = parse_operation(query)
        root = operation.selections[0] if len(operation.selections) == 1 else None
        searches = {"orders": self.search_orders, "customers": self.search_customers}
        if operation.kind != "query" or root is None or root.name not in searches:
            raise GraphQLError("the fake Shopify exports one root connection: orders or customers")
        selections = connection_selection(root)
        if selections is None:
            raise GraphQLError("the root field must select edges { node } or nodes")
        search = searches[root.name]
        nodes = sorted(search(resolve(root.args, {}).get("query")), key=numeric_id)
        lines = [line for node in nodes for line in bulk_lines(node, selections)]
        return lines, len(nodes)

    def _finish_bulk_operation(self, operation):
        number = operation["id"].rsplit("/", 1)[1]
        try:
            lines, roots = self._bulk_export(operation["query"])
        except GraphQLError:
            operation.update(status="FAILED", errorCode="INTERNAL_SERVER_ERROR")
            return
        data = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
        self.bulk_files[number] = data
        operation.update(
            status="COMPLETED",
            completedAt=iso(utcnow()),
            objectCount=str(len(lines)),
            rootObjectCount=str(roots),
            fileSize=str(len(data)) if lines else None,
            url=f"{self.base_url}/bulk/{number}.jsonl" if lines else None,  # none: null
        )


# -- The fake Shopify: HTTP, auth, throttling, faults, webhook deliveries ------------------


class FakeShopify(ShopState):
    """A Shopify shop and its Admin API, served on 127.0.0.1 (``with FakeShopify() as s:``)."""

    def __init__(
        self,
        *,
        shop_domain="retail-connect-test.myshopify.com",
        shop_name="Retail Connect Test",
        currency="EUR",
        access_token=STATIC_TOKEN,
        client_id="fake-client-id",
        client_secret="fake-client-secret",
        scope=DEFAULT_SCOPE,
        token_ttl=86399,
        maximum_available=1000,
        restore_rate=100,
        max_page_size=250,
        api_versions=API_VERSIONS,
        bulk_delay=0.2,
        first_order=1001,
        timeout_seconds=5.0,
        throttle_status=200,
        allow_http_loopback_webhooks=True,
    ):
        super().__init__(
            shop_domain=shop_domain,
            shop_name=shop_name,
            currency=currency,
            max_page_size=max_page_size,
            bulk_delay=bulk_delay,
            first_order=first_order,
        )
        self.access_token = access_token  # static token; None: only granted tokens work
        self.client_id = client_id
        self.client_secret = client_secret
        self.scope = scope
        self.token_ttl = token_ttl
        self.tokens = {}  # access token → {"scope", "issued_at", "expires_at"}
        self.bucket = CostBucket(maximum_available, restore_rate)
        self.costs = {}  # operation name → requested (and actual) cost override
        self.throttle_status = throttle_status  # 429: throttles answer HTTP 429 + Retry-After
        self.api_versions = tuple(api_versions)
        self.timeout_seconds = timeout_seconds  # how long a "timeout" fault holds the request
        self.allow_http_loopback_webhooks = allow_http_loopback_webhooks
        self.faults = deque()
        self.request_log = []
        self.deliveries = []
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
                name=f"fake-shopify-{self.port}",
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

    def graphql_url(self, version=API_VERSIONS[-1]):
        return f"{self.base_url}/admin/api/{version}/graphql.json"

    # Knobs and faults

    def fail_next(self, kind, times=1, *, status=None, seconds=None, retry_after=None):
        """Fault the next ``times`` GraphQL requests.

        ``html_5xx`` (``status``, default 502, HTML body), ``json_503`` (``status``, JSON body,
        optional ``retry_after``), ``timeout`` (hold the request ``seconds``, default
        ``timeout_seconds``, then close without answering), ``reset`` (TCP reset, no answer),
        ``unauthorized`` (401 even with a good token), ``throttled`` (a THROTTLED answer,
        HTTP ``status`` 200 or 429 with ``retry_after``).
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; choose from {FAULT_KINDS}")
        with self.lock:
            self.faults.extend(Fault(kind, status, seconds, retry_after) for _ in range(times))

    def issue_token(self):
        token = "shpat_" + secrets.token_hex(16)
        now = time.time()
        self.tokens[token] = {
            "scope": self.scope,
            "issued_at": now,
            "expires_at": now + self.token_ttl,
        }
        return token

    def expire_tokens(self):
        """Expire every granted token now (the static token stays valid)."""
        with self.lock:
            for token in self.tokens.values():
                token["expires_at"] = 0

    # Assertion helpers

    def graphql_requests(self, operation=None):
        return [
            entry
            for entry in self.request_log
            if entry.api_version and (operation is None or entry.operation == operation)
        ]

    def clear_log(self):
        self.request_log.clear()

    # Webhook deliveries, as Shopify makes them

    def deliver_webhook(
        self,
        url,
        topic,
        payload,
        *,
        secret=None,
        webhook_id=None,
        event_id=None,
        api_version=API_VERSIONS[-1],
        tamper=False,
        shop_domain=None,
        triggered_at=None,
        name=None,
        timeout=(1.0, 5.0),
    ):
        """POST a signed webhook to ``url``; returns the ``requests.Response``.

        ``topic`` is the header form (``orders/create``) or the enum (``ORDERS_CREATE``);
        ``payload`` a JSON-able object or the raw body (bytes/str). ``secret`` defaults to the
        client secret. Give the same ``webhook_id`` to simulate a redelivery; ``tamper``
        changes the body after signing. ``timeout`` is Shopify's: connect 1 s, answer 5 s.
        """
        if isinstance(payload, bytes | str):
            body = payload.encode() if isinstance(payload, str) else payload
        else:
            body = json.dumps(payload, separators=(",", ":")).encode()
        signature = sign_body(self.client_secret if secret is None else secret, body)
        if tamper:
            body = body[:-1] + b',"tampered":true}' if body.endswith(b"}") else body + b" "
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Shopify-Captain-Hook",
            "X-Shopify-Topic": TOPICS.get(topic) or COMPLIANCE_TOPICS.get(topic) or topic,
            "X-Shopify-Hmac-Sha256": signature,
            "X-Shopify-Shop-Domain": shop_domain or self.shop_domain,
            "X-Shopify-API-Version": api_version,
            "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
            "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
            "X-Shopify-Triggered-At": triggered_at
            or datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
        }
        if name:
            headers["X-Shopify-Name"] = name
        response = requests.post(url, data=body, headers=headers, timeout=timeout)
        self.deliveries.append(
            {"url": url, "headers": headers, "body": body, "status": response.status_code}
        )
        return response

    def deliver_to_subscriptions(self, topic, payload, **kwargs):
        """Deliver to every subscription of ``topic`` (enum or header form)."""
        enum = next((key for key, value in TOPICS.items() if value == topic), topic)
        return [
            self.deliver_webhook(subscription["uri"], enum, payload, **kwargs)
            for subscription in list(self.webhook_subscriptions.values())
            if subscription["topic"] == enum
        ]

    # Requests

    def respond(self, method, path, headers, body):
        """Answer one HTTP request (called by the handler thread)."""
        entry = LoggedRequest(method, path, {k.lower(): v for k, v in headers.items()}, body)
        self.request_log.append(entry)
        url_path = urlsplit(path).path
        try:
            if method == "POST" and (match := _GRAPHQL_PATH.fullmatch(url_path)):
                entry.api_version = match["version"]
                reply = self._graphql(entry)
            elif method == "POST" and url_path == "/admin/oauth/access_token":
                reply = self._token_grant(entry)
            elif method == "GET" and (match := _BULK_PATH.fullmatch(url_path)):
                reply = self._bulk_download(match["number"])
            else:
                reply = json_reply(404, {"errors": "Not Found"})
        except Exception:  # noqa: BLE001 - a bug in the fake: answer 500 and keep it for tests
            self.server_errors.append(traceback.format_exc())
            reply = Reply(500, traceback.format_exc().encode(), {"Content-Type": "text/plain"})
        entry.status = None if reply.drop else reply.status
        return reply

    def _token_grant(self, entry):
        try:
            if "json" in entry.headers.get("content-type", ""):
                params = json.loads(entry.body or b"{}")
            else:
                params = {k: v[-1] for k, v in parse_qs(entry.body.decode()).items()}
        except ValueError:
            params = None
        if not isinstance(params, dict):
            return json_reply(400, {"error": "invalid_request", "error_description": "bad body"})
        if params.get("grant_type") != "client_credentials":
            description = "Only the client_credentials grant is supported"
            return json_reply(
                400, {"error": "unsupported_grant_type", "error_description": description}
            )
        good_id = hmac.compare_digest(str(params.get("client_id", "")), self.client_id)
        good_secret = hmac.compare_digest(str(params.get("client_secret", "")), self.client_secret)
        if not (good_id and good_secret):
            description = "Client authentication failed: unknown client or wrong secret"
            return json_reply(401, {"error": "invalid_client", "error_description": description})
        with self.lock:
            token = self.issue_token()
        return json_reply(
            200, {"access_token": token, "scope": self.scope, "expires_in": self.token_ttl}
        )

    def _token_valid(self, token):
        if not token:
            return False
        if self.access_token and hmac.compare_digest(token, self.access_token):
            return True
        issued = self.tokens.get(token)
        return bool(issued) and issued["expires_at"] > time.time()

    def _graphql(self, entry):
        try:
            payload = json.loads(entry.body or b"null")
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return json_reply(400, {"errors": {"query": "Required parameter missing or invalid"}})
        entry.variables = payload.get("variables") or {}
        match = _OPERATION_NAME.search(payload["query"])
        entry.operation = payload.get("operationName") or (match and match[1])
        version = entry.api_version
        served = version if version in (*self.api_versions, "unstable") else self.api_versions[0]
        with self.lock:
            fault = self.faults.popleft() if self.faults else None
        if fault and fault.kind != "throttled":
            entry.fault = fault.kind
            reply = self._fault_reply(fault)
        elif not self._token_valid(entry.headers.get("x-shopify-access-token")):
            reply = json_reply(401, INVALID_TOKEN_BODY)
        else:
            reply = self._execute(payload, entry, forced_throttle=fault)
        reply.headers["X-Shopify-API-Version"] = served
        return reply

    def _fault_reply(self, fault):
        if fault.kind == "html_5xx":
            status = fault.status or 502
            title = f"{status} {HTTPStatus(status).phrase}"
            html = (
                f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
                f"<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
            )
            return Reply(status, html.encode(), {"Content-Type": "text/html"})
        if fault.kind == "json_503":
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            return json_reply(fault.status or 503, {"errors": "Service Unavailable"}, headers)
        if fault.kind == "unauthorized":
            return json_reply(401, INVALID_TOKEN_BODY)
        if fault.kind == "timeout":
            seconds = self.timeout_seconds if fault.seconds is None else fault.seconds
            return Reply(drop="timeout", hang=seconds)
        return Reply(drop="reset")

    def _cost(self, requested, actual):
        return {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": self.bucket.status(),
        }

    def _throttled_reply(self, entry, requested, status=None, retry_after=None):
        entry.throttled = True
        status = status or self.throttle_status
        error = {
            "message": "Throttled",
            "extensions": {"code": "THROTTLED", "documentation": RATE_LIMITS_DOC},
        }
        headers = {}
        if status == 429:
            wait = retry_after or max(1, math.ceil(self.bucket.seconds_until(requested)))
            headers["Retry-After"] = str(wait)
        payload = {"errors": [error], "extensions": {"cost": self._cost(requested, None)}}
        return json_reply(status, payload, headers)

    def _execute(self, payload, entry, forced_throttle=None):
        variables = entry.variables if isinstance(entry.variables, dict) else {}
        try:
            operation = parse_operation(payload["query"], payload.get("operationName"))
            entry.operation = operation.name
            for name, type_ref in operation.variable_types.items():
                if type_ref.endswith("!") and variables.get(name) is None:
                    message = f"Variable ${name} of type {type_ref} was provided invalid value"
                    raise GraphQLError(message, "INVALID_VARIABLE")
            spec = OPERATIONS.get(operation.name)
            if spec is None:
                name = operation.name or "(anonymous)"
                raise GraphQLError(f"The fake Shopify has no operation {name}", "UNKNOWN_OPERATION")
            if len(operation.selections) != 1:
                raise GraphQLError("The fake Shopify answers operations with one root field")
            root = operation.selections[0]
            call = GraphQLCall(operation, root, resolve(root.args, variables), variables)
            requested = self.costs.get(operation.name) or spec.cost(call.args)
        except GraphQLError as exc:
            return json_reply(200, {"errors": [exc.as_json()]})
        maximum = int(self.bucket.maximum_available)
        if requested > maximum:
            message = (
                f"Query cost is {requested}, which exceeds the single query max cost limit "
                f"({maximum})."
            )
            error = {"message": message, "extensions": {"code": "MAX_COST_EXCEEDED"}}
            return json_reply(200, {"errors": [error]})
        if forced_throttle:
            entry.fault = forced_throttle.kind
            return self._throttled_reply(
                entry, requested, forced_throttle.status, forced_throttle.retry_after
            )
        if not self.bucket.take(requested):
            return self._throttled_reply(entry, requested)
        with self.lock:
            try:
                value, actual = spec.resolve(self, call)
                data = {root.alias: project(value, root.selections, root.alias)}
            except GraphQLError as exc:
                self.bucket.give_back(requested)
                answer = {
                    "errors": [exc.as_json()],
                    "extensions": {"cost": self._cost(requested, 0)},
                }
                return json_reply(200, answer)
            actual = requested if operation.name in self.costs else min(actual, requested)
            self.bucket.give_back(requested - actual)
            extensions = {"cost": self._cost(requested, actual)}
            if call.search:
                extensions["search"] = call.search
            return json_reply(200, {"data": data, "extensions": extensions})

    def _bulk_download(self, number):
        data = self.bulk_files.get(number)
        if data is None:
            return json_reply(404, {"errors": "Not Found"})
        return Reply(200, data, {"Content-Type": "application/jsonl"})


# -- Operations, by name -------------------------------------------------------------------


@dataclass(frozen=True)
class OperationSpec:
    resolve: Callable  # (fake, call) → (root field value, actual cost)
    cost: Callable  # root arguments → requested cost


OPERATIONS: dict[str, OperationSpec] = {}


def operation(name, cost):
    """Register the resolver of the operation ``name``; ``cost``: points or args → points."""

    def register(func):
        OPERATIONS[name] = OperationSpec(func, cost if callable(cost) else lambda args: cost)
        return func

    return register


def _page_cost(args):
    return connection_cost(args.get("first"))


@operation("RetailShop", cost=1)
def _shop(fake, call):
    shop = {
        "id": "gid://shopify/Shop/1",
        "name": fake.shop_name,
        "myshopifyDomain": fake.shop_domain,
        "currencyCode": fake.currency,
        "ianaTimezone": "Europe/Paris",
    }
    return shop, 1


@operation("RetailWebhookSubscriptions", cost=_page_cost)
def _webhook_subscriptions(fake, call):
    key = lambda subscription: [numeric_id(subscription)]  # noqa: E731
    page = fake.paginate(fake.webhook_subscriptions.values(), call.args, key)
    return page, connection_cost(len(page["nodes"]))


def _webhook_uri_ok(fake, uri):
    parts = urlsplit(uri or "")
    if parts.scheme == "https" and parts.hostname:
        return True
    loopback = parts.hostname in ("127.0.0.1", "localhost")
    return parts.scheme == "http" and loopback and fake.allow_http_loopback_webhooks


@operation("RetailWebhookSubscriptionCreate", cost=10)
def _webhook_subscription_create(fake, call):
    topic = call.args.get("topic")
    spec = call.args.get("webhookSubscription") or {}
    if topic not in TOPICS and topic not in COMPLIANCE_TOPICS:
        message = "Variable $topic of type WebhookSubscriptionTopic! was provided invalid value"
        raise GraphQLError(message, "INVALID_VARIABLE")
    unknown = sorted(set(spec) - {"uri", "format", "includeFields", "filter"})
    if unknown:
        message = f"WebhookSubscriptionInput doesn't accept argument '{unknown[0]}'"
        raise GraphQLError(message, "argumentNotAccepted")
    uri, path = spec.get("uri"), ["webhookSubscription", "uri"]
    if topic in COMPLIANCE_TOPICS:
        error = user_error(
            ["topic"], "Compliance topics are configured in the app's configuration, not the API"
        )
    elif not _webhook_uri_ok(fake, uri):
        error = user_error(path, "Address is invalid")
    elif any(s["topic"] == topic and s["uri"] == uri for s in fake.webhook_subscriptions.values()):
        error = user_error(path, "Address for this topic has already been taken")
    else:
        subscription = fake.add_webhook_subscription(topic, uri, spec.get("format") or "JSON")
        return {"webhookSubscription": subscription, "userErrors": []}, 10
    return {"webhookSubscription": None, "userErrors": [error]}, 10


ORDER_SORT_KEYS = {
    "ID": lambda order: [numeric_id(order)],
    "UPDATED_AT": lambda order: [parse_time(order["updatedAt"]).timestamp(), numeric_id(order)],
    "CREATED_AT": lambda order: [parse_time(order["createdAt"]).timestamp(), numeric_id(order)],
}


@operation("RetailOrdersUpdatedSince", cost=_page_cost)
def _orders(fake, call):
    key = ORDER_SORT_KEYS.get(call.args.get("sortKey") or "ID")
    if key is None:
        raise GraphQLError(f"The fake Shopify can't sort orders by {call.args['sortKey']}")
    page = fake.paginate(fake.search_orders(call.args.get("query"), call), call.args, key)
    return page, connection_cost(len(page["nodes"]))


@operation("RetailOrderRisk", cost=2)
def _order_risk(fake, call):
    return fake.orders.get(call.args.get("id")), 2


@operation("RetailFulfillmentOrders", cost=1 + connection_cost(50) + connection_cost(250))
def _fulfillment_orders(fake, call):
    order = fake.orders.get(call.args.get("id"))
    nodes = order["fulfillmentOrders"]["nodes"] if order else []
    lines = sum(len(node["lineItems"]["nodes"]) for node in nodes)
    return order, 1 + connection_cost(len(nodes)) + connection_cost(lines)


def _plan_fulfillment(fake, groups):
    """Check a fulfillmentCreate request: ``(plan, userErrors)``; nothing is applied."""
    errors, plan, locations, wanted = [], [], set(), defaultdict(int)
    if not groups:
        path = ["fulfillment", "lineItemsByFulfillmentOrder"]
        errors.append(user_error(path, "At least one fulfillment order is required."))
    for index, group in enumerate(groups):
        path = ["fulfillment", "lineItemsByFulfillmentOrder", str(index)]
        found = fake.fulfillment_order(group.get("fulfillmentOrderId"))
        if found is None:
            errors.append(user_error([*path, "fulfillmentOrderId"], "Fulfillment order not found."))
            continue
        order, fulfillment_order = found
        status = fulfillment_order["status"]
        if status not in FULFILLABLE_STATUSES:
            message = (
                f"Fulfillment order {fulfillment_order['id']} has an unfulfillable "
                f"status= {status.lower()}."
            )
            errors.append(user_error([*path, "fulfillmentOrderId"], message))
            continue
        locations.add(fulfillment_order["assignedLocation"]["location"]["id"])
        lines = {line["id"]: line for line in fulfillment_order["lineItems"]["nodes"]}
        items = group.get("fulfillmentOrderLineItems") or [
            {"id": line["id"], "quantity": line["remainingQuantity"]}
            for line in lines.values()
            if line["remainingQuantity"] > 0
        ]
        for position, item in enumerate(items):
            item_path = [*path, "fulfillmentOrderLineItems", str(position)]
            line, quantity = lines.get(item.get("id")), item.get("quantity")
            if line is None:
                message = "Fulfillment order line item does not belong to the fulfillment order."
                errors.append(user_error([*item_path, "id"], message))
                continue
            wanted[line["id"]] += quantity if isinstance(quantity, int) else 0
            too_many = wanted[line["id"]] > line["remainingQuantity"]
            if not isinstance(quantity, int) or quantity < 1 or too_many:
                message = "Invalid fulfillment order line item quantity requested."
                errors.append(user_error([*item_path, "quantity"], message))
            else:
                plan.append((order, fulfillment_order, line, quantity))
    if len(locations) > 1:
        message = "All fulfillment orders must be assigned to the same location."
        errors.append(user_error(["fulfillment", "lineItemsByFulfillmentOrder"], message))
    return plan, errors


@operation("RetailFulfillmentCreate", cost=10)
def _fulfillment_create(fake, call):
    spec = call.args.get("fulfillment") or {}
    plan, errors = _plan_fulfillment(fake, spec.get("lineItemsByFulfillmentOrder") or [])
    if errors:
        return {"fulfillment": None, "userErrors": errors}, 10
    touched = {}
    items = []
    for order, fulfillment_order, line, quantity in plan:
        line["remainingQuantity"] -= quantity
        touched[fulfillment_order["id"]] = (order, fulfillment_order)
        items.append(
            {
                "id": fake.new_gid("FulfillmentLineItem"),
                "quantity": quantity,
                "lineItem": dict(line["lineItem"]),
                "fulfillmentOrderId": fulfillment_order["id"],
                "fulfillmentOrderLineItemId": line["id"],
            }
        )
    for order, fulfillment_order in touched.values():
        done = all(
            line["remainingQuantity"] == 0 for line in fulfillment_order["lineItems"]["nodes"]
        )
        fulfillment_order["status"] = "CLOSED" if done else "IN_PROGRESS"
        all_closed = all(fo["status"] == "CLOSED" for fo in order["fulfillmentOrders"]["nodes"])
        order["displayFulfillmentStatus"] = "FULFILLED" if all_closed else "PARTIALLY_FULFILLED"
        order["updatedAt"] = iso(utcnow())
    order, fulfillment_order = next(iter(touched.values()))
    tracking = spec.get("trackingInfo") or {}
    tracking_info = [{key: tracking.get(key) for key in ("company", "number", "url")}]
    fulfillment = {
        "id": fake.new_gid("Fulfillment"),
        "status": "SUCCESS",
        "createdAt": iso(utcnow()),
        "order": {"id": order["id"]},
        "location": {"id": fulfillment_order["assignedLocation"]["location"]["id"]},
        "trackingInfo": tracking_info if tracking else [],
        "notifyCustomer": bool(spec.get("notifyCustomer")),
        "fulfillmentLineItems": {"nodes": items},
    }
    fake.fulfillments[fulfillment["id"]] = fulfillment
    order["fulfillments"].append(fulfillment)
    return {"fulfillment": fulfillment, "userErrors": []}, 10


@operation("RetailInventoryItems", cost=_page_cost)
def _inventory_items(fake, call):
    terms = search_terms(call.args.get("query"))
    skus = {value for name, _op, value in terms if name == "sku"}
    ignored = [
        {"field": name, "message": "Invalid search field for this query."}
        for name, _op, _value in terms
        if name != "sku"
    ]
    if ignored:
        call.search.append(
            {"path": [call.root.alias], "query": call.args.get("query"), "warnings": ignored}
        )
    variants = [v for v in fake.variants.values() if not skus or v["sku"] in skus]
    page = fake.paginate(variants, call.args, lambda variant: [numeric_id(variant)])
    return page, connection_cost(len(page["nodes"]))


def _inventory_errors(fake, data):
    """The userErrors of an inventorySetQuantities input (empty: it can be applied)."""
    errors, seen = [], set()
    if data.get("name") not in ("available", "on_hand"):
        message = "The quantity name must be either 'available' or 'on_hand'."
        errors.append(user_error(["input", "name"], message, "INVALID_NAME"))
    if data.get("reason") not in INVENTORY_REASONS:
        errors.append(
            user_error(["input", "reason"], "The specified reason is invalid.", "INVALID_REASON")
        )
    if str(data.get("referenceDocumentUri") or "").startswith("gid://shopify/"):
        message = "The specified reference document is invalid."
        errors.append(
            user_error(["input", "referenceDocumentUri"], message, "INVALID_REFERENCE_DOCUMENT")
        )
    quantities = data.get("quantities") or []
    if len(quantities) > 250:
        errors.append(user_error(["input", "quantities"], "At most 250 quantities per call."))
    for index, entry in enumerate(quantities):
        path = ["input", "quantities", str(index)]
        item_id, location_id = entry.get("inventoryItemId"), entry.get("locationId")
        level = fake.inventory_levels.get((item_id, location_id))
        if not any(v["inventoryItem"]["id"] == item_id for v in fake.variants.values()):
            message = "The specified inventory item could not be found."
            errors.append(user_error([*path, "inventoryItemId"], message, "INVALID_INVENTORY_ITEM"))
        elif location_id not in fake.locations:
            message = "The specified location could not be found."
            errors.append(user_error([*path, "locationId"], message, "INVALID_LOCATION"))
        elif level is None:
            message = "The specified inventory item is not stocked at the location."
            errors.append(user_error(path, message, "ITEM_NOT_STOCKED_AT_LOCATION"))
        elif (item_id, location_id) in seen:
            message = "The combination of inventoryItemId and locationId must be unique."
            errors.append(user_error(path, message, "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR"))
        elif "changeFromQuantity" not in entry:
            message = "changeFromQuantity must be given to each quantity (null opts out)."
            errors.append(
                user_error([*path, "changeFromQuantity"], message, "COMPARE_QUANTITY_REQUIRED")
            )
        elif entry["changeFromQuantity"] is not None and (
            entry["changeFromQuantity"] != level.get(data.get("name"))
        ):
            message = "The changeFromQuantity value does not match persisted value."
            errors.append(
                user_error([*path, "changeFromQuantity"], message, "CHANGE_FROM_QUANTITY_STALE")
            )
        seen.add((item_id, location_id))
    return errors


def _apply_inventory(fake, data):
    """Set the quantities; both available and on_hand move by the same delta."""
    name, other = data["name"], "on_hand" if data["name"] == "available" else "available"
    changes = []
    for entry in data.get("quantities") or []:
        level = fake.inventory_levels[(entry["inventoryItemId"], entry["locationId"])]
        delta = entry["quantity"] - level[name]
        level[name] = entry["quantity"]
        level[other] += delta
        for quantity_name in (name, other):
            changes.append(
                {
                    "name": quantity_name,
                    "delta": delta,
                    "quantityAfterChange": level[quantity_name],
                    "item": {"id": entry["inventoryItemId"]},
                    "location": {"id": entry["locationId"]},
                }
            )
    group = {
        "id": fake.new_gid("InventoryAdjustmentGroup"),
        "createdAt": iso(utcnow()),
        "reason": data.get("reason"),
        "referenceDocumentUri": data.get("referenceDocumentUri"),
        "changes": changes,
    }
    fake.inventory_adjustment_groups[group["id"]] = group
    return group


@operation("RetailInventorySetQuantities", cost=10)
def _inventory_set_quantities(fake, call):
    directive = call.root.directives.get("idempotent")
    key = resolve(directive, call.variables).get("key") if directive is not None else None
    if not key:
        message = "inventorySetQuantities requires the @idempotent(key: ...) directive."
        raise GraphQLError(message, "IDEMPOTENCY_KEY_REQUIRED")
    data = call.args.get("input") or {}
    fingerprint = json.dumps(data, sort_keys=True)
    record = {
        "idempotency_key": key,
        "input": copy.deepcopy(data),
        "quantities": copy.deepcopy(data.get("quantities") or []),
        "applied": False,
        "replayed": False,
    }
    fake.inventory_set_calls.append(record)
    previous = fake._idempotency.get(key)
    if previous and previous["fingerprint"] != fingerprint:
        message = "The same idempotency key cannot be used with different operation parameters."
        errors = [user_error(None, message, "IDEMPOTENCY_KEY_PARAMETER_MISMATCH")]
        result = {"inventoryAdjustmentGroup": None, "userErrors": errors}
    elif previous and previous["failed"]:
        message = "A previous request with this idempotency key failed. Retry with a new key."
        errors = [user_error(None, message, "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED")]
        result = {"inventoryAdjustmentGroup": None, "userErrors": errors}
    elif previous:
        record["replayed"] = True
        result = previous["result"]
    else:
        errors = _inventory_errors(fake, data)
        group = None if errors else _apply_inventory(fake, data)
        record["applied"] = group is not None
        result = {"inventoryAdjustmentGroup": group, "userErrors": errors}
        fake._idempotency[key] = {
            "fingerprint": fingerprint,
            "result": result,
            "failed": bool(errors),
        }
    record["user_errors"] = result["userErrors"]
    return result, 10


@operation("RetailBulkOperationRunQuery", cost=10)
def _bulk_operation_run_query(fake, call):
    running = fake._current_bulk_operation()
    if running and running["status"] in ("CREATED", "RUNNING"):
        message = (
            f"A bulk query operation for this app and shop is already in progress: {running['id']}."
        )
        return {"bulkOperation": None, "userErrors": [user_error(None, message)]}, 10
    query = call.args.get("query") or ""
    try:
        fake._bulk_export(query)  # validate now, export when it completes
    except GraphQLError as exc:
        error = user_error(["query"], f"Invalid bulk query: {exc.message}")
        return {"bulkOperation": None, "userErrors": [error]}, 10
    bulk = {
        "id": fake.new_gid("BulkOperation"),
        "type": "QUERY",
        "status": "CREATED",
        "query": query,
        "createdAt": iso(utcnow()),
        "completedAt": None,
        "errorCode": None,
        "objectCount": "0",
        "rootObjectCount": "0",
        "fileSize": None,
        "url": None,
        "partialDataUrl": None,
    }
    fake.bulk_operations[bulk["id"]] = bulk
    delay = fake.bulk_delay
    fake._bulk_ready_at[bulk["id"]] = None if delay is None else time.monotonic() + delay
    return {"bulkOperation": bulk, "userErrors": []}, 10


@operation("RetailCurrentBulkOperation", cost=1)
def _current_bulk_operation(fake, call):
    return fake._current_bulk_operation(), 1
