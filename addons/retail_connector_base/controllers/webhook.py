import json
import logging
import time

from odoo import SUPERUSER_ID, http
from odoo.http import request

from ..adapters import get_adapter_class
from ..const import DATABASE_RETRY_AFTER_SECONDS, WEBHOOK_BODY_TIMEOUT_SECONDS
from ..exceptions import PayloadError, SignatureError
from ..utils import lower_headers

_logger = logging.getLogger(__name__)


BODY_ENVIRON_KEY = "retail_connector.webhook_body"


class BodyTimeout(Exception):
    """The body did not arrive within ``WEBHOOK_BODY_TIMEOUT_SECONDS``."""


def _read_body(httprequest, limit):
    """Read at most ``limit`` bytes of the body; ``None`` when it is longer.

    A chunked body has no length to check up front, so it is read in bounds.
    A body with a length is read a socket read at a time, against a deadline
    (:class:`BodyTimeout`). The body is kept in the request's environ: Odoo
    re-runs the controller after a serialization failure, when the stream is
    already consumed.
    """
    body = httprequest.environ.get(BODY_ENVIRON_KEY)
    if body is None:
        # Odoo's request wrapper exposes neither werkzeug's stream nor wsgi.input.
        wrapped = httprequest._HTTPRequest__wrapped
        length = httprequest.content_length
        raw = wrapped.environ.get("wsgi.input")
        if length is not None and hasattr(raw, "read1"):
            body = _read_before_deadline(raw, length)
        else:
            body = wrapped.stream.read(limit + 1)
            if len(body) > limit:
                return None
        httprequest.environ[BODY_ENVIRON_KEY] = body
    return body


def _read_before_deadline(raw, length):
    deadline = time.monotonic() + WEBHOOK_BODY_TIMEOUT_SECONDS
    chunks, remaining = [], length
    while remaining:
        if time.monotonic() > deadline:
            raise BodyTimeout()
        try:
            chunk = raw.read1(min(remaining, 65536))
        except TimeoutError:
            # The worker's socket timeout (ODOO_HTTP_SOCKET_TIMEOUT, 2 s) ran out
            # between two bytes: as slow as a sender past the deadline.
            raise BodyTimeout() from None
        if not chunk:
            break  # the sender closed the connection: the body is short
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _is_json_type(content_type):
    """A missing type is tolerated (some senders omit it); a declared one
    must be JSON (``application/json`` or a ``+json`` type)."""
    if not content_type:
        return True
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def _answer(http_status, **values):
    return request.make_json_response(values, status=http_status)


class RetailWebhookController(http.Controller):
    @http.route(
        "/retail/webhook/<string:token>",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def retail_webhook(self, token, **kwargs):
        """Receive one channel delivery: verify, store once, enqueue, answer.

        Nothing is parsed before the signature is checked, and nothing is
        stored when it fails. The event and its job are written in this
        request's transaction, so an acknowledged delivery is durable.
        """
        if not request.db:
            # Odoo could not reach the database (connections exhausted,
            # PostgreSQL restarting) and serves the request without one, which
            # only finds this route when the module is loaded server-wide: the
            # channel must send again, not read a 404 as "endpoint gone".
            return request.make_json_response(
                {"status": "error", "error": "the database is unavailable: send again later"},
                status=503,
                headers=[("Retry-After", str(DATABASE_RETRY_AFTER_SECONDS))],
            )
        # Events are stored and their jobs run as the superuser: no user
        # session comes with a channel's delivery.
        request.update_env(user=SUPERUSER_ID)
        backend = request.env["retail.backend"]._get_webhook_settings(token)
        if backend is None or not backend.active:
            return _answer(404, status="error", error="unknown webhook endpoint")

        httprequest = request.httprequest
        limit = backend.webhook_max_body_bytes
        if httprequest.content_length is not None and httprequest.content_length > limit:
            return _answer(413, status="error", error=f"body larger than {limit} bytes")
        if not _is_json_type(httprequest.headers.get("Content-Type")):
            return _answer(415, status="error", error="the body must be JSON (application/json)")
        try:
            body = _read_body(httprequest, limit)
        except BodyTimeout:
            return _answer(
                408,
                status="error",
                error=f"the body did not arrive within {WEBHOOK_BODY_TIMEOUT_SECONDS} seconds",
            )
        if body is None:
            return _answer(413, status="error", error=f"body larger than {limit} bytes")

        headers = lower_headers(httprequest.headers)
        adapter = get_adapter_class(backend.code)(backend)
        try:
            adapter.verify_webhook(headers, body)
        except SignatureError as exc:
            _logger.info("Rejected webhook for backend %s: %s", backend.id, exc)
            return _answer(401, status="error", error=str(exc))

        try:
            payload = json.loads(body.decode("utf-8"))
        except UnicodeDecodeError:
            return _answer(400, status="error", error="body is not UTF-8 (RFC 8259)")
        except RecursionError:
            return _answer(400, status="error", error="body is nested too deeply")
        except ValueError:
            return _answer(400, status="error", error="body is not valid JSON")
        try:
            event_values = adapter.extract_event_values(headers, payload)
        except PayloadError as exc:
            return _answer(400, status="error", error=str(exc))

        event = request.env["retail.event"]._insert_idempotent(backend, event_values, body)
        if not event:
            return _answer(200, status="duplicate")
        return _answer(200, status="accepted")
