"""Drift measurement with a Mirakl marketplace, plain Python: what a
reconciliation run (``retail.reconciler``) reads of OR11's orders and OF21's
offers.

An order's total is the one its import gives Odoo (lines refused at
acceptance and units cancelled left out, as the adapter does); its refunded
amount is the sum of its lines' refunds; its status is mapped to the base's
vocabulary from ``order_state``.
"""

from decimal import Decimal

from odoo.addons.retail_connector_base.exceptions import RetailError
from odoo.addons.retail_connector_base.polling import parse_iso_utc
from odoo.addons.retail_connector_base.reconciliation import (
    CANCELLED,
    FULFILLED,
    OPEN,
    OrderSummary,
)

from .adapters.mirakl import polled_order, without_cancelled_units, without_refused_lines
from .mappers import order_to_canonical, refunds_to_canonical

# order_state -> the base's status vocabulary (others, before shipping: open).
ORDER_STATUSES = {
    "CANCELED": CANCELLED,
    "REFUSED": CANCELLED,
    "SHIPPED": FULFILLED,
    "TO_COLLECT": FULFILLED,
    "RECEIVED": FULFILLED,
    "CLOSED": FULFILLED,
}


def order_status(state):
    """A Mirakl ``order_state`` in the base's vocabulary."""
    return ORDER_STATUSES.get(str(state).upper(), OPEN)


def order_summary(order):
    """One order of OR11 as the base compares it, with the poll record that
    imports it. An order the mapper can't read is compared without amounts
    (its import fails with the reason, through the ordinary pipeline)."""
    record = polled_order(order)
    total = refunded = currency = None
    try:
        canonical = order_to_canonical(without_cancelled_units(without_refused_lines(order)))
        total, currency = canonical.totals.total, canonical.currency
        refunded = sum((refund.amount for refund in refunds_to_canonical(order)), Decimal(0))
    except (RetailError, ValueError, TypeError, KeyError):
        currency = order.get("currency_iso_code")
    created = order.get("created_date")
    return OrderSummary(
        external_id=str(order["order_id"]),
        status=order_status(order.get("order_state")),
        total=total,
        currency=currency,
        refunded=refunded,
        created_at=parse_iso_utc(created, "Mirakl date") if created else None,
        updated_at=record.updated_at,
        record=record,
        raw_status=order.get("order_state"),
    )


def offer_quantities(offers, skus):
    """``{shop_sku: quantity}`` of OF21 ``offers`` among ``skus`` (the
    first offer of a SKU wins)."""
    wanted, quantities = set(skus), {}
    for offer in offers:
        sku = offer.get("shop_sku")
        if sku in wanted and sku not in quantities:
            quantities[sku] = offer.get("quantity")
    return quantities
