"""The one way the connector talks to a Mirakl operator's seller API.

Plain Python, on the base's request path (:mod:`retail_connector_base.api_client`):
the raw API key in ``Authorization`` (no "Bearer"), ``shop_id`` on every call
of a multi-shop key, a 429 answered by waiting ``Retry-After`` seconds inside
the call (when short), offset pagination of OR11, and errors a person can act
on (Mirakl's own ``message``). A 5xx, a timeout or a dropped connection is
one ``TransientError``: the job that made the call is retried.

Calls that must not run twice (OR28 refunds, OR30 cancellations) are called
transient only when Mirakl surely did not act: the connection was never made,
or a 429/503 answer. Any other failure of such a call raises
:class:`MiraklOutcomeUnknown`.

Pacing OR11 (at most once a minute) and STO01 is the caller's job; the last
``Retry-After`` seen is kept in :attr:`MiraklClient.last_retry_after`.
"""

import csv
import io
import logging
import time
from datetime import UTC, datetime
from decimal import Decimal

import requests
import urllib3

from odoo.addons.retail_connector_base.api_client import (
    DEFAULT_TIMEOUT,
    MAX_RETRY_WAIT,
    ApiClient,
    shorten,
)
from odoo.addons.retail_connector_base.exceptions import PermanentError, TransientError

_logger = logging.getLogger(__name__)

MAX_PAGE_SIZE = 100  # OR11's ``max``
STOCK_CSV_HEADER = ("offer-sku", "quantity", "warehouse-code", "update-delete")
STOCK_UPDATE_MODES = ("update", "delete")


class MiraklRequestError(PermanentError):
    """Mirakl refused a request (a 4xx other than 401/403/429).

    ``status`` is the HTTP status; ``message`` is Mirakl's own message (it
    carries the error code, e.g. ``ORDER_PARTIAL_ACCEPTANCE_DISABLED``).
    """

    def __init__(self, method, path, status, message):
        self.method = method
        self.status = status
        self.message = message
        super().__init__(f"Mirakl refused {method} {path} ({status}): {message}")


class MiraklOutcomeUnknown(TransientError):
    """A call that must not run twice failed after it may have been
    processed: read the order again before sending it again."""


class MiraklClient(ApiClient):
    """A seller's access to one Mirakl operator.

    :param api_url: the operator's address, e.g. ``https://acme.mirakl.net``
        (a trailing ``/api`` is accepted)
    :param api_key: the shop's API key, sent as it is
    :param shop_id: the shop, for keys that reach several shops
    :param max_attempts: how many times one call is sent while Mirakl answers
        429 with a short ``Retry-After`` (a failure is never sent again by the
        client: the job retries)
    :param sleep: ``time.sleep`` or a stand-in (tests)
    :param clock: ``time.time`` or a stand-in (tests)
    :param max_retry_wait: a longer ``Retry-After`` is handed to the caller
        (``TransientError.retry_after``), not slept
    :param breaker: the circuit breakers of the operator's endpoint families
        (``orders``, ``offers``, ``account``...)
    """

    channel = "Mirakl"

    def __init__(
        self,
        api_url,
        api_key,
        shop_id=None,
        timeout=DEFAULT_TIMEOUT,
        max_attempts=5,
        session=None,
        sleep=time.sleep,
        clock=time.time,
        *,
        max_retry_wait=MAX_RETRY_WAIT,
        breaker=None,
    ):
        if not api_url:
            raise PermanentError("The Mirakl operator's API URL is missing")
        if not api_key:
            raise PermanentError("The Mirakl API key is missing")
        super().__init__(
            api_url.rstrip("/").removesuffix("/api"),
            timeout=timeout,
            max_attempts=max_attempts,
            max_retry_wait=max_retry_wait,
            session=session,
            sleep=sleep,
            clock=clock,
            breaker=breaker,
        )
        self.api_key = api_key
        self.shop_id = shop_id
        #: the last ``Retry-After`` Mirakl sent (seconds), and when (clock)
        self.last_retry_after = None
        self.last_retry_after_at = None

    # ------------------------------------------------------------ requests

    def request(self, method, path, params=None, json=None, files=None, idempotent=True):
        """Send one call; return its JSON answer (``None`` when empty).

        :param path: from the operator's root, e.g. ``/api/orders``
        :param idempotent: whether sending the call twice is harmless; when
            not, a failure is transient only where Mirakl surely did not act
        :raise TransientError: when Mirakl is unavailable now (5xx, timeout,
            dropped connection: the job retries) or asks to wait longer than
            ``max_retry_wait`` (``retry_after`` says how long)
        :raise MiraklOutcomeUnknown: a non-idempotent call may have been
            processed
        :raise PermanentError: when Mirakl refuses the key or the request
        """
        return self.send(
            method,
            path,
            params=params,
            json=_jsonable(json) if json is not None else None,
            files=files,
            idempotent=idempotent,
        )

    # Hooks of the base request path

    def _build_request_params(self, request, params):
        """Override of `retail_connector_base`: the shop of a multi-shop key."""
        if self.shop_id not in (None, ""):
            params["shop_id"] = self.shop_id
        return params

    def _build_request_headers(self, request):
        """Override of `retail_connector_base`: the raw key, no "Bearer"."""
        return {"Authorization": self.api_key, "Accept": "application/json"}

    def _parse_connection_error(self, request, exc):
        """Override of `retail_connector_base`: a non-idempotent call that may
        have reached Mirakl has an unknown outcome."""
        if not request.idempotent and not _not_sent(exc):
            return self._outcome_unknown(request, f"{type(exc).__name__}: {exc}")
        return super()._parse_connection_error(request, exc)

    def _parse_response_throttled(self, request, response):
        """Override of `retail_connector_base`: remember the last Retry-After."""
        throttle = super()._parse_response_throttled(request, response)
        self.last_retry_after = throttle.retry_after
        self.last_retry_after_at = self.clock()
        return throttle

    def _parse_response_unavailable(self, request, response):
        """Override of `retail_connector_base`: only a 503 surely left a
        non-idempotent call unprocessed."""
        if not request.idempotent and response.status_code != 503:
            return self._outcome_unknown(
                request, f"HTTP {response.status_code}: {self._parse_response_error(response)}"
            )
        return super()._parse_response_unavailable(request, response)

    def _parse_response_denied(self, request, response):
        """Override of `retail_connector_base`: say where the key and shop are set."""
        status = response.status_code
        return PermanentError(
            f"Mirakl rejected the API key ({status}: {self._parse_response_error(response)}): "
            "check the shop's API key"
            + (" and shop ID" if self.shop_id not in (None, "") else "")
            + " in the backend, and that the key's user may use this shop"
        )

    def _parse_response_refused(self, request, response):
        """Override of `retail_connector_base`: Mirakl's message and status."""
        return MiraklRequestError(
            request.method,
            request.endpoint,
            response.status_code,
            self._parse_response_error(response),
        )

    def _parse_response_error(self, response):
        """Override of `retail_connector_base`: Mirakl's ``message`` when the
        body is JSON, else the body itself."""
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if isinstance(answer, dict):
            message = answer.get("message") or answer.get("error") or answer.get("errors")
            if message:
                return shorten(str(message))
        return shorten(response.text) or response.reason or "no details"

    def _parse_response_content(self, request, response):
        """Override of `retail_connector_base`: a file (STO03's CSV) as bytes."""
        if request.options.get("raw"):
            return response.content
        return super()._parse_response_content(request, response)

    def _outcome_unknown(self, request, reason):
        return MiraklOutcomeUnknown(
            f"Mirakl {request.label} may or may not have been processed "
            f"({reason}): check the order before sending it again"
        )

    # ------------------------------------------------------------ calls

    def account(self):
        """A01: the shop's information (also the connection test)."""
        return self.request("GET", "/api/account")

    def orders(
        self,
        start_update_date=None,
        end_update_date=None,
        order_ids=None,
        order_states=None,
        page_size=MAX_PAGE_SIZE,
        start_date=None,
        end_date=None,
    ):
        """OR11: yield the matching orders, page after page.

        Mirakl sorts by creation date, so an order updated while the pages
        are read keeps its place; an order may still be seen twice (new
        orders shift the offsets), which the event keys absorb.

        :param start_update_date: aware ``datetime`` or ISO-8601 string
            (Mirakl subtracts a safety delta: expect orders seen before)
        :param order_ids: order ids (at most 100 a call, Mirakl's limit)
        :param order_states: order state codes, e.g. ``["WAITING_ACCEPTANCE"]``
        :param page_size: 1 to 100
        :param start_date: created at or after (aware ``datetime`` or ISO-8601)
        :param end_date: created at or before (idem)
        """
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        params = {"max": page_size}
        if start_date is not None:
            params["start_date"] = _iso(start_date)
        if end_date is not None:
            params["end_date"] = _iso(end_date)
        if start_update_date is not None:
            params["start_update_date"] = _iso(start_update_date)
        if end_update_date is not None:
            params["end_update_date"] = _iso(end_update_date)
        if order_ids:
            params["order_ids"] = ",".join(str(order_id) for order_id in order_ids)
        if order_states:
            params["order_state_codes"] = ",".join(order_states)
        offset = 0
        while True:
            answer = self.request("GET", "/api/orders", params=dict(params, offset=offset)) or {}
            page = answer.get("orders") or []
            yield from page
            offset += len(page)
            total = answer.get("total_count")
            if not page or not isinstance(total, int) or offset >= total:
                return

    def offers(self, page_size=MAX_PAGE_SIZE):
        """OF21: yield the shop's offers (``shop_sku``, ``quantity``...), page
        after page."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        offset = 0
        while True:
            params = {"max": page_size, "offset": offset}
            answer = self.request("GET", "/api/offers", params=params) or {}
            page = answer.get("offers") or []
            yield from page
            offset += len(page)
            total = answer.get("total_count")
            if not page or not isinstance(total, int) or offset >= total:
                return

    def accept(self, order_id, decisions, *, line_ids=None):
        """OR21: accept or refuse every line of a WAITING_ACCEPTANCE order.

        :param decisions: ``{order_line_id: True (accept) | False (refuse)}``;
            Mirakl wants a decision for every line in one call
        :param line_ids: the order's line ids, to check that none is
            forgotten before asking Mirakl
        """
        body = _acceptance_body(order_id, decisions, line_ids)
        return self.request("PUT", f"/api/orders/{order_id}/accept", json=body)

    def tracking(
        self,
        order_id,
        carrier_code=None,
        carrier_name=None,
        carrier_url=None,
        tracking_number=None,
    ):
        """OR23: the carrier and tracking number of an order.

        ``carrier_code`` names a carrier the operator knows; otherwise give
        ``carrier_name`` (and ``carrier_url``).
        """
        if carrier_code:
            body = {"carrier_code": carrier_code, "tracking_number": tracking_number}
        elif carrier_name:
            body = {
                "carrier_name": carrier_name,
                "carrier_url": carrier_url,
                "tracking_number": tracking_number,
            }
        else:
            raise PermanentError(
                f"OR23 for order {order_id} needs a carrier_code (a carrier the operator "
                "knows) or a carrier_name"
            )
        body = {key: value for key, value in body.items() if value not in (None, "")}
        return self.request("PUT", f"/api/orders/{order_id}/tracking", json=body)

    def ship(self, order_id):
        """OR24: mark a SHIPPING order as shipped (after OR23)."""
        return self.request("PUT", f"/api/orders/{order_id}/ship")

    def cancel(self, order_id):
        """OR29: cancel a whole order (before it is shipped)."""
        return self.request("PUT", f"/api/orders/{order_id}/cancel")

    def cancel_lines(self, cancelations):
        """OR30: cancel quantities of order lines (of a SHIPPING order).

        :param cancelations: dicts with ``order_line_id``, ``quantity``,
            ``amount``, ``reason_code`` and optionally ``shipping_amount``,
            ``currency_iso_code``, ``taxes``
        :raise MiraklOutcomeUnknown: when the cancellation may have been
            recorded (read the order again: cancelling twice cancels more)
        """
        cancelations = list(cancelations)
        if not cancelations:
            raise PermanentError("OR30 needs at least one cancellation")
        _require(
            cancelations,
            ("order_line_id", "quantity", "amount", "reason_code"),
            "a cancellation",
            "cancelations",
        )
        return self.request(
            "PUT", "/api/orders/cancel", json={"cancelations": cancelations}, idempotent=False
        )

    def refund(self, refunds):
        """OR28: request refunds, one entry per order line.

        :param refunds: dicts with ``order_line_id``, ``amount``,
            ``shipping_amount``, ``reason_code``, ``quantity``, ``taxes``,
            ``shipping_taxes``...; ``Decimal`` amounts become JSON numbers
        :raise MiraklOutcomeUnknown: when the refunds may have been recorded
            (never retried blindly: a refund sent twice is paid twice)
        """
        refunds = list(refunds)
        if not refunds:
            raise PermanentError("OR28 needs at least one refund")
        _require(refunds, ("order_line_id", "amount", "reason_code"), "a refund", "refunds")
        return self.request(
            "PUT", "/api/orders/refund", json={"refunds": refunds}, idempotent=False
        )

    def import_stock(self, rows):
        """STO01: import stock quantities (an absolute quantity per offer).

        :param rows: dicts with ``offer_sku``, ``quantity`` (an integer
            >= 0), and optionally ``warehouse_code`` and ``update_delete``
            (``"update"``, the default, or ``"delete"``)
        :return: Mirakl's answer (``{"import_id": ...}``)
        """
        content = stock_csv(rows)
        return self.request(
            "POST",
            "/api/offers/stock/imports",
            files={"file": ("stock.csv", content, "text/csv")},
        )

    def stock_import_status(self, import_id):
        """STO02: the status of a stock import (``status``: WAITING,
        RUNNING, COMPLETE or FAILED; ``lines_in_error``,
        ``has_error_report``)."""
        return self.request("GET", f"/api/offers/stock/imports/{import_id}/status") or {}

    def stock_import_error_report(self, import_id):
        """STO03: a stock import's lines in error, the CSV file as bytes
        (read by ``reconciliation.stock_import_errors``)."""
        return self.send("GET", f"/api/offers/stock/imports/{import_id}/error_report", raw=True)


def stock_csv(rows):
    """The STO01 file of ``rows`` (see :meth:`MiraklClient.import_stock`), as bytes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(STOCK_CSV_HEADER)
    count = 0
    for index, row in enumerate(rows):
        sku = row.get("offer_sku")
        if not isinstance(sku, str) or not sku.strip():
            raise PermanentError("a stock row needs an offer_sku", path=f"rows.{index}.offer_sku")
        quantity = row.get("quantity")
        if isinstance(quantity, Decimal) and quantity == quantity.to_integral_value():
            quantity = int(quantity)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            raise PermanentError(
                f"not a stock quantity: {quantity!r}", path=f"rows.{index}.quantity"
            )
        mode = row.get("update_delete") or "update"
        if mode not in STOCK_UPDATE_MODES:
            raise PermanentError(
                f"update_delete must be one of {STOCK_UPDATE_MODES}, not {mode!r}",
                path=f"rows.{index}.update_delete",
            )
        writer.writerow((sku.strip(), quantity, row.get("warehouse_code") or "", mode))
        count += 1
    if not count:
        raise PermanentError("STO01 needs at least one stock row")
    return buffer.getvalue().encode()


# ---------------------------------------------------------------- helpers


def _iso(value):
    """An ISO-8601 UTC timestamp with ``Z`` from an aware datetime (strings
    are sent as they are)."""
    if isinstance(value, str):
        return value
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(f"expected an aware datetime or an ISO-8601 string, not {value!r}")
    value = value.astimezone(UTC)
    spec = "milliseconds" if value.microsecond else "seconds"
    return value.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def _acceptance_body(order_id, decisions, line_ids):
    """OR21's body, once every decision is checked (see :meth:`MiraklClient.accept`)."""
    if not decisions:
        raise PermanentError(f"OR21 for order {order_id} needs a decision for every line")
    for line_id, accepted in decisions.items():
        if not isinstance(accepted, bool):
            raise PermanentError(
                f"the decision must be True or False, not {accepted!r}",
                path=f"decisions.{line_id}",
            )
    if line_ids is not None:
        missing = sorted(set(map(str, line_ids)) - set(map(str, decisions)))
        if missing:
            raise PermanentError(
                f"OR21 for order {order_id}: no decision for line(s) {', '.join(missing)}"
            )
    return {
        "order_lines": [
            {"id": str(line_id), "accepted": accepted} for line_id, accepted in decisions.items()
        ]
    }


def _require(items, keys, noun, prefix):
    """Refuse ``items`` (dicts) where one of ``keys`` is empty, naming its path."""
    for index, item in enumerate(items):
        for key in keys:
            if item.get(key) in (None, ""):
                raise PermanentError(f"{noun} needs {key}", path=f"{prefix}.{index}.{key}")


def _jsonable(value):
    """``value`` with every ``Decimal`` as a JSON number."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return value


def _not_sent(exc):
    """Whether a connection error happened before the request left."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)
