"""What Odoo sends to Mirakl: the units that won't ship (OR30), refunds
(OR28) and stock levels (STO01).

Pure functions: no ORM, no network. The backend's export hooks gather what
Odoo knows, build the calls' entries here and send them with the client.
"""

import math

# A job retries the calls a few times itself; longer outages go back to the outbox.
EXPORT_MAX_ATTEMPTS = 3
# Offers per STO01 file of a full stock resync (STO01 runs about once a minute).
STOCK_RESYNC_CHUNK_SIZE = 5000
# Order states from which OR23/OR24 have nothing left to do.
SHIPPED_STATES = ("SHIPPED", "TO_COLLECT", "RECEIVED", "CLOSED")
# Orders in these states are cancelled already, whoever did it.
CANCELLED_STATES = ("CANCELED", "REFUSED")


def undelivered_cancelations(payload, delivered):
    """OR30 entries (without their reason code) for the units of the OR11
    order ``payload`` that won't ship: ordered, not cancelled on the
    marketplace yet, not delivered in Odoo. Only a SHIPPING order has any.

    :param delivered: ``{order_line_id: units delivered in Odoo}`` of the
        marketplace lines the Odoo order has
    """
    if payload.get("order_state") != "SHIPPING":
        return []
    cancelations = []
    for line in payload.get("order_lines") or []:
        if line.get("order_line_state") != "SHIPPING":
            continue
        line_id = str(line.get("order_line_id"))
        if line_id not in delivered:
            continue
        cancelled = sum(int(c.get("quantity") or 0) for c in line.get("cancelations") or [])
        left = int(line.get("quantity") or 0) - cancelled
        undelivered = left - math.ceil(delivered[line_id])
        if undelivered <= 0:
            continue
        unit_amount = float(line.get("price") or 0) / (line.get("quantity") or 1)
        cancelations.append(
            {
                "order_line_id": line["order_line_id"],
                "quantity": undelivered,
                "amount": round(unit_amount * undelivered, 2),
                "shipping_amount": 0,
                "currency_iso_code": payload.get("currency_iso_code"),
            }
        )
    return cancelations


def refund_entries(lines, shipping, reason_code):
    """OR28 entries: one per credited marketplace line; credited shipping
    goes with the first of them.

    :param lines: ``(order_line_id, amount, quantity)`` of each credited line
    :param shipping: the credited shipping amount
    """
    refunds = [
        {
            "order_line_id": line_id,
            "amount": round(amount, 2),
            "quantity": int(quantity),
            "shipping_amount": 0,
            "reason_code": reason_code,
        }
        for line_id, amount, quantity in lines
    ]
    if refunds and shipping:
        refunds[0]["shipping_amount"] = round(shipping, 2)
    return refunds


def stock_row(sku, available, warehouse_code):
    """One STO01 row: the whole units available of ``sku`` (never negative)."""
    return {
        "offer_sku": sku,
        "quantity": max(math.floor(available), 0),
        "warehouse_code": warehouse_code or None,
    }
