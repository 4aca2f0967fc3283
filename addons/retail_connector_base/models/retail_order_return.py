from odoo import api, fields, models

from ..schemas import ReturnCondition

RETURN_CONDITIONS = [
    (condition.value, condition.value.capitalize()) for condition in ReturnCondition
]


class RetailOrderReturn(models.Model):
    """Goods a customer sends back on a channel order.

    A model of its own, beside ``retail.order.refund``: a return is about
    goods and a refund about money; a refund can come without a return
    (a goodwill gesture), a return before its refund (requested, then
    received, then paid back) or paid back by several refunds.
    """

    _name = "retail.order.return"
    _description = "Channel Order Return"
    _order = "returned_at desc, id desc"

    order_id = fields.Many2one("sale.order", required=True, ondelete="cascade", index=True)
    backend_id = fields.Many2one("retail.backend", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="order_id.company_id", store=True)
    currency_id = fields.Many2one(related="order_id.currency_id")
    external_id = fields.Char(string="Channel return id", required=True)
    returned_at = fields.Datetime(string="Opened at")
    received_at = fields.Datetime(readonly=True)
    reason = fields.Char()
    line_ids = fields.One2many("retail.order.return.line", "return_id", string="Lines")
    refund_id = fields.Many2one(
        "retail.order.refund", string="Channel refund", readonly=True, ondelete="set null"
    )
    refund_external_id = fields.Char(string="Channel refund id", readonly=True)
    refund_amount = fields.Monetary(
        string="Refunded (channel)", help="What the channel refunded for this return."
    )
    credit_note_id = fields.Many2one(related="refund_id.credit_note_id", string="Credit note")
    picking_ids = fields.Many2many(
        "stock.picking", string="Return pickings", readonly=True, copy=False
    )
    state = fields.Selection(
        [
            ("recorded", "Recorded (nothing to receive)"),
            ("waiting", "Waiting for the goods"),
            ("received", "Received"),
            ("held", "On hold"),
        ],
        required=True,
        default="recorded",
    )
    hold_reason = fields.Text()
    event_id = fields.Many2one("retail.event", readonly=True)

    _backend_external_uniq = models.Constraint(
        "UNIQUE(backend_id, external_id)", "This channel return is already recorded."
    )

    @api.depends("external_id", "order_id.name")
    def _compute_display_name(self):
        for record in self:
            record.display_name = f"{record.order_id.name or ''} / {record.external_id or ''}"

    def action_open_pickings(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Return pickings"),
            "res_model": "stock.picking",
            "view_mode": "list,form",
            "domain": [("id", "in", self.picking_ids.ids)],
        }


class RetailOrderReturnLine(models.Model):
    _name = "retail.order.return.line"
    _description = "Channel Order Return Line"

    return_id = fields.Many2one(
        "retail.order.return", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="return_id.company_id", store=True)
    line_external_id = fields.Char(string="Channel line id", required=True)
    sale_line_id = fields.Many2one("sale.order.line", string="Order line", index="btree_not_null")
    product_id = fields.Many2one(related="sale_line_id.product_id")
    quantity = fields.Float(digits="Product Unit", required=True)
    reason = fields.Char()
    condition = fields.Selection(RETURN_CONDITIONS)
    restock = fields.Boolean(default=True)
    location_dest_id = fields.Many2one("stock.location", string="Returned to", readonly=True)
