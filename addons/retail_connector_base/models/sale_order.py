from odoo import api, fields, models
from odoo.exceptions import UserError

from ..schemas import PaymentState


class SaleOrder(models.Model):
    _inherit = "sale.order"

    retail_backend_id = fields.Many2one(
        "retail.backend", string="Channel", index="btree_not_null", readonly=True, copy=False
    )
    retail_external_id = fields.Char(
        string="Channel order id", readonly=True, copy=False, index="btree_not_null"
    )
    retail_is_demo = fields.Boolean(
        string="Demo order", related="retail_backend_id.is_demo", help="From the demo channel."
    )
    retail_channel_status = fields.Char(string="Channel status", readonly=True, copy=False)
    retail_payment_state = fields.Selection(
        [(state.value, state.value.replace("_", " ").capitalize()) for state in PaymentState],
        string="Channel payment",
        readonly=True,
        copy=False,
    )
    retail_hold_reason = fields.Text(
        string="Hold reason", readonly=True, copy=False, help="Empty when not on hold."
    )
    retail_on_hold = fields.Boolean(
        string="On hold", compute="_compute_retail_on_hold", store=True, index=True
    )
    retail_lines_signature = fields.Char(readonly=True, copy=False)
    retail_rounding_note = fields.Text(
        string="Rounding difference",
        readonly=True,
        copy=False,
        help="How Odoo's untaxed and tax amounts differed from the channel's by rounding "
        "alone; the order and its invoice carry the channel's.",
    )
    retail_last_event_id = fields.Many2one(
        "retail.event",
        string="Last channel event",
        readonly=True,
        copy=False,
        groups="retail_connector_base.group_retail_connect_user",
    )
    retail_binding_ids = fields.One2many(
        "retail.binding",
        "res_id",
        string="Channel bindings",
        domain=[("res_model", "=", "sale.order")],
        groups="retail_connector_base.group_retail_connect_user",
    )

    retail_refund_ids = fields.One2many(
        "retail.order.refund",
        "order_id",
        string="Channel refunds",
        groups="retail_connector_base.group_retail_connect_user",
    )

    retail_return_ids = fields.One2many(
        "retail.order.return",
        "order_id",
        string="Channel returns",
        groups="retail_connector_base.group_retail_connect_user",
    )

    _retail_external_uniq = models.UniqueIndex(
        "(retail_backend_id, retail_external_id) WHERE retail_external_id IS NOT NULL",
        "This channel order is already in Odoo.",
    )

    @api.depends("retail_hold_reason")
    def _compute_retail_on_hold(self):
        for order in self:
            order.retail_on_hold = bool(order.retail_hold_reason)

    def _action_cancel(self):
        """Override of `sale`: owe the channel the cancellations decided in
        Odoo (not those the channel itself sent)."""
        result = super()._action_cancel()
        if not self.env.context.get("retail_from_channel"):
            Outbox = self.env["retail.outbox"].sudo()
            for order in self.filtered(lambda o: o.state == "cancel" and o.retail_backend_id):
                backend = order.retail_backend_id
                if backend.support_cancellation_export:
                    Outbox._enqueue(backend, "cancellation", order)
        return result

    def action_retail_retry(self):
        """Import the order again from its last channel event, e.g. after
        creating a missing product or tax."""
        for order in self:
            event = order.retail_last_event_id
            if not event or event.body_purged:
                raise UserError(
                    self.env._("Order %s has no channel event to import again.", order.display_name)
                )
            event.sudo()._reimport()
        return True

    def _retail_is_shipped(self):
        """Whether any goods of the order have left the warehouse."""
        self.ensure_one()
        return any(
            picking.state == "done" and picking.picking_type_code == "outgoing"
            for picking in self.picking_ids
        )
