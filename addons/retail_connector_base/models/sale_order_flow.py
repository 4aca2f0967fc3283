from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    retail_step_run_ids = fields.One2many(
        "retail.order.step.run",
        "order_id",
        string="Order flow timeline",
        groups="retail_connector_base.group_retail_connect_user",
    )
    retail_released_at = fields.Datetime(
        string="Released to warehouse",
        readonly=True,
        copy=False,
        help="When the delivery was released to the warehouse, every earlier step passed.",
    )
    retail_label_state = fields.Selection(
        [
            ("pending", "Label pending"),
            ("done", "Label created"),
            ("cancelled", "No label"),
            ("void_pending", "Void pending"),
            ("voided", "Label voided"),
            ("void_refused", "Void refused by the carrier"),
        ],
        string="Carrier label",
        readonly=True,
        copy=False,
    )
    retail_label_ref = fields.Char(string="Tracking number", readonly=True, copy=False)
    retail_refund_owed = fields.Monetary(
        string="Refund owed",
        readonly=True,
        copy=False,
        help="What the customer paid for an order Odoo refused after payment.",
    )

    def _action_cancel(self):
        """Override: a cancelled order never gets the label it waited for,
        and the label it got is voided with the carrier."""
        result = super()._action_cancel()
        self.filtered(lambda o: o.retail_label_state == "pending").write(
            {"retail_label_state": "cancelled"}
        )
        flow = self.env["retail.order.flow"]
        for order in self.filtered(lambda o: o.retail_label_state == "done"):
            flow._cancel_label(order.sudo())
        return result
