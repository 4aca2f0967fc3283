from odoo import api, models

from odoo.addons.retail_connector_base import flow

from ..acceptance import ACCEPTANCE_STATES

# Order states of an accepted order the marketplace has not debited yet.
DEBIT_STATES = ("WAITING_DEBIT", "WAITING_DEBIT_PAYMENT")


class RetailOrderFlow(models.AbstractModel):
    _inherit = "retail.order.flow"

    @api.model
    def _step_mirakl_acceptance(self, step, sale_order, order, holds):
        """A Mirakl order stays a quotation, waiting for the marketplace,
        until it has debited the customer (SHIPPING); the decision itself is
        ``retail.mirakl.acceptance``'s job."""
        state = order.extra.get("order_state")
        by = sale_order.retail_backend_id.name
        if state in ACCEPTANCE_STATES:
            return flow.waiting(self.env._("Waiting for acceptance on the marketplace"), by)
        if state in DEBIT_STATES:
            return flow.waiting(
                self.env._("Accepted: waiting for the marketplace to debit the customer"), by
            )
        return flow.passed(self.env._("Marketplace order state %s.", state or "-"), by)
