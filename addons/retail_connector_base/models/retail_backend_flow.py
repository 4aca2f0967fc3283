import json

from odoo import api, fields, models

from .. import flow


class RetailBackend(models.Model):
    _inherit = "retail.backend"

    flow_step_ids = fields.One2many(
        "retail.order.step",
        "backend_id",
        string="Order flow",
        context={"active_test": False},
    )

    @api.model_create_multi
    def create(self, vals_list):
        """Override: a new backend starts with its channel's default flow."""
        backends = super().create(vals_list)
        backends._seed_flow_steps()
        return backends

    def _get_default_flow_steps(self):
        """``[(code, sequence, parameters)]``: the steps a backend of this
        channel starts with. Channel modules add or replace theirs."""
        return list(flow.DEFAULT_STEPS)

    def _get_default_flow_params(self):
        self.ensure_one()
        return {code: params for code, _sequence, params in self._get_default_flow_steps()}

    def _seed_flow_steps(self):
        """Create the default steps a backend lacks."""
        values = []
        for backend in self:
            existing = set(backend.with_context(active_test=False).flow_step_ids.mapped("code"))
            values += [
                {
                    "backend_id": backend.id,
                    "code": code,
                    "sequence": sequence,
                    "parameters": json.dumps(params),
                }
                for code, sequence, params in backend._get_default_flow_steps()
                if code not in existing
            ]
        if values:
            self.env["retail.order.step"].sudo().create(values)

    def _get_flow_steps(self):
        """The active steps of the backend's flow, in order (seeded on first
        use for a backend made before the flow existed)."""
        self.ensure_one()
        steps = (
            self.env["retail.order.step"]
            .sudo()
            .search([("backend_id", "=", self.id)], order="sequence, id")
        )
        if not steps:
            self._seed_flow_steps()
            steps = (
                self.env["retail.order.step"]
                .sudo()
                .search([("backend_id", "=", self.id)], order="sequence, id")
            )
        return steps

    def action_reset_flow_steps(self):
        """Replace the backend's flow with its channel's defaults."""
        self.env["retail.order.step"].sudo().with_context(active_test=False).search(
            [("backend_id", "in", self.ids)]
        ).unlink()
        self._seed_flow_steps()
        return True
