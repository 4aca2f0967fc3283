"""The fake Shopify's Admin API over HTTP: routes, auth and tokens, cost throttling, faults,
and the execution of a GraphQL request by operation name."""

import hmac
import json
import math
import re
import secrets
import time
from dataclasses import dataclass
from urllib.parse import parse_qs

from ..harness import (
    FakeServer,
    FaultQueue,
    LoggedRequest,
    Reply,
    gateway_page,
    json_reply,
    retry_after,
    routes,
)
from . import after_sale, mutations, queries  # noqa: F401 - they register the operations
from .common import API_VERSIONS
from .graphql import OPERATIONS, GraphQLCall, GraphQLError, parse_operation, project, resolve
from .state import ShopState
from .throttle import CostBucket
from .webhooks import WebhookSender

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
_OPERATION_NAME = re.compile(r"\b(?:query|mutation|subscription)\s+(\w+)")


@dataclass
class ShopifyRequest(LoggedRequest):
    """A logged request, with what the GraphQL endpoint read from it."""

    api_version: str | None = None  # set on GraphQL requests only
    operation: str | None = None
    variables: dict | None = None


class FakeShopify(WebhookSender, FakeServer, ShopState):
    """A Shopify shop and its Admin API, served on 127.0.0.1 (``with FakeShopify() as s:``)."""

    name = "shopify"
    server_version = "FakeShopify"
    methods = ("GET", "POST")
    request_class = ShopifyRequest
    FAULT_KINDS = FAULT_KINDS
    ROUTES = routes(
        ("POST", r"/admin/api/(?P<version>\d{4}-\d{2}|unstable)/graphql\.json", "_graphql"),
        ("POST", r"/admin/oauth/access_token", "_token_grant"),
        ("GET", r"/bulk/(?P<number>\d+)\.jsonl", "_bulk_download"),
    )

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
        ShopState.__init__(
            self,
            shop_domain=shop_domain,
            shop_name=shop_name,
            currency=currency,
            max_page_size=max_page_size,
            bulk_delay=bulk_delay,
            first_order=first_order,
        )
        FakeServer.__init__(self, timeout_seconds=timeout_seconds)
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
        self.allow_http_loopback_webhooks = allow_http_loopback_webhooks
        self.deliveries = []
        self.after_faults = FaultQueue(FAULT_KINDS)  # answers lost after the work is done

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
        self.queue_fault(kind, times, status=status, seconds=seconds, retry_after=retry_after)

    def fail_after_apply(self, kind, operation=None, times=1, *, status=None, seconds=None):
        """Lose the answer of the next ``times`` GraphQL requests (of ``operation``, by
        name; any when None) *after* the shop applied them: the change is made, the client
        gets the fault (``html_5xx``, ``json_503``, ``timeout``, ``reset``) instead."""
        self.after_faults.add(kind, times, status=status, seconds=seconds, route=operation)

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

    # Requests

    def _answer(self, entry):
        return self.dispatch(entry, lambda entry: json_reply(404, {"errors": "Not Found"}))

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

    def _graphql(self, entry, version):
        entry.api_version = version
        payload = entry.json_or_none()
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return json_reply(400, {"errors": {"query": "Required parameter missing or invalid"}})
        entry.variables = payload.get("variables") or {}
        match = _OPERATION_NAME.search(payload["query"])
        entry.operation = payload.get("operationName") or (match and match[1])
        served = version if version in (*self.api_versions, "unstable") else self.api_versions[0]
        fault = self.faults.take()
        if fault and fault.kind != "throttled":
            entry.fault = fault.kind
            reply = self._fault_reply(fault)
        elif not self._token_valid(entry.headers.get("x-shopify-access-token")):
            reply = json_reply(401, INVALID_TOKEN_BODY)
        else:
            reply = self._execute(payload, entry, forced_throttle=fault)
            lost = reply.status == 200 and self.after_faults.take(entry.operation)
            if lost:
                entry.fault = f"{lost.kind} after apply"
                reply = self._fault_reply(lost)
        reply.headers["X-Shopify-API-Version"] = served
        return reply

    def _fault_reply(self, fault):
        if fault.kind == "html_5xx":
            return gateway_page(fault.status or 502)
        if fault.kind == "json_503":
            headers = retry_after(fault.retry_after)
            return json_reply(fault.status or 503, {"errors": "Service Unavailable"}, headers)
        if fault.kind == "unauthorized":
            return json_reply(401, INVALID_TOKEN_BODY)
        return super()._fault_reply(fault)

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

    def _bulk_download(self, entry, number):
        data = self.bulk_files.get(number)
        if data is None:
            return json_reply(404, {"errors": "Not Found"})
        return Reply(200, data, {"Content-Type": "application/jsonl"})
