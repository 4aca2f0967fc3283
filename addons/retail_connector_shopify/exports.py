"""What Odoo sends Shopify, plain Python: a delivery's quantities spread over
the order's fulfillment orders, and the variables of the mutations that
create fulfillments and set stock levels."""

import uuid

FULFILLABLE_STATUSES = ("OPEN", "IN_PROGRESS")
IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1c2a5e-3b7d-4c1e-9a59-0d3c5e8f7a21")


def allocate(fulfillment_orders, to_ship):
    """Split the shipped quantities over the open fulfillment orders:
    ``[(fulfillment order id, [{id, quantity}])]``; ``to_ship`` keeps what
    could not be placed."""
    calls = []
    for fulfillment_order in fulfillment_orders:
        if fulfillment_order.get("status") not in FULFILLABLE_STATUSES:
            continue
        items = []
        for node in fulfillment_order["lineItems"]["nodes"]:
            line_id = node["lineItem"]["id"]
            quantity = min(to_ship.get(line_id, 0), node.get("remainingQuantity") or 0)
            if quantity > 0:
                items.append({"id": node["id"], "quantity": quantity})
                to_ship[line_id] -= quantity
        if items:
            calls.append((fulfillment_order["id"], items))
    return calls


def tracking_info(company=None, number=None, url=None):
    """Shopify's ``trackingInfo``: the carrier, number and URL that are set."""
    return {
        key: value
        for key, value in (("company", company), ("number", number), ("url", url))
        if value
    }


def fulfillment_variables(fulfillment_order_id, items, notify_customer, tracking):
    """The variables of ``fulfillmentCreate`` for one fulfillment order."""
    return {
        "fulfillment": {
            "lineItemsByFulfillmentOrder": [
                {"fulfillmentOrderId": fulfillment_order_id, "fulfillmentOrderLineItems": items}
            ],
            "notifyCustomer": notify_customer,
            "trackingInfo": tracking,
        }
    }


def fulfillment_summary(fulfillment_ids, to_ship):
    """The export's result: the fulfillments created, and what was left."""
    left = {line: qty for line, qty in to_ship.items() if qty}
    summary = f"Fulfillments {', '.join(fulfillment_ids)}" if fulfillment_ids else "No fulfillment"
    if left:
        summary += f"; already fulfilled or not open in Shopify: {left}"
    return summary


def inventory_items(variants, sku):
    """The inventory items of the variants (``productVariants``) whose SKU is ``sku``."""
    return [
        node["inventoryItem"]["id"]
        for node in (variants.get("productVariants") or {}).get("nodes") or []
        if node.get("sku") == sku
    ]


def inventory_set_variables(message_id, inventory_item_id, location_id, quantity):
    """The variables of ``inventorySetQuantities`` setting the available
    quantity; its idempotency key is the same for the same message, item and
    quantity (a retry is not applied twice)."""
    key = uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{message_id}/{inventory_item_id}/{quantity}")
    return {
        "input": {
            "name": "available",
            "reason": "correction",
            "quantities": [
                {
                    "inventoryItemId": inventory_item_id,
                    "locationId": location_id,
                    "quantity": quantity,
                    # Odoo is the stock's system of record: set, don't compare.
                    "changeFromQuantity": None,
                }
            ],
        },
        "idempotencyKey": str(key),
    }


# inventorySetQuantities takes at most this many quantities per call.
MAX_QUANTITIES = 250


def inventory_items_by_sku(variants):
    """``{sku: [inventory item ids]}`` of the variant nodes (``productVariants``)
    that have a SKU (a SKU may be on several variants: all are set)."""
    items = {}
    for node in variants:
        sku, item = node.get("sku"), (node.get("inventoryItem") or {}).get("id")
        if sku and item and item not in items.setdefault(sku, []):
            items[sku].append(item)
    return items


def inventory_set_many_variables(message_id, index, quantities, location_id):
    """The variables of one ``inventorySetQuantities`` of a resync chunk:
    ``quantities`` are ``(inventory item id, quantity)`` (at most
    :data:`MAX_QUANTITIES`); the idempotency key is the same for the same
    message, call and quantities."""
    fingerprint = ",".join(f"{item}={quantity}" for item, quantity in quantities)
    key = uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{message_id}/{index}/{fingerprint}")
    return {
        "input": {
            "name": "available",
            "reason": "correction",
            "quantities": [
                {
                    "inventoryItemId": item,
                    "locationId": location_id,
                    "quantity": quantity,
                    "changeFromQuantity": None,
                }
                for item, quantity in quantities
            ],
        },
        "idempotencyKey": str(key),
    }
