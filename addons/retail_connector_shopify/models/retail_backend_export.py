import math
import uuid
from collections import defaultdict

from odoo import fields, models

from odoo.addons.retail_connector_base.exceptions import PermanentError

from .. import graphql

FULFILLABLE_STATUSES = ("OPEN", "IN_PROGRESS")
IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1c2a5e-3b7d-4c1e-9a59-0d3c5e8f7a21")


class RetailBackend(models.Model):
    """Shopify's side of the outbox: deliveries become fulfillments, stock
    levels become ``inventorySetQuantities`` calls."""

    _inherit = "retail.backend"

    shopify_location_id = fields.Char(
        string="Shopify location",
        help="The location (gid://shopify/Location/...) whose available quantities Odoo sets.",
    )
    shopify_notify_customer = fields.Boolean(string="Shopify emails the tracking", default=True)

    def _compute_feature_support(self):
        """Override of `retail_connector_base`: Shopify takes fulfillments and
        stock levels."""
        super()._compute_feature_support()
        for backend in self.filtered(lambda b: b.code == "shopify"):
            backend.support_fulfillment_export = True
            backend.support_stock_export = True

    def _export_fulfillment(self, picking, message):
        """Override of `retail_connector_base`: fulfill, on the order's open
        fulfillment orders, what the delivery shipped, with its tracking.

        Quantities already fulfilled in Shopify are skipped, so a retry after
        a partial success sends only what is left.
        """
        if self.code != "shopify":
            return super()._export_fulfillment(picking, message)
        client = self._shopify_client()
        order_gid = picking.sale_id.retail_external_id
        data = client.graphql(graphql.FULFILLMENT_ORDERS, {"id": order_gid})
        order = data.get("order")
        if not order:
            raise PermanentError(f"Shopify has no order {order_gid}")
        to_ship = self._shopify_shipped_quantities(picking)
        calls = _allocate(order["fulfillmentOrders"]["nodes"], to_ship)
        tracking = {
            key: value
            for key, value in (
                ("company", picking.carrier_id.name),
                ("number", picking.carrier_tracking_ref),
                ("url", picking.carrier_tracking_url),
            )
            if value
        }
        fulfillments = []
        for fulfillment_order_id, items in calls:
            payload = client.mutate(
                graphql.FULFILLMENT_CREATE,
                {
                    "fulfillment": {
                        "lineItemsByFulfillmentOrder": [
                            {
                                "fulfillmentOrderId": fulfillment_order_id,
                                "fulfillmentOrderLineItems": items,
                            }
                        ],
                        "notifyCustomer": self.shopify_notify_customer,
                        "trackingInfo": tracking,
                    }
                },
                "fulfillmentCreate",
            )
            fulfillments.append(payload["fulfillment"]["id"])
        left = {line: qty for line, qty in to_ship.items() if qty}
        summary = f"Fulfillments {', '.join(fulfillments)}" if fulfillments else "No fulfillment"
        if left:
            summary += f"; already fulfilled or not open in Shopify: {left}"
        return summary

    def _shopify_shipped_quantities(self, picking):
        """Quantities the picking shipped, by Shopify line item (sale UoM)."""
        shipped = defaultdict(int)
        for move in picking.move_ids.filtered(lambda m: m.state == "done"):
            sale_line = move.sale_line_id
            if not sale_line.retail_line_id:
                continue
            quantity = move.product_uom._compute_quantity(move.quantity, sale_line.product_uom_id)
            shipped[sale_line.retail_line_id] += round(quantity)
        return shipped

    def _export_stock(self, product, message):
        """Override of `retail_connector_base`: set the product's available
        quantity at the backend's Shopify location."""
        if self.code != "shopify":
            return super()._export_stock(product, message)
        if not self.shopify_location_id:
            raise PermanentError("Set the Shopify location on the backend to send stock levels")
        if not product.default_code:
            raise PermanentError(f"{product.display_name} has no SKU (internal reference)")
        client = self._shopify_client()
        sku = product.default_code
        variants = client.graphql(
            graphql.INVENTORY_ITEMS_BY_SKU, {"first": 5, "after": None, "query": f"sku:{sku}"}
        )
        items = [
            node["inventoryItem"]["id"]
            for node in (variants.get("productVariants") or {}).get("nodes") or []
            if node.get("sku") == sku
        ]
        if not items:
            raise PermanentError(f"No Shopify variant has the SKU {sku}")
        quantity = max(math.floor(self._get_available_quantity(product)), 0)
        key = uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{message.id}/{items[0]}/{quantity}")
        client.mutate(
            graphql.INVENTORY_SET_QUANTITIES,
            {
                "input": {
                    "name": "available",
                    "reason": "correction",
                    "quantities": [
                        {
                            "inventoryItemId": items[0],
                            "locationId": self.shopify_location_id,
                            "quantity": quantity,
                            # Odoo is the stock's system of record: set, don't compare.
                            "changeFromQuantity": None,
                        }
                    ],
                },
                "idempotencyKey": str(key),
            },
            "inventorySetQuantities",
        )
        return f"{sku}: {quantity} available"


def _allocate(fulfillment_orders, to_ship):
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
