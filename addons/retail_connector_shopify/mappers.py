"""Shopify webhook payloads (REST-shaped JSON) -> canonical objects.

Pure functions: no ORM, no network, testable without a database. Webhook
quirks handled here (see CHANNELS.md, "Shopify: payload quirks"):

- money comes as decimal strings with ``*_set`` twins
  ``{shop_money: {amount, currency_code}, presentment_money: {...}}``, except
  refund lines (JSON numbers); every amount becomes a ``Decimal`` from the
  side of the twin chosen by ``money``;
- ids are 64-bit integers: the ``admin_graphql_api_id`` GIDs are the external
  ids;
- timestamps keep their UTC offset here; the schemas normalise them to UTC;
- protected customer data (name, email, phone, address) arrives as ``null``.

Errors: a payload that can't be mapped raises :class:`PermanentError` whose
``path`` names the Shopify field (``line_items.0.price``); a value refused by
the canonical schema names the canonical field (``lines.0.quantity``).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

import pydantic

from odoo.addons.retail_connector_base import schemas
from odoo.addons.retail_connector_base.exceptions import PermanentError
from odoo.addons.retail_connector_base.utils import join_path as _join
from odoo.addons.retail_connector_base.utils import payload_array as _array
from odoo.addons.retail_connector_base.utils import payload_object as _object
from odoo.addons.retail_connector_base.utils import permanent_error_from_pydantic

SHOP_MONEY = "shop_money"
PRESENTMENT_MONEY = "presentment_money"
MONEY_SIDES = (SHOP_MONEY, PRESENTMENT_MONEY)

ZERO = Decimal(0)

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

# refund_line_items[].restock_type values that put the goods back in stock.
RESTOCK_TYPES = frozenset({"return", "cancel", "legacy_restock"})

ORDER_EXTRA_FIELDS = (
    "id",
    "order_number",
    "confirmation_number",
    "currency",
    "presentment_currency",
    "financial_status",
    "fulfillment_status",
    "closed_at",
    "processed_at",
    "tags",
    "source_name",
    "customer_locale",
    "buyer_accepts_marketing",
    "payment_gateway_names",
    "discount_applications",
    "discount_codes",
    "note_attributes",
    "test",
    "risk",
)
# Amounts kept for reference, from the chosen money side. The current_*
# figures are Shopify's net amounts after edits and refunds: refunds become
# credit notes of their own, so the order's totals are the original ones.
ORDER_EXTRA_AMOUNTS = (
    "subtotal_price",
    "total_discounts",
    "total_line_items_price",
    "total_shipping_price",
    "total_outstanding",
    "current_subtotal_price",
    "current_total_discounts",
    "current_total_tax",
    "current_total_price",
    "current_total_duties",
    "original_total_duties",
)
LINE_EXTRA_FIELDS = (
    "id",
    "product_id",
    "variant_id",
    "variant_title",
    "vendor",
    "current_quantity",
    "fulfillable_quantity",
    "fulfillment_status",
    "gift_card",
    "taxable",
    "requires_shipping",
    "properties",
)
SHIPPING_EXTRA_FIELDS = ("id", "source", "carrier_identifier", "is_removed")
CUSTOMER_EXTRA_FIELDS = (
    "id",
    "tags",
    "state",
    "verified_email",
    "tax_exempt",
    "tax_exemptions",
    "currency",
    "note",
    "created_at",
)
ADDRESS_FIELDS = {
    # canonical: Shopify
    "first_name": "first_name",
    "last_name": "last_name",
    "company": "company",
    "street": "address1",
    "street2": "address2",
    "city": "city",
    "state_code": "province_code",
    "zip": "zip",
    "country_code": "country_code",
    "phone": "phone",
}
ADDRESS_EXTRA_FIELDS = ("id", "province", "country")


# ---------------------------------------------------------------- public API


def order_to_canonical(payload, money=PRESENTMENT_MONEY):
    """Map an ``orders/*`` webhook payload (create, updated, paid, cancelled,
    fulfilled...) to a canonical :class:`~schemas.Order`.

    :param money: ``"presentment_money"`` (what the customer was charged, in
        ``presentment_currency``) or ``"shop_money"`` (converted to the shop's
        ``currency``); every amount and the order's currency come from it
    :raise PermanentError: when the payload can't be mapped
    """
    _check_money_side(money)
    payload = _object(payload, "")
    shop_currency = payload.get("currency")
    presentment_currency = payload.get("presentment_currency") or shop_currency
    currency = presentment_currency if money == PRESENTMENT_MONEY else shop_currency
    # A plain field is in the shop's currency: usable only when that is the
    # chosen side's currency too.
    plain_ok = money == SHOP_MONEY or presentment_currency == shop_currency
    side = _MoneySide(money, currency, plain_ok)

    total = side.amount(payload, "total_price", "")
    tax = side.amount(payload, "total_tax", "")
    values = {
        "external_id": _gid(payload, "Order", ""),
        "name": payload.get("name"),
        "created_at": payload.get("created_at"),
        "updated_at": payload.get("updated_at"),
        "currency": currency,
        "taxes_included": payload.get("taxes_included"),
        "customer": (
            _customer_values(_object(payload["customer"], "customer"), "customer")
            if payload.get("customer") is not None
            else None
        ),
        "email": payload.get("email") or payload.get("contact_email"),
        "phone": payload.get("phone"),
        "billing_address": _address_values(payload.get("billing_address"), "billing_address"),
        "shipping_address": _address_values(payload.get("shipping_address"), "shipping_address"),
        "lines": [
            _line_values(_object(item, f"line_items.{index}"), f"line_items.{index}", side)
            for index, item in enumerate(_array(payload, "line_items", ""))
        ],
        "shipping_lines": [
            _shipping_values(
                _object(item, f"shipping_lines.{index}"), f"shipping_lines.{index}", side
            )
            for index, item in enumerate(_array(payload, "shipping_lines", ""))
        ],
        # Shopify allocates order-level discounts to the lines and shipping
        # lines (discount_allocations): nothing is left for discount_lines.
        "discount_lines": [],
        "totals": {"untaxed": total - tax, "tax": tax, "total": total},
        "payment_state": _payment_state(payload.get("financial_status")),
        "channel_status": _channel_status(payload),
        "cancelled_at": payload.get("cancelled_at"),
        "cancel_reason": payload.get("cancel_reason"),
        "note": payload.get("note"),
        "extra": _order_extra(payload, side),
    }
    return _validate(schemas.Order, values)


def customer_to_canonical(payload):
    """Map a ``customers/create`` or ``customers/update`` payload (or the
    customer embedded in an order) to a canonical :class:`~schemas.Customer`.

    :raise PermanentError: when the payload can't be mapped
    """
    return _validate(schemas.Customer, _customer_values(_object(payload, ""), ""))


def refund_to_canonical(payload, money=PRESENTMENT_MONEY):
    """Map a ``refunds/create`` payload to a canonical :class:`~schemas.Refund`.

    A line item can appear twice (part cancelled, part returned): each entry
    stays a line of its own. Shopify's shipping refund is a negative
    ``shipping_refund`` order adjustment; the canonical amount is positive.

    :param money: the side of the ``*_set`` twins to read, as for orders
    :raise PermanentError: when the payload can't be mapped
    """
    _check_money_side(money)
    payload = _object(payload, "")
    # The refund has no currency field: the sets tell it, and the plain
    # fields are taken as they are when a set is missing.
    side = _MoneySide(money, None, True)
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
        amount = side.amount(adjustment, "amount", path)
        adjustment_tax = side.amount(adjustment, "tax_amount", path, default=ZERO)
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

    extra = _pick(payload, ("id", "order_id", "restock", "processed_at", "user_id"))
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
    values = {
        "external_id": _gid(payload, "Refund", ""),
        "order_external_id": f"gid://shopify/Order/{order_id}",
        "created_at": payload.get("created_at"),
        "lines": lines,
        "shipping": shipping,
        "amount": amount,
        "reason": payload.get("note"),
        "extra": extra,
    }
    return _validate(schemas.Refund, values)


# ---------------------------------------------------------------- money


@dataclass
class _MoneySide:
    """Reads amounts from one side of Shopify's ``*_set`` twins.

    ``currency`` is the side's currency when known (orders); for refunds it
    is learnt from the first set read. ``plain_ok`` says whether a plain
    field (in the shop's currency) may stand in for a missing set.
    """

    money: str
    currency: str | None
    plain_ok: bool

    def amount(self, data, field, path, default=None):
        """``data[field + "_set"][money]["amount"]`` when the set is there,
        else ``data[field]``, as a ``Decimal``."""
        money_set = data.get(f"{field}_set")
        if money_set is not None:
            set_path = _join(path, f"{field}_set", self.money)
            twin = _object(money_set, _join(path, f"{field}_set")).get(self.money)
            if not isinstance(twin, dict) or twin.get("amount") is None:
                raise PermanentError(f"no {self.money} amount", path=set_path)
            code = twin.get("currency_code") or twin.get("currency")
            if code and self.currency and code != self.currency:
                raise PermanentError(
                    f"amount in {code}, expected {self.currency}",
                    path=_join(set_path, "currency_code"),
                )
            if code and not self.currency:
                self.currency = code
            return _decimal(twin["amount"], _join(set_path, "amount"))
        value = data.get(field)
        if value is None:
            if default is not None:
                return default
            raise PermanentError("missing amount", path=_join(path, field))
        if not self.plain_ok:
            raise PermanentError(
                f"no {field}_set: the plain amount is in the shop's currency, "
                f"not in {self.currency}",
                path=_join(path, f"{field}_set"),
            )
        return _decimal(value, _join(path, field))

    def total(self, items, field, path):
        """Sum ``field`` over ``items`` (e.g. discount allocations)."""
        return sum(
            (
                self.amount(_object(item, _join(path, index)), field, _join(path, index))
                for index, item in enumerate(items)
            ),
            ZERO,
        )


def _decimal(value, path):
    """A Decimal from a decimal string or a JSON number (never via float
    arithmetic: ``repr`` of a float is its shortest exact spelling)."""
    if isinstance(value, bool):
        raise PermanentError(f"not an amount: {value!r}", path=path)
    if isinstance(value, float):
        value = repr(value)
    elif isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise PermanentError(f"not an amount: {value!r}", path=path)
    try:
        result = Decimal(value.strip())
    except InvalidOperation:
        raise PermanentError(f"not an amount: {value!r}", path=path) from None
    if not result.is_finite():
        raise PermanentError(f"not an amount: {value!r}", path=path)
    return result


def _check_money_side(money):
    if money not in MONEY_SIDES:
        raise ValueError(f"money must be one of {MONEY_SIDES}, not {money!r}")


# ---------------------------------------------------------------- parts


def _line_values(item, path, side):
    return {
        "external_id": _gid(item, "LineItem", path),
        "sku": item.get("sku"),
        "name": item.get("name") or item.get("title"),
        # The quantity ordered; current_quantity (after edits and refunds)
        # stays in extra, refunds become credit notes of their own.
        "quantity": item.get("quantity"),
        "unit_price": side.amount(item, "price", path),
        "discount": side.total(
            _array(item, "discount_allocations", path),
            "amount",
            _join(path, "discount_allocations"),
        ),
        "tax_lines": _tax_lines(item, path, side),
        "extra": _pick(item, LINE_EXTRA_FIELDS),
    }


def _shipping_values(item, path, side):
    return {
        "title": item.get("title") or item.get("code"),
        "code": item.get("code"),
        "price": side.amount(item, "price", path),
        "discount": side.total(
            _array(item, "discount_allocations", path),
            "amount",
            _join(path, "discount_allocations"),
        ),
        "tax_lines": _tax_lines(item, path, side),
        "extra": _pick(item, SHIPPING_EXTRA_FIELDS),
    }


def _tax_lines(item, path, side):
    result = []
    for index, tax in enumerate(_array(item, "tax_lines", path)):
        tax_path = _join(path, "tax_lines", index)
        tax = _object(tax, tax_path)
        result.append(
            {
                "title": tax.get("title"),
                "rate": tax.get("rate"),
                "amount": side.amount(tax, "price", tax_path),
            }
        )
    return result


def _address_values(data, path):
    """An Address, or None when there is none or every field is null."""
    if data is None:
        return None
    data = _object(data, path)
    values = {name: data.get(field) for name, field in ADDRESS_FIELDS.items()}
    if all(_blank(value) for value in values.values()):
        return None
    values["extra"] = {
        field: data[field] for field in ADDRESS_EXTRA_FIELDS if not _blank(data.get(field))
    }
    return values


def _customer_values(data, path):
    return {
        "external_id": _gid(data, "Customer", path),
        "email": data.get("email"),
        "phone": data.get("phone"),
        "first_name": data.get("first_name"),
        "last_name": data.get("last_name"),
        "default_address": _address_values(
            data.get("default_address"), _join(path, "default_address")
        ),
        "consent": _consent_values(data, path),
        "updated_at": data.get("updated_at"),
        "extra": _pick(data, CUSTOMER_EXTRA_FIELDS),
    }


def _consent_values(data, path):
    """Consent from ``email_marketing_consent`` and ``sms_marketing_consent``;
    None when neither is there (customers embedded in orders have none
    since API 2025-01)."""
    email = data.get("email_marketing_consent")
    sms = data.get("sms_marketing_consent")
    if email is None and sms is None:
        return None
    email = _object(email, _join(path, "email_marketing_consent")) if email is not None else {}
    sms = _object(sms, _join(path, "sms_marketing_consent")) if sms is not None else {}
    updated = []
    for key, consent in (("email_marketing_consent", email), ("sms_marketing_consent", sms)):
        stamp = consent.get("consent_updated_at")
        if stamp:
            updated.append((_timestamp(stamp, _join(path, key, "consent_updated_at")), stamp))
    extra = {}
    for prefix, consent in (("email", email), ("sms", sms)):
        for key in ("state", "opt_in_level", "consent_collected_from"):
            if consent.get(key) is not None:
                extra[f"{prefix}_{key}"] = consent[key]
    return {
        "email_marketing": _consent_state(email.get("state")),
        "sms_marketing": _consent_state(sms.get("state")),
        "updated_at": max(updated)[1] if updated else None,
        "extra": extra,
    }


def _consent_state(state):
    if not isinstance(state, str):
        return None
    return CONSENT_STATE_MAPPING.get(state.lower())


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
    extra = _pick(item, ("id", "line_item_id", "restock_type", "location_id"))
    if line_item.get("sku"):
        extra["sku"] = line_item["sku"]
    return {
        "line_external_id": line_external_id,
        "quantity": item.get("quantity"),
        "subtotal": side.amount(item, "subtotal", path),
        "tax": side.amount(item, "total_tax", path, default=ZERO),
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
        summary.append(
            _pick(transaction, ("id", "kind", "status", "gateway", "amount", "currency"))
        )
        if transaction.get("kind") != "refund" or transaction.get("status") != "success":
            continue
        if transaction.get("amount_set") is None:
            currency = transaction.get("currency")
            if currency and side.currency and currency != side.currency:
                foreign = True
                continue
        amount += side.amount(transaction, "amount", path)
    if foreign:
        return None, None, summary
    return amount, "transactions", summary


# ---------------------------------------------------------------- order bits


def _payment_state(status):
    if status is None:
        return schemas.PaymentState.PENDING
    # Unknown new values: not paid as far as we know; the raw value stays in
    # the order's extra.
    return FINANCIAL_STATUS_MAPPING.get(str(status).lower(), schemas.PaymentState.PENDING)


def _channel_status(payload):
    """A short readable status: cancelled, fulfilled, partially fulfilled,
    restocked, closed (archived) or open."""
    if payload.get("cancelled_at"):
        return "cancelled"
    fulfillment = payload.get("fulfillment_status")
    if isinstance(fulfillment, str) and fulfillment.lower() in FULFILLMENT_STATUS_MAPPING:
        return FULFILLMENT_STATUS_MAPPING[fulfillment.lower()]
    if payload.get("closed_at"):
        return "closed"
    return "open"


def _order_extra(payload, side):
    extra = _pick(payload, ORDER_EXTRA_FIELDS)
    extra["money"] = side.money
    for field in ORDER_EXTRA_AMOUNTS:
        if payload.get(f"{field}_set") is not None:
            extra[field] = str(side.amount(payload, field, ""))
        elif payload.get(field) is not None:
            if side.plain_ok:
                extra[field] = str(side.amount(payload, field, ""))
            else:
                # No twin (total_outstanding has none): keep the shop's figure,
                # named as such.
                extra[f"{field}_shop_money"] = payload[field]
    return extra


# ---------------------------------------------------------------- helpers


def _validate(model, values):
    try:
        return model.model_validate(values)
    except pydantic.ValidationError as exc:
        raise permanent_error_from_pydantic(exc) from None


def _gid(data, kind, path):
    """The object's ``admin_graphql_api_id``, else one built from its id."""
    gid = data.get("admin_graphql_api_id")
    if gid:
        return gid
    if data.get("id") not in (None, ""):
        return f"gid://shopify/{kind}/{data['id']}"
    raise PermanentError(
        f"the {kind} has neither admin_graphql_api_id nor id",
        path=_join(path, "admin_graphql_api_id"),
    )


def _timestamp(value, path):
    try:
        stamp = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        stamp = None
    if stamp is None or stamp.tzinfo is None:
        raise PermanentError(f"not a timestamp with a UTC offset: {value!r}", path=path)
    return stamp


def _pick(data, fields):
    return {field: data[field] for field in fields if field in data}


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())
