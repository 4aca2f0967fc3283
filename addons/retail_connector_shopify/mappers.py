"""Shopify orders, customers and refunds -> canonical objects.

The one Shopify mapper. Orders and customers come as webhook payloads, as
GraphQL nodes (the reconciliation poll) and as bulk export lines (the
backfill, reassembled into nodes by ``payloads.reassemble_bulk_orders``):
``payloads`` reads each into one shape (``payloads/shape.py``), mapped here
once. Refunds come only as webhooks and are mapped from the payload itself.

Every amount becomes a ``Decimal`` from the side of Shopify's money sets
chosen by ``money`` (``money.py``). Pure functions: no ORM, no network,
testable without a database.

Errors: a payload that can't be mapped raises :class:`PermanentError` whose
``path`` names the Shopify field (``line_items.0.price``,
``lineItems.0.originalUnitPriceSet``); a value refused by the canonical schema
names the canonical field (``lines.0.quantity``).
"""

import pydantic

from odoo.addons.retail_connector_base import schemas
from odoo.addons.retail_connector_base.exceptions import PermanentError
from odoo.addons.retail_connector_base.utils import join_path as _join
from odoo.addons.retail_connector_base.utils import payload_array as _array
from odoo.addons.retail_connector_base.utils import payload_object as _object
from odoo.addons.retail_connector_base.utils import permanent_error_from_pydantic

from . import payloads
from .money import (
    MONEY_SIDES,
    PRESENTMENT_MONEY,
    SHOP_MONEY,
    ZERO,
    Amount,
    MoneySide,
    check_money_side,
)
from .payloads.shape import blank, pick
from .payloads.webhook import gid as webhook_gid

__all__ = [
    "MONEY_SIDES",
    "PRESENTMENT_MONEY",
    "SHOP_MONEY",
    "customer_node_to_canonical",
    "customer_to_canonical",
    "order_node_to_canonical",
    "order_to_canonical",
    "refund_to_canonical",
]

# orders' financial_status -> canonical payment state; null -> pending.
FINANCIAL_STATUS_MAPPING = {
    "pending": schemas.PaymentState.PENDING,
    "authorized": schemas.PaymentState.AUTHORIZED,
    "partially_paid": schemas.PaymentState.PARTIALLY_PAID,
    "paid": schemas.PaymentState.PAID,
    "partially_refunded": schemas.PaymentState.PARTIALLY_REFUNDED,
    "refunded": schemas.PaymentState.REFUNDED,
    "voided": schemas.PaymentState.VOIDED,
    # An authorization that lapsed uncaptured: nothing will be paid.
    "expired": schemas.PaymentState.VOIDED,
}

# orders' fulfillment_status -> the words of the channel status.
FULFILLMENT_STATUS_MAPPING = {
    "fulfilled": "fulfilled",
    "partial": "partially fulfilled",
    "restocked": "restocked",
}

# marketing consent state -> opted in? States missing here (pending,
# redacted, new ones) say nothing either way: None.
CONSENT_STATE_MAPPING = {
    "subscribed": True,
    "not_subscribed": False,
    "unsubscribed": False,
    "invalid": False,
}

# refund_line_items[].restock_type values of goods that came back from the
# customer into stock: the canonical line's ``restock`` (a return Odoo
# receives). ``cancel`` restocks goods that were never shipped: nothing comes
# back to Odoo's warehouse (the order's delivery still holds them);
# ``legacy_restock`` (refunds made before the split) is taken as a return.
RESTOCK_TYPES = frozenset({"return", "legacy_restock"})


# ---------------------------------------------------------------- public API


def order_to_canonical(payload, money=PRESENTMENT_MONEY):
    """Map an ``orders/*`` webhook payload (create, updated, paid, cancelled,
    fulfilled...) to a canonical :class:`~schemas.Order`.

    :param money: ``"presentment_money"`` (what the customer was charged, in
        ``presentment_currency``) or ``"shop_money"`` (converted to the shop's
        ``currency``); every amount and the order's currency come from it
    :raise PermanentError: when the payload can't be mapped
    """
    check_money_side(money)
    return map_order(payloads.order_from_webhook(payload), money)


def order_node_to_canonical(node, money=PRESENTMENT_MONEY):
    """Map a GraphQL ``Order`` node (the reconciliation poll's, or one
    reassembled from a bulk export) to the same canonical
    :class:`~schemas.Order` as the webhook of that order.

    :param money: as for :func:`order_to_canonical`
    :raise PermanentError: when the node can't be mapped, with the GraphQL
        field's path
    """
    check_money_side(money)
    return map_order(payloads.order_from_node(node), money)


def customer_to_canonical(payload):
    """Map a ``customers/create`` or ``customers/update`` payload (or the
    customer embedded in an order) to a canonical :class:`~schemas.Customer`.

    :raise PermanentError: when the payload can't be mapped
    """
    return map_customer(payloads.customer_from_webhook(payload))


def customer_node_to_canonical(node):
    """Map a GraphQL ``Customer`` node (the backfill's) to the same canonical
    :class:`~schemas.Customer` as its webhook, marketing consent included.

    :raise PermanentError: when the node can't be mapped, with the GraphQL
        field's path
    """
    return map_customer(payloads.customer_from_node(node))


def map_order(order, money):
    """A canonical :class:`~schemas.Order` from an order read by
    ``payloads`` (``payloads/shape.py``), amounts on the ``money`` side."""
    shop_currency = order["shop_currency"]
    presentment_currency = order["presentment_currency"] or shop_currency
    currency = presentment_currency if money == PRESENTMENT_MONEY else shop_currency
    # A plain figure is in the shop's currency: usable only when that is the
    # chosen side's currency too.
    plain_ok = money == SHOP_MONEY or presentment_currency == shop_currency
    side = MoneySide(money, currency, plain_ok)

    total = side.value(order["total"])
    tax = side.value(order["tax"])
    values = {
        "external_id": order["external_id"],
        "name": order["name"],
        "created_at": order["created_at"],
        "updated_at": order["updated_at"],
        "currency": currency,
        "taxes_included": order["taxes_included"],
        "customer": _customer_values(order["customer"]) if order["customer"] else None,
        "email": order["email"],
        "phone": order["phone"],
        "billing_address": _address_values(order["billing_address"]),
        "shipping_address": _address_values(order["shipping_address"]),
        "lines": [_line_values(line, side) for line in order["lines"]],
        "shipping_lines": [_shipping_values(line, side) for line in order["shipping_lines"]],
        # Shopify allocates order-level discounts to the lines and shipping
        # lines (discount allocations): nothing is left for discount_lines.
        "discount_lines": [],
        "totals": {"untaxed": total - tax, "tax": tax, "total": total},
        "payment_state": _payment_state(order["financial_status"]),
        "channel_status": _channel_status(order),
        "cancelled_at": order["cancelled_at"],
        "cancel_reason": order["cancel_reason"],
        "note": order["note"],
        "extra": _order_extra(order, side),
    }
    return _validate(schemas.Order, values)


def map_customer(customer):
    """A canonical :class:`~schemas.Customer` from a customer read by
    ``payloads``."""
    return _validate(schemas.Customer, _customer_values(customer))


# ---------------------------------------------------------------- order parts


def _line_values(line, side):
    return {
        "external_id": line["external_id"],
        "sku": line["sku"],
        "name": line["name"],
        "quantity": line["quantity"],
        "unit_price": side.value(line["unit_price"]),
        "discount": side.total(line["discounts"]),
        "tax_lines": _tax_lines(line, side),
        "extra": line["extra"],
    }


def _shipping_values(line, side):
    return {
        "title": line["title"],
        "code": line["code"],
        "price": side.value(line["price"]),
        "discount": side.total(line["discounts"]),
        "tax_lines": _tax_lines(line, side),
        "extra": line["extra"],
    }


def _tax_lines(line, side):
    return [
        {"title": tax["title"], "rate": tax["rate"], "amount": side.value(tax["amount"])}
        for tax in line["tax_lines"]
    ]


def _payment_state(status):
    if status is None:
        return schemas.PaymentState.PENDING
    # Unknown new values: not paid as far as we know; the raw value stays in
    # the order's extra.
    return FINANCIAL_STATUS_MAPPING.get(str(status).lower(), schemas.PaymentState.PENDING)


def _channel_status(order):
    """A short readable status: cancelled, fulfilled, partially fulfilled,
    restocked, closed (archived) or open."""
    if order["cancelled_at"]:
        return "cancelled"
    fulfillment = order["fulfillment_status"]
    if isinstance(fulfillment, str) and fulfillment.lower() in FULFILLMENT_STATUS_MAPPING:
        return FULFILLMENT_STATUS_MAPPING[fulfillment.lower()]
    if order["closed"]:
        return "closed"
    return "open"


def _order_extra(order, side):
    extra = dict(order["extra"])
    extra["money"] = side.money
    if order["source"]:
        extra["source"] = order["source"]
    for name, amount in order["extra_amounts"].items():
        if amount.money_set is not None or side.plain_ok:
            extra[name] = str(side.value(amount))
        else:
            # No twin (total_outstanding has none): keep the shop's figure,
            # named as such.
            extra[f"{name}_shop_money"] = amount.plain
    return extra


# ---------------------------------------------------------------- customers


def _address_values(address):
    """An Address, or None when there is none or every field is blank."""
    if address is None or all(blank(value) for name, value in address.items() if name != "extra"):
        return None
    return address


def _customer_values(customer):
    return {
        "external_id": customer["external_id"],
        "email": customer["email"],
        "phone": customer["phone"],
        "first_name": customer["first_name"],
        "last_name": customer["last_name"],
        "default_address": _address_values(customer["default_address"]),
        "consent": _consent_values(customer["consent"]),
        "updated_at": customer["updated_at"],
        "extra": customer["extra"],
    }


def _consent_values(consent):
    if consent is None:
        return None
    updated = consent["updated"]
    return {
        "email_marketing": _consent_state(consent["email_state"]),
        "sms_marketing": _consent_state(consent["sms_state"]),
        "updated_at": max(updated)[1] if updated else None,
        "extra": consent["extra"],
    }


def _consent_state(state):
    if not isinstance(state, str):
        return None
    return CONSENT_STATE_MAPPING.get(state.lower())


# ---------------------------------------------------------------- refunds


def refund_to_canonical(payload, money=PRESENTMENT_MONEY):
    """Map a ``refunds/create`` payload to a canonical :class:`~schemas.Refund`.

    A line item can appear twice (part cancelled, part returned): each entry
    stays a line of its own. Shopify's shipping refund is a negative
    ``shipping_refund`` order adjustment; the canonical amount is positive.

    :param money: the side of the ``*_set`` twins to read, as for orders
    :raise PermanentError: when the payload can't be mapped
    """
    check_money_side(money)
    payload = _object(payload, "")
    # The refund has no currency field: the sets tell it, and the plain
    # fields are taken as they are when a set is missing.
    side = MoneySide(money, None, True)
    order_id = payload.get("order_id")
    if order_id in (None, ""):
        raise PermanentError("the refund has no order_id", path="order_id")

    lines = [
        _refund_line_values(_object(item, f"refund_line_items.{index}"), index, side)
        for index, item in enumerate(_array(payload, "refund_line_items", ""))
    ]
    shipping = shipping_tax = ZERO
    adjustments = []
    for index, adjustment in enumerate(_array(payload, "order_adjustments", "")):
        path = f"order_adjustments.{index}"
        adjustment = _object(adjustment, path)
        amount = side.value(Amount.from_webhook(adjustment, "amount", path))
        adjustment_tax = side.value(Amount.from_webhook(adjustment, "tax_amount", path), ZERO)
        if adjustment.get("kind") == "shipping_refund":
            # Shopify books refunded shipping as a negative adjustment.
            shipping -= amount
            shipping_tax -= adjustment_tax
        else:
            adjustments.append(
                {
                    "kind": adjustment.get("kind"),
                    "reason": adjustment.get("reason"),
                    "amount": str(amount),
                    "tax_amount": str(adjustment_tax),
                }
            )

    amount, amount_source, transactions = _refunded_amount(payload, side)
    if amount is None:
        # The transactions are in another currency than the chosen side
        # (Shopify writes them in the presentment currency only): the
        # refund's own figures on the chosen side add up to the same.
        amount = (
            sum((line["subtotal"] + line["tax"] for line in lines), ZERO) + shipping + shipping_tax
        )
        amount_source = "lines"

    extra = pick(payload, ("id", "order_id", "restock", "processed_at", "user_id"))
    extra.update(
        {
            "money": money,
            "shipping_tax": str(shipping_tax),
            "amount_source": amount_source,
            "transactions": transactions,
        }
    )
    if adjustments:
        extra["order_adjustments"] = adjustments
    if side.currency:
        extra["currency"] = side.currency
    returned = payload.get("return")
    values = {
        "return_external_id": webhook_gid(_object(returned, "return"), "Return", "return")
        if returned is not None
        else None,
        "external_id": webhook_gid(payload, "Refund", ""),
        "order_external_id": f"gid://shopify/Order/{order_id}",
        "created_at": payload.get("created_at"),
        "lines": lines,
        "shipping": shipping,
        "amount": amount,
        "reason": payload.get("note"),
        "extra": extra,
    }
    return _validate(schemas.Refund, values)


def _refund_line_values(item, index, side):
    path = f"refund_line_items.{index}"
    line_item = item.get("line_item")
    line_item = _object(line_item, _join(path, "line_item")) if line_item is not None else {}
    if line_item.get("admin_graphql_api_id"):
        line_external_id = line_item["admin_graphql_api_id"]
    elif item.get("line_item_id") not in (None, ""):
        line_external_id = f"gid://shopify/LineItem/{item['line_item_id']}"
    elif line_item.get("id") not in (None, ""):
        line_external_id = f"gid://shopify/LineItem/{line_item['id']}"
    else:
        raise PermanentError("the refunded line item has no id", path=_join(path, "line_item_id"))
    extra = pick(item, ("id", "line_item_id", "restock_type", "location_id"))
    if line_item.get("sku"):
        extra["sku"] = line_item["sku"]
    return {
        "line_external_id": line_external_id,
        "quantity": item.get("quantity"),
        "subtotal": side.value(Amount.from_webhook(item, "subtotal", path)),
        "tax": side.value(Amount.from_webhook(item, "total_tax", path), ZERO),
        "restock": item.get("restock_type") in RESTOCK_TYPES,
        "extra": extra,
    }


def _refunded_amount(payload, side):
    """Sum of the successful refund transactions, their summary, and where
    the amount came from; the amount is None when a transaction is in
    another currency than the chosen side's."""
    amount = ZERO
    foreign = False
    summary = []
    for index, transaction in enumerate(_array(payload, "transactions", "")):
        path = f"transactions.{index}"
        transaction = _object(transaction, path)
        summary.append(pick(transaction, ("id", "kind", "status", "gateway", "amount", "currency")))
        if transaction.get("kind") != "refund" or transaction.get("status") != "success":
            continue
        if transaction.get("amount_set") is None:
            currency = transaction.get("currency")
            if currency and side.currency and currency != side.currency:
                foreign = True
                continue
        amount += side.value(Amount.from_webhook(transaction, "amount", path))
    if foreign:
        return None, None, summary
    return amount, "transactions", summary


# ---------------------------------------------------------------- helpers


def _validate(model, values):
    try:
        return model.model_validate(values)
    except pydantic.ValidationError as exc:
        raise permanent_error_from_pydantic(exc) from None
