"""The GraphQL Admin API operations the connector sends, by name.

Every operation is named (``query RetailShop``...): the fake Shopify in
tests/fakes answers by operation name, and Shopify's logs show them.
"""

SHOP = """
query RetailShop {
  shop { id name myshopifyDomain currencyCode }
}
"""

WEBHOOK_SUBSCRIPTIONS = """
query RetailWebhookSubscriptions($first: Int!, $after: String) {
  webhookSubscriptions(first: $first, after: $after) {
    nodes { id topic uri createdAt updatedAt }
    pageInfo { hasNextPage endCursor }
  }
}
"""

WEBHOOK_SUBSCRIPTION_CREATE = """
mutation RetailWebhookSubscriptionCreate(
  $topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!
) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}
"""

ORDERS_UPDATED_SINCE = """
query RetailOrdersUpdatedSince($first: Int!, $after: String, $query: String!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes { id legacyResourceId updatedAt }
    pageInfo { hasNextPage endCursor }
  }
}
"""

ORDER_RISK = """
query RetailOrderRisk($id: ID!) {
  order(id: $id) {
    id
    risk { recommendation assessments { riskLevel facts { description sentiment } } }
  }
}
"""

FULFILLMENT_ORDERS = """
query RetailFulfillmentOrders($id: ID!) {
  order(id: $id) {
    fulfillmentOrders(first: 50) {
      nodes {
        id status
        assignedLocation { location { id } }
        lineItems(first: 250) {
          nodes { id remainingQuantity lineItem { id sku } }
        }
      }
    }
  }
}
"""

FULFILLMENT_CREATE = """
mutation RetailFulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}
"""

INVENTORY_ITEMS_BY_SKU = """
query RetailInventoryItems($first: Int!, $after: String, $query: String!) {
  productVariants(first: $first, after: $after, query: $query) {
    nodes { id sku inventoryItem { id } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

INVENTORY_SET_QUANTITIES = """
mutation RetailInventorySetQuantities(
  $input: InventorySetQuantitiesInput!, $idempotencyKey: String!
) {
  inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
}
"""

BULK_OPERATION_RUN_QUERY = """
mutation RetailBulkOperationRunQuery($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message }
  }
}
"""

CURRENT_BULK_OPERATION = """
query RetailCurrentBulkOperation {
  currentBulkOperation { id status errorCode objectCount url }
}
"""

# The bulk query of a backfill (its JSONL lines: orders, then their line items
# with __parentId).
BACKFILL_ORDERS_BULK_QUERY = """
{
  orders(query: "updated_at:>='%(since)s'") {
    edges { node { id legacyResourceId updatedAt } }
  }
}
"""
