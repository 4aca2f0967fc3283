"""The queries the fake Shopify answers, by operation name (those of
``retail_connector_shopify/graphql.py``): each resolver gets the fake and the call and returns
the root field's value and its actual cost."""

from .common import numeric_id, parse_time
from .graphql import (
    GraphQLError,
    connection_cost,
    operation,
    page_cost,
    resolve,
    search_terms,
)


@operation("RetailShop", cost=1)
def _shop(fake, call):
    shop = {
        "id": "gid://shopify/Shop/1",
        "name": fake.shop_name,
        "myshopifyDomain": fake.shop_domain,
        "currencyCode": fake.currency,
        "ianaTimezone": "Europe/Paris",
    }
    return shop, 1


@operation("RetailWebhookSubscriptions", cost=page_cost)
def _webhook_subscriptions(fake, call):
    key = lambda subscription: [numeric_id(subscription)]  # noqa: E731
    page = fake.paginate(fake.webhook_subscriptions.values(), call.args, key)
    return page, connection_cost(len(page["nodes"]))


ORDER_SORT_KEYS = {
    "ID": lambda order: [numeric_id(order)],
    "UPDATED_AT": lambda order: [parse_time(order["updatedAt"]).timestamp(), numeric_id(order)],
    "CREATED_AT": lambda order: [parse_time(order["createdAt"]).timestamp(), numeric_id(order)],
}


@operation("RetailOrdersUpdatedSince", cost=page_cost)
def _orders(fake, call):
    key = ORDER_SORT_KEYS.get(call.args.get("sortKey") or "ID")
    if key is None:
        raise GraphQLError(f"The fake Shopify can't sort orders by {call.args['sortKey']}")
    page = fake.paginate(fake.search_orders(call.args.get("query"), call), call.args, key)
    return page, connection_cost(len(page["nodes"]))


@operation("RetailReconcileOrders", cost=page_cost)
def _reconcile_orders(fake, call):
    return _orders(fake, call)


@operation("RetailOrderRisk", cost=2)
def _order_risk(fake, call):
    return fake.orders.get(call.args.get("id")), 2


@operation("RetailFulfillmentOrders", cost=1 + connection_cost(50) + connection_cost(250))
def _fulfillment_orders(fake, call):
    order = fake.orders.get(call.args.get("id"))
    nodes = order["fulfillmentOrders"]["nodes"] if order else []
    lines = sum(len(node["lineItems"]["nodes"]) for node in nodes)
    return order, 1 + connection_cost(len(nodes)) + connection_cost(lines)


@operation("RetailInventoryItems", cost=page_cost)
def _inventory_items(fake, call):
    terms = search_terms(call.args.get("query"))
    skus = {value for name, _op, value in terms if name == "sku"}
    ignored = [
        {"field": name, "message": "Invalid search field for this query."}
        for name, _op, _value in terms
        if name != "sku"
    ]
    if ignored:
        call.search.append(
            {"path": [call.root.alias], "query": call.args.get("query"), "warnings": ignored}
        )
    variants = [v for v in fake.variants.values() if not skus or v["sku"] in skus]
    page = fake.paginate(variants, call.args, lambda variant: [numeric_id(variant)])
    return page, connection_cost(len(page["nodes"]))


@operation("RetailCurrentBulkOperation", cost=1)
def _current_bulk_operation(fake, call):
    return fake._current_bulk_operation(), 1


@operation("RetailReconcileInventory", cost=page_cost)
def _reconcile_inventory(fake, call):
    """Variants of the SKUs searched (``sku:A OR sku:B``), each with its inventory level at
    ``locationId`` (null where the item isn't stocked), as ``inventoryLevel(locationId:)``."""
    skus = {value for name, _op, value in search_terms(call.args.get("query")) if name == "sku"}
    location_id = _nested_argument(call, ("nodes", "inventoryItem", "inventoryLevel"), "locationId")
    if location_id not in fake.locations:
        raise GraphQLError(f"Invalid id: {location_id}", "RESOURCE_NOT_FOUND")
    nodes = []
    for variant in fake.variants.values():
        if skus and variant["sku"] not in skus:
            continue
        item = variant["inventoryItem"]
        level = fake.inventory_levels.get((item["id"], location_id))
        quantities = (
            {"quantities": [{"name": "available", "quantity": level["available"]}]}
            if level is not None
            else None
        )
        nodes.append(dict(variant, inventoryItem=dict(item, inventoryLevel=quantities)))
    page = fake.paginate(nodes, call.args, lambda variant: [numeric_id(variant)])
    return page, connection_cost(len(page["nodes"]))


def _nested_argument(call, path, name):
    """The resolved argument ``name`` of the field at ``path`` under the root field."""
    field_ = call.root
    for step in path:
        field_ = field_.child(step) if field_ else None
    if field_ is None:
        raise GraphQLError(f"The query selects no {'.'.join(path)}")
    return resolve(field_.args.get(name), call.variables)
