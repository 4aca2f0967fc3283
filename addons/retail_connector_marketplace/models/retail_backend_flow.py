from odoo import models


class RetailBackend(models.Model):
    _inherit = "retail.backend"

    def _get_default_flow_steps(self):
        """Override of `retail_connector_base`: a Mirakl order waits for the
        marketplace's acceptance (and debit) before the other checks."""
        steps = super()._get_default_flow_steps()
        if self.code != "mirakl":
            return steps
        return [*steps, ("mirakl_acceptance", 25, {})]
