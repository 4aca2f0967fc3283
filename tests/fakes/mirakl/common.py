"""What every part of the fake Mirakl shares: the protocol's constants, time, money, and its
error and answer shapes."""

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from .. import harness
from ..harness import Reply

DEFAULT_API_KEY = "5e4f1c2a-9b7d-4a3e-8f60-0123456789ab"
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


def json_reply(status, payload, headers=None):
    return harness.json_reply(status, payload, headers, "application/json;charset=UTF-8")


def empty_reply(status=204):
    return Reply(status)


def too_many(retry_after):
    body = error_body(429, "Too many requests: retry later")
    return json_reply(429, body, {"Retry-After": str(retry_after)})
