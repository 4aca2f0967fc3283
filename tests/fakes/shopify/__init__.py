"""A fake Shopify for tests: a real HTTP server on 127.0.0.1 speaking Shopify's protocol.

It plays what /work/shared/CHANNELS.md (section Shopify) describes and our connector relies
on: the GraphQL Admin API at ``/admin/api/<version>/graphql.json``, answered by operation
name (the named operations of ``retail_connector_shopify/graphql.py``) with exactly the
fields each query selects; the client-credentials token grant; cost-based throttling with
``extensions.cost``; bulk operations over orders or customers with a JSONL download; and
signed webhook deliveries to Odoo. Its state is plain Python that tests arrange and assert
on, and faults (5xx, a timeout, a connection reset, a 401, a throttle) are queued on
demand::

    with FakeShopify() as shopify:
        variant = shopify.add_variant("MUG", available=5)
        order = shopify.add_order(line_items=[{"sku": "MUG", "quantity": 2}])
        shopify.fail_next("html_5xx")          # the connector's next call gets a 502
        ...                                    # api_url = shopify.base_url
        assert shopify.fulfillments and shopify.graphql_requests("RetailFulfillmentCreate")

Where things are:
- ``server.py``: FakeShopify (routes, tokens, throttling, faults, GraphQL execution), on the
  shared ``tests/fakes/harness.py``;
- ``state.py``: ShopState, what the shop holds and how tests arrange it; ``bulk.py``: its
  bulk operations;
- ``queries.py`` and ``mutations.py``: the operations, by name;
- ``graphql.py``: the GraphQL reader, connections, search syntax, the operation registry;
- ``throttle.py``: the cost bucket; ``webhooks.py``: webhook bodies, signature, deliveries;
  ``common.py``: time, ids, money.
"""

from .common import API_VERSIONS, iso, money, numeric_id, parse_time, utcnow
from .graphql import GraphQLError, parse_operation
from .server import (
    DEFAULT_SCOPE,
    FAULT_KINDS,
    INVALID_TOKEN_BODY,
    STATIC_TOKEN,
    FakeShopify,
    ShopifyRequest,
)
from .state import ShopState
from .throttle import CostBucket
from .webhooks import (
    COMPLIANCE_TOPICS,
    TOPICS,
    customer_webhook_payload,
    order_webhook_payload,
    sign_body,
)

__all__ = [
    "API_VERSIONS",
    "COMPLIANCE_TOPICS",
    "DEFAULT_SCOPE",
    "FAULT_KINDS",
    "INVALID_TOKEN_BODY",
    "STATIC_TOKEN",
    "TOPICS",
    "CostBucket",
    "FakeShopify",
    "GraphQLError",
    "ShopState",
    "ShopifyRequest",
    "customer_webhook_payload",
    "iso",
    "money",
    "numeric_id",
    "order_webhook_payload",
    "parse_operation",
    "parse_time",
    "sign_body",
    "utcnow",
]
