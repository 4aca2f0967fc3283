"""What the fake Shopify does after a sale, by operation name: ``orderCancel`` and
``refundCreate`` (with the ``@idempotent`` directive Admin API 2026-04 requires), and the
order reads the connector makes around them. Each checks its input as Shopify does, records
the call, and changes the order so that a later read or poll sees it cancelled or refunded."""

import copy
import json
from decimal import Decimal, InvalidOperation

from .common import iso, money, user_error, utcnow
from .graphql import GraphQLError, operation, resolve

CANCEL_REASONS = frozenset({"CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF"})
RESTOCK_TYPES = frozenset({"RETURN", "CANCEL", "NO_RESTOCK", "LEGACY_RESTOCK"})
PAYMENT_KINDS = ("SALE", "CAPTURE")


@operation("RetailOrderCancelledAt", cost=1)
def _order_cancelled_at(fake, call):
    return fake.orders.get(call.args.get("id")), 1


@operation("RetailOrderTransactions", cost=2)
def _order_transactions(fake, call):
    return fake.orders.get(call.args.get("id")), 2


# -- orderCancel ----------------------------------------------------------------------------


def _cancel_errors(fake, args):
    order = fake.orders.get(args.get("orderId"))
    if order is None:
        return [user_error(["orderId"], "Order does not exist", "NOT_FOUND")]
    errors = []
    if args.get("reason") not in CANCEL_REASONS:
        errors.append(user_error(["reason"], "Reason is invalid", "INVALID"))
    if ("refund" in args) == ("refundMethod" in args):
        message = "Either refund (deprecated) or refundMethod must be given, not both."
        errors.append(user_error(["refundMethod"], message, "INVALID"))
    if order.get("cancelledAt"):
        message = "Cannot cancel an order that has already been cancelled"
        errors.append(user_error(["orderId"], message, "ORDER_ALREADY_CANCELLED"))
    elif order.get("displayFulfillmentStatus") == "FULFILLED":
        message = "Cannot cancel an order that has been fulfilled"
        errors.append(user_error(["orderId"], message, "INVALID"))
    return errors


@operation("RetailOrderCancel", cost=10)
def _order_cancel(fake, call):
    args = call.args
    record = {"args": copy.deepcopy(args), "applied": False}
    fake.order_cancel_calls.append(record)
    errors = _cancel_errors(fake, args)
    record["user_errors"] = errors
    if errors:
        return {"job": None, "orderCancelUserErrors": errors, "userErrors": errors}, 10
    order = fake.orders[args["orderId"]]
    now = iso(utcnow())
    refund = args.get("refund")
    if "refundMethod" in args:
        refund = bool((args.get("refundMethod") or {}).get("originalPaymentMethodsRefund"))
    order.update(
        {"cancelledAt": now, "cancelReason": args["reason"], "closed": True, "closedAt": now}
    )
    if refund:
        for transaction in list(order["transactions"]):
            refundable = _refundable(transaction)
            if transaction["kind"] in PAYMENT_KINDS and refundable > 0:
                _add_refund_transaction(fake, order, transaction, refundable)
        order["displayFinancialStatus"] = "REFUNDED"
    if any(t["kind"] == "AUTHORIZATION" for t in order["transactions"]):
        order["displayFinancialStatus"] = "VOIDED"
    for fulfillment_order in order["fulfillmentOrders"]["nodes"]:
        for line in fulfillment_order["lineItems"]["nodes"]:
            if args.get("restock"):
                _restock(fake, line["lineItem"]["sku"], line["remainingQuantity"])
            line["remainingQuantity"] = 0
        fulfillment_order["status"] = "CLOSED"
    order["updatedAt"] = now
    record["applied"] = True
    job = {"id": fake.new_gid("Job"), "done": True}
    return {"job": job, "orderCancelUserErrors": [], "userErrors": []}, 10


# -- refundCreate ---------------------------------------------------------------------------


def _refund_errors(fake, data):
    """The userErrors of a RefundInput (empty: it can be applied)."""
    order = fake.orders.get(data.get("orderId"))
    if order is None:
        return [user_error(["orderId"], "Order does not exist")]
    errors = []
    lines = {line["id"]: line for line in order["lineItems"]["nodes"]}
    wanted = {}
    for index, item in enumerate(data.get("refundLineItems") or []):
        path = ["refundLineItems", str(index)]
        line = lines.get(item.get("lineItemId"))
        quantity = item.get("quantity")
        if line is None:
            errors.append(user_error([*path, "lineItemId"], "Line item does not exist"))
            continue
        if item.get("restockType", "NO_RESTOCK") not in RESTOCK_TYPES:
            errors.append(user_error([*path, "restockType"], "Restock type is invalid"))
        location = item.get("locationId")
        if location is not None and location not in fake.locations:
            errors.append(user_error([*path, "locationId"], "Location does not exist"))
        if not isinstance(quantity, int) or quantity < 1:
            errors.append(user_error([*path, "quantity"], "Quantity must be greater than 0"))
            continue
        wanted[line["id"]] = wanted.get(line["id"], 0) + quantity
        if wanted[line["id"]] > line["quantity"] - fake.refunded_quantity(line["id"]):
            message = "Quantity cannot refund more items than were purchased"
            errors.append(user_error([*path, "quantity"], message))
    shipping = _amount((data.get("shipping") or {}).get("amount"))
    if shipping is None or shipping < 0:
        errors.append(user_error(["shipping", "amount"], "Shipping amount is invalid"))
    elif shipping > _shipping_refundable(order):
        message = "Shipping refund amount exceeds the refundable shipping"
        errors.append(user_error(["shipping", "amount"], message))
    transactions = {t["id"]: t for t in order["transactions"]}
    for index, entry in enumerate(data.get("transactions") or []):
        path = ["transactions", str(index)]
        parent = transactions.get(entry.get("parentId"))
        amount = _amount(entry.get("amount"))
        if entry.get("kind") != "REFUND" or entry.get("orderId") != order["id"]:
            errors.append(user_error([*path, "kind"], "Transaction must be a refund of the order"))
        elif parent is None or parent["kind"] not in PAYMENT_KINDS:
            errors.append(user_error([*path, "parentId"], "Parent transaction does not exist"))
        elif entry.get("gateway") != parent["gateway"]:
            errors.append(user_error([*path, "gateway"], "Gateway does not match the parent"))
        elif amount is None or amount <= 0:
            errors.append(user_error([*path, "amount"], "Amount must be greater than 0"))
        elif amount > _refundable(parent):
            message = (
                f"Refund amount {amount:.2f} is greater than the refundable amount "
                f"{_refundable(parent):.2f}"
            )
            errors.append(user_error([*path, "amount"], message))
    return errors


def _apply_refund(fake, data):
    order = fake.orders[data["orderId"]]
    lines = {line["id"]: line for line in order["lineItems"]["nodes"]}
    now = iso(utcnow())
    items = []
    for item in data.get("refundLineItems") or []:
        line = lines[item["lineItemId"]]
        line["currentQuantity"] = max(line.get("currentQuantity", 0) - item["quantity"], 0)
        restock = item.get("restockType", "NO_RESTOCK")
        if restock in ("RETURN", "CANCEL", "LEGACY_RESTOCK"):
            _restock(fake, line["sku"], item["quantity"], item.get("locationId"))
        items.append(
            {
                "id": fake.new_gid("RefundLineItem"),
                "lineItem": {"id": line["id"], "sku": line["sku"]},
                "quantity": item["quantity"],
                "restockType": restock,
                "location": {"id": item["locationId"]} if item.get("locationId") else None,
            }
        )
    total = Decimal(0)
    refund_transactions = []
    parents = {t["id"]: t for t in order["transactions"]}
    for entry in data.get("transactions") or []:
        amount = _amount(entry["amount"])
        refund_transactions.append(
            _add_refund_transaction(fake, order, parents[entry["parentId"]], amount)
        )
        total += amount
    shipping = _amount((data.get("shipping") or {}).get("amount")) or Decimal(0)
    refund = {
        "id": fake.new_gid("Refund"),
        "createdAt": now,
        "note": data.get("note"),
        "order": {"id": order["id"]},
        "totalRefundedSet": money(total, order["currencyCode"]),
        "refundLineItems": {"nodes": items},
        "shipping": money(shipping, order["currencyCode"]),
        "transactions": {"nodes": refund_transactions},
    }
    fake.refunds[refund["id"]] = refund
    order["refunds"].append(refund)
    refunded = _amount(order["totalRefundedSet"]["shopMoney"]["amount"]) + total
    order["totalRefundedSet"] = money(refunded, order["currencyCode"])
    payments = [t for t in order["transactions"] if t["kind"] in PAYMENT_KINDS]
    if payments and all(_refundable(t) <= 0 for t in payments):
        order["displayFinancialStatus"] = "REFUNDED"
    elif total > 0:
        order["displayFinancialStatus"] = "PARTIALLY_REFUNDED"
    order["updatedAt"] = now
    return refund


@operation("RetailRefundCreate", cost=10)
def _refund_create(fake, call):
    directive = call.root.directives.get("idempotent")
    key = resolve(directive, call.variables).get("key") if directive is not None else None
    if not key:
        message = "refundCreate requires the @idempotent(key: ...) directive."
        raise GraphQLError(message, "IDEMPOTENCY_KEY_REQUIRED")
    data = call.args.get("input") or {}
    fingerprint = json.dumps(data, sort_keys=True)
    record = {"idempotency_key": key, "input": copy.deepcopy(data), "applied": False}
    record["replayed"] = False
    fake.refund_calls.append(record)
    previous = fake._idempotency.get(("refundCreate", key))
    if previous and previous["fingerprint"] != fingerprint:
        message = "The same idempotency key cannot be used with different operation parameters."
        errors = [user_error(None, message, "IDEMPOTENCY_KEY_PARAMETER_MISMATCH")]
        result = {"refund": None, "order": None, "userErrors": errors}
    elif previous and previous["failed"]:
        message = "A previous request with this idempotency key failed. Retry with a new key."
        errors = [user_error(None, message, "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED")]
        result = {"refund": None, "order": None, "userErrors": errors}
    elif previous:
        record["replayed"] = True
        result = previous["result"]
    else:
        errors = _refund_errors(fake, data)
        refund = None if errors else _apply_refund(fake, data)
        record["applied"] = refund is not None
        order = fake.orders.get(data.get("orderId")) if refund else None
        result = {"refund": refund, "order": order, "userErrors": errors}
        fake._idempotency[("refundCreate", key)] = {
            "fingerprint": fingerprint,
            "result": result,
            "failed": bool(errors),
        }
    record["user_errors"] = result["userErrors"]
    return result, 10


# -- Helpers --------------------------------------------------------------------------------


def _amount(value):
    if value is None:
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _refundable(transaction):
    return Decimal(str((transaction.get("maximumRefundableV2") or {}).get("amount") or 0))


def _shipping_refundable(order):
    total = sum(
        (_amount(line["originalPriceSet"]["shopMoney"]["amount"]) for line in _shipping(order)),
        Decimal(0),
    )
    taxes = sum(
        (
            _amount(tax["priceSet"]["shopMoney"]["amount"])
            for line in _shipping(order)
            for tax in line.get("taxLines") or []
        ),
        Decimal(0),
    )
    if not order.get("taxesIncluded"):
        total += taxes
    refunded = sum(
        (_amount(r["shipping"]["shopMoney"]["amount"]) for r in order["refunds"]), Decimal(0)
    )
    return total - refunded


def _shipping(order):
    return (order.get("shippingLines") or {}).get("nodes") or []


def _add_refund_transaction(fake, order, parent, amount):
    parent["maximumRefundableV2"]["amount"] = f"{_refundable(parent) - amount:.2f}"
    transaction = {
        "id": fake.new_gid("OrderTransaction"),
        "kind": "REFUND",
        "status": "SUCCESS",
        "gateway": parent["gateway"],
        "amountSet": money(amount, order["currencyCode"]),
        "maximumRefundableV2": {"amount": "0.00", "currencyCode": order["currencyCode"]},
        "parentTransaction": {"id": parent["id"]},
        "createdAt": iso(utcnow()),
    }
    order["transactions"].append(transaction)
    return transaction


def _restock(fake, sku, quantity, location_id=None):
    """Put ``quantity`` of ``sku`` back at the location (the default one when not given)."""
    if quantity <= 0:
        return
    for variant in fake.variants.values():
        if variant["sku"] == sku:
            key = (variant["inventoryItem"]["id"], location_id or fake.location_id)
            level = fake.inventory_levels.get(key)
            if level is not None:
                level["available"] += quantity
                level["on_hand"] += quantity
