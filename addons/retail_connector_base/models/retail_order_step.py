import json

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .. import flow


class RetailOrderStep(models.Model):
    """One step of a backend's order flow: which check or action, in which
    order, whether it runs, and its rule's parameters (JSON)."""

    _name = "retail.order.step"
    _description = "Retail Order Flow Step"
    _order = "backend_id, sequence, id"

    backend_id = fields.Many2one("retail.backend", required=True, ondelete="cascade", index=True)
    code = fields.Selection(flow.STEP_CODES, required=True)
    name = fields.Char(compute="_compute_name", store=True, readonly=False)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    phase = fields.Selection(
        [(flow.CHECK, "Before confirmation"), (flow.FULFILMENT, "After confirmation")],
        compute="_compute_phase",
    )
    parameters = fields.Text(
        default="{}",
        help='The step\'s rule parameters as a JSON object, e.g. {"allow_partial": true}.',
    )

    _backend_code_uniq = models.Constraint(
        "UNIQUE(backend_id, code)", "A backend runs each step at most once."
    )

    @api.depends("code")
    def _compute_name(self):
        labels = dict(self._fields["code"]._description_selection(self.env))
        for step in self:
            if not step.name:
                step.name = labels.get(step.code, step.code)

    @api.depends("code")
    def _compute_phase(self):
        for step in self:
            step.phase = step._get_phase()

    def _get_phase(self):
        """Whether the step runs before or after confirmation (hook for
        channel steps)."""
        return flow.FULFILMENT if self.code in flow.FULFILMENT_STEPS else flow.CHECK

    @api.constrains("parameters")
    def _check_parameters(self):
        for step in self:
            try:
                value = json.loads(step.parameters or "{}")
            except ValueError as exc:
                raise ValidationError(
                    self.env._(
                        "Parameters of step %(step)s are not JSON: %(error)s",
                        step=step.name,
                        error=exc,
                    )
                ) from exc
            if not isinstance(value, dict):
                raise ValidationError(
                    self.env._("Parameters of step %s must be a JSON object.", step.name)
                )

    def _get_params(self):
        """The step's parameters over its defaults."""
        self.ensure_one()
        defaults = dict(self.backend_id._get_default_flow_params().get(self.code, {}))
        defaults.update(json.loads(self.parameters or "{}"))
        return defaults
