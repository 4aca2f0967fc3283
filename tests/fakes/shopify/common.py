"""What every part of the fake Shopify shares: API versions, time, ids, money, userErrors."""

from datetime import UTC, datetime
from decimal import Decimal

API_VERSIONS = ("2026-01", "2026-04", "2026-07", "2026-10")


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


def user_error(path, message, code=None):
    error = {"field": path, "message": message}
    if code:
        error["code"] = code
    return error
