"""Shopify GraphQL Admin API order and customer nodes -> canonical objects.

The reconciliation poll (``RetailOrdersUpdatedSince``) and the bulk backfill
(``BACKFILL_ORDERS_BULK_QUERY``, reassembled) read orders as GraphQL nodes;
this maps them to the same canonical :class:`~schemas.Order` as
:func:`.mappers.order_to_canonical` maps the webhook payload of the same order:
same GIDs, amounts, taxes, discounts, payment state, customer and addresses.
The backfill's customers (``BACKFILL_CUSTOMERS_BULK_QUERY``) become the same
canonical :class:`~schemas.Customer` as :func:`.mappers.customer_to_canonical`
gives for the customers/create webhook.

GraphQL differs from the webhooks in shape only: camelCase names, GIDs in
``id``, money as ``MoneyBag`` (``{shopMoney: {amount, currencyCode},
presentmentMoney: {...}}``, no plain twin), uppercase enums (``PAID``,
``CUSTOMER``), nested connections as ``{nodes: [...]}``, timestamps in UTC.
Pure functions: no ORM, no network.
"""

from odoo.addons.retail_connector_base import schemas
from odoo.addons.retail_connector_base.exceptions import PermanentError

from .mappers import (
    FULFILLMENT_STATUS_MAPPING,
    PRESENTMENT_MONEY,
    SHOP_MONEY,
    ZERO,
    _array,
    _blank,
    _check_money_side,
    _consent_state,
    _decimal,
    _join,
    _object,
    _payment_state,
    _pick,
    _timestamp,
    _validate,
)

# The webhook mapper's money side -> the MoneyBag key.
MONEY_BAG_KEYS = {SHOP_MONEY: "shopMoney", PRESENTMENT_MONEY: "presentmentMoney"}

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
# the webhook mapper keeps them).
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


def order_node_to_canonical(node, money=PRESENTMENT_MONEY):
    """Map a GraphQL ``Order`` node (the fields of ``graphql._ORDER_FIELDS``
    with ``lineItems`` and ``shippingLines`` as ``{nodes: [...]}``) to a
    canonical :class:`~schemas.Order`.

    :param money: ``"presentment_money"`` or ``"shop_money"``, as for
        :func:`.mappers.order_to_canonical`
    :raise PermanentError: when the node can't be mapped, with the GraphQL
        field's path
    """
    _check_money_side(money)
    node = _object(node, "")
    shop_currency = node.get("currencyCode")
    presentment_currency = node.get("presentmentCurrencyCode") or shop_currency
    currency = presentment_currency if money == PRESENTMENT_MONEY else shop_currency
    side = _Bag(MONEY_BAG_KEYS[money], currency)

    line_items = _connection(node, "lineItems", "")
    if ((node.get("lineItems") or {}).get("pageInfo") or {}).get("hasNextPage"):
        raise PermanentError(
            f"the order has more than {len(line_items)} line items and only the first "
            "page was read",
            path="lineItems.pageInfo.hasNextPage",
        )
    total = side.amount(node, "totalPriceSet", "")
    tax = side.amount(node, "totalTaxSet", "")
    customer = node.get("customer")
    values = {
        "external_id": _gid(node, ""),
        "name": node.get("name"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "currency": currency,
        "taxes_included": node.get("taxesIncluded"),
        "customer": (
            _customer_values(_object(customer, "customer"), "customer")
            if customer is not None
            else None
        ),
        "email": node.get("email"),
        "phone": node.get("phone"),
        "billing_address": _address_values(node.get("billingAddress"), "billingAddress"),
        "shipping_address": _address_values(node.get("shippingAddress"), "shippingAddress"),
        "lines": [
            _line_values(_object(item, f"lineItems.{index}"), f"lineItems.{index}", side)
            for index, item in enumerate(line_items)
        ],
        "shipping_lines": [
            _shipping_values(
                _object(item, f"shippingLines.{index}"), f"shippingLines.{index}", side
            )
            for index, item in enumerate(_connection(node, "shippingLines", ""))
        ],
        # Order-level discounts are allocated to the lines, as in webhooks.
        "discount_lines": [],
        "totals": {"untaxed": total - tax, "tax": tax, "total": total},
        "payment_state": _payment_state(node.get("displayFinancialStatus")),
        "channel_status": _channel_status(node),
        "cancelled_at": node.get("cancelledAt"),
        "cancel_reason": _lower(node.get("cancelReason")),
        "note": node.get("note"),
        "extra": _order_extra(node, side, money),
    }
    return _validate(schemas.Order, values)


def customer_node_to_canonical(node):
    """Map a GraphQL ``Customer`` node (the fields of
    ``graphql._CUSTOMER_FIELDS``) to a canonical :class:`~schemas.Customer`,
    marketing consent included.

    :raise PermanentError: when the node can't be mapped, with the GraphQL
        field's path
    """
    node = _object(node, "")
    values = _customer_values(node, "")
    values["consent"] = _consent_values(node, "")
    return _validate(schemas.Customer, values)


# ---------------------------------------------------------------- money


class _Bag:
    """Reads ``MoneyBag`` amounts from one side (``shopMoney`` or
    ``presentmentMoney``), checking their currency."""

    def __init__(self, key, currency):
        self.key = key
        self.currency = currency

    def amount(self, data, field, path, default=None):
        bag = data.get(field)
        if bag is None:
            if default is not None:
                return default
            raise PermanentError("missing amount", path=_join(path, field))
        side_path = _join(path, field, self.key)
        side = _object(bag, _join(path, field)).get(self.key)
        if not isinstance(side, dict) or side.get("amount") is None:
            raise PermanentError(f"no {self.key} amount", path=side_path)
        code = side.get("currencyCode")
        if code and self.currency and code != self.currency:
            raise PermanentError(
                f"amount in {code}, expected {self.currency}",
                path=_join(side_path, "currencyCode"),
            )
        return _decimal(side["amount"], _join(side_path, "amount"))

    def total(self, items, field, path):
        return sum(
            (
                self.amount(_object(item, _join(path, index)), field, _join(path, index))
                for index, item in enumerate(items)
            ),
            ZERO,
        )


# ---------------------------------------------------------------- parts


def _line_values(item, path, side):
    return {
        "external_id": _gid(item, path),
        "sku": item.get("sku"),
        "name": item.get("name") or item.get("title"),
        "quantity": item.get("quantity"),
        "unit_price": side.amount(item, "originalUnitPriceSet", path),
        "discount": side.total(
            _array(item, "discountAllocations", path),
            "allocatedAmountSet",
            _join(path, "discountAllocations"),
        ),
        "tax_lines": _tax_lines(item, path, side),
        "extra": _pick(item, LINE_EXTRA_FIELDS),
    }


def _shipping_values(item, path, side):
    return {
        "title": item.get("title") or item.get("code"),
        "code": item.get("code"),
        "price": side.amount(item, "originalPriceSet", path),
        "discount": side.total(
            _array(item, "discountAllocations", path),
            "allocatedAmountSet",
            _join(path, "discountAllocations"),
        ),
        "tax_lines": _tax_lines(item, path, side),
        "extra": _pick(item, SHIPPING_EXTRA_FIELDS),
    }


def _tax_lines(item, path, side):
    result = []
    for index, tax in enumerate(_array(item, "taxLines", path)):
        tax_path = _join(path, "taxLines", index)
        tax = _object(tax, tax_path)
        result.append(
            {
                "title": tax.get("title"),
                "rate": tax.get("rate"),
                "amount": side.amount(tax, "priceSet", tax_path),
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
    email = data.get("defaultEmailAddress")
    phone = data.get("defaultPhoneNumber")
    return {
        "external_id": _gid(data, path),
        # Before 2025-04 (and in older samples): plain email and phone.
        "email": (email or {}).get("emailAddress") if email is not None else data.get("email"),
        "phone": (phone or {}).get("phoneNumber") if phone is not None else data.get("phone"),
        "first_name": data.get("firstName"),
        "last_name": data.get("lastName"),
        "default_address": _address_values(
            data.get("defaultAddress"), _join(path, "defaultAddress")
        ),
        # Not with orders, as in their webhooks (customer_node_to_canonical
        # reads it).
        "consent": None,
        "updated_at": data.get("updatedAt"),
        "extra": _pick(data, ("id",)),
    }


# The consent's channels: prefix of its extra keys -> the Customer field.
CONSENT_CHANNELS = {"email": "defaultEmailAddress", "sms": "defaultPhoneNumber"}
# The marketing fields of those -> the webhook's consent keys (kept in the
# consent's extra with the channel's prefix, as the webhook mapper does).
CONSENT_EXTRA_FIELDS = {
    "marketingState": "state",
    "marketingOptInLevel": "opt_in_level",
    "marketingCollectedFrom": "consent_collected_from",
}


def _consent_values(data, path):
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
            updated.append((_timestamp(stamp, stamp_path), stamp))
        for field, key in CONSENT_EXTRA_FIELDS.items():
            value = channel.get(field)
            if value is not None:
                # As the webhook spells them: states and opt-in levels in
                # lowercase, the source in uppercase.
                extra[f"{prefix}_{key}"] = value if key.endswith("_from") else _lower(value)
    return {
        "email_marketing": _consent_state(channels["email"].get("marketingState")),
        "sms_marketing": _consent_state(channels["sms"].get("marketingState")),
        "updated_at": max(updated)[1] if updated else None,
        "extra": extra,
    }


def _channel_status(node):
    """The same words as the webhook mapper: cancelled, fulfilled, partially
    fulfilled, restocked, closed or open."""
    if node.get("cancelledAt"):
        return "cancelled"
    fulfillment = _lower(node.get("displayFulfillmentStatus"))
    if fulfillment == "partially_fulfilled":
        fulfillment = "partial"
    if fulfillment in FULFILLMENT_STATUS_MAPPING:
        return FULFILLMENT_STATUS_MAPPING[fulfillment]
    if node.get("closedAt") or node.get("closed"):
        return "closed"
    return "open"


def _order_extra(node, side, money):
    extra = _pick(node, ORDER_EXTRA_FIELDS)
    extra["money"] = money
    extra["source"] = "graphql"
    for name, field in ORDER_EXTRA_AMOUNTS.items():
        if node.get(field) is not None:
            extra[name] = str(side.amount(node, field, ""))
    return extra


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


def _gid(data, path):
    gid = data.get("id")
    if not isinstance(gid, str) or not gid.startswith("gid://shopify/"):
        raise PermanentError(f"not a Shopify GID: {gid!r}", path=_join(path, "id"))
    return gid


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
            orders[_gid(line, f"line {number}")] = line
            continue
        parent = orders.get(parent_id)
        kind = str(line.get("id") or "").split("/")[3:4]
        connection = BULK_CHILD_CONNECTIONS.get(kind[0] if kind else None)
        if parent is None:
            raise PermanentError(f"line {number}: parent {parent_id} not found before it")
        if connection:
            parent[connection]["nodes"].append(line)
    return list(orders.values())
