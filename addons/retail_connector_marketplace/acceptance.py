"""Which lines of a WAITING_ACCEPTANCE Mirakl order to accept (OR21).

Pure functions: no ORM, no network. The caller gathers the facts (Odoo's
available stock and cost of each SKU, the backend's rules) and sends every
decision in one OR21 call.
"""

from dataclasses import dataclass, field
from decimal import Decimal

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Rules:
    """The backend's acceptance rules.

    :param check_stock: accept a line only when the available stock covers it
    :param blocked_skus: SKUs never accepted
    :param min_margin: minimum margin in percent of the untaxed price (0: off)
    :param allow_partial: whether the operator lets us refuse some lines only;
        when not, one line that can't be accepted refuses the whole order
    """

    check_stock: bool = True
    blocked_skus: frozenset = field(default_factory=frozenset)
    min_margin: Decimal = Decimal(0)
    allow_partial: bool = True


@dataclass(frozen=True)
class LineFacts:
    """One order line and what Odoo knows of its product.

    :param unit_price: the untaxed unit price after discounts
    :param available: Odoo's available stock (None: no such product)
    :param cost: the product's cost (None: unknown)
    """

    line_id: str
    sku: str
    quantity: int
    unit_price: Decimal
    available: float | None
    cost: Decimal | None


@dataclass(frozen=True)
class Decision:
    line_id: str
    accepted: bool
    reason: str = ""


def blocked_skus(text):
    """The SKUs of a comma, semicolon or line separated list."""
    return frozenset(
        sku.strip() for sku in (text or "").replace(";", ",").replace("\n", ",").split(",")
    ) - {""}


def decide(lines, rules):
    """One :class:`Decision` per line, in order.

    Lines of the same SKU share its stock, first come first served. Without
    partial acceptance, every line is refused as soon as one must be.
    """
    decisions = []
    reserved = {}
    for line in lines:
        reason = _refusal(line, rules, reserved.get(line.sku, 0))
        if not reason and line.available is not None:
            reserved[line.sku] = reserved.get(line.sku, 0) + line.quantity
        decisions.append(Decision(line.line_id, not reason, reason))
    if not rules.allow_partial and any(not d.accepted for d in decisions):
        refused = "; ".join(f"{d.line_id}: {d.reason}" for d in decisions if not d.accepted)
        decisions = [
            d
            if not d.accepted
            else Decision(d.line_id, False, f"the operator forbids partial acceptance ({refused})")
            for d in decisions
        ]
    return decisions


def _refusal(line, rules, already_reserved):
    if line.sku in rules.blocked_skus:
        return "blocked SKU"
    if line.available is None:
        return "unknown SKU"
    if rules.check_stock:
        available = line.available - already_reserved
        if available < line.quantity:
            return f"short of stock ({_number(max(available, 0))} available)"
    if rules.min_margin and line.cost is not None and line.unit_price > 0:
        margin = (line.unit_price - line.cost) / line.unit_price * HUNDRED
        if margin < rules.min_margin:
            return f"margin {_number(margin)}% below {_number(rules.min_margin)}%"
    return ""


def _number(value):
    """``2`` for 2.0, ``4.5`` for 4.5 (one decimal at most)."""
    value = round(Decimal(str(value)), 1)
    return str(value.to_integral_value()) if value == value.to_integral_value() else str(value)


def untaxed_unit_price(line, taxes_included):
    """The untaxed unit price after promotions of an OR11 order line (JSON numbers)."""
    quantity = line.get("quantity") or 0
    if not quantity:
        return Decimal(0)
    price = line.get("price")
    if price is None:
        price = Decimal(str(line.get("price_unit") or 0)) * quantity
    price = Decimal(str(price))
    if taxes_included:
        price -= sum(
            (Decimal(str(tax.get("amount") or 0)) for tax in line.get("taxes") or []), Decimal(0)
        )
    return price / quantity
