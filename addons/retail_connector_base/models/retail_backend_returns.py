from odoo import fields, models

from ..schemas import ReturnCondition

# Conditions whose goods can't be sold again as they are.
UNSELLABLE_CONDITIONS = frozenset({ReturnCondition.DAMAGED, ReturnCondition.DEFECTIVE})


class RetailBackendReturns(models.AbstractModel):
    """Where the goods of the channel's returns go. Inherited by
    ``retail.backend`` only."""

    _name = "retail.backend.returns"
    _description = "Retail Backend Returns"

    return_location_id = fields.Many2one(
        "stock.location",
        string="Return location",
        domain="[('usage', '=', 'internal')]",
        check_company=True,
        help="Where sellable and opened returned goods go. Default: the stock of the "
        "warehouse the order was delivered from.",
    )
    return_damaged_location_id = fields.Many2one(
        "stock.location",
        string="Damaged returns location",
        domain="[('usage', 'in', ('internal', 'inventory'))]",
        check_company=True,
        help="Where damaged and defective returned goods go (a quality-control or scrap "
        "location). Default: the company's scrap location.",
    )

    def _get_return_location(self, condition, picking):
        """The location returned goods in ``condition`` go to, for a return
        of the delivery ``picking``.

        :param condition: a :class:`~..schemas.ReturnCondition` value or None
        """
        self.ensure_one()
        if condition in UNSELLABLE_CONDITIONS:
            if self.return_damaged_location_id:
                return self.return_damaged_location_id
            # Odoo's own default for scraps: the company's first inventory
            # loss location.
            scrap = self.env["stock.location"].search(
                [("usage", "=", "inventory"), ("company_id", "=", picking.company_id.id)],
                order="id",
                limit=1,
            )
            if scrap:
                return scrap
        if self.return_location_id:
            return self.return_location_id
        warehouse = picking.picking_type_id.warehouse_id
        return warehouse.lot_stock_id or picking.location_id
