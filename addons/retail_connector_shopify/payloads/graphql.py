"""Shopify GraphQL Admin API nodes -> the shape of ``shape.py``.

The reconciliation poll (``RetailOrdersUpdatedSince``) and the bulk backfill
(``BACKFILL_ORDERS_BULK_QUERY``, reassembled by
:func:`reassemble_bulk_orders`) read orders as GraphQL nodes; the backfill
reads customers too (``BACKFILL_CUSTOMERS_BULK_QUERY``). They become the same
canonical objects as the webhooks of the same order or customer: same GIDs,
amounts, taxes, discounts, payment state, customer and addresses.

GraphQL differs from the webhooks in shape only: camelCase names, GIDs in
``id``, money as ``MoneyBag`` (``{shopMoney: {amount, currencyCode},
presentmentMoney: {...}}``, no plain twin), uppercase enums (``PAID``,
``CUSTOMER``), nested connections as ``{nodes: [...]}``, timestamps in UTC.
Errors name the GraphQL field (``lineItems.1.originalUnitPriceSet``).
"""

from odoo.addons.retail_connector_base.exceptions import PermanentError
from odoo.addons.retail_connector_base.utils import join_path as _join
from odoo.addons.retail_connector_base.utils import payload_array as _array
from odoo.addons.retail_connector_base.utils import payload_object as _object

from ..money import Amount
from .shape import blank, pick, timestamp

ADDRESS_FIELDS = {
    # canonical: GraphQL MailingAddress
    "first_name": "firstName",
    "last_name": "lastName",
    "company": "company",
    "street": "address1",
    "street2": "address2",
    "city": "city",
    "state_code": "provinceCode",
    "zip": "zip",
    "country_code": "countryCodeV2",
    "phone": "phone",
}
ADDRESS_EXTRA_FIELDS = ("id", "province", "country")
ORDER_EXTRA_FIELDS = (
    "id",
    "legacyResourceId",
    "currencyCode",
    "presentmentCurrencyCode",
    "displayFinancialStatus",
    "displayFulfillmentStatus",
    "processedAt",
    "closedAt",
    "test",
)
# MoneyBag totals kept for reference, from the chosen side (snake_case, as
# the webhook's are kept).
ORDER_EXTRA_AMOUNTS = {
    "subtotal_price": "subtotalPriceSet",
    "total_discounts": "totalDiscountsSet",
    "total_shipping_price": "totalShippingPriceSet",
    "current_subtotal_price": "currentSubtotalPriceSet",
    "current_total_discounts": "currentTotalDiscountsSet",
    "current_total_tax": "currentTotalTaxSet",
    "current_total_price": "currentTotalPriceSet",
}
LINE_EXTRA_FIELDS = ("id", "title", "variantTitle", "currentQuantity")
SHIPPING_EXTRA_FIELDS = ("id", "source", "carrierIdentifier", "isRemoved")
# displayFulfillmentStatus (lowercased) -> the webhook's fulfillment_status.
FULFILLMENT_STATUS_WORDS = {"partially_fulfilled": "partial"}

# The consent's channels: prefix of its extra keys -> the Customer field.
CONSENT_CHANNELS = {"email": "defaultEmailAddress", "sms": "defaultPhoneNumber"}
# The marketing fields of those -> the webhook's consent keys (kept in the
# consent's extra with the channel's prefix, as the webhook's are).
CONSENT_EXTRA_FIELDS = {
    "marketingState": "state",
    "marketingOptInLevel": "opt_in_level",
    "marketingCollectedFrom": "consent_collected_from",
}


def order_from_node(node):
    """Read a GraphQL ``Order`` node (the fields of ``graphql._ORDER_FIELDS``
    with ``lineItems`` and ``shippingLines`` as ``{nodes: [...]}``).

    :raise PermanentError: when the node can't be read, or has more line
        items than the page read
    """
    node = _object(node, "")
    line_items = _connection(node, "lineItems", "")
    if ((node.get("lineItems") or {}).get("pageInfo") or {}).get("hasNextPage"):
        raise PermanentError(
            f"the order has more than {len(line_items)} line items and only the first "
            "page was read",
            path="lineItems.pageInfo.hasNextPage",
        )
    customer = node.get("customer")
    fulfillment = _lower(node.get("displayFulfillmentStatus"))
    if isinstance(fulfillment, str):
        fulfillment = FULFILLMENT_STATUS_WORDS.get(fulfillment, fulfillment)
    return {
        "source": "graphql",
        "external_id": gid(node, ""),
        "name": node.get("name"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "shop_currency": node.get("currencyCode"),
        "presentment_currency": node.get("presentmentCurrencyCode"),
        "taxes_included": node.get("taxesIncluded"),
        # Without consent, as in the order webhooks (customer_from_node
        # reads it).
        "customer": (
            _customer(_object(customer, "customer"), "customer") if customer is not None else None
        ),
        "email": node.get("email"),
        "phone": node.get("phone"),
        "billing_address": _address(node.get("billingAddress"), "billingAddress"),
        "shipping_address": _address(node.get("shippingAddress"), "shippingAddress"),
        "lines": [
            _line(_object(item, f"lineItems.{index}"), f"lineItems.{index}")
            for index, item in enumerate(line_items)
        ],
        "shipping_lines": [
            _shipping_line(_object(item, f"shippingLines.{index}"), f"shippingLines.{index}")
            for index, item in enumerate(_connection(node, "shippingLines", ""))
        ],
        "total": Amount.from_graphql(node, "totalPriceSet", ""),
        "tax": Amount.from_graphql(node, "totalTaxSet", ""),
        "financial_status": node.get("displayFinancialStatus"),
        "fulfillment_status": fulfillment,
        "closed": node.get("closedAt") or node.get("closed"),
        "cancelled_at": node.get("cancelledAt"),
        "cancel_reason": _lower(node.get("cancelReason")),
        "note": node.get("note"),
        "extra": pick(node, ORDER_EXTRA_FIELDS),
        "extra_amounts": {
            name: Amount.from_graphql(node, field, "")
            for name, field in ORDER_EXTRA_AMOUNTS.items()
            if node.get(field) is not None
        },
    }


def customer_from_node(node):
    """Read a GraphQL ``Customer`` node (the fields of
    ``graphql._CUSTOMER_FIELDS``), marketing consent included.

    :raise PermanentError: when the node can't be read
    """
    node = _object(node, "")
    values = _customer(node, "")
    values["consent"] = _consent(node, "")
    return values


def gid(data, path):
    """The node's ``id``, which must be a Shopify GID."""
    value = data.get("id")
    if not isinstance(value, str) or not value.startswith("gid://shopify/"):
        raise PermanentError(f"not a Shopify GID: {value!r}", path=_join(path, "id"))
    return value


# ---------------------------------------------------------------- parts


def _line(item, path):
    return {
        "external_id": gid(item, path),
        "sku": item.get("sku"),
        "name": item.get("name") or item.get("title"),
        "quantity": item.get("quantity"),
        "unit_price": Amount.from_graphql(item, "originalUnitPriceSet", path),
        "discounts": _discounts(item, path),
        "tax_lines": _tax_lines(item, path),
        "extra": pick(item, LINE_EXTRA_FIELDS),
    }


def _shipping_line(item, path):
    return {
        "title": item.get("title") or item.get("code"),
        "code": item.get("code"),
        "price": Amount.from_graphql(item, "originalPriceSet", path),
        "discounts": _discounts(item, path),
        "tax_lines": _tax_lines(item, path),
        "extra": pick(item, SHIPPING_EXTRA_FIELDS),
    }


def _discounts(item, path):
    """The amounts of the item's ``discountAllocations``."""
    allocations_path = _join(path, "discountAllocations")
    return [
        Amount.from_graphql(
            _object(allocation, _join(allocations_path, index)),
            "allocatedAmountSet",
            _join(allocations_path, index),
        )
        for index, allocation in enumerate(_array(item, "discountAllocations", path))
    ]


def _tax_lines(item, path):
    result = []
    for index, tax in enumerate(_array(item, "taxLines", path)):
        tax_path = _join(path, "taxLines", index)
        tax = _object(tax, tax_path)
        result.append(
            {
                "title": tax.get("title"),
                "rate": tax.get("rate"),
                "amount": Amount.from_graphql(tax, "priceSet", tax_path),
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
    email = data.get("defaultEmailAddress")
    phone = data.get("defaultPhoneNumber")
    return {
        "external_id": gid(data, path),
        # Before 2025-04 (and in older samples): plain email and phone.
        "email": (email or {}).get("emailAddress") if email is not None else data.get("email"),
        "phone": (phone or {}).get("phoneNumber") if phone is not None else data.get("phone"),
        "first_name": data.get("firstName"),
        "last_name": data.get("lastName"),
        "default_address": _address(data.get("defaultAddress"), _join(path, "defaultAddress")),
        "consent": None,
        "updated_at": data.get("updatedAt"),
        "extra": pick(data, ("id",)),
    }


def _consent(data, path):
    """Consent from the marketing fields of ``defaultEmailAddress`` and
    ``defaultPhoneNumber``; None when no marketing state was read (no email
    nor phone)."""
    channels = {
        prefix: _object(data.get(field) or {}, _join(path, field))
        for prefix, field in CONSENT_CHANNELS.items()
    }
    if all("marketingState" not in channel for channel in channels.values()):
        return None
    updated, extra = [], {}
    for prefix, channel in channels.items():
        stamp = channel.get("marketingUpdatedAt")
        if stamp:
            stamp_path = _join(path, CONSENT_CHANNELS[prefix], "marketingUpdatedAt")
            updated.append((timestamp(stamp, stamp_path), stamp))
        for field, key in CONSENT_EXTRA_FIELDS.items():
            value = channel.get(field)
            if value is not None:
                # As the webhook spells them: states and opt-in levels in
                # lowercase, the source in uppercase.
                extra[f"{prefix}_{key}"] = value if key.endswith("_from") else _lower(value)
    return {
        "email_state": channels["email"].get("marketingState"),
        "sms_state": channels["sms"].get("marketingState"),
        "updated": updated,
        "extra": extra,
    }


# ---------------------------------------------------------------- helpers


def _connection(data, field, path):
    """The nodes of a nested connection: ``{nodes: [...]}``, ``{edges:
    [{node}]}`` or a plain list (reassembled bulk lines)."""
    value = data.get(field)
    if value is None:
        return []
    if isinstance(value, list):
        return value
    value = _object(value, _join(path, field))
    if "nodes" in value:
        return _array(value, "nodes", _join(path, field))
    return [
        _object(edge, _join(path, field, "edges", index)).get("node")
        for index, edge in enumerate(_array(value, "edges", _join(path, field)))
    ]


def _lower(value):
    return value.lower() if isinstance(value, str) else value


# ---------------------------------------------------------------- bulk JSONL

# The GID type of a bulk line with a __parentId -> its order's connection.
BULK_CHILD_CONNECTIONS = {"LineItem": "lineItems", "ShippingLine": "shippingLines"}


def reassemble_bulk_orders(lines):
    """Order nodes from the parsed lines of a bulk export of orders.

    A bulk JSONL file has one line per order, and one per nested connection
    node (line item, shipping line) with the order's id in ``__parentId``;
    each order gets its children back as ``{nodes: [...]}``, the shape the
    poll reads. Children may come anywhere after their parent.

    :raise PermanentError: for a child whose parent is not in the file
    """
    orders = {}
    for number, line in enumerate(lines, start=1):
        line = dict(_object(line, f"line {number}"))
        parent_id = line.pop("__parentId", None)
        if parent_id is None:
            for connection in BULK_CHILD_CONNECTIONS.values():
                line.setdefault(connection, {"nodes": []})
            orders[gid(line, f"line {number}")] = line
            continue
        parent = orders.get(parent_id)
        kind = str(line.get("id") or "").split("/")[3:4]
        connection = BULK_CHILD_CONNECTIONS.get(kind[0] if kind else None)
        if parent is None:
            raise PermanentError(f"line {number}: parent {parent_id} not found before it")
        if connection:
            parent[connection]["nodes"].append(line)
    return list(orders.values())
