from odoo import models

from odoo.addons.retail_connector_base.exceptions import PermanentError

from .. import graphql
from ..reconciliation import (
    created_between_query,
    ids_query,
    order_summary,
    stock_levels,
)


class RetailBackend(models.Model):
    """What a Shopify store holds, for the base's drift measurement (``retail.reconciler``)."""

    _inherit = "retail.backend"

    def _reconcile_fetch_orders(self, since, until):
        """Override of `retail_connector_base`: the orders created in the
        window, with their status, totals and refunded amount."""
        if self.code != "shopify":
            return super()._reconcile_fetch_orders(since, until)
        return self._shopify_reconcile_orders(created_between_query(since, until))

    def _reconcile_fetch_orders_by_ids(self, external_ids):
        """Override of `retail_connector_base`: the orders ``external_ids``
        (gids) Shopify still has."""
        if self.code != "shopify":
            return super()._reconcile_fetch_orders_by_ids(external_ids)
        return list(self._shopify_reconcile_orders(ids_query(external_ids)))

    def _shopify_reconcile_orders(self, query):
        nodes = self._shopify_client().paginate(
            graphql.RECONCILE_ORDERS, {"query": query}, "orders", page_size=graphql.ORDERS_PAGE_SIZE
        )
        return (order_summary(node, self.shopify_money_side) for node in nodes)

    def _reconcile_fetch_stock(self, skus):
        """Override of `retail_connector_base`: the available quantity of
        the variants of ``skus`` at the backend's location."""
        if self.code != "shopify":
            return super()._reconcile_fetch_stock(skus)
        if not self.shopify_location_id:
            raise PermanentError("Set the Shopify location on the backend to compare stock levels")
        client = self._shopify_client()
        levels = {}
        size = graphql.RECONCILE_INVENTORY_PAGE_SIZE
        for start in range(0, len(skus), size):
            query = " OR ".join(f'sku:"{sku}"' for sku in skus[start : start + size])
            variants = client.paginate(
                graphql.RECONCILE_INVENTORY,
                {"query": query, "locationId": self.shopify_location_id},
                "productVariants",
                page_size=size,
            )
            levels.update({sku: qty for sku, qty in stock_levels(variants).items() if sku in skus})
        return levels
