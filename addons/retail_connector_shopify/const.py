"""Shopify facts used across the module."""

# Topics subscribed through the API; the compliance topics (customers/redact,
# customers/data_request, shop/redact) are configured in the app instead.
SUBSCRIBED_TOPICS = (
    "orders/create",
    "orders/updated",
    "orders/paid",
    "orders/cancelled",
    "orders/fulfilled",
    "refunds/create",
    "customers/create",
    "customers/update",
    "returns/approve",
)
COMPLIANCE_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")
