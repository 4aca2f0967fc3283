import json
import logging

from odoo import SUPERUSER_ID, http
from odoo.http import request

from ..adapters import get_adapter_class
from ..exceptions import PayloadError, SignatureError
from ..utils import lower_headers

_logger = logging.getLogger(__name__)


BODY_ENVIRON_KEY = "retail_connector.webhook_body"


def _read_body(httprequest, limit):
    """Read at most ``limit`` bytes of the body; ``None`` when it is longer.

    A chunked body has no length to check up front, so it is read in bounds.
    The body is kept in the request's environ: Odoo re-runs the controller
    after a serialization failure, when the stream is already consumed.
    """
    body = httprequest.environ.get(BODY_ENVIRON_KEY)
    if body is None:
        # Odoo's request wrapper does not expose werkzeug's stream.
        stream = httprequest._HTTPRequest__wrapped.stream
        body = stream.read(limit + 1)
        if len(body) > limit:
            return None
        httprequest.environ[BODY_ENVIRON_KEY] = body
    return body


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
        body = _read_body(httprequest, limit)
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
            payload = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            return _answer(400, status="error", error="body is not valid JSON")
        try:
            event_values = adapter.extract_event_values(headers, payload)
        except PayloadError as exc:
            return _answer(400, status="error", error=str(exc))

        event = request.env["retail.event"]._insert_idempotent(backend, event_values, body)
        if not event:
            return _answer(200, status="duplicate")
        return _answer(200, status="accepted")
