"""The mutations the fake Shopify answers, by operation name (those of
``retail_connector_shopify/graphql.py``): each checks its input as Shopify does (userErrors)
before it changes the shop."""

import copy
import json
import time
from collections import defaultdict
from urllib.parse import urlsplit

from .common import iso, user_error, utcnow
from .graphql import GraphQLError, operation, resolve
from .webhooks import COMPLIANCE_TOPICS, TOPICS

INVENTORY_REASONS = frozenset(
    {
        "correction", "cycle_count_available", "damaged", "movement_canceled",
        "movement_created", "movement_received", "movement_updated", "other", "promotion",
        "quality_control", "received", "reservation_created", "reservation_deleted",
        "reservation_updated", "restock", "safety_stock", "shrinkage",
    }
)  # fmt: skip
FULFILLABLE_STATUSES = ("OPEN", "IN_PROGRESS")


def _webhook_uri_ok(fake, uri):
    parts = urlsplit(uri or "")
    if parts.scheme == "https" and parts.hostname:
        return True
    loopback = parts.hostname in ("127.0.0.1", "localhost")
    return parts.scheme == "http" and loopback and fake.allow_http_loopback_webhooks


@operation("RetailWebhookSubscriptionCreate", cost=10)
def _webhook_subscription_create(fake, call):
    topic = call.args.get("topic")
    spec = call.args.get("webhookSubscription") or {}
    if topic not in TOPICS and topic not in COMPLIANCE_TOPICS:
        message = "Variable $topic of type WebhookSubscriptionTopic! was provided invalid value"
        raise GraphQLError(message, "INVALID_VARIABLE")
    unknown = sorted(set(spec) - {"uri", "format", "includeFields", "filter"})
    if unknown:
        message = f"WebhookSubscriptionInput doesn't accept argument '{unknown[0]}'"
        raise GraphQLError(message, "argumentNotAccepted")
    uri, path = spec.get("uri"), ["webhookSubscription", "uri"]
    if topic in COMPLIANCE_TOPICS:
        error = user_error(
            ["topic"], "Compliance topics are configured in the app's configuration, not the API"
        )
    elif not _webhook_uri_ok(fake, uri):
        error = user_error(path, "Address is invalid")
    elif any(s["topic"] == topic and s["uri"] == uri for s in fake.webhook_subscriptions.values()):
        error = user_error(path, "Address for this topic has already been taken")
    else:
        subscription = fake.add_webhook_subscription(topic, uri, spec.get("format") or "JSON")
        return {"webhookSubscription": subscription, "userErrors": []}, 10
    return {"webhookSubscription": None, "userErrors": [error]}, 10


def _plan_fulfillment(fake, groups):
    """Check a fulfillmentCreate request: ``(plan, userErrors)``; nothing is applied."""
    errors, plan, locations, wanted = [], [], set(), defaultdict(int)
    if not groups:
        path = ["fulfillment", "lineItemsByFulfillmentOrder"]
        errors.append(user_error(path, "At least one fulfillment order is required."))
    for index, group in enumerate(groups):
        path = ["fulfillment", "lineItemsByFulfillmentOrder", str(index)]
        found = fake.fulfillment_order(group.get("fulfillmentOrderId"))
        if found is None:
            errors.append(user_error([*path, "fulfillmentOrderId"], "Fulfillment order not found."))
            continue
        order, fulfillment_order = found
        status = fulfillment_order["status"]
        if status not in FULFILLABLE_STATUSES:
            message = (
                f"Fulfillment order {fulfillment_order['id']} has an unfulfillable "
                f"status= {status.lower()}."
            )
            errors.append(user_error([*path, "fulfillmentOrderId"], message))
            continue
        locations.add(fulfillment_order["assignedLocation"]["location"]["id"])
        lines = {line["id"]: line for line in fulfillment_order["lineItems"]["nodes"]}
        items = group.get("fulfillmentOrderLineItems") or [
            {"id": line["id"], "quantity": line["remainingQuantity"]}
            for line in lines.values()
            if line["remainingQuantity"] > 0
        ]
        for position, item in enumerate(items):
            item_path = [*path, "fulfillmentOrderLineItems", str(position)]
            line, quantity = lines.get(item.get("id")), item.get("quantity")
            if line is None:
                message = "Fulfillment order line item does not belong to the fulfillment order."
                errors.append(user_error([*item_path, "id"], message))
                continue
            wanted[line["id"]] += quantity if isinstance(quantity, int) else 0
            too_many = wanted[line["id"]] > line["remainingQuantity"]
            if not isinstance(quantity, int) or quantity < 1 or too_many:
                message = "Invalid fulfillment order line item quantity requested."
                errors.append(user_error([*item_path, "quantity"], message))
            else:
                plan.append((order, fulfillment_order, line, quantity))
    if len(locations) > 1:
        message = "All fulfillment orders must be assigned to the same location."
        errors.append(user_error(["fulfillment", "lineItemsByFulfillmentOrder"], message))
    return plan, errors


@operation("RetailFulfillmentCreate", cost=10)
def _fulfillment_create(fake, call):
    spec = call.args.get("fulfillment") or {}
    plan, errors = _plan_fulfillment(fake, spec.get("lineItemsByFulfillmentOrder") or [])
    if errors:
        return {"fulfillment": None, "userErrors": errors}, 10
    touched = {}
    items = []
    for order, fulfillment_order, line, quantity in plan:
        line["remainingQuantity"] -= quantity
        touched[fulfillment_order["id"]] = (order, fulfillment_order)
        items.append(
            {
                "id": fake.new_gid("FulfillmentLineItem"),
                "quantity": quantity,
                "lineItem": dict(line["lineItem"]),
                "fulfillmentOrderId": fulfillment_order["id"],
                "fulfillmentOrderLineItemId": line["id"],
            }
        )
    for order, fulfillment_order in touched.values():
        done = all(
            line["remainingQuantity"] == 0 for line in fulfillment_order["lineItems"]["nodes"]
        )
        fulfillment_order["status"] = "CLOSED" if done else "IN_PROGRESS"
        all_closed = all(fo["status"] == "CLOSED" for fo in order["fulfillmentOrders"]["nodes"])
        order["displayFulfillmentStatus"] = "FULFILLED" if all_closed else "PARTIALLY_FULFILLED"
        order["updatedAt"] = iso(utcnow())
    order, fulfillment_order = next(iter(touched.values()))
    tracking = spec.get("trackingInfo") or {}
    tracking_info = [{key: tracking.get(key) for key in ("company", "number", "url")}]
    fulfillment = {
        "id": fake.new_gid("Fulfillment"),
        "status": "SUCCESS",
        "createdAt": iso(utcnow()),
        "order": {"id": order["id"]},
        "location": {"id": fulfillment_order["assignedLocation"]["location"]["id"]},
        "trackingInfo": tracking_info if tracking else [],
        "notifyCustomer": bool(spec.get("notifyCustomer")),
        "fulfillmentLineItems": {"nodes": items},
    }
    fake.fulfillments[fulfillment["id"]] = fulfillment
    order["fulfillments"].append(fulfillment)
    return {"fulfillment": fulfillment, "userErrors": []}, 10


def _inventory_errors(fake, data):
    """The userErrors of an inventorySetQuantities input (empty: it can be applied)."""
    errors, seen = [], set()
    if data.get("name") not in ("available", "on_hand"):
        message = "The quantity name must be either 'available' or 'on_hand'."
        errors.append(user_error(["input", "name"], message, "INVALID_NAME"))
    if data.get("reason") not in INVENTORY_REASONS:
        errors.append(
            user_error(["input", "reason"], "The specified reason is invalid.", "INVALID_REASON")
        )
    if str(data.get("referenceDocumentUri") or "").startswith("gid://shopify/"):
        message = "The specified reference document is invalid."
        errors.append(
            user_error(["input", "referenceDocumentUri"], message, "INVALID_REFERENCE_DOCUMENT")
        )
    quantities = data.get("quantities") or []
    if len(quantities) > 250:
        errors.append(user_error(["input", "quantities"], "At most 250 quantities per call."))
    for index, entry in enumerate(quantities):
        path = ["input", "quantities", str(index)]
        item_id, location_id = entry.get("inventoryItemId"), entry.get("locationId")
        level = fake.inventory_levels.get((item_id, location_id))
        if not any(v["inventoryItem"]["id"] == item_id for v in fake.variants.values()):
            message = "The specified inventory item could not be found."
            errors.append(user_error([*path, "inventoryItemId"], message, "INVALID_INVENTORY_ITEM"))
        elif location_id not in fake.locations:
            message = "The specified location could not be found."
            errors.append(user_error([*path, "locationId"], message, "INVALID_LOCATION"))
        elif level is None:
            message = "The specified inventory item is not stocked at the location."
            errors.append(user_error(path, message, "ITEM_NOT_STOCKED_AT_LOCATION"))
        elif (item_id, location_id) in seen:
            message = "The combination of inventoryItemId and locationId must be unique."
            errors.append(user_error(path, message, "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR"))
        elif "changeFromQuantity" not in entry:
            message = "changeFromQuantity must be given to each quantity (null opts out)."
            errors.append(
                user_error([*path, "changeFromQuantity"], message, "COMPARE_QUANTITY_REQUIRED")
            )
        elif entry["changeFromQuantity"] is not None and (
            entry["changeFromQuantity"] != level.get(data.get("name"))
        ):
            message = "The changeFromQuantity value does not match persisted value."
            errors.append(
                user_error([*path, "changeFromQuantity"], message, "CHANGE_FROM_QUANTITY_STALE")
            )
        seen.add((item_id, location_id))
    return errors


def _apply_inventory(fake, data):
    """Set the quantities; both available and on_hand move by the same delta."""
    name, other = data["name"], "on_hand" if data["name"] == "available" else "available"
    changes = []
    for entry in data.get("quantities") or []:
        level = fake.inventory_levels[(entry["inventoryItemId"], entry["locationId"])]
        delta = entry["quantity"] - level[name]
        level[name] = entry["quantity"]
        level[other] += delta
        for quantity_name in (name, other):
            changes.append(
                {
                    "name": quantity_name,
                    "delta": delta,
                    "quantityAfterChange": level[quantity_name],
                    "item": {"id": entry["inventoryItemId"]},
                    "location": {"id": entry["locationId"]},
                }
            )
    group = {
        "id": fake.new_gid("InventoryAdjustmentGroup"),
        "createdAt": iso(utcnow()),
        "reason": data.get("reason"),
        "referenceDocumentUri": data.get("referenceDocumentUri"),
        "changes": changes,
    }
    fake.inventory_adjustment_groups[group["id"]] = group
    return group


@operation("RetailInventorySetQuantities", cost=10)
def _inventory_set_quantities(fake, call):
    directive = call.root.directives.get("idempotent")
    key = resolve(directive, call.variables).get("key") if directive is not None else None
    if not key:
        message = "inventorySetQuantities requires the @idempotent(key: ...) directive."
        raise GraphQLError(message, "IDEMPOTENCY_KEY_REQUIRED")
    data = call.args.get("input") or {}
    fingerprint = json.dumps(data, sort_keys=True)
    record = {
        "idempotency_key": key,
        "input": copy.deepcopy(data),
        "quantities": copy.deepcopy(data.get("quantities") or []),
        "applied": False,
        "replayed": False,
    }
    fake.inventory_set_calls.append(record)
    previous = fake._idempotency.get(key)
    if previous and previous["fingerprint"] != fingerprint:
        message = "The same idempotency key cannot be used with different operation parameters."
        errors = [user_error(None, message, "IDEMPOTENCY_KEY_PARAMETER_MISMATCH")]
        result = {"inventoryAdjustmentGroup": None, "userErrors": errors}
    elif previous and previous["failed"]:
        message = "A previous request with this idempotency key failed. Retry with a new key."
        errors = [user_error(None, message, "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED")]
        result = {"inventoryAdjustmentGroup": None, "userErrors": errors}
    elif previous:
        record["replayed"] = True
        result = previous["result"]
    else:
        errors = _inventory_errors(fake, data)
        group = None if errors else _apply_inventory(fake, data)
        record["applied"] = group is not None
        result = {"inventoryAdjustmentGroup": group, "userErrors": errors}
        fake._idempotency[key] = {
            "fingerprint": fingerprint,
            "result": result,
            "failed": bool(errors),
        }
    record["user_errors"] = result["userErrors"]
    return result, 10


@operation("RetailBulkOperationRunQuery", cost=10)
def _bulk_operation_run_query(fake, call):
    running = fake._current_bulk_operation()
    if running and running["status"] in ("CREATED", "RUNNING"):
        message = (
            f"A bulk query operation for this app and shop is already in progress: {running['id']}."
        )
        return {"bulkOperation": None, "userErrors": [user_error(None, message)]}, 10
    query = call.args.get("query") or ""
    try:
        fake._bulk_export(query)  # validate now, export when it completes
    except GraphQLError as exc:
        error = user_error(["query"], f"Invalid bulk query: {exc.message}")
        return {"bulkOperation": None, "userErrors": [error]}, 10
    bulk = {
        "id": fake.new_gid("BulkOperation"),
        "type": "QUERY",
        "status": "CREATED",
        "query": query,
        "createdAt": iso(utcnow()),
        "completedAt": None,
        "errorCode": None,
        "objectCount": "0",
        "rootObjectCount": "0",
        "fileSize": None,
        "url": None,
        "partialDataUrl": None,
    }
    fake.bulk_operations[bulk["id"]] = bulk
    delay = fake.bulk_delay
    fake._bulk_ready_at[bulk["id"]] = None if delay is None else time.monotonic() + delay
    return {"bulkOperation": bulk, "userErrors": []}, 10
