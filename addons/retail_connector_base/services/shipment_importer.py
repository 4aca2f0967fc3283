from collections import defaultdict
from decimal import Decimal

from odoo import api, models
from odoo.tools import float_compare

from ..exceptions import PermanentError, TransientError

PICKING_MODEL = "stock.picking"


class RetailShipmentImporter(models.AbstractModel):
    """A warehouse or 3PL tells Odoo what it shipped of a channel order
    (canonical ``Shipment``): the order's delivery is validated for the
    shipped quantities (a backorder keeps the rest), with the tracking.

    Applied once per shipment: the validated delivery is bound to the
    shipment's external id.
    """

    _name = "retail.shipment.importer"
    _description = "Retail Shipment Importer"

    @api.model
    def _import(self, event, shipment):
        backend = event.backend_id
        Binding = self.env["retail.binding"]
        binding = Binding._claim(backend, PICKING_MODEL, shipment.external_id)
        done = binding._record()
        if done:
            return "ignored", self.env._(
                "Shipment %(shipment)s is already applied (%(picking)s).",
                shipment=shipment.external_id,
                picking=done.display_name,
            )
        order_binding = Binding._find(backend, "sale.order", shipment.order_external_id)
        order = order_binding._record() if order_binding else self.env["sale.order"]
        if not order:
            # Shipments can overtake their order: wait for it (retried with backoff).
            raise TransientError(
                self.env._(
                    "Order %s is not in Odoo yet; the shipment waits for it.",
                    shipment.order_external_id,
                )
            )
        if not shipment.lines:
            raise PermanentError(self.env._("The shipment has no lines."), path="data.lines")
        picking = order.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state not in ("done", "cancel")
        ).sorted("id")[:1]
        if not picking:
            raise PermanentError(self.env._("Order %s has no delivery left to ship.", order.name))
        self._set_shipped_quantities(order, picking, shipment)
        self._set_tracking(picking, shipment)
        picking.with_context(skip_backorder=True, skip_sms=True).button_validate()
        if picking.state != "done":
            raise PermanentError(self.env._("Delivery %s could not be validated.", picking.name))
        Binding._bind(
            backend, picking, shipment.external_id, shipment.shipped_at, event, binding=binding
        )
        backorders = self.env[PICKING_MODEL].search([("backorder_id", "=", picking.id)])
        reason = self.env._(
            "Shipment %(shipment)s validated %(picking)s",
            shipment=shipment.external_id,
            picking=picking.name,
        )
        if backorders:
            reason += self.env._("; the rest waits in %s", ", ".join(backorders.mapped("name")))
        return "done", reason

    @api.model
    def _set_shipped_quantities(self, order, picking, shipment):
        """Put the shipped quantities (sale units) on the delivery's moves;
        a line not on the order, or more than is left to ship, is refused."""
        lines = {line.retail_line_id: line for line in order.order_line if line.retail_line_id}
        shipped = defaultdict(Decimal)
        for index, line in enumerate(shipment.lines):
            if line.line_external_id not in lines:
                raise PermanentError(
                    self.env._(
                        "Shipped line %(line)s is not on order %(order)s.",
                        line=line.line_external_id,
                        order=order.name,
                    ),
                    path=f"data.lines.{index}.line_external_id",
                )
            shipped[line.line_external_id] += line.quantity
        moves = picking.move_ids.filtered(lambda m: m.state not in ("done", "cancel"))
        for line_id, quantity in shipped.items():
            sale_line = lines[line_id]
            line_moves = moves.filtered(lambda m, s=sale_line: m.sale_line_id == s)
            left = sum(
                m.product_uom._compute_quantity(m.product_uom_qty, sale_line.product_uom_id)
                for m in line_moves
            )
            if float_compare(float(quantity), left, precision_digits=4) > 0:
                raise PermanentError(
                    self.env._(
                        "Line %(line)s: %(shipped)s shipped, but only %(left)s left to ship "
                        "on %(picking)s.",
                        line=line_id,
                        shipped=quantity,
                        left=left,
                        picking=picking.name,
                    )
                )
        for move in moves:
            sale_line = move.sale_line_id
            to_ship = float(shipped.get(sale_line.retail_line_id, 0)) if sale_line else 0.0
            quantity = sale_line.product_uom_id._compute_quantity(to_ship, move.product_uom)
            quantity = min(quantity, move.product_uom_qty)
            move.quantity = quantity
            move.picked = bool(quantity)
            if sale_line.retail_line_id in shipped:
                shipped[sale_line.retail_line_id] -= Decimal(
                    str(move.product_uom._compute_quantity(quantity, sale_line.product_uom_id))
                )

    @api.model
    def _set_tracking(self, picking, shipment):
        """The tracking number on the delivery; the carrier when Odoo knows
        it (``delivery`` installed), else in the delivery's note."""
        values = {}
        if shipment.tracking_number:
            values["carrier_tracking_ref"] = shipment.tracking_number
        carrier = shipment.carrier
        if carrier and "delivery.carrier" in self.env:
            match = self.env["delivery.carrier"].search([("name", "=ilike", carrier)], limit=1)
            if match:
                values["carrier_id"] = match.id
                carrier = None
        if carrier or shipment.tracking_url:
            note = self.env._("Shipped by %s", carrier) if carrier else ""
            if shipment.tracking_url:
                note = f"{note} {shipment.tracking_url}".strip()
            values["note"] = note
        if values:
            picking.write(values)
