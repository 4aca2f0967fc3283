from odoo import fields, models


class SaleOrder(models.Model):
    """When a channel order was confirmed: the start of its processing-time
    and SLA figures (Odoo's ``date_order`` keeps the channel's order time)."""

    _inherit = "sale.order"

    retail_confirmed_at = fields.Datetime(
        string="Confirmed in Odoo", readonly=True, copy=False, index="btree_not_null"
    )

    def _action_confirm(self):
        """Override of `sale` to date the confirmation of channel orders."""
        result = super()._action_confirm()
        self.filtered(lambda o: o.retail_backend_id and not o.retail_confirmed_at).write(
            {"retail_confirmed_at": fields.Datetime.now()}
        )
        return result
