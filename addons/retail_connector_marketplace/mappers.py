"""Mirakl OR11 orders -> canonical objects.

Pure functions: no ORM, no network, testable without a database. Mirakl
quirks handled here (see CHANNELS.md, "Mirakl"):

- amounts are JSON numbers; they become ``Decimal`` through their shortest
  spelling, never through float arithmetic;
- ``order_tax_mode`` says whether the prices include the taxes: with
  ``TAX_EXCLUDED``, the lines' prices are untaxed and the taxes come on top;
- the order's totals are those of its lines (``price`` + ``shipping_price``),
  not its ``total_price``, which may still count refused lines;
- tax rates are percentages (``20.0``): canonical rates are fractions;
- countries are ISO 3166 alpha-3 (``FRA``): canonical ones are alpha-2;
- the customer's addresses are ``null`` until SHIPPING (or acceptance, per
  operator): the order is mapped without them;
- ``customer_notification_email`` is a relay address of the operator, not
  the customer's own: it goes on the order, and the customer is marked so
  identity resolution can give it little weight;
- every line is mapped, refused and cancelled ones too: each line's
  ``order_line_state`` is in its extra;
- fields this mapper does not read are kept in the extras, so new Mirakl
  fields are never lost.

Errors: a payload that can't be mapped raises :class:`PermanentError` whose
``path`` names the Mirakl field (``order_lines.0.taxes.1.amount``); a value
refused by the canonical schema names the canonical field
(``lines.0.quantity``).
"""

from decimal import Decimal, InvalidOperation

import pycountry
import pydantic

from odoo.addons.retail_connector_base import schemas
from odoo.addons.retail_connector_base.exceptions import PermanentError
from odoo.addons.retail_connector_base.utils import join_path as _join
from odoo.addons.retail_connector_base.utils import payload_array as _array
from odoo.addons.retail_connector_base.utils import payload_object as _object
from odoo.addons.retail_connector_base.utils import permanent_error_from_pydantic

ZERO = Decimal(0)
HUNDRED = Decimal(100)

PaymentState = schemas.PaymentState

# order_state -> (canonical payment state, readable channel status). States
# missing here (new ones) are pending, with their code as the status.
ORDER_STATE_MAPPING = {
    "STAGING": (PaymentState.PENDING, "staging"),
    "WAITING_ACCEPTANCE": (PaymentState.PENDING, "waiting acceptance"),
    "WAITING_DEBIT": (PaymentState.PENDING, "waiting debit"),
    "WAITING_DEBIT_PAYMENT": (PaymentState.PENDING, "waiting debit payment"),
    "SHIPPING": (PaymentState.PAID, "shipping"),
    "SHIPPED": (PaymentState.PAID, "shipped"),
    "TO_COLLECT": (PaymentState.PAID, "to collect"),
    "RECEIVED": (PaymentState.PAID, "received"),
    "CLOSED": (PaymentState.PAID, "closed"),
    "REFUSED": (PaymentState.VOIDED, "refused"),
    "CANCELED": (PaymentState.VOIDED, "canceled"),
}
# States in which the order will never be shipped nor charged: the order is
# cancelled (at its last update) in Odoo too.
CANCELLED_STATES = frozenset({"REFUSED", "CANCELED"})
# The refunds[].state of a refund paid back to the customer.
REFUND_DONE_STATE = "REFUNDED"

TAX_INCLUDED = "TAX_INCLUDED"
TAX_EXCLUDED = "TAX_EXCLUDED"
TAX_MODES = (TAX_INCLUDED, TAX_EXCLUDED)

# The key of Customer.extra that says the email is an operator's relay.
RELAY_EMAIL_KEY = "email_relay"

ADDRESS_FIELDS = {
    # canonical: Mirakl
    "first_name": "firstname",
    "last_name": "lastname",
    "company": "company",
    "street": "street_1",
    "street2": "street_2",
    "city": "city",
    "zip": "zip_code",
    "phone": "phone",
}
# What the mappers read (the rest of each object stays in its extra).
ORDER_READ_FIELDS = frozenset({"order_id", "created_date", "currency_iso_code", "customer"})
ORDER_READ_FIELDS |= {"order_lines", "customer_notification_email"}
LINE_READ_FIELDS = frozenset(
    {"order_line_id", "offer_sku", "product_title", "quantity", "price_unit", "taxes"}
)
# Refunds become Refund objects of their own; media are links for people.
LINE_DROPPED_FIELDS = frozenset({"refunds", "product_medias"})
CUSTOMER_READ_FIELDS = frozenset(
    {"customer_id", "firstname", "lastname", "billing_address", "shipping_address"}
)


# ---------------------------------------------------------------- public API


def order_to_canonical(payload):
    """Map one order of OR11's ``orders`` to a canonical :class:`~schemas.Order`.

    :raise PermanentError: when the payload can't be mapped
    """
    payload = _object(payload, "")
    state = payload.get("order_state")
    if not isinstance(state, str) or not state:
        raise PermanentError("the order has no order_state", path="order_state")
    taxes_included = _taxes_included(payload)
    lines = _array(payload, "order_lines", "")
    line_values = []
    tax = shipping = ZERO
    shipping_taxes = {}
    for index, line in enumerate(lines):
        path = f"order_lines.{index}"
        line = _object(line, path)
        values = _line_values(line, path, taxes_included)
        line_values.append(values)
        tax += sum((tax_line["amount"] for tax_line in values["tax_lines"]), ZERO)
        line_shipping = _amount(line, "shipping_price", path, default=ZERO)
        shipping += line_shipping
        for tax_line in _tax_lines(
            line, "shipping_taxes", path, taxes_included, base=line_shipping
        ):
            key = (tax_line["title"], tax_line["rate"])
            shipping_taxes[key] = shipping_taxes.get(key, ZERO) + tax_line["amount"]
            tax += tax_line["amount"]
    shipping_lines = []
    if shipping or shipping_taxes:
        shipping_lines.append(
            {
                "title": payload.get("shipping_type_label") or "Shipping",
                "code": payload.get("shipping_type_code"),
                "price": shipping,
                "tax_lines": [
                    {"title": title, "rate": rate, "amount": amount}
                    for (title, rate), amount in shipping_taxes.items()
                ],
            }
        )
    # The order's own total_price may still count lines refused at acceptance
    # (whether it does varies by operator): the total is that of the lines
    # mapped, those that stand once the adapter left the refused ones out.
    # total_price stays in the extra.
    _amount(payload, "total_price", "", default=None)  # a bad spelling is still an error
    total_price = shipping + sum(
        (
            line["unit_price"] * line["quantity"] - line["discount"]
            for line in line_values
            if isinstance(line["quantity"], int)  # else the schema names the field
        ),
        ZERO,
    )
    if taxes_included:
        totals = {"untaxed": total_price - tax, "tax": tax, "total": total_price}
    else:
        totals = {"untaxed": total_price, "tax": tax, "total": total_price + tax}

    customer = payload.get("customer")
    customer = _object(customer, "customer") if customer is not None else {}
    relay_email = payload.get("customer_notification_email")
    cancelled = state in CANCELLED_STATES
    values = {
        "external_id": _required(payload, "order_id", ""),
        "name": payload.get("commercial_id") or payload.get("order_id"),
        "created_at": payload.get("created_date"),
        "updated_at": payload.get("last_updated_date"),
        "currency": payload.get("currency_iso_code"),
        "taxes_included": taxes_included,
        "customer": _customer_values(customer, relay_email) if customer else None,
        "email": relay_email,
        "billing_address": _address_values(
            customer.get("billing_address"), "customer.billing_address"
        ),
        "shipping_address": _address_values(
            customer.get("shipping_address"), "customer.shipping_address"
        ),
        "lines": line_values,
        "shipping_lines": shipping_lines,
        "totals": totals,
        "payment_state": _payment_state(payload, lines),
        "channel_status": channel_status(state),
        "cancelled_at": payload.get("last_updated_date") if cancelled else None,
        "cancel_reason": _cancel_reason(payload, lines) if cancelled else None,
        "extra": _rest(payload, ORDER_READ_FIELDS),
    }
    return _validate(schemas.Order, values)


def channel_status(state):
    """The readable status of an ``order_state``: lower case, with spaces."""
    if state in ORDER_STATE_MAPPING:
        return ORDER_STATE_MAPPING[state][1]
    return str(state).lower().replace("_", " ")


def country_alpha2(code, path):
    """The ISO 3166-1 alpha-2 code of an alpha-3 one (``FRA`` -> ``FR``);
    alpha-2 codes are taken as they are; ``None`` for a blank code.

    :raise PermanentError: for a code that is no country
    """
    if code is None or (isinstance(code, str) and not code.strip()):
        return None
    if not isinstance(code, str):
        raise PermanentError(f"not a country code: {code!r}", path=path)
    code = code.strip().upper()
    country = None
    if len(code) == 3:
        country = pycountry.countries.get(alpha_3=code, default=None)
    elif len(code) == 2:
        country = pycountry.countries.get(alpha_2=code, default=None)
    if country is None:
        raise PermanentError(f"unknown ISO 3166 country code {code!r}", path=path)
    return country.alpha_2


# ---------------------------------------------------------------- parts


def _line_values(line, path, taxes_included):
    unit_price = _amount(line, "price_unit", path)
    quantity = line.get("quantity")
    price = _amount(line, "price", path, default=None)
    discount = ZERO
    if price is not None and isinstance(quantity, int) and not isinstance(quantity, bool):
        # price is the line's amount after the operator's promotions.
        discount = max(unit_price * quantity - price, ZERO)
    return {
        "external_id": _required(line, "order_line_id", path),
        "sku": line.get("offer_sku"),
        "name": line.get("product_title") or line.get("offer_sku") or line.get("product_sku"),
        "quantity": quantity,
        "unit_price": unit_price,
        "discount": discount,
        "tax_lines": _tax_lines(line, "taxes", path, taxes_included, base=price),
        "extra": _rest(line, LINE_READ_FIELDS | LINE_DROPPED_FIELDS),
    }


def _tax_lines(item, field, path, taxes_included, base):
    """Tax lines of ``item[field]`` (``taxes`` or ``shipping_taxes``).

    A tax without ``rate`` (some operators) gets one derived from its amount
    and ``base`` (the taxed amount, in the order's tax mode), marked
    ``rate_derived`` in its extra.
    """
    result = []
    for index, tax in enumerate(_array(item, field, path)):
        tax_path = _join(path, field, index)
        tax = _object(tax, tax_path)
        amount = _amount(tax, "amount", tax_path)
        extra = _rest(tax, {"code", "amount", "rate"})
        if tax.get("rate") is not None:
            rate = _amount(tax, "rate", tax_path) / HUNDRED
        else:
            untaxed = (base - amount if taxes_included else base) if base else None
            if not untaxed:
                raise PermanentError("the tax has no rate", path=_join(tax_path, "rate"))
            rate = (amount / untaxed).quantize(Decimal("0.0001"))
            extra["rate_derived"] = True
        result.append({"title": tax.get("code"), "rate": rate, "amount": amount, "extra": extra})
    return result


def _sum_taxes(item, field, path):
    total = ZERO
    for index, tax in enumerate(_array(item, field, path)):
        tax_path = _join(path, field, index)
        total += _amount(_object(tax, tax_path), "amount", tax_path)
    return total


def _customer_values(customer, relay_email):
    extra = _rest(customer, CUSTOMER_READ_FIELDS)
    if relay_email:
        # An operator's relay address: it reaches the customer but is no
        # identity (one per order at some operators).
        extra[RELAY_EMAIL_KEY] = True
        extra["relay_email"] = relay_email
    billing = customer.get("billing_address")
    shipping = customer.get("shipping_address")
    return {
        "external_id": customer.get("customer_id"),
        "first_name": customer.get("firstname"),
        "last_name": customer.get("lastname"),
        "lang": customer.get("locale"),
        "default_address": (
            _address_values(billing, "customer.billing_address")
            or _address_values(shipping, "customer.shipping_address")
        ),
        "extra": extra,
    }


def _address_values(data, path):
    """An Address, or None when there is none (before SHIPPING) or every
    field is blank."""
    if data is None:
        return None
    data = _object(data, path)
    values = {name: data.get(field) for name, field in ADDRESS_FIELDS.items()}
    values["country_code"] = country_alpha2(
        data.get("country_iso_code"), _join(path, "country_iso_code")
    )
    if all(_blank(value) for value in values.values()):
        return None
    values["extra"] = {
        key: value
        for key, value in data.items()
        if key not in ADDRESS_FIELDS.values() and key != "country_iso_code" and not _blank(value)
    }
    return values


def _payment_state(payload, lines):
    """The state's payment state; a paid order with refunds paid back is
    partially refunded, or refunded when Mirakl says ``fully_refunded``."""
    state = ORDER_STATE_MAPPING.get(payload["order_state"], (PaymentState.PENDING,))[0]
    if state != PaymentState.PAID:
        return state
    if payload.get("fully_refunded") is True:
        return PaymentState.REFUNDED
    for line in lines:
        refunds = line.get("refunds") if isinstance(line, dict) else None
        if isinstance(refunds, list) and any(
            isinstance(refund, dict) and refund.get("state") == REFUND_DONE_STATE
            for refund in refunds
        ):
            return PaymentState.PARTIALLY_REFUNDED
    return state


def _cancel_reason(payload, lines):
    """The order's state reason, else the lines' cancellation reasons, else
    the state itself."""
    reason = payload.get("order_state_reason_label") or payload.get("order_state_reason_code")
    if reason:
        return reason
    codes = []
    for line in lines:
        cancelations = line.get("cancelations") if isinstance(line, dict) else None
        for cancelation in cancelations if isinstance(cancelations, list) else []:
            code = cancelation.get("reason_code") if isinstance(cancelation, dict) else None
            if code and code not in codes:
                codes.append(code)
    return ", ".join(codes) or channel_status(payload["order_state"])


def _taxes_included(payload):
    mode = payload.get("order_tax_mode")
    if mode in TAX_MODES:
        return mode == TAX_INCLUDED
    if mode is None and not _has_taxes(payload):
        # Without taxes both modes give the same amounts.
        return False
    raise PermanentError(
        f"order_tax_mode must be one of {TAX_MODES}, not {mode!r}", path="order_tax_mode"
    )


def _has_taxes(payload):
    lines = payload.get("order_lines")
    return isinstance(lines, list) and any(
        isinstance(line, dict) and (line.get("taxes") or line.get("shipping_taxes"))
        for line in lines
    )


# ---------------------------------------------------------------- helpers


def _validate(model, values):
    try:
        return model.model_validate(values)
    except pydantic.ValidationError as exc:
        raise permanent_error_from_pydantic(exc) from None


def _amount(data, field, path, default=PermanentError):
    """``data[field]`` as a ``Decimal`` (JSON numbers through their shortest
    spelling, never float arithmetic)."""
    value = data.get(field)
    if value is None:
        if default is PermanentError:
            raise PermanentError("missing amount", path=_join(path, field))
        return default
    if isinstance(value, bool):
        raise PermanentError(f"not an amount: {value!r}", path=_join(path, field))
    if isinstance(value, float):
        value = repr(value)
    elif isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise PermanentError(f"not an amount: {value!r}", path=_join(path, field))
    try:
        result = Decimal(value.strip())
    except InvalidOperation:
        raise PermanentError(f"not an amount: {value!r}", path=_join(path, field)) from None
    if not result.is_finite():
        raise PermanentError(f"not an amount: {value!r}", path=_join(path, field))
    return result


def _required(data, field, path):
    value = data.get(field)
    if value in (None, ""):
        raise PermanentError(f"missing {field}", path=_join(path, field))
    return value


def _rest(data, read):
    """The fields of ``data`` a mapper did not read, kept for reference."""
    return {key: value for key, value in data.items() if key not in read}


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())
