"""The one way the connector talks to a Mirakl operator's seller API.

Plain Python: the raw API key in ``Authorization`` (no "Bearer"), ``shop_id``
on every call of a multi-shop key, retries with backoff on 5xx, timeouts and
dropped connections, 429 answered by waiting ``Retry-After`` seconds, offset
pagination of OR11, and errors a person can act on (Mirakl's own ``message``).

Calls that must not run twice (OR28 refunds) are retried only when Mirakl
surely did not act: the connection was never made, or a 429/503 answer. Any
other failure of such a call raises :class:`MiraklOutcomeUnknown`.

Pacing OR11 (at most once a minute) and STO01 is the caller's job; the last
``Retry-After`` seen is kept in :attr:`MiraklClient.last_retry_after`.
"""

import csv
import io
import logging
import random
import time
from datetime import UTC, datetime
from decimal import Decimal

import requests
import urllib3

from odoo.addons.retail_connector_base.exceptions import PermanentError, TransientError

_logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (5, 30)  # connect, read (seconds)
MAX_PAGE_SIZE = 100  # OR11's ``max``
MAX_RETRY_WAIT = 30  # a longer Retry-After is handed to the caller, not slept
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


class MiraklClient:
    """A seller's access to one Mirakl operator.

    :param api_url: the operator's address, e.g. ``https://acme.mirakl.net``
        (a trailing ``/api`` is accepted)
    :param api_key: the shop's API key, sent as it is
    :param shop_id: the shop, for keys that reach several shops
    :param sleep: ``time.sleep`` or a stand-in (tests)
    :param clock: ``time.time`` or a stand-in (tests)
    """

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
    ):
        if not api_url:
            raise PermanentError("The Mirakl operator's API URL is missing")
        if not api_key:
            raise PermanentError("The Mirakl API key is missing")
        api_url = api_url.rstrip("/")
        self.api_url = api_url.removesuffix("/api")
        self.api_key = api_key
        self.shop_id = shop_id
        self.timeout = timeout
        self.max_attempts = max(1, max_attempts)
        self.session = session or requests.Session()
        self.sleep = sleep
        self.clock = clock
        self.max_retry_wait = max_retry_wait
        #: the last ``Retry-After`` Mirakl sent (seconds), and when (clock)
        self.last_retry_after = None
        self.last_retry_after_at = None

    # ------------------------------------------------------------ requests

    def request(self, method, path, params=None, json=None, files=None, idempotent=True):
        """Send one call; return its JSON answer (``None`` when empty).

        :param path: from the operator's root, e.g. ``/api/orders``
        :param idempotent: whether sending the call twice is harmless; when
            not, it is retried only where Mirakl surely did not act
        :raise TransientError: when Mirakl stays unavailable or asks to wait
            longer than ``max_retry_wait`` (``retry_after`` says how long)
        :raise MiraklOutcomeUnknown: a non-idempotent call may have been
            processed
        :raise PermanentError: when Mirakl refuses the key or the request
        """
        method = method.upper()
        url = f"{self.api_url}/{path.lstrip('/')}"
        params = dict(params or {})
        if self.shop_id not in (None, ""):
            params["shop_id"] = self.shop_id
        headers = {"Authorization": self.api_key, "Accept": "application/json"}
        last_error = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=_jsonable(json) if json is not None else None,
                    files=files,
                    headers=headers,
                    timeout=self.timeout,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
                if not idempotent and not _not_sent(exc):
                    raise MiraklOutcomeUnknown(
                        f"Mirakl {method} {path} may or may not have been processed "
                        f"({last_error}): check the order before sending it again"
                    ) from exc
                _logger.info("Mirakl %s %s failed (%s), attempt %s", method, path, exc, attempt)
                self._backoff(attempt)
                continue
            status = response.status_code
            if status in (401, 403):
                raise PermanentError(
                    f"Mirakl rejected the API key ({status}: {_error_message(response)}): "
                    "check the shop's API key"
                    + (" and shop ID" if self.shop_id not in (None, "") else "")
                    + " in the backend, and that the key's user may use this shop"
                )
            if status == 429:
                retry_after = _retry_after(response, default=60.0)
                self.last_retry_after = retry_after
                self.last_retry_after_at = self.clock()
                last_error = f"HTTP 429, Retry-After {retry_after:g} s"
                if retry_after > self.max_retry_wait:
                    raise TransientError(
                        f"Mirakl limits {method} {path}: retry in {retry_after:g} s",
                        retry_after=retry_after,
                    )
                if attempt < self.max_attempts:
                    self.sleep(retry_after)
                continue
            if status >= 500:
                last_error = f"HTTP {status}: {_error_message(response)}"
                if not idempotent and status != 503:
                    raise MiraklOutcomeUnknown(
                        f"Mirakl {method} {path} may or may not have been processed "
                        f"({last_error}): check the order before sending it again"
                    )
                _logger.info("Mirakl %s %s answered %s, attempt %s", method, path, status, attempt)
                self._backoff(attempt)
                continue
            if status >= 400:
                raise MiraklRequestError(method, path, status, _error_message(response))
            return _json(response, method, path)
        raise TransientError(
            f"Mirakl did not answer {method} {path} after {self.max_attempts} attempts "
            f"({last_error})",
            retry_after=self.last_retry_after if last_error.startswith("HTTP 429") else None,
        )

    def _backoff(self, attempt):
        if attempt < self.max_attempts:
            self.sleep(min(2 ** (attempt - 1), 30) * (0.5 + random.random() / 2))

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
        """
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        params = {"max": page_size}
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

    def accept(self, order_id, decisions, *, line_ids=None):
        """OR21: accept or refuse every line of a WAITING_ACCEPTANCE order.

        :param decisions: ``{order_line_id: True (accept) | False (refuse)}``;
            Mirakl wants a decision for every line in one call
        :param line_ids: the order's line ids, to check that none is
            forgotten before asking Mirakl
        """
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
        body = {
            "order_lines": [
                {"id": str(line_id), "accepted": accepted}
                for line_id, accepted in decisions.items()
            ]
        }
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
        for index, cancelation in enumerate(cancelations):
            for key in ("order_line_id", "quantity", "amount", "reason_code"):
                if cancelation.get(key) in (None, ""):
                    raise PermanentError(
                        f"a cancellation needs {key}", path=f"cancelations.{index}.{key}"
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
        for index, refund in enumerate(refunds):
            for key in ("order_line_id", "amount", "reason_code"):
                if refund.get(key) in (None, ""):
                    raise PermanentError(f"a refund needs {key}", path=f"refunds.{index}.{key}")
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


def _json(response, method, path):
    if response.status_code == 204 or not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError:
        raise TransientError(
            f"Mirakl answered {method} {path} with {response.status_code} and a body that "
            f"is not JSON: {_short(response.text)}"
        ) from None


def _error_message(response):
    """Mirakl's ``message`` when the body is JSON, else the body itself."""
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if isinstance(answer, dict):
        message = answer.get("message") or answer.get("error") or answer.get("errors")
        if message:
            return _short(str(message))
    return _short(response.text) or response.reason or "no details"


def _short(text, limit=300):
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit] + "..."


def _retry_after(response, default):
    try:
        return max(float(response.headers.get("Retry-After", default)), 0.0)
    except ValueError:
        return default
