import math
from collections import defaultdict

from odoo import models

from odoo.addons.retail_connector_base.exceptions import PermanentError

from .. import exports, graphql, refunds
from ..client import ShopifyUserError


class RetailBackend(models.Model):
    """What Odoo sends a Shopify store through the outbox: fulfillments,
    stock levels, cancellations and refunds."""

    _inherit = "retail.backend"

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
        calls = exports.allocate(order["fulfillmentOrders"]["nodes"], to_ship)
        tracking = exports.tracking_info(
            picking.carrier_id.name, picking.carrier_tracking_ref, picking.carrier_tracking_url
        )
        fulfillments = []
        for fulfillment_order_id, items in calls:
            payload = client.mutate(
                graphql.FULFILLMENT_CREATE,
                exports.fulfillment_variables(
                    fulfillment_order_id, items, self.shopify_notify_customer, tracking
                ),
                "fulfillmentCreate",
            )
            fulfillments.append(payload["fulfillment"]["id"])
        return exports.fulfillment_summary(fulfillments, to_ship)

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
        items = exports.inventory_items(variants, sku)
        if not items:
            raise PermanentError(f"No Shopify variant has the SKU {sku}")
        quantity = max(math.floor(self._get_available_quantity(product)), 0)
        client.mutate(
            graphql.INVENTORY_SET_QUANTITIES,
            exports.inventory_set_variables(
                message.id, items[0], self.shopify_location_id, quantity
            ),
            "inventorySetQuantities",
        )
        return f"{sku}: {quantity} available"

    def _export_cancellation(self, order, message):
        """Override of `retail_connector_base`: ``orderCancel`` the order,
        refunding the customer and restocking; an order Shopify already
        cancelled is done."""
        if self.code != "shopify":
            return super()._export_cancellation(order, message)
        client = self._shopify_client()
        order_gid = order.retail_external_id
        variables = refunds.cancel_variables(
            order_gid,
            notify_customer=self.shopify_notify_customer,
            staff_note=self.env._("Cancelled in Odoo (%s)", order.name),
        )
        try:
            payload = client.graphql(graphql.ORDER_CANCEL, variables).get("orderCancel") or {}
            if payload.get("orderCancelUserErrors"):
                raise ShopifyUserError("orderCancel", payload["orderCancelUserErrors"])
        except ShopifyUserError:
            found = client.graphql(graphql.ORDER_CANCELLED_AT, {"id": order_gid}).get("order")
            if found and found.get("cancelledAt"):
                return f"Order {order_gid} was already cancelled on Shopify."
            raise
        job = payload.get("job") or {}
        return f"Order {order_gid} cancelled on Shopify (job {job.get('id')})."

    def _export_refund(self, credit_note, message):
        """Override of `retail_connector_base`: ``refundCreate`` the credited
        lines and shipping (see ``retail.shopify.refund.exporter``)."""
        if self.code != "shopify":
            return super()._export_refund(credit_note, message)
        return self.env["retail.shopify.refund.exporter"]._send(self, credit_note, message)

    def _get_stock_resync_products(self):
        """Override of `retail_connector_base`: the Odoo products whose SKU
        is on a Shopify variant, with the variants' inventory items."""
        if self.code != "shopify":
            return super()._get_stock_resync_products()
        if not self.shopify_location_id:
            raise PermanentError("Set the Shopify location on the backend to send stock levels")
        variants = self._shopify_client().paginate(
            graphql.INVENTORY_ITEMS_BY_SKU, {"query": ""}, "productVariants"
        )
        items = exports.inventory_items_by_sku(variants)
        products = (
            self.env["product.product"]
            .search([("default_code", "in", list(items)), ("is_storable", "=", True)])
            .sorted("id")
        )
        return {product: items[product.default_code] for product in products}

    def _export_stock_levels(self, levels, message):
        """Override of `retail_connector_base`: ``inventorySetQuantities``
        with up to 250 quantities per call, at the backend's location."""
        if self.code != "shopify":
            return super()._export_stock_levels(levels, message)
        if not self.shopify_location_id:
            raise PermanentError("Set the Shopify location on the backend to send stock levels")
        quantities = [
            (item, level["quantity"]) for level in levels for item in (level["ref"] or [])
        ]
        client = self._shopify_client()
        groups = []
        for index in range(0, len(quantities), exports.MAX_QUANTITIES):
            payload = client.mutate(
                graphql.INVENTORY_SET_QUANTITIES,
                exports.inventory_set_many_variables(
                    message.id,
                    index,
                    quantities[index : index + exports.MAX_QUANTITIES],
                    self.shopify_location_id,
                ),
                "inventorySetQuantities",
            )
            groups.append((payload.get("inventoryAdjustmentGroup") or {}).get("id") or "-")
        return f"{len(quantities)} inventory items set ({', '.join(groups)})"
