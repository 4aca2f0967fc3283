from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from .return_importer import naive


class RetailReturnImporterGoods(models.AbstractModel):
    """The goods of a channel return: return pickings of the order's
    deliveries through Odoo's return wizard, validated when the channel says
    the goods were received."""

    _inherit = "retail.return.importer"

    # ------------------------------------------------------------ goods

    @api.model
    def _delivered_moves(self, sale_line):
        return sale_line.move_ids.filtered(
            lambda m: (
                m.state == "done"
                and m.location_dest_id.usage == "customer"
                and not m.origin_returned_move_id
            )
        )

    @api.model
    def _returned_moves(self, sale_line):
        return self._delivered_moves(sale_line).returned_move_ids.filtered(
            lambda m: m.state != "cancel"
        )

    @api.model
    def _create_pickings(self, record):
        """One return picking per delivery and destination, through Odoo's
        return wizard, for the lines to restock."""
        backend = record.backend_id
        # (delivery, destination) -> {delivered move: quantity to return}
        groups = defaultdict(lambda: defaultdict(float))
        for line in record.line_ids.filtered("restock"):
            left = line.quantity
            for move in self._delivered_moves(line.sale_line_id):
                returned = sum(
                    move.returned_move_ids.filtered(lambda m: m.state != "cancel").mapped(
                        "product_uom_qty"
                    )
                ) + sum(groups_move.get(move, 0) for groups_move in groups.values())
                quantity = min(left, move.quantity - returned)
                if quantity <= 0:
                    continue
                destination = backend._get_return_location(line.condition, move.picking_id)
                groups[(move.picking_id, destination)][move] += quantity
                line.location_dest_id = destination
                left -= quantity
                if float_compare(left, 0, precision_rounding=move.product_uom.rounding) <= 0:
                    break
        pickings = self.env["stock.picking"]
        for (delivery, destination), quantities in groups.items():
            wizard = (
                self.env["stock.return.picking"]
                .with_context(
                    active_id=delivery.id,
                    active_model="stock.picking",
                    retail_return_location_id=destination.id,
                )
                .create({"picking_id": delivery.id})
            )
            for wizard_line in wizard.product_return_moves:
                wizard_line.quantity = quantities.get(wizard_line.move_id, 0)
            picking = wizard._create_return()
            picking.origin = self.env._(
                "%(order)s: channel return %(ret)s",
                order=record.order_id.name,
                ret=record.external_id,
            )
            pickings |= picking
        record.picking_ids = [(6, 0, pickings.ids)]

    @api.model
    def _receive(self, record, received_at):
        """Validate the return pickings: the goods are back."""
        for picking in record.picking_ids.filtered(lambda p: p.state not in ("done", "cancel")):
            try:
                with self.env.cr.savepoint():
                    for move in picking.move_ids.filtered(
                        lambda m: m.state not in ("done", "cancel")
                    ):
                        move.quantity = move.product_uom_qty
                        move.picked = True
                    picking.with_context(skip_backorder=True, skip_sms=True).button_validate()
            except UserError as exc:
                return self._hold(
                    record,
                    [
                        self.env._(
                            "Return %(ret)s: the goods were received but %(picking)s can't be "
                            "validated: %(error)s",
                            ret=record.external_id,
                            picking=picking.name,
                            error=exc.args[0],
                        )
                    ],
                )
            if picking.state != "done":
                return self._hold(
                    record,
                    [
                        self.env._(
                            "Return %(ret)s: the goods were received but %(picking)s needs a "
                            "person to validate it.",
                            ret=record.external_id,
                            picking=picking.name,
                        )
                    ],
                )
        record.write(
            {
                "state": "received",
                "received_at": naive(received_at) if received_at else fields.Datetime.now(),
            }
        )
        return self.env._(
            "Return %(ret)s received: %(pickings)s done.",
            ret=record.external_id,
            pickings=", ".join(record.picking_ids.mapped("name")),
        )
