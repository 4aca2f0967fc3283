"""What Odoo sends Shopify when it cancels an order or refunds one, plain
Python: the variables of ``orderCancel`` and ``refundCreate``, the refund's
idempotency key, its lines (restocked only where Odoo took the goods back)
and its transactions (the credit note's amount spread over the order's
payments)."""

import uuid
from decimal import Decimal

from odoo.addons.retail_connector_base.exceptions import PermanentError

from .exports import IDEMPOTENCY_NAMESPACE

CANCEL_REASON = "OTHER"  # OrderCancelReason: Odoo doesn't say why (CUSTOMER, STAFF...)
# Order transactions whose money a refund can send back.
REFUNDABLE_KINDS = ("SALE", "CAPTURE")
CENT = Decimal("0.01")


def cancel_variables(order_gid, *, notify_customer, staff_note, refund=True, restock=True):
    """The variables of ``orderCancel``: the customer is refunded to the
    original payment methods and the goods restocked."""
    return {
        "orderId": order_gid,
        "reason": CANCEL_REASON,
        "refundMethod": {"originalPaymentMethodsRefund": bool(refund)},
        "restock": bool(restock),
        "notifyCustomer": bool(notify_customer),
        "staffNote": staff_note,
    }


def refund_idempotency_key(message_id, credit_note_id):
    """The ``@idempotent`` key of a credit note's refund: the same for every
    attempt of one outbox message, so a retry after a lost answer gets
    Shopify's first refund back instead of a second one."""
    return str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"refund/{message_id}/{credit_note_id}"))


def refund_line_items(credited, returned, location_id):
    """``refundLineItems`` of the credited quantities.

    :param credited: ``{line item gid: quantity}`` the credit note credits
    :param returned: ``{line item gid: quantity}`` Odoo took back in stock
    :param location_id: the Shopify location restocked, None for no restock
    :return: one ``RETURN`` entry for the returned part of a line (when a
        location is known), one ``NO_RESTOCK`` entry for the rest
    """
    items = []
    for line_id, quantity in credited.items():
        quantity = _whole(quantity, line_id)
        back = min(_whole(returned.get(line_id, 0), line_id), quantity) if location_id else 0
        if back > 0:
            items.append(
                {
                    "lineItemId": line_id,
                    "quantity": back,
                    "restockType": "RETURN",
                    "locationId": location_id,
                }
            )
        if quantity - back > 0:
            items.append(
                {"lineItemId": line_id, "quantity": quantity - back, "restockType": "NO_RESTOCK"}
            )
    return items


def refund_transactions(order_gid, transactions, amount):
    """``transactions`` paying back ``amount``: refunds of the order's
    successful payments (sale or capture), first ones first, each up to what
    it can still refund.

    :param transactions: the order's ``transactions`` (``RetailOrderTransactions``)
    :raise PermanentError: when the payments can't cover ``amount``
    """
    left = Decimal(str(amount)).quantize(CENT)
    result = []
    for transaction in transactions or []:
        if left <= 0:
            break
        if transaction.get("kind") not in REFUNDABLE_KINDS or transaction.get("status") != (
            "SUCCESS"
        ):
            continue
        refundable = _decimal((transaction.get("maximumRefundableV2") or {}).get("amount"))
        share = min(left, refundable)
        if share <= 0:
            continue
        result.append(
            {
                "orderId": order_gid,
                "parentId": transaction["id"],
                "gateway": transaction.get("gateway"),
                "kind": "REFUND",
                "amount": f"{share:.2f}",
            }
        )
        left -= share
    if left > 0:
        raise PermanentError(
            f"Shopify can refund {Decimal(str(amount)).quantize(CENT) - left:.2f} of the "
            f"{Decimal(str(amount)).quantize(CENT):.2f} credited: the order's payments don't "
            "cover the credit note"
        )
    return result


def refund_variables(order_gid, *, line_items, shipping, transactions, currency, note, key):
    """The variables of ``refundCreate``; ``shipping``: the shipping amount
    refunded (in the order's tax mode), 0 for none."""
    refund = {
        "orderId": order_gid,
        "note": note,
        "notify": False,
        "refundLineItems": line_items,
        "transactions": transactions,
        "currency": currency,
    }
    shipping = Decimal(str(shipping or 0)).quantize(CENT)
    if shipping > 0:
        refund["shipping"] = {"amount": f"{shipping:.2f}"}
    return {"input": refund, "idempotencyKey": key}


def refund_summary(refund):
    """The export's result: Shopify's refund and the amount paid back."""
    money = ((refund.get("totalRefundedSet") or {}).get("presentmentMoney")) or {}
    amount = f" ({money.get('amount')} {money.get('currencyCode')})" if money else ""
    return f"Refund {refund.get('id')}{amount}"


def _whole(quantity, line_id):
    value = Decimal(str(quantity))
    if value != value.to_integral_value():
        raise PermanentError(f"Shopify refunds whole units: {quantity} of line {line_id}")
    return int(value)


def _decimal(value):
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except ArithmeticError:
        return Decimal(0)
