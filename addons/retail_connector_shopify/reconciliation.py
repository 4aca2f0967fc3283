"""Reconciliation with Shopify, plain Python: what the poll and the bulk
backfill turn Shopify's order and customer nodes into.

The poll (``retail.backend._poll_fetch``) reads the orders updated since the
cursor; the backfill (``retail.shopify.backfill``) runs bulk operations, one
step after the other. Both hand the base :class:`PolledRecord` values: events
of source ``poll``, keyed ``<gid>@<updatedAt>``.
"""

from odoo.addons.retail_connector_base.adapters import EventValues
from odoo.addons.retail_connector_base.exceptions import PermanentError
from odoo.addons.retail_connector_base.polling import PolledRecord, json_body, parse_iso_utc

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
