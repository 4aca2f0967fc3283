from odoo import api, models


class RetailOrderFlow(models.AbstractModel):
    _inherit = "retail.order.flow"

    @api.model
    def _get_identity_hold(self, partner):
        """Override of `retail_connector_base`: a customer who may be the same
        person as another, waiting for a person's review, is undecided."""
        open_suggestions = (
            self.env["retail.identity.suggestion"]
            .sudo()
            .search_count(
                [
                    ("state", "in", ("open", "deferred")),
                    "|",
                    ("partner_a_id", "=", partner.id),
                    ("partner_b_id", "=", partner.id),
                ],
                limit=1,
            )
        )
        if open_suggestions:
            return self.env._(
                "Customer %s may be the same person as another customer: decide the identity "
                "review (Customer identity > Review queue), then retry or release the order.",
                partner.display_name,
            )
        return super()._get_identity_hold(partner)
