"""Shopify's source shapes read into one shape (see ``shape.py``)."""

from .graphql import customer_from_node, order_from_node, reassemble_bulk_orders
from .webhook import customer_from_webhook, order_from_webhook

__all__ = [
    "customer_from_node",
    "customer_from_webhook",
    "order_from_node",
    "order_from_webhook",
    "reassemble_bulk_orders",
]
