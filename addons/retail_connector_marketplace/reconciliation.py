"""Drift measurement with a Mirakl marketplace, plain Python: what a
reconciliation run (``retail.reconciler``) reads of OR11's orders, OF21's
offers, and the stock imports (STO01) read back: STO02's status, STO03's
error report.

An order's total is the one its import gives Odoo (lines refused at
acceptance and units cancelled left out, as the adapter does); its refunded
amount is the sum of its lines' refunds; its status is mapped to the base's
vocabulary from ``order_state``.
"""

import csv
import io
import re
from decimal import Decimal

from odoo.addons.retail_connector_base.exceptions import PermanentError, RetailError
from odoo.addons.retail_connector_base.polling import parse_iso_utc
from odoo.addons.retail_connector_base.reconciliation import (
    CANCELLED,
    FULFILLED,
    OPEN,
    OrderSummary,
)

from .adapters.mirakl import polled_order, without_cancelled_units, without_refused_lines
from .mappers import order_to_canonical
from .refund_mappers import refunds_to_canonical

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


# The result of an outbox stock message that sent a STO01 import (see
# ``retail.backend._export_stock``): "Import <id>: <sku>: <qty>, ...".
STOCK_IMPORT_RESULT = re.compile(r"^Import (?P<import_id>[^\s:]+):")
# At most this many of the window's imports are read back (STO02 is
# limited to once every 15 seconds per import by Mirakl's guidance).
MAX_IMPORTS_READ = 50
# STO02 statuses of an import whose lines are all refused.
FAILED_IMPORT_STATUSES = ("FAILED",)


def stock_imports(results):
    """``{import id: [sku, ...]}`` of the STO01 imports named by outbox
    ``results`` (in their order, at most :data:`MAX_IMPORTS_READ`); the SKUs
    are those the result lists (it may be cut short)."""
    imports = {}
    for result in results:
        match = STOCK_IMPORT_RESULT.match(result or "")
        if not match or match["import_id"] in imports:
            continue
        if len(imports) == MAX_IMPORTS_READ:
            break
        rows = result[match.end() :].split(", ")
        imports[match["import_id"]] = [
            row.rpartition(": ")[0].strip() for row in rows if ": " in row
        ]
    return imports


def stock_refusals(import_id, status, errors, sent_skus=()):
    """``{sku: reason}`` of one import read back: its STO03 lines in error,
    or every SKU it sent when STO02 says the whole import failed."""
    refusals = {}
    state = str(status.get("status") or status.get("import_status") or "").upper()
    if state in FAILED_IMPORT_STATUSES:
        for sku in sent_skus:
            refusals[sku] = f"Import {import_id} failed on the marketplace"
    for line, sku, reason in errors:
        if sku:
            refusals[sku] = f"Import {import_id}, line {line}: {reason}"
    return refusals


def stock_import_errors(content):
    """``[(line, sku, reason)]`` of a STO03 error report (CSV, ``;``).

    Mirakl documents the line number in error and its reason as the first
    two columns, then the row as it was sent; some operators put them at
    the end (``error-line``, ``error-message``): both are read by name.
    """
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else str(content or "")
    rows = [row for row in csv.reader(io.StringIO(text), delimiter=";") if any(row)]
    if not rows:
        return []
    header = [name.strip().lower() for name in rows[0]]

    def column(*names, default=None):
        for index, name in enumerate(header):
            if name in names:
                return index
        return default

    sku_at = column("offer-sku", "sku", "shop-sku")
    line_at = column("error-line", "line", "line-number", default=0)
    reason_at = column("error-message", "error-reason", "error", "message", "reason", default=1)
    if sku_at is None:
        raise PermanentError(f"The STO03 error report has no offer-sku column: {rows[0]}")
    return [
        tuple(row[at].strip() if at < len(row) else "" for at in (line_at, sku_at, reason_at))
        for row in rows[1:]
    ]
