"""Channel API v1: a governed REST API for channels without a connector.

Every route goes through :func:`_serve`: authenticate the key, take a token
from its rate bucket, check its scope, hold writes to their Idempotency-Key,
run the handler, answer JSON or an RFC 9457 problem, and record the call.
The handlers only parse and delegate to the ``retail.api.*`` services.

Once the key is known, the request's environment is the key's technical
user (``group_retail_api_client``): the services read and write as that
user, under its access rights and its backend's record rules. The
governance steps around them are the API's own and run with system rights,
each in one place: finding the key by its secret (:func:`_authenticate`),
the rate bucket (its own cursor), the idempotency record
(:meth:`_serve_idempotent`) and the call log (:meth:`_record`).
"""

import hashlib
import json
import logging
import time

from psycopg2 import errors as pg_errors

from odoo import http
from odoo.http import request
from odoo.sql_db import Cursor

from ..channel_api import openapi
from ..channel_api.models import CancelRequest
from ..channel_api.problems import PROBLEM_CONTENT_TYPE, ApiProblem, validation_problem
from ..channel_api.rate_limit import take_token
from .webhook import _read_body

_logger = logging.getLogger(__name__)

API_PREFIX = "/retail/api/v1"
JSON_CONTENT_TYPES = ("application/json", "application/merge-patch+json")
MAX_IDEMPOTENCY_KEY = 255
RATE_ENVIRON_KEY = "retail_connector.api_rate_decision"
# Errors Odoo answers by running the request again in a new transaction:
# never turned into an answer here.
RETRIED_ERRORS = (
    pg_errors.SerializationFailure,
    pg_errors.DeadlockDetected,
    pg_errors.LockNotAvailable,
)

ROUTE_OPTIONS = {
    "type": "http",
    "auth": "none",
    "csrf": False,
    "save_session": False,
    "readonly": False,
}


def _json_bytes(data):
    if hasattr(data, "model_dump"):
        data = data.model_dump(mode="json")
    return json.dumps(data, ensure_ascii=False).encode()


def _bearer_secret(httprequest):
    header = httprequest.headers.get("Authorization", "")
    scheme, _sep, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else None


def _unauthorized(detail, error="invalid_token"):
    challenge = 'Bearer realm="retail-api"'
    if error:
        challenge += f', error="{error}"'
    return ApiProblem(
        401, "unauthorized", "Unauthorized", detail, headers={"WWW-Authenticate": challenge}
    )


def _authenticate(httprequest):
    secret = _bearer_secret(httprequest)
    if not secret:
        raise _unauthorized("Send the API key as 'Authorization: Bearer <key>'.", error=None)
    # Privileged: the keys are nobody's to read, their users' least of all.
    key, state = request.env["retail.api.key"].sudo()._authenticate(secret)
    if not key:
        raise _unauthorized("Unknown API key.")
    if state == "archived":
        raise _unauthorized("The channel of this API key is archived.")
    if state != "active":
        raise _unauthorized(f"This API key is {state}.")
    if not key.user_id.active:
        raise _unauthorized("This API key has no technical user; ask for a new key.")
    return key


def _take_rate_token(key):
    """The key's rate decision for this HTTP request, taken once even when
    Odoo runs the request again after a serialization failure, and
    committed at once so that every worker sees it."""
    environ = request.httprequest.environ
    decision = environ.get(RATE_ENVIRON_KEY)
    if decision is None:
        with request.env.registry.cursor() as cr:
            if isinstance(cr, Cursor):
                # Concurrent requests of a key update one row: each must see
                # the others' tokens, not fail as under REPEATABLE READ.
                cr.execute(
                    "SET TRANSACTION ISOLATION LEVEL READ COMMITTED;"
                    # A token lost in a crash is harmless: no wait for the WAL flush.
                    " SET LOCAL synchronous_commit TO OFF"
                )
            decision = take_token(cr, key.id, key.rate_limit_per_minute, key.rate_limit_burst)
        environ[RATE_ENVIRON_KEY] = decision
    return decision


def _read_json_body(httprequest, limit):
    content_type = (httprequest.mimetype or "").lower()
    if content_type not in JSON_CONTENT_TYPES:
        raise ApiProblem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            "Send the body as application/json.",
        )
    if httprequest.content_length is not None and httprequest.content_length > limit:
        raise ApiProblem(413, "too-large", "Body too large", f"At most {limit} bytes.")
    body = _read_body(httprequest, limit)
    if body is None:
        raise ApiProblem(413, "too-large", "Body too large", f"At most {limit} bytes.")
    try:
        json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise ApiProblem(
            400, "invalid-json", "Invalid JSON", "The body is not valid JSON."
        ) from None
    return body


def _idempotency_key(httprequest):
    value = (httprequest.headers.get("Idempotency-Key") or "").strip()
    if not value:
        raise ApiProblem(
            400,
            "idempotency-key-missing",
            "Idempotency-Key missing",
            "Every POST and PATCH needs an Idempotency-Key header (a UUID per operation).",
        )
    if len(value) > MAX_IDEMPOTENCY_KEY:
        raise ApiProblem(
            400,
            "idempotency-key-invalid",
            "Idempotency-Key too long",
            f"At most {MAX_IDEMPOTENCY_KEY} characters.",
        )
    return value


class _Call:
    """What one API call knows as it goes, for its answer and its record."""

    def __init__(self):
        self.started = time.monotonic()
        # The key as the API's governance sees it (sudo), and its backend as
        # the key's technical user sees it (what the services get).
        self.key = None
        self.backend = None
        self.rate = None
        self.idempotency_key = None
        self.replayed = False
        self.request_bytes = 0
        self.headers = {}


class RetailApiV1Controller(http.Controller):
    # Orders

    @http.route(f"{API_PREFIX}/orders", **ROUTE_OPTIONS)
    def retail_api_orders(self, **_kwargs):
        return self._serve("POST", "orders:write", self._post_order, write=True)

    def _post_order(self, call, body):
        respond_async = "respond-async" in (request.httprequest.headers.get("Prefer") or "")
        status, receipt = request.env["retail.api.orders"]._submit(
            call.backend, call.key.id, body, call.idempotency_key, respond_async=respond_async
        )
        call.headers["Location"] = f"{API_PREFIX}/orders/{receipt.external_id}"
        return status, receipt

    @http.route(f"{API_PREFIX}/orders/<string:external_id>", **ROUTE_OPTIONS)
    def retail_api_order(self, external_id, **_kwargs):
        return self._serve(
            "GET",
            "orders:read",
            lambda call, _body: (
                200,
                request.env["retail.api.orders"]._get(call.backend, external_id),
            ),
        )

    @http.route(f"{API_PREFIX}/orders/<string:external_id>/shipments", **ROUTE_OPTIONS)
    def retail_api_order_shipments(self, external_id, **_kwargs):
        return self._serve(
            "GET",
            "orders:read",
            lambda call, _body: (
                200,
                request.env["retail.api.orders"]._shipments(call.backend, external_id),
            ),
        )

    @http.route(f"{API_PREFIX}/orders/<string:external_id>/cancel", **ROUTE_OPTIONS)
    def retail_api_order_cancel(self, external_id, **_kwargs):
        def cancel(call, body):
            try:
                cancel_request = CancelRequest.model_validate_json(body)
            except ValueError as exc:
                raise validation_problem(exc) from None
            return 200, request.env["retail.api.orders"]._cancel(
                call.backend, external_id, cancel_request
            )

        return self._serve("POST", "orders:write", cancel, write=True)

    # Customers

    @http.route(f"{API_PREFIX}/customers", **ROUTE_OPTIONS)
    def retail_api_customers(self, **_kwargs):
        args = request.httprequest.args

        def search(call, _body):
            return 200, request.env["retail.api.customers"]._search(
                call.backend,
                email=args.get("email"),
                phone=args.get("phone"),
                external_id=args.get("external_id"),
            )

        return self._serve("GET", "customers:read", search)

    @http.route(f"{API_PREFIX}/customers/<int:customer_id>", **ROUTE_OPTIONS)
    def retail_api_customer(self, customer_id, **_kwargs):
        return self._serve(
            "PATCH",
            "customers:write",
            lambda call, body: (
                200,
                request.env["retail.api.customers"]._update(call.backend, customer_id, body),
            ),
            write=True,
        )

    # Inventory

    @http.route(f"{API_PREFIX}/inventory", **ROUTE_OPTIONS)
    def retail_api_inventory(self, **_kwargs):
        args = request.httprequest.args

        def levels(call, _body):
            skus = args.getlist("sku")
            if "skus" in args:
                call.headers.update(openapi.deprecation_headers("skus"))
                for value in args.getlist("skus"):
                    skus.extend(value.split(","))
            return 200, request.env["retail.api.inventory"]._levels(call.backend, skus)

        return self._serve("GET", "inventory:read", levels)

    # The API's description and unknown routes

    @http.route(
        f"{API_PREFIX}/openapi.json", type="http", auth="none", methods=["GET"], save_session=False
    )
    def retail_api_openapi(self, **_kwargs):
        return request.make_response(
            _json_bytes(openapi.document()),
            headers=[
                ("Content-Type", "application/json"),
                ("Cache-Control", "public, max-age=300"),
            ],
        )

    @http.route([f"{API_PREFIX}", f"{API_PREFIX}/<path:_unknown>"], **ROUTE_OPTIONS)
    def retail_api_unknown(self, _unknown=None, **_kwargs):
        def unknown(_call, _body):
            raise ApiProblem(404, "not-found", "Not found", "No such route in API v1.")

        return self._serve(request.httprequest.method, None, unknown)

    # The one path of every call

    def _serve(self, method, scope, handler, write=False):
        """Run ``handler(call, body) -> (status, answer)`` for the caller's
        key, as described in this module's docstring."""
        httprequest = request.httprequest
        call = _Call()
        try:
            try:
                status, body = self._serve_checked(call, method, scope, handler, write)
                content_type = "application/json"
            except ApiProblem as problem:
                status, body, content_type = self._problem_answer(call, problem)
        except RETRIED_ERRORS:
            raise
        except Exception:
            _logger.exception("Channel API call %s %s failed", httprequest.method, httprequest.path)
            request.env.cr.rollback()
            request.update_env(user=call.key.user_id.id if call.key else None)
            problem = ApiProblem(
                500, "internal", "Internal error", "The call failed; nothing was kept."
            )
            status, body, content_type = self._problem_answer(call, problem)
        headers = dict(call.headers)
        if call.rate:
            headers.update(call.rate.headers())
        headers["Content-Type"] = content_type
        self._record(call, status, len(body))
        return request.make_response(body, headers=list(headers.items()), status=status)

    def _serve_checked(self, call, method, scope, handler, write):
        httprequest = request.httprequest
        key = _authenticate(httprequest)
        # From here on the request runs as the key's technical user.
        request.update_env(user=key.user_id.id)
        call.key = key = key.with_env(request.env).sudo()
        call.backend = key.backend_id.with_env(request.env)
        call.rate = _take_rate_token(key)
        if not call.rate.allowed:
            raise ApiProblem(
                429,
                "rate-limited",
                "Too many requests",
                f"This key may make {key.rate_limit_per_minute} requests per minute "
                f"(bursts of {key.rate_limit_burst}).",
            )
        if httprequest.method != method:
            raise ApiProblem(
                405,
                "method-not-allowed",
                "Method not allowed",
                f"This route answers {method}.",
                headers={"Allow": method},
            )
        if scope and not key._has_scope(scope):
            raise ApiProblem(
                403,
                "insufficient-scope",
                "Insufficient scope",
                f"This API key lacks the scope {scope}.",
                headers={
                    "WWW-Authenticate": f'Bearer realm="retail-api", error="insufficient_scope", '
                    f'scope="{scope}"'
                },
            )
        if not write:
            status, answer = handler(call, b"")
            return status, _json_bytes(answer)
        call.idempotency_key = _idempotency_key(httprequest)
        body = _read_json_body(httprequest, key.backend_id.webhook_max_body_bytes)
        call.request_bytes = len(body)
        return self._serve_idempotent(call, handler, body)

    def _serve_idempotent(self, call, handler, body):
        """Answer a write once per Idempotency-Key: the first call runs, its
        answer (success or problem) is kept and replayed to the others."""
        httprequest = request.httprequest
        # Privileged: the idempotency records are the API's own, no key's user reads them.
        Idempotency = request.env["retail.api.idempotency"].sudo()
        request_hash = hashlib.sha256(
            b"\n".join([httprequest.method.encode(), httprequest.path.encode(), body])
        ).hexdigest()
        claim_id, previous = Idempotency._claim(
            call.key.backend_id.id, call.key.id, call.idempotency_key, request_hash
        )
        if previous:
            if previous["request_hash"] != request_hash:
                raise ApiProblem(
                    422,
                    "idempotency-key-reused",
                    "Idempotency-Key reused",
                    "This Idempotency-Key was used for another request; use a new key "
                    "for a new operation.",
                )
            if previous["status"] is None:
                raise ApiProblem(
                    409,
                    "idempotency-in-progress",
                    "Request in progress",
                    "The first request with this Idempotency-Key is still running.",
                    headers={"Retry-After": "1"},
                )
            call.replayed = True
            call.headers["Idempotent-Replayed"] = "true"
            raise _Replay(previous["status"], previous["body"].encode(), previous["content_type"])
        try:
            with request.env.cr.savepoint():
                status, answer = handler(call, body)
        except ApiProblem as problem:
            status, answer_bytes, content_type = self._problem_answer(call, problem)
            Idempotency._complete(claim_id, status, content_type, answer_bytes.decode())
            raise _Replay(status, answer_bytes, content_type) from None
        answer_bytes = _json_bytes(answer)
        Idempotency._complete(claim_id, status, "application/json", answer_bytes.decode())
        return status, answer_bytes

    def _problem_answer(self, call, problem):
        if isinstance(problem, _Replay):
            return problem.status, problem.body, problem.content_type
        call.headers.update(problem.headers)
        body = _json_bytes(problem.to_dict(instance=request.httprequest.path))
        return problem.status, body, PROBLEM_CONTENT_TYPE

    def _record(self, call, status, response_bytes):
        key = call.key
        httprequest = request.httprequest
        # Privileged: the call log is for managers; no key's user reads or writes it.
        request.env["retail.api.call"].sudo()._record(
            {
                "key_id": key.id if key else None,
                "backend_id": key.backend_id.id if key else None,
                "company_id": key.company_id.id if key else None,
                "method": httprequest.method,
                "route": httprequest.path,
                "status": status,
                "latency_ms": int((time.monotonic() - call.started) * 1000),
                "request_bytes": call.request_bytes,
                "response_bytes": response_bytes,
                "idempotency_key": call.idempotency_key,
                "replayed": call.replayed,
                "remote_addr": httprequest.remote_addr,
            }
        )


class _Replay(ApiProblem):
    """A kept answer, given again as it was (success or problem)."""

    def __init__(self, status, body, content_type):
        super().__init__(status, "replay", "Replay")
        self.body = body
        self.content_type = content_type
