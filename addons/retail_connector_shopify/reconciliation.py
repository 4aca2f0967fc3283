"""Reconciliation with Shopify, plain Python: what the poll and the bulk
backfill turn Shopify's order and customer nodes into.

The poll (``retail.backend._poll_fetch``) reads the orders updated since the
cursor; the backfill (``retail.shopify.backfill``) runs bulk operations, one
step after the other. Both hand the base :class:`PolledRecord` values: events
of source ``poll``, keyed ``<gid>@<updatedAt>``. A reconciliation run
(``retail.reconciler``) reads the orders created in its window and the
stock of the mapped variants: :func:`order_summary`, :func:`stock_levels`.
"""

from decimal import Decimal, InvalidOperation

from odoo.addons.retail_connector_base.adapters import EventValues
from odoo.addons.retail_connector_base.exceptions import PermanentError
from odoo.addons.retail_connector_base.polling import PolledRecord, json_body, parse_iso_utc
from odoo.addons.retail_connector_base.reconciliation import (
    CANCELLED,
    FULFILLED,
    OPEN,
    PARTIALLY_FULFILLED,
    OrderSummary,
)

from . import graphql
from .adapters.shopify import POLL_CUSTOMER_TOPIC, POLL_ORDER_TOPIC

# A backfill's bulk operation is checked again this often (seconds) until it
# completes, for at most BACKFILL_CHECK_RETRIES checks (a day).
BACKFILL_CHECK_SECONDS = 15
BACKFILL_CHECK_RETRIES = 24 * 3600 // BACKFILL_CHECK_SECONDS
BULK_RUNNING_STATUSES = ("CREATED", "RUNNING", "CANCELING")
# The backfill's steps, one bulk operation each, run one after the other
# (Shopify runs one bulk query per shop at a time): step -> its bulk query.
BACKFILL_QUERIES = {
    "orders": graphql.BACKFILL_ORDERS_BULK_QUERY,
    "customers": graphql.BACKFILL_CUSTOMERS_BULK_QUERY,
}
# The topic of the events stored from GraphQL nodes -> the model of their bindings.
POLL_TOPIC_MODELS = {POLL_ORDER_TOPIC: "sale.order", POLL_CUSTOMER_TOPIC: "res.partner"}


def polled_records(nodes, topic):
    """Order or customer ``nodes`` as ``topic`` records (``orders/poll`` or
    ``customers/poll``), keyed ``<gid>@<updatedAt>``, bound by their gid.

    :raise PermanentError: on a node without id or updatedAt
    """
    res_model = POLL_TOPIC_MODELS[topic]
    for node in nodes:
        gid, updated_at = node.get("id"), node.get("updatedAt")
        if not gid or not updated_at:
            raise PermanentError(f"Shopify sent a node without id or updatedAt: {gid}")
        yield PolledRecord(
            event_values=EventValues(event_key=f"{gid}@{updated_at}", topic=topic, headers={}),
            body=json_body(node),
            updated_at=parse_iso_utc(updated_at, "Shopify timestamp"),
            res_model=res_model,
            external_id=gid,
        )


def updated_since_query(since):
    """Shopify's search of what was updated since ``since`` (naive UTC)."""
    return f"updated_at:>='{shopify_time(since)}'"


def shopify_time(moment):
    """A naive UTC datetime as Shopify's search syntax reads it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def backfill_status(orders, customers):
    """The backfill's status: ``orders: <state>; customers: <state>``."""
    return f"orders: {orders}; customers: {customers}"


def backfill_orders(status):
    """The orders' state in a backfill status."""
    return (status or "").partition("; ")[0].removeprefix("orders: ")


# Drift measurement (``retail.reconciler``): Shopify's side of a run.

# GraphQL MoneyBag side of the backend's ``shopify_money_side``.
MONEY_SIDES = {"presentment_money": "presentmentMoney", "shop_money": "shopMoney"}
# displayFulfillmentStatus -> the base's status vocabulary (others: open).
FULFILLMENT_STATUSES = {
    "FULFILLED": FULFILLED,
    "PARTIALLY_FULFILLED": PARTIALLY_FULFILLED,
}


def created_between_query(since, until):
    """Shopify's search of the orders created in ``[since, until)`` (naive UTC)."""
    return f"created_at:>='{shopify_time(since)}' created_at:<'{shopify_time(until)}'"


def ids_query(gids):
    """Shopify's search of the orders ``gids`` (``gid://shopify/Order/<n>``)."""
    return " OR ".join(f"id:{gid.rsplit('/', 1)[-1]}" for gid in gids)


def order_status(node):
    """An order node's status in the base's vocabulary."""
    if node.get("cancelledAt"):
        return CANCELLED
    return FULFILLMENT_STATUSES.get(str(node.get("displayFulfillmentStatus")).upper(), OPEN)


def order_summary(node, money_side="presentment_money"):
    """An order node (``RetailReconcileOrders``) as the base compares it, with
    the poll record that imports it (keyed as the poll's).

    :raise PermanentError: on a node without id or updatedAt
    """
    [record] = polled_records([node], POLL_ORDER_TOPIC)
    side = MONEY_SIDES[money_side]
    total, currency = _money(node.get("totalPriceSet"), side)
    refunded, _currency = _money(node.get("totalRefundedSet"), side)
    return OrderSummary(
        external_id=node["id"],
        status=order_status(node),
        total=total,
        currency=currency,
        refunded=refunded,
        created_at=parse_iso_utc(node["createdAt"], "Shopify timestamp")
        if node.get("createdAt")
        else None,
        updated_at=record.updated_at,
        record=record,
        raw_status=_raw_status(node),
    )


def _raw_status(node):
    parts = [node.get("displayFinancialStatus"), node.get("displayFulfillmentStatus")]
    if node.get("cancelledAt"):
        parts.insert(0, "CANCELLED")
    return "/".join(str(part) for part in parts if part)


def _money(bag, side):
    """``(Decimal amount, currency)`` of a MoneyBag's side; ``(None, None)`` when absent."""
    money = (bag or {}).get(side) or {}
    if money.get("amount") is None:
        return None, None
    try:
        return Decimal(str(money["amount"])), money.get("currencyCode")
    except InvalidOperation:
        raise PermanentError(f"Shopify sent an amount that is no number: {money}") from None


def stock_levels(variants):
    """``{sku: available}`` of ``RetailReconcileInventory`` variant nodes; a
    variant not stocked at the location is left out (the first variant of a
    SKU wins, as the stock export's does)."""
    levels = {}
    for variant in variants:
        sku = variant.get("sku")
        level = ((variant.get("inventoryItem") or {}).get("inventoryLevel")) or None
        if not sku or sku in levels or level is None:
            continue
        for quantity in level.get("quantities") or []:
            if quantity.get("name") == "available":
                levels[sku] = quantity.get("quantity")
    return levels
