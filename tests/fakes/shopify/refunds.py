"""Refunds of the fake shop's orders, as the merchant makes them in Shopify's
admin: line items refunded with a ``restock_type`` (``return`` puts returned
goods back into the location's stock, ``cancel`` unshipped ones,
``no_restock`` nothing), an optional shipping refund, one successful refund
transaction; and their ``refunds/create`` webhook body (REST shape, with
refund lines' ``subtotal`` and ``total_tax`` as JSON numbers, as Shopify
sends them)."""

from decimal import Decimal

from .common import iso, money, numeric_id, utcnow
from .webhooks import rest_money

RESTOCKING_TYPES = frozenset({"return", "cancel", "legacy_restock"})
CENT = Decimal("0.01")


class Refunds:
    """Mixed into ShopState: ``self.refunds`` by id."""

    def add_refund(self, order_id, line_items, *, note=None, shipping=None, return_id=None):
        """Refund ``line_items`` (dicts with ``sku``, ``quantity`` and ``restock_type``,
        default ``return``) of order ``order_id``; ``shipping``: an amount of shipping
        refunded. Restocked quantities go back to the variant's level at the line's
        location, as Shopify does. Returns the refund (a dict, REST field names)."""
        with self.lock:
            order = self.orders[order_id]
            lines_by_sku = {line["sku"]: line for line in order["lineItems"]["nodes"]}
            refund_id = self.new_gid("Refund")
            refund_lines = []
            total = Decimal(0)
            for spec in line_items:
                line = lines_by_sku[spec["sku"]]
                quantity = spec["quantity"]
                restock_type = spec.get("restock_type", "return")
                unit = Decimal(line["originalUnitPriceSet"]["shopMoney"]["amount"])
                line_tax = sum(
                    (Decimal(tax["priceSet"]["shopMoney"]["amount"]) for tax in line["taxLines"]),
                    Decimal(0),
                )
                tax = (line_tax * quantity / line["quantity"]).quantize(CENT)
                subtotal = (unit * quantity).quantize(CENT)
                if order.get("taxesIncluded"):
                    subtotal -= tax
                total += subtotal + tax
                refund_lines.append(
                    {
                        "id": numeric_id({"id": self.new_gid("RefundLineItem")}),
                        "line_item_id": numeric_id(line),
                        "quantity": quantity,
                        "restock_type": restock_type,
                        "location_id": numeric_id({"id": self.location_id}),
                        "subtotal": float(subtotal),
                        "subtotal_set": _rest_money(subtotal, self.currency),
                        "total_tax": float(tax),
                        "total_tax_set": _rest_money(tax, self.currency),
                        "line_item": {
                            "id": numeric_id(line),
                            "admin_graphql_api_id": line["id"],
                            "sku": line["sku"],
                            "name": line["name"],
                            "quantity": line["quantity"],
                        },
                    }
                )
                if restock_type in RESTOCKING_TYPES:
                    self._restock(line["sku"], quantity)
            adjustments = []
            if shipping:
                amount = Decimal(str(shipping)).quantize(CENT)
                total += amount
                adjustments.append(
                    {
                        "id": numeric_id({"id": self.new_gid("OrderAdjustment")}),
                        "kind": "shipping_refund",
                        "reason": "Shipping refund",
                        "amount": str(-amount),
                        "amount_set": _rest_money(-amount, self.currency),
                        "tax_amount": "0.00",
                        "tax_amount_set": _rest_money(Decimal(0), self.currency),
                    }
                )
            now = iso(utcnow())
            refund = {
                "id": numeric_id({"id": refund_id}),
                "admin_graphql_api_id": refund_id,
                "order_id": numeric_id(order),
                "created_at": now,
                "processed_at": now,
                "note": note,
                "restock": any(line["restock_type"] != "no_restock" for line in refund_lines),
                "user_id": None,
                "refund_line_items": refund_lines,
                "order_adjustments": adjustments,
                "transactions": [
                    {
                        "id": numeric_id({"id": self.new_gid("OrderTransaction")}),
                        "kind": "refund",
                        "status": "success",
                        "gateway": "bogus",
                        "amount": str(total),
                        "amount_set": _rest_money(total, self.currency),
                        "currency": self.currency,
                    }
                ],
                "refund_shipping_lines": [],
                "duties": [],
                "return": (
                    {"id": numeric_id({"id": return_id}), "admin_graphql_api_id": return_id}
                    if return_id
                    else None
                ),
            }
            self.refunds[refund_id] = refund
            return refund

    def _restock(self, sku, quantity):
        variant = next((v for v in self.variants.values() if v["sku"] == sku), None)
        if variant is None:
            return
        level = self.inventory_levels.get((variant["inventoryItem"]["id"], self.location_id))
        if level is not None:
            level["available"] += quantity
            level["on_hand"] += quantity


def _rest_money(amount, currency):
    return rest_money(money(amount, currency))
