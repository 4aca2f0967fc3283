"""Shopify webhook payloads (REST-shaped JSON) -> the shape of ``shape.py``.

Webhook quirks read here (see CHANNELS.md, "Shopify: payload quirks"):

- money comes as decimal strings with ``*_set`` twins
  ``{shop_money: {amount, currency_code}, presentment_money: {...}}``, except
  refund lines (JSON numbers);
- ids are 64-bit integers: the ``admin_graphql_api_id`` GIDs are the external
  ids (built from the id when missing);
- timestamps keep their UTC offset; the schemas normalise them to UTC;
- protected customer data (name, email, phone, address) arrives as ``null``.

Errors name the webhook's field (``line_items.0.admin_graphql_api_id``).
"""

from odoo.addons.retail_connector_base.exceptions import PermanentError
from odoo.addons.retail_connector_base.utils import join_path as _join
from odoo.addons.retail_connector_base.utils import payload_array as _array
from odoo.addons.retail_connector_base.utils import payload_object as _object

from ..money import Amount
from .shape import blank, pick, timestamp

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
# The consent objects of a customer -> the prefix of their keys in extra.
CONSENT_FIELDS = {"email_marketing_consent": "email", "sms_marketing_consent": "sms"}
CONSENT_EXTRA_FIELDS = ("state", "opt_in_level", "consent_collected_from")


def order_from_webhook(payload):
    """Read an ``orders/*`` webhook payload (create, updated, paid,
    cancelled, fulfilled...).

    :raise PermanentError: when the payload can't be read
    """
    payload = _object(payload, "")
    return {
        "source": None,
        "external_id": gid(payload, "Order", ""),
        "name": payload.get("name"),
        "created_at": payload.get("created_at"),
        "updated_at": payload.get("updated_at"),
        "shop_currency": payload.get("currency"),
        "presentment_currency": payload.get("presentment_currency"),
        "taxes_included": payload.get("taxes_included"),
        "customer": (
            _customer(_object(payload["customer"], "customer"), "customer")
            if payload.get("customer") is not None
            else None
        ),
        "email": payload.get("email") or payload.get("contact_email"),
        "phone": payload.get("phone"),
        "billing_address": _address(payload.get("billing_address"), "billing_address"),
        "shipping_address": _address(payload.get("shipping_address"), "shipping_address"),
        "lines": [
            _line(_object(item, f"line_items.{index}"), f"line_items.{index}")
            for index, item in enumerate(_array(payload, "line_items", ""))
        ],
        "shipping_lines": [
            _shipping_line(_object(item, f"shipping_lines.{index}"), f"shipping_lines.{index}")
            for index, item in enumerate(_array(payload, "shipping_lines", ""))
        ],
        "total": Amount.from_webhook(payload, "total_price", ""),
        "tax": Amount.from_webhook(payload, "total_tax", ""),
        "financial_status": payload.get("financial_status"),
        "fulfillment_status": payload.get("fulfillment_status"),
        "closed": payload.get("closed_at"),
        "cancelled_at": payload.get("cancelled_at"),
        "cancel_reason": payload.get("cancel_reason"),
        "note": payload.get("note"),
        "extra": pick(payload, ORDER_EXTRA_FIELDS),
        "extra_amounts": {
            field: amount
            for field in ORDER_EXTRA_AMOUNTS
            if (amount := Amount.from_webhook(payload, field, "")).is_present()
        },
    }


def customer_from_webhook(payload):
    """Read a ``customers/create`` or ``customers/update`` payload.

    :raise PermanentError: when the payload can't be read
    """
    return _customer(_object(payload, ""), "")


def gid(data, kind, path):
    """The object's ``admin_graphql_api_id``, else one built from its id."""
    value = data.get("admin_graphql_api_id")
    if value:
        return value
    if data.get("id") not in (None, ""):
        return f"gid://shopify/{kind}/{data['id']}"
    raise PermanentError(
        f"the {kind} has neither admin_graphql_api_id nor id",
        path=_join(path, "admin_graphql_api_id"),
    )


# ---------------------------------------------------------------- parts


def _line(item, path):
    return {
        "external_id": gid(item, "LineItem", path),
        "sku": item.get("sku"),
        "name": item.get("name") or item.get("title"),
        # The quantity ordered; current_quantity (after edits and refunds)
        # stays in extra, refunds become credit notes of their own.
        "quantity": item.get("quantity"),
        "unit_price": Amount.from_webhook(item, "price", path),
        "discounts": _discounts(item, path),
        "tax_lines": _tax_lines(item, path),
        "extra": pick(item, LINE_EXTRA_FIELDS),
    }


def _shipping_line(item, path):
    return {
        "title": item.get("title") or item.get("code"),
        "code": item.get("code"),
        "price": Amount.from_webhook(item, "price", path),
        "discounts": _discounts(item, path),
        "tax_lines": _tax_lines(item, path),
        "extra": pick(item, SHIPPING_EXTRA_FIELDS),
    }


def _discounts(item, path):
    """The amounts of the item's ``discount_allocations``."""
    allocations_path = _join(path, "discount_allocations")
    return [
        Amount.from_webhook(
            _object(allocation, _join(allocations_path, index)),
            "amount",
            _join(allocations_path, index),
        )
        for index, allocation in enumerate(_array(item, "discount_allocations", path))
    ]


def _tax_lines(item, path):
    result = []
    for index, tax in enumerate(_array(item, "tax_lines", path)):
        tax_path = _join(path, "tax_lines", index)
        tax = _object(tax, tax_path)
        result.append(
            {
                "title": tax.get("title"),
                "rate": tax.get("rate"),
                "amount": Amount.from_webhook(tax, "price", tax_path),
            }
        )
    return result


def _address(data, path):
    if data is None:
        return None
    data = _object(data, path)
    values = {name: data.get(field) for name, field in ADDRESS_FIELDS.items()}
    values["extra"] = {
        field: data[field] for field in ADDRESS_EXTRA_FIELDS if not blank(data.get(field))
    }
    return values


def _customer(data, path):
    return {
        "external_id": gid(data, "Customer", path),
        "email": data.get("email"),
        "phone": data.get("phone"),
        "first_name": data.get("first_name"),
        "last_name": data.get("last_name"),
        "default_address": _address(data.get("default_address"), _join(path, "default_address")),
        "consent": _consent(data, path),
        "updated_at": data.get("updated_at"),
        "extra": pick(data, CUSTOMER_EXTRA_FIELDS),
    }


def _consent(data, path):
    """Consent from ``email_marketing_consent`` and ``sms_marketing_consent``;
    None when neither is there (customers embedded in orders have none
    since API 2025-01)."""
    if all(data.get(field) is None for field in CONSENT_FIELDS):
        return None
    consents = {
        field: _object(data[field], _join(path, field)) if data.get(field) is not None else {}
        for field in CONSENT_FIELDS
    }
    updated = []
    for field, consent in consents.items():
        stamp = consent.get("consent_updated_at")
        if stamp:
            updated.append((timestamp(stamp, _join(path, field, "consent_updated_at")), stamp))
    extra = {}
    for field, prefix in CONSENT_FIELDS.items():
        for key in CONSENT_EXTRA_FIELDS:
            if consents[field].get(key) is not None:
                extra[f"{prefix}_{key}"] = consents[field][key]
    return {
        "email_state": consents["email_marketing_consent"].get("state"),
        "sms_state": consents["sms_marketing_consent"].get("state"),
        "updated": updated,
        "extra": extra,
    }
