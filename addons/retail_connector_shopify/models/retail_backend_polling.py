from odoo import api, models

from odoo.addons.retail_connector_base.polling import POLL_STREAM

from .. import graphql
from ..adapters.shopify import POLL_ORDER_TOPIC
from ..reconciliation import polled_records, updated_since_query
from .retail_backend import notification


class RetailBackend(models.Model):
    """A Shopify store's poll (the base's loop reads orders through
    GraphQL) and its bulk backfill."""

    _inherit = "retail.backend"

    def _poll_fetch(self, since, stream=POLL_STREAM):
        """Override of `retail_connector_base`: the orders updated since
        ``since`` (GraphQL, oldest update first), as ``orders/poll`` records
        keyed ``<gid>@<updatedAt>``."""
        if self.code != "shopify":
            return super()._poll_fetch(since, stream)
        nodes = self._shopify_client().paginate(
            graphql.ORDERS_UPDATED_SINCE,
            {"query": updated_since_query(since)},
            "orders",
            page_size=graphql.ORDERS_PAGE_SIZE,
        )
        return polled_records(nodes, POLL_ORDER_TOPIC)

    def _get_poll_label(self, stream):
        """Override of `retail_connector_base`: a Shopify poll reads orders."""
        if self.code != "shopify":
            return super()._get_poll_label(stream)
        return "orders"

    @api.model
    def _cron_poll(self):
        """Override of `retail_connector_base`: also queue the check of each
        store's running backfill (a check ended early is taken up again)."""
        result = super()._cron_poll()
        for backend in self.search([("code", "=", "shopify"), ("state", "=", "active")]):
            if backend._get_runtime_value("shopify_bulk_operation_id"):
                self.env["retail.shopify.backfill"]._schedule_check(backend)
        return result

    def action_shopify_backfill_orders(self):
        """Start the backfill: a bulk operation exporting the orders updated in
        the last ``shopify_backfill_days`` days, then one of the customers
        (Shopify runs one at a time); jobs import them as they complete."""
        self.ensure_one()
        return notification(*self.env["retail.shopify.backfill"]._start(self))

    def _shopify_backfill_check(self):
        """Job: import the running backfill's bulk operation once it has
        completed (see ``retail.shopify.backfill``)."""
        self.ensure_one()
        return self.env["retail.shopify.backfill"]._check(self)
