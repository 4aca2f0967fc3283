from odoo import models

from ..compliance import ComplianceRequest


class RetailEvent(models.Model):
    _inherit = "retail.event"

    def _apply_canonical(self, canonical):
        """Override of `retail_connector_base` to apply Shopify's compliance
        requests (customers/data_request, customers/redact, shop/redact)."""
        if isinstance(canonical, ComplianceRequest):
            return self.env["retail.shopify.compliance.request"]._handle(self, canonical)
        return super()._apply_canonical(canonical)
