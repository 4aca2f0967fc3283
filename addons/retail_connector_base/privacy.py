"""What a customer's redaction erases and what a data export holds.

Plain helpers of ``retail.customer.privacy`` (services/customer_privacy.py):
no ORM import, no database. They read the records they are given.
"""

from odoo.tools import (
    DEFAULT_SERVER_DATE_FORMAT,
    DEFAULT_SERVER_DATETIME_FORMAT,
    html2plaintext,
    is_html_empty,
)

# Personal data erased from a redacted contact; fields this database lacks
# (mobile: removed from the base in Odoo 18) are skipped.
PERSONAL_FIELDS = (
    "email",
    "phone",
    "mobile",
    "street",
    "street2",
    "city",
    "zip",
    "state_id",
    "vat",
    "company_name",
    "function",
    "website",
    "comment",
    "image_1920",
    "partner_latitude",
    "partner_longitude",
)
# What a posted invoice prints about its customer and delivery address.
INVOICE_IDENTITY_FIELDS = frozenset(
    {"name", "street", "street2", "city", "zip", "state_id", "vat", "company_name"}
)
# How to redact a customer with posted accounting entries (a channel's
# backend setting passes one of these to the service).
KEEP_INVOICE_IDENTITY = "keep_invoice_identity"
ANONYMIZE = "anonymize"
REDACT_INVOICED_POLICIES = [
    (KEEP_INVOICE_IDENTITY, "Keep what posted invoices show (name, address, tax ID)"),
    (ANONYMIZE, "Anonymize all (posted invoices then show the redacted name)"),
]
CUSTOMER_MOVE_TYPES = ("out_invoice", "out_refund", "out_receipt")

# The states a privacy request ends in, as PrivacyLog sets them.
DONE = "done"
NOTHING = "nothing"
REVIEW = "review"


class PrivacyLog:
    """What a request did, line by line, and the state it ends in:
    ``done``, ``nothing`` (to do) or ``review`` (needed)."""

    def __init__(self):
        self.lines = []
        self.state = DONE

    def add(self, line):
        self.lines.append(line)

    def review(self, line):
        self.lines.append(line)
        self.state = REVIEW

    def nothing(self, line):
        self.lines.append(line)
        if self.state == DONE:
            self.state = NOTHING

    def text(self):
        return "\n".join(self.lines)


def redaction_values(contact, root, keep):
    """The values that erase ``contact``'s personal data; ``keep`` spares
    what posted invoices print. ``root`` is the customer ``contact`` belongs to."""
    values = {}
    for name in PERSONAL_FIELDS:
        if name not in contact._fields or (keep and name in INVOICE_IDENTITY_FIELDS):
            continue
        value = contact[name]
        if name == "comment" and is_html_empty(value):
            continue
        if value:
            values[name] = False
    if not keep:
        # Addresses may be nameless; a contact needs a name.
        named = contact == root or contact.type == "contact"
        placeholder = f"Redacted customer {root.id}" if named else False
        if contact.name != placeholder:
            values["name"] = placeholder
    return values


def iso(value):
    """A datetime as Odoo writes it, or ``None``."""
    return value.strftime(DEFAULT_SERVER_DATETIME_FORMAT) if value else None


def contact_data(partner):
    """A contact's personal data, as exported."""
    data = {
        "id": partner.id,
        "type": partner.type,
        "name": partner.name or None,
        "company_name": partner.company_name or None,
        "email": partner.email or None,
        "phone": partner.phone or None,
        "street": partner.street or None,
        "street2": partner.street2 or None,
        "zip": partner.zip or None,
        "city": partner.city or None,
        "state": partner.state_id.name or None,
        "country": partner.country_id.code or None,
        "vat": partner.vat or None,
        "lang": partner.lang or None,
        "website": partner.website or None,
        "notes": None if is_html_empty(partner.comment) else html2plaintext(partner.comment),
        "active": partner.active,
        "created_at": iso(partner.create_date),
    }
    if "mobile" in partner._fields:
        data["mobile"] = partner.mobile or None
    return data


def binding_data(binding):
    """A channel's link to a contact, as exported."""
    return {
        "channel": binding.backend_id.name,
        "channel_type": binding.backend_id.code,
        "external_id": binding.external_id,
        "updated_at": iso(binding.external_updated_at),
    }


def order_data(order):
    """A channel order with its lines and amounts, as exported."""
    currency = order.currency_id
    return {
        "name": order.name,
        "channel": order.retail_backend_id.name,
        "channel_order_id": order.retail_external_id,
        "reference": order.client_order_ref or None,
        "date": iso(order.date_order),
        "state": order.state,
        "channel_status": order.retail_channel_status or None,
        "payment_state": order.retail_payment_state or None,
        "currency": currency.name,
        "amount_untaxed": currency.round(order.amount_untaxed),
        "amount_tax": currency.round(order.amount_tax),
        "amount_total": currency.round(order.amount_total),
        "customer_id": order.partner_id.id,
        "invoice_address_id": order.partner_invoice_id.id,
        "shipping_address_id": order.partner_shipping_id.id,
        "note": None if is_html_empty(order.note) else html2plaintext(order.note),
        "lines": [
            {
                "description": line.name,
                "sku": line.product_id.default_code or None,
                "quantity": line.product_uom_qty,
                "unit_price": line.price_unit,
                "discount_percent": line.discount,
                "subtotal": currency.round(line.price_subtotal),
                "total": currency.round(line.price_total),
            }
            for line in order.order_line
            if not line.display_type
        ],
    }


def invoice_data(move):
    """A posted customer invoice or credit note, as exported."""
    return {
        "number": move.name,
        "type": move.move_type,
        "date": move.invoice_date.strftime(DEFAULT_SERVER_DATE_FORMAT)
        if move.invoice_date
        else None,
        "currency": move.currency_id.name,
        "amount_total": move.currency_id.round(move.amount_total),
        "payment_state": move.payment_state,
    }
