from decimal import Decimal

from odoo import api, models
from odoo.tools import float_compare


class RetailOrderTotalChecker(models.AbstractModel):
    """Compares Odoo's amounts of an imported order with the channel's."""

    _name = "retail.order.total.checker"
    _description = "Retail Order Total Checker"

    @api.model
    def _holds(self, sale_order, order):
        """A hold when Odoo's amounts differ from the channel's by a cent or more."""
        currency = sale_order.currency_id
        totals = order.totals
        untaxed = totals.untaxed if totals.untaxed is not None else totals.total - totals.tax
        quantum = Decimal(1).scaleb(-currency.decimal_places)
        differences = [
            (label, Decimal(str(odoo)).quantize(quantum), channel.quantize(quantum))
            for label, odoo, channel in (
                (self.env._("untaxed"), sale_order.amount_untaxed, untaxed),
                (self.env._("tax"), sale_order.amount_tax, totals.tax),
                (self.env._("total"), sale_order.amount_total, totals.total),
            )
            if float_compare(odoo, float(channel), precision_rounding=currency.rounding)
        ]
        if not differences:
            return []
        details = "; ".join(
            self.env._(
                "%(label)s: channel %(channel)s, Odoo %(odoo)s (difference %(diff)s)",
                label=label,
                channel=channel,
                odoo=odoo,
                diff=odoo - channel,
            )
            for label, odoo, channel in differences
        )
        return [
            self.env._(
                "Odoo's amounts differ from the channel's (%(currency)s): %(details)s. "
                "Check the taxes and discounts, then retry.",
                currency=currency.name,
                details=details,
            )
        ]
