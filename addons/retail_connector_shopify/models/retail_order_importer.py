from odoo import api, models

from .. import graphql

WAITING_FOR_RISK = "Waiting for Shopify's fraud analysis"


class RetailOrderImporter(models.AbstractModel):
    _inherit = "retail.order.importer"

    @api.model
    def _shopify_risk(self, backend, order_gid):
        """Shopify's current risk assessment of an order (``{}`` if none yet)."""
        data = backend._shopify_client().graphql(graphql.ORDER_RISK, {"id": order_gid})
        return ((data.get("order") or {}).get("risk")) or {}

    @api.model
    def _shopify_recheck_risk(self):
        """Retry the orders waiting for Shopify's fraud analysis (a cron)."""
        orders = self.env["sale.order"].search(
            [
                ("retail_backend_id.code", "=", "shopify"),
                ("retail_backend_id.state", "=", "active"),
                ("retail_on_hold", "=", True),
                ("state", "in", ("draft", "sent")),
                ("retail_hold_reason", "ilike", WAITING_FOR_RISK),
            ]
        )
        for order in orders:
            with self.env.cr.savepoint():
                order.action_retail_retry()
            self.env["ir.cron"]._commit_progress(1)
