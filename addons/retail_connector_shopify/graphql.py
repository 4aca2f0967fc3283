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

# The order fields the import needs (mappers.order_node_to_canonical),
# shared by the reconciliation poll and the bulk backfill. Admin API 2026-10
# names: the customer's email and phone are defaultEmailAddress and
# defaultPhoneNumber (Customer.email and .phone are deprecated), addresses
# give countryCodeV2.
_MONEY = "{ shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }"
_ADDRESS = (
    "{ id firstName lastName company address1 address2 city province provinceCode"
    " zip country countryCodeV2 phone }"
)
_TAX_LINES = f"taxLines {{ title rate priceSet {_MONEY} }}"
_DISCOUNT_ALLOCATIONS = f"discountAllocations {{ allocatedAmountSet {_MONEY} }}"
_ORDER_FIELDS = f"""
      id legacyResourceId name createdAt updatedAt processedAt closedAt
      cancelledAt cancelReason currencyCode presentmentCurrencyCode taxesIncluded
      displayFinancialStatus displayFulfillmentStatus email phone note test
      customer {{
        id firstName lastName updatedAt
        defaultEmailAddress {{ emailAddress }}
        defaultPhoneNumber {{ phoneNumber }}
        defaultAddress {_ADDRESS}
      }}
      billingAddress {_ADDRESS}
      shippingAddress {_ADDRESS}
      subtotalPriceSet {_MONEY}
      totalPriceSet {_MONEY}
      totalTaxSet {_MONEY}
      totalDiscountsSet {_MONEY}
      totalShippingPriceSet {_MONEY}
      currentSubtotalPriceSet {_MONEY}
      currentTotalPriceSet {_MONEY}
      currentTotalTaxSet {_MONEY}
      currentTotalDiscountsSet {_MONEY}"""
_LINE_ITEM_FIELDS = f"""
          id sku name title variantTitle quantity currentQuantity
          originalUnitPriceSet {_MONEY}
          {_DISCOUNT_ALLOCATIONS}
          {_TAX_LINES}"""
_SHIPPING_LINE_FIELDS = f"""
          id title code source carrierIdentifier isRemoved
          originalPriceSet {_MONEY}
          {_DISCOUNT_ALLOCATIONS}
          {_TAX_LINES}"""

# Line items fetched with each polled order. Shopify multiplies a nested
# connection's cost by the outer page size and refuses queries above 1000
# points: the orders' page size stays small (ORDERS_PAGE_SIZE); an order with
# more lines says so (lineItems.pageInfo.hasNextPage) and its event fails
# with that reason rather than importing part of it.
ORDER_LINE_ITEMS_PAGE_SIZE = 100
ORDERS_PAGE_SIZE = 5

# Orders updated since a time (query "updated_at:>='...'"), oldest update
# first: the reconciliation poll.
ORDERS_UPDATED_SINCE = f"""
query RetailOrdersUpdatedSince($first: Int!, $after: String, $query: String!) {{
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    nodes {{{_ORDER_FIELDS}
      lineItems(first: {ORDER_LINE_ITEMS_PAGE_SIZE}) {{
        nodes {{{_LINE_ITEM_FIELDS}
        }}
        pageInfo {{ hasNextPage }}
      }}
      shippingLines(first: 20) {{
        nodes {{{_SHIPPING_LINE_FIELDS}
        }}
      }}
    }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
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

# The bulk query of a backfill: the same order fields as the poll. Its JSONL
# has one line per order, then one per line item and shipping line with the
# order's id in __parentId (bulk queries take no page sizes). Fill in with
# ``BACKFILL_ORDERS_BULK_QUERY % {"since": "2026-09-01T00:00:00Z"}``.
BACKFILL_ORDERS_BULK_QUERY = (
    """
{
  orders(query: "updated_at:>='%(since)s'") {
    edges {
      node {"""
    + _ORDER_FIELDS.replace("%", "%%")
    + """
        lineItems { edges { node {"""
    + _LINE_ITEM_FIELDS
    + """
        } } }
        shippingLines { edges { node {"""
    + _SHIPPING_LINE_FIELDS
    + """
        } } }
      }
    }
  }
}
"""
)

# The customers updated since a time, for the backfill: customers without a
# recent order too (the others also come in with their orders). Admin API
# 2026-10 names: the marketing consent is read on defaultEmailAddress and
# defaultPhoneNumber (the CustomerEmailMarketingConsent and
# CustomerSmsMarketingConsent objects are no longer supported since 2026-04).
# One JSONL line per customer. Fill in as BACKFILL_ORDERS_BULK_QUERY.
_CUSTOMER_FIELDS = f"""
      id firstName lastName updatedAt
      defaultEmailAddress {{ emailAddress marketingState marketingOptInLevel marketingUpdatedAt }}
      defaultPhoneNumber {{
        phoneNumber marketingState marketingOptInLevel marketingUpdatedAt marketingCollectedFrom
      }}
      defaultAddress {_ADDRESS}"""
BACKFILL_CUSTOMERS_BULK_QUERY = (
    """
{
  customers(query: "updated_at:>='%(since)s'") {
    edges {
      node {"""
    + _CUSTOMER_FIELDS.replace("%", "%%")
    + """
      }
    }
  }
}
"""
)

# Orders created in a window (query "created_at:>='…' created_at:<'…'", or
# "id:… OR id:…" for orders looked up by id) with what a reconciliation
# compares (status, totals, refunded amount) and what importing a missing
# one needs (the poll's fields): the reconciliation run.
RECONCILE_ORDERS = f"""
query RetailReconcileOrders($first: Int!, $after: String, $query: String!) {{
  orders(first: $first, after: $after, query: $query, sortKey: CREATED_AT) {{
    nodes {{{_ORDER_FIELDS}
      totalRefundedSet {_MONEY}
      lineItems(first: {ORDER_LINE_ITEMS_PAGE_SIZE}) {{
        nodes {{{_LINE_ITEM_FIELDS}
        }}
        pageInfo {{ hasNextPage }}
      }}
      shippingLines(first: 20) {{
        nodes {{{_SHIPPING_LINE_FIELDS}
        }}
      }}
    }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

# The available quantity of variants (query "sku:A OR sku:B") at one
# location: the stock side of a reconciliation.
RECONCILE_INVENTORY_PAGE_SIZE = 50
RECONCILE_INVENTORY = """
query RetailReconcileInventory(
  $first: Int!, $after: String, $query: String!, $locationId: ID!
) {
  productVariants(first: $first, after: $after, query: $query) {
    nodes {
      id sku
      inventoryItem {
        id
        inventoryLevel(locationId: $locationId) {
          quantities(names: ["available"]) { name quantity }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

# Cancellations and refunds decided in Odoo. orderCancel runs as a Shopify
# job; its errors are orderCancelUserErrors (userErrors is deprecated).
# Since 2026-04 refundMethod replaces the deprecated refund flag.
ORDER_CANCEL = """
mutation RetailOrderCancel(
  $orderId: ID!, $reason: OrderCancelReason!, $refundMethod: OrderCancelRefundMethodInput,
  $restock: Boolean!, $notifyCustomer: Boolean, $staffNote: String
) {
  orderCancel(
    orderId: $orderId, reason: $reason, refundMethod: $refundMethod, restock: $restock,
    notifyCustomer: $notifyCustomer, staffNote: $staffNote
  ) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}
"""

ORDER_CANCELLED_AT = """
query RetailOrderCancelledAt($id: ID!) {
  order(id: $id) { id cancelledAt cancelReason }
}
"""

# What a refund needs of the order: its payments (the parents of the refund
# transactions) and what each can still refund.
ORDER_TRANSACTIONS = """
query RetailOrderTransactions($id: ID!) {
  order(id: $id) {
    id currencyCode presentmentCurrencyCode cancelledAt
    transactions(first: 50) {
      id kind status gateway
      amountSet { presentmentMoney { amount currencyCode } }
      maximumRefundableV2 { amount currencyCode }
    }
  }
}
"""

# refundCreate requires the @idempotent directive from API 2026-04: a retry
# with the same key gets the first answer and refunds nothing more.
REFUND_CREATE = """
mutation RetailRefundCreate($input: RefundInput!, $idempotencyKey: String!) {
  refundCreate(input: $input) @idempotent(key: $idempotencyKey) {
    refund { id totalRefundedSet { presentmentMoney { amount currencyCode } } }
    userErrors { field message }
  }
}
"""
