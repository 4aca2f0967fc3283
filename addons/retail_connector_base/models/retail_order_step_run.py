from odoo import fields, models
from odoo.exceptions import AccessError, UserError

from .. import flow

MANAGER_GROUP = "retail_connector_base.group_retail_connect_manager"
USER_GROUP = "retail_connector_base.group_retail_connect_user"


class RetailOrderStepRun(models.Model):
    """The order's timeline: one row per step run on one version of the
    order (never two), and one per compensation of a step's effect."""

    _name = "retail.order.step.run"
    _description = "Retail Order Flow Timeline"
    _order = "order_id, date, id"

    order_id = fields.Many2one("sale.order", required=True, ondelete="cascade", index=True)
    backend_id = fields.Many2one(related="order_id.retail_backend_id")
    step_id = fields.Many2one("retail.order.step", ondelete="set null")
    code = fields.Char(required=True)
    name = fields.Char(required=True)
    sequence = fields.Integer()
    kind = fields.Selection(
        [("run", "Step"), ("compensation", "Compensation")], default="run", required=True
    )
    version = fields.Char(help="The channel version of the order the step ran on.", required=True)
    outcome = fields.Selection(flow.OUTCOMES, required=True)
    reason = fields.Text()
    decided_by = fields.Char(string="Decided by", help="The rule, partner or person that decided.")
    user_id = fields.Many2one("res.users", string="Person")
    date = fields.Datetime(default=fields.Datetime.now, required=True)
    can_act = fields.Boolean(compute="_compute_can_act")

    _order_step_version_uniq = models.UniqueIndex(
        "(order_id, code, version, kind)", "A step runs once per order version."
    )

    def _compute_can_act(self):
        for run in self:
            run.can_act = (
                run.kind == "run"
                and run.outcome in (flow.HELD, flow.WAITING)
                and run.order_id.state != "cancel"
            )

    def _check_can_act(self, group):
        if not self.env.user.has_group(group):
            raise AccessError(self.env._("You may not steer the order flow."))
        for run in self:
            if not run.can_act:
                raise UserError(
                    self.env._(
                        "Step %(step)s of %(order)s is not waiting for a person.",
                        step=run.name,
                        order=run.order_id.display_name,
                    )
                )

    def action_release(self):
        """A person lets the held step pass: the flow resumes after it."""
        self._check_can_act(MANAGER_GROUP)
        for run in self:
            self.env["retail.order.flow"]._release(run)
        return True

    def action_retry(self):
        """Evaluate the held or waiting step again."""
        self._check_can_act(USER_GROUP)
        for run in self:
            self.env["retail.order.flow"]._retry(run)
        return True

    def action_cancel_order(self):
        """Cancel the order, undoing what earlier steps did."""
        self._check_can_act(MANAGER_GROUP)
        for run in self:
            self.env["retail.order.flow"]._cancel_from_step(run)
        return True
