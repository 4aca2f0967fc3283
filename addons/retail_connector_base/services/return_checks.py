from collections import defaultdict
from decimal import Decimal

from odoo import api, models
from odoo.tools import float_compare, float_round


class RetailReturnImporterChecks(models.AbstractModel):
    """Why a channel return can't be applied as it stands: lines the order
    doesn't have, more goods back than were delivered, a refunded amount
    that differs from Odoo's credit note."""

    _inherit = "retail.return.importer"

    # ------------------------------------------------------------ checks

    @api.model
    def _check_lines(self, record):
        """Hold reasons of lines the order doesn't have and of goods returned
        beyond what was delivered (over every return of the order)."""
        holds = []
        requested = defaultdict(float)
        for line in record.line_ids:
            if not line.sale_line_id:
                holds.append(
                    self.env._(
                        "Return %(ret)s: line %(line)s is not on the order.",
                        ret=record.external_id,
                        line=line.line_external_id,
                    )
                )
                continue
            requested[line.sale_line_id] += line.quantity
        others = self.env["retail.order.return.line"].search(
            [
                ("sale_line_id", "in", [line.id for line in requested]),
                ("return_id", "!=", record.id),
                ("return_id.state", "!=", "held"),
            ]
        )
        for sale_line, quantity in requested.items():
            delivered = sum(self._delivered_moves(sale_line).mapped("quantity"))
            returned = max(
                sum(others.filtered(lambda o, s=sale_line: o.sale_line_id == s).mapped("quantity")),
                sum(self._returned_moves(sale_line).mapped("product_uom_qty")),
            )
            # A line without a product (an unknown SKU) has no unit.
            rounding = sale_line.product_uom_id.rounding or 0.001
            if float_compare(quantity, delivered - returned, precision_rounding=rounding) > 0:
                holds.append(
                    self.env._(
                        "Return %(ret)s: %(qty)s x %(product)s (line %(line)s) sent back, but "
                        "%(delivered)s delivered and %(returned)s already returned: at most "
                        "%(left)s can come back. Check what the customer really returned.",
                        ret=record.external_id,
                        qty=_qty(quantity, rounding),
                        product=sale_line.product_id.display_name,
                        line=sale_line.retail_line_id,
                        delivered=_qty(delivered, rounding),
                        returned=_qty(returned, rounding),
                        left=_qty(max(delivered - returned, 0), rounding),
                    )
                )
        return holds

    @api.model
    def _check_amount(self, record):
        """Hold reason when what the channel refunded for the return differs
        from the credit note Odoo drafted for its refund."""
        refund = record.refund_id
        credit_note = refund.credit_note_id
        if not credit_note or not record.refund_amount:
            # Without a figure of the return's own, the refund's amount is
            # the one to compare, and the refund importer did.
            return []
        channel = record.refund_amount
        rounding = record.order_id.currency_id.rounding
        if not float_compare(credit_note.amount_total, channel, precision_rounding=rounding):
            return []
        places = Decimal(10) ** -record.order_id.currency_id.decimal_places
        odoo = Decimal(str(credit_note.amount_total)).quantize(places)
        channel = Decimal(str(channel)).quantize(places)
        return [
            self.env._(
                "Return %(ret)s: the channel refunded %(channel)s, Odoo's credit note "
                "%(move)s comes to %(odoo)s (difference %(diff)s).",
                ret=record.external_id,
                channel=channel,
                move=credit_note.display_name,
                odoo=odoo,
                diff=odoo - channel,
            )
        ]


def _qty(quantity, rounding):
    value = float_round(quantity, precision_rounding=rounding)
    return int(value) if value == int(value) else value
