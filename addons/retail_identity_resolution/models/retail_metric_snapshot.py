from odoo import api, models
from odoo.tools import SQL

from odoo.addons.retail_connector_base.metrics import Sample

# What a decision means for the duplicate figures.
DECISION_OUTCOMES = {"link": "prevented", "new": "created", "review": "created_for_review"}


class RetailMetricSnapshot(models.Model):
    _inherit = "retail.metric.snapshot"

    @api.model
    def _metric_source_identity(self, start, end, now):
        """Override of `retail_connector_base`: duplicate customers prevented
        (linked at import), created (new, or new with a pair to review) and
        merged later, from the resolver's decisions and merges."""
        samples = super()._metric_source_identity(start, end, now)
        window = self._identity_window(start, end)
        for backend_id, decision, count in self._query(
            SQL(
                "SELECT backend_id, decision, COUNT(*) FROM retail_identity_decision"
                " WHERE %s GROUP BY 1, 2",
                window,
            )
        ):
            outcome = DECISION_OUTCOMES.get(decision, decision)
            samples.append(
                Sample("retail_customers_total", count, backend_id, {"outcome": outcome})
            )
        for (count,) in self._query(
            SQL("SELECT COUNT(*) FROM retail_identity_merge WHERE state = 'done' AND %s", window)
        ):
            if count:
                samples.append(Sample("retail_customers_total", count, None, {"outcome": "merged"}))
        return samples

    @api.model
    def _identity_window(self, start, end):
        if start is None:
            return SQL("create_date <= %s", end)
        return SQL("create_date > %s AND create_date <= %s", start, end)
