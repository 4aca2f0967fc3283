"""Drift between a channel and Odoo, measured: plain Python, no ORM.

A reconciliation run (``retail.reconciler``) gathers order summaries from
the channel (the backend's ``_reconcile_fetch_orders`` hook) and from Odoo,
and quantities per SKU from both; :func:`compare_orders` and
:func:`compare_stock` say what differs. Statuses are compared through one
vocabulary (:data:`ORDER_STATUSES`) each channel maps its own to; amounts
are compared at their currency's precision.

The window is half-open, ``[since, until)``, on the order's creation time:
an order counts when one side created it in the window (its copy on the
other side is compared even if that side dates it elsewhere).
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple

# The one status vocabulary channels map theirs to.
OPEN, PARTIALLY_FULFILLED, FULFILLED, CANCELLED = (
    "open",
    "partially_fulfilled",
    "fulfilled",
    "cancelled",
)
ORDER_STATUSES = (OPEN, PARTIALLY_FULFILLED, FULFILLED, CANCELLED)

# Kinds of difference (``retail.reconciliation.line.kind``).
MISSING_IN_ODOO = "missing_in_odoo"
MISSING_IN_CHANNEL = "missing_in_channel"
STATUS = "status"
TOTAL = "total"
REFUND = "refund"
STOCK = "stock"
STOCK_REFUSED = "stock_refused"
KINDS = [
    (MISSING_IN_ODOO, "Order missing in Odoo"),
    (MISSING_IN_CHANNEL, "Order missing in the channel"),
    (STATUS, "Status differs"),
    (TOTAL, "Total differs"),
    (REFUND, "Refunded amount differs"),
    (STOCK, "Stock differs"),
    (STOCK_REFUSED, "Stock update refused by the channel"),
]
ORDER_KINDS = (MISSING_IN_ODOO, MISSING_IN_CHANNEL, STATUS, TOTAL, REFUND)
# Decimal places of a currency the caller doesn't name (most have 2).
DEFAULT_DECIMALS = 2


class OrderSummary(NamedTuple):
    """One order as one side sees it.

    :param external_id: the channel's id of the order (Odoo's
        ``retail_external_id``)
    :param status: one of :data:`ORDER_STATUSES`
    :param total: the order's total (``Decimal``), ``None`` when unknown
    :param currency: ISO code of ``total`` and ``refunded``
    :param refunded: what was paid back (``Decimal``), ``None`` when unknown
    :param created_at: naive UTC creation time (the window's clock)
    :param updated_at: naive UTC time of the last update: the channel's, or
        on Odoo's side the channel update Odoo applied last
    :param record: channel side: the
        :class:`~odoo.addons.retail_connector_base.polling.PolledRecord` that
        imports this version of the order
    :param res_id: Odoo side: the ``sale.order`` id
    :param in_flight: Odoo side: Odoo owes the channel a change of this
        order not sent yet (a delivery, a cancellation): its status is not
        compared
    :param raw_status: the side's own words for the status, for a person
    """

    external_id: str
    status: str
    total: Decimal | None
    currency: str | None
    refunded: Decimal | None = None
    created_at: object = None
    updated_at: object = None
    record: object = None
    res_id: int | None = None
    in_flight: bool = False
    raw_status: str | None = None


class Difference(NamedTuple):
    """What differs about one order or SKU."""

    kind: str
    key: str  # the order's external id, or the SKU
    channel_value: str | None
    odoo_value: str | None
    channel: OrderSummary | None = None
    odoo: OrderSummary | None = None


class OrderComparison(NamedTuple):
    compared: int  # orders of the window, on either side
    differences: list  # of Difference, by order then kind
    drifted: int  # orders with at least one difference


class StockComparison(NamedTuple):
    compared: int  # SKUs both sides know (in flight ones excluded)
    differences: list


def in_window(moment, since, until):
    """Whether naive ``moment`` is in ``[since, until)``."""
    return moment is not None and since <= moment < until


def round_amount(amount, currency, decimals=None):
    """``amount`` at the precision of ``currency`` (``decimals``: ``{code:
    places}``), half up; ``None`` stays ``None``.

    :raise ValueError: when ``amount`` is not a number
    """
    if amount is None:
        return None
    places = (decimals or {}).get(currency, DEFAULT_DECIMALS)
    try:
        value = Decimal(str(amount))
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise ValueError(f"not an amount: {amount!r}") from None


def _money(amount, currency, decimals):
    if amount is None:
        return None
    return f"{round_amount(amount, currency, decimals)} {currency or ''}".strip()


def compare_orders(channel, odoo, since, until, decimals=None):
    """The differences between the channel's orders and Odoo's.

    :param channel: iterable of :class:`OrderSummary` (the channel's side)
    :param odoo: iterable of :class:`OrderSummary` (Odoo's side)
    :param since: naive UTC start of the window (included)
    :param until: naive UTC end of the window (excluded)
    :param decimals: ``{currency code: decimal places}``
    :return: :class:`OrderComparison`
    """
    channel_by_id = {summary.external_id: summary for summary in channel}
    odoo_by_id = {summary.external_id: summary for summary in odoo}
    differences, compared, drifted = [], 0, 0
    for external_id in sorted(channel_by_id.keys() | odoo_by_id.keys()):
        theirs, ours = channel_by_id.get(external_id), odoo_by_id.get(external_id)
        if not any(
            summary and in_window(summary.created_at, since, until) for summary in (theirs, ours)
        ):
            continue
        compared += 1
        found = _order_differences(external_id, theirs, ours, decimals)
        drifted += bool(found)
        differences.extend(found)
    return OrderComparison(compared, differences, drifted)


def _order_differences(external_id, theirs, ours, decimals):
    if ours is None:
        value = _describe(theirs, decimals)
        return [Difference(MISSING_IN_ODOO, external_id, value, None, theirs, None)]
    if theirs is None:
        value = _describe(ours, decimals)
        return [Difference(MISSING_IN_CHANNEL, external_id, None, value, None, ours)]
    found = []
    if theirs.status != ours.status and not ours.in_flight:
        found.append(
            Difference(
                STATUS,
                external_id,
                _status_text(theirs),
                _status_text(ours),
                theirs,
                ours,
            )
        )
    if theirs.total is not None and ours.total is not None:
        channel_total = round_amount(theirs.total, theirs.currency, decimals)
        odoo_total = round_amount(ours.total, ours.currency, decimals)
        if channel_total != odoo_total or (
            theirs.currency and ours.currency and theirs.currency != ours.currency
        ):
            found.append(
                Difference(
                    TOTAL,
                    external_id,
                    _money(theirs.total, theirs.currency, decimals),
                    _money(ours.total, ours.currency, decimals),
                    theirs,
                    ours,
                )
            )
    if theirs.refunded is not None and ours.refunded is not None:
        currency = theirs.currency or ours.currency
        if round_amount(theirs.refunded, currency, decimals) != round_amount(
            ours.refunded, ours.currency or currency, decimals
        ):
            found.append(
                Difference(
                    REFUND,
                    external_id,
                    _money(theirs.refunded, theirs.currency, decimals),
                    _money(ours.refunded, ours.currency, decimals),
                    theirs,
                    ours,
                )
            )
    return found


def _status_text(summary):
    if summary.raw_status and summary.raw_status != summary.status:
        return f"{summary.status} ({summary.raw_status})"
    return summary.status


def _describe(summary, decimals):
    parts = [_status_text(summary)]
    if summary.total is not None:
        parts.append(_money(summary.total, summary.currency, decimals))
    if summary.created_at is not None:
        parts.append(f"created {summary.created_at:%Y-%m-%d %H:%M:%S}")
    return ", ".join(parts)


def compare_stock(channel, odoo, in_flight=()):
    """The SKUs whose channel quantity differs from Odoo's.

    :param channel: ``{sku: quantity}`` the channel reports
    :param odoo: ``{sku: quantity}`` Odoo would send (whole units)
    :param in_flight: SKUs whose new quantity Odoo has not sent yet: not
        compared
    :return: :class:`StockComparison`; a SKU only one side knows is not
        compared (the channel doesn't sell it, or Odoo doesn't stock it)
    """
    skipped = set(in_flight)
    differences, compared = [], 0
    for sku in sorted(channel.keys() & odoo.keys()):
        if sku in skipped:
            continue
        compared += 1
        theirs, ours = channel[sku], odoo[sku]
        if theirs is None or Decimal(str(theirs)) != Decimal(str(ours)):
            differences.append(Difference(STOCK, sku, _quantity(theirs), _quantity(ours)))
    return StockComparison(compared, differences)


def _quantity(value):
    if value is None:
        return None
    number = Decimal(str(value))
    return str(int(number)) if number == number.to_integral_value() else str(number)


def per_thousand(count, compared):
    """``count`` per 1,000 of ``compared`` (0 when nothing was compared)."""
    return round(count * 1000.0 / compared, 2) if compared else 0.0
