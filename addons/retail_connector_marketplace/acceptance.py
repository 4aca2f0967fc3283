"""Which lines of a WAITING_ACCEPTANCE Mirakl order to accept (OR21), and
by when.

Pure functions: no ORM, no network. The acceptance service
(``retail.mirakl.acceptance``) gathers the facts (the canonical order's
lines, Odoo's available stock and cost of each SKU, the backend's rules) and
sends every decision in one OR21 call.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from odoo.addons.retail_connector_base.exceptions import PermanentError
from odoo.addons.retail_connector_base.polling import naive_utc, parse_iso_utc

HUNDRED = Decimal(100)

WAITING_ACCEPTANCE = "WAITING_ACCEPTANCE"
# Order states before the seller's decision is known.
ACCEPTANCE_STATES = ("STAGING", WAITING_ACCEPTANCE)
# Payload fields that may carry the acceptance deadline (operators differ).
DEADLINE_FIELDS = ("acceptance_deadline_date", "acceptance_deadline")


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
    """The untaxed unit price after promotions of a canonical order line.

    Mirakl's ``price`` (the line's amount after the operator's promotions)
    stays in the line's extra; without it, the unit price times the quantity.
    """
    quantity = line.quantity
    price = line.extra.get("price")
    price = line.unit_price * quantity if price is None else Decimal(str(price))
    if taxes_included:
        price -= sum((tax.amount for tax in line.tax_lines), Decimal(0))
    return price / quantity


def ordered_lines(order):
    """What the decision needs of each line of canonical ``order``, as JSON
    values (the acceptance job's argument): line id, SKU, quantity and
    untaxed unit price (a string)."""
    return [
        {
            "line_id": line.external_id,
            "sku": line.sku or "",
            "quantity": int(line.quantity),
            "unit_price": str(untaxed_unit_price(line, order.taxes_included)),
        }
        for line in order.lines
    ]


def line_facts(line, available, cost):
    """The :class:`LineFacts` of one of :func:`ordered_lines`, with what Odoo
    knows of its product (``None``: no such product)."""
    return LineFacts(
        line_id=line["line_id"],
        sku=line["sku"],
        quantity=line["quantity"],
        unit_price=Decimal(line["unit_price"]),
        available=available,
        cost=cost,
    )


def deadline(order, delay_hours):
    """When the operator refuses canonical ``order`` unless it is decided:
    the payload's deadline when it has one, else the order's creation plus
    the operator's delay (a naive UTC datetime)."""
    for name in DEADLINE_FIELDS:
        value = order.extra.get(name)
        if value:
            try:
                return parse_iso_utc(value)
            except PermanentError:
                continue
    return naive_utc(order.created_at) + timedelta(hours=delay_hours)
