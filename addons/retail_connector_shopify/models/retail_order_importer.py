from odoo import api, models

from .. import graphql

# Shopify's recommendations that let an order go through.
SAFE_RECOMMENDATIONS = {"ACCEPT"}
WAITING_FOR_RISK = "Waiting for Shopify's fraud analysis"


class RetailOrderImporter(models.AbstractModel):
    _inherit = "retail.order.importer"

    @api.model
    def _channel_holds(self, sale_order, order):
        """Override of `retail_connector_base`: with the backend's option, an
        order waits for Shopify's risk recommendation and high-risk orders are
        held with Shopify's reasons."""
        holds = super()._channel_holds(sale_order, order)
        backend = sale_order.retail_backend_id
        if backend.code != "shopify" or not backend.shopify_hold_until_risk:
            return holds
        risk = self._shopify_risk(backend, order.external_id)
        recommendation = (risk.get("recommendation") or "NONE").upper()
        if recommendation in SAFE_RECOMMENDATIONS:
            return holds
        if recommendation == "NONE":
            return [
                *holds,
                self.env._(
                    "Waiting for Shopify's fraud analysis; the order is checked again "
                    "every few minutes."
                ),
            ]
        facts = "; ".join(
            fact.get("description", "")
            for assessment in risk.get("assessments") or []
            for fact in assessment.get("facts") or []
            if fact.get("sentiment") == "NEGATIVE"
        )
        verb = (
            self.env._("cancelling") if recommendation == "CANCEL" else self.env._("investigating")
        )
        return [
            *holds,
            self.env._(
                "Shopify recommends %(verb)s this order (fraud risk)%(facts)s: check it, "
                "then confirm or cancel it by hand.",
                verb=verb,
                facts=f": {facts}" if facts else "",
            ),
        ]

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
