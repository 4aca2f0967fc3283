from odoo import api, models

from odoo.addons.retail_connector_base import flow
from odoo.addons.retail_connector_base.exceptions import TransientError

# Shopify's recommendations that let an order go through.
SAFE_RECOMMENDATIONS = {"ACCEPT"}


class RetailOrderFlow(models.AbstractModel):
    _inherit = "retail.order.flow"

    @api.model
    def _get_channel_risk(self, sale_order, order):
        """Override of `retail_connector_base`: with the backend's option, the
        fraud step waits for Shopify's risk recommendation and holds high-risk
        orders with Shopify's reasons."""
        backend = sale_order.retail_backend_id
        if backend.code != "shopify" or not backend.shopify_hold_until_risk:
            return super()._get_channel_risk(sale_order, order)
        importer = self.env["retail.order.importer"]
        by = self.env._("Shopify's fraud analysis")
        try:
            risk = importer._shopify_risk(backend, order.external_id)
        except TransientError as exc:
            # Shopify down never fails the import: the order waits, rechecked by the cron.
            return flow.waiting(
                self.env._(
                    "Waiting for Shopify's fraud analysis: Shopify is unavailable (%s); the "
                    "order is checked again every few minutes.",
                    exc,
                ),
                by,
            )
        recommendation = (risk.get("recommendation") or "NONE").upper()
        if recommendation in SAFE_RECOMMENDATIONS:
            return None
        if recommendation == "NONE":
            return flow.waiting(
                self.env._(
                    "Waiting for Shopify's fraud analysis; the order is checked again "
                    "every few minutes."
                ),
                by,
            )
        facts = "; ".join(
            fact.get("description", "")
            for assessment in risk.get("assessments") or []
            for fact in assessment.get("facts") or []
            if fact.get("sentiment") == "NEGATIVE"
        )
        verb = (
            self.env._("cancelling") if recommendation == "CANCEL" else self.env._("investigating")
        )
        return flow.held(
            self.env._(
                "Shopify recommends %(verb)s this order (fraud risk)%(facts)s: check it, "
                "then confirm or cancel it by hand.",
                verb=verb,
                facts=f": {facts}" if facts else "",
            ),
            by,
        )
