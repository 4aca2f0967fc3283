"""The one shape Shopify orders and customers are read into.

Shopify sends the same order in three shapes: the webhook payload (REST names,
``*_set`` money twins), the GraphQL node of the reconciliation poll (camelCase,
``MoneyBag`` amounts, connections as ``{nodes}``) and the lines of a bulk
export (the same nodes, their children on lines of their own). ``webhook.py``
and ``graphql.py`` read each into the dicts below; ``..mappers`` turns those
into canonical objects. Reading checks the structure (objects, lists, ids,
timestamps) and names the source's own field in its errors; amounts stay
unread :class:`~..money.Amount` values until the mapper picks a money side.

order::

    source            None (webhook) or "graphql"
    external_id       the order's GID
    name, created_at, updated_at, taxes_included, email, phone, note,
    cancelled_at, cancel_reason
    shop_currency, presentment_currency   as sent (presentment may be None)
    customer          a customer (below) or None
    billing_address, shipping_address     an address (below) or None
    lines             [{external_id, sku, name, quantity, unit_price: Amount,
                        discounts: [Amount], tax_lines, extra}]
    shipping_lines    [{title, code, price: Amount, discounts: [Amount],
                        tax_lines, extra}]
    total, tax        Amount
    financial_status  as sent, any case
    fulfillment_status  the webhook's word (fulfilled, partial, restocked...)
    closed            truthy when the order is closed (archived)
    extra             the source's reference fields, as it names them
    extra_amounts     {snake_case name: Amount} of the reference totals sent

tax line: ``{title, rate, amount: Amount}``

customer::

    external_id, email, phone, first_name, last_name, updated_at
    default_address   an address or None
    consent           {email_state, sms_state, updated: [(datetime, as sent)],
                       extra} or None when nothing was said about marketing
    extra

address: the canonical Address fields (``first_name`` ... ``country_code``,
``phone``) as sent, blank or not, and ``extra`` (the non-blank reference
fields).
"""

from datetime import datetime

from odoo.addons.retail_connector_base.exceptions import PermanentError


def pick(data, fields):
    """The ``fields`` that ``data`` has, with their values."""
    return {field: data[field] for field in fields if field in data}


def blank(value):
    """None or a string of spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def timestamp(value, path):
    """``value`` as a ``datetime``; it must carry its UTC offset."""
    try:
        stamp = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        stamp = None
    if stamp is None or stamp.tzinfo is None:
        raise PermanentError(f"not a timestamp with a UTC offset: {value!r}", path=path)
    return stamp
