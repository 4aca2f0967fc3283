from odoo import api, models

from odoo.addons.retail_connector_base.exceptions import PermanentError

from .. import outbound
from ..client import MiraklRequestError


class RetailMiraklShipment(models.AbstractModel):
    """How a delivered Mirakl order ships.

    Mirakl ships whole orders: the delivery that completes the order (the
    outbox's fulfillment message, see ``retail.backend._export_fulfillment``)
    cancels the units that won't come (OR30), sends the carrier and tracking
    (OR23), then confirms the shipment (OR24).
    """

    _name = "retail.mirakl.shipment"
    _description = "Retail Mirakl Order Shipment"

    @api.model
    def _ship(self, backend, picking):
        """Ship the marketplace order of ``picking`` once it is delivered whole.

        A retry after OR23 succeeded sends OR23 again (Mirakl allows it while
        the order is SHIPPING); an order already shipped makes the message done.

        :return: the message's result
        """
        order = picking.sale_id
        order_id = order.retail_external_id
        if not order_id:
            raise PermanentError(f"{order.display_name or picking.name} has no marketplace order")
        rest = order.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state not in ("done", "cancel")
        )
        if rest:
            return f"Waiting for the rest of the order: {', '.join(rest.mapped('name'))}"
        client = backend._mirakl_client(max_attempts=outbound.EXPORT_MAX_ATTEMPTS)
        cancelled = self._cancel_undelivered(backend, client, order)
        delivered = order.picking_ids.move_ids.filtered(
            lambda m: m.picking_code == "outgoing" and m.state == "done" and m.quantity
        )
        if not delivered:
            return f"Order {order_id}: nothing was delivered. {cancelled}".strip()
        carrier = self._carrier(backend, picking)
        try:
            client.tracking(order_id, tracking_number=picking.carrier_tracking_ref, **carrier)
            client.ship(order_id)
        except MiraklRequestError as exc:
            if exc.status != 400:
                raise
            state = backend._mirakl_order_state(client, order_id)
            if state in outbound.SHIPPED_STATES:
                return f"Order {order_id} already {state} on the marketplace"
            raise
        sent = carrier.get("carrier_code") or carrier.get("carrier_name")
        done = f"Order {order_id} shipped ({sent} {picking.carrier_tracking_ref or ''})".strip()
        return f"{cancelled} {done}".strip()

    @api.model
    def _carrier(self, backend, picking):
        """OR23's carrier fields for ``picking``: the operator's code when the
        carrier is mapped, else its name and tracking URL."""
        mapping = backend.mirakl_carrier_mapping_ids.filtered(
            lambda m: m.carrier_id == picking.carrier_id
        )[:1]
        if mapping.operator_carrier_code:
            return {"carrier_code": mapping.operator_carrier_code}
        name = mapping.operator_carrier_name or picking.carrier_id.name
        if not name:
            raise PermanentError(
                f"{picking.name} has no carrier: set one, or map deliveries without a carrier "
                "to an operator carrier code on the backend"
            )
        url = mapping.operator_carrier_url or picking.carrier_tracking_url or None
        return {"carrier_name": name, "carrier_url": url}

    @api.model
    def _cancel_undelivered(self, backend, client, order):
        """OR30 for the units of ``order`` that won't ship: ordered, not
        cancelled on the marketplace yet, not delivered in Odoo (a delivery
        validated without backorder, a cancelled backorder). Mirakl ships
        whole orders, so this goes before OR24.

        The order is read first, so a retry after a lost answer cancels
        nothing twice. Returns what was cancelled ("" when nothing)."""
        delivered = {}
        short = False
        for line in order.order_line.filtered("retail_line_id"):
            line_id = line.retail_line_id
            delivered[line_id] = delivered.get(line_id, 0.0) + line.qty_delivered
            short = (
                short or line.product_uom_id.compare(line.qty_delivered, line.product_uom_qty) < 0
            )
        if not short:
            return ""  # everything ordered was delivered: nothing to read nor cancel
        order_id = order.retail_external_id
        payload = backend._mirakl_order(client, order_id)
        if payload is None:
            raise PermanentError(f"Order {order_id} is not on the marketplace")
        cancelations = outbound.undelivered_cancelations(payload, delivered)
        if not cancelations:
            return ""
        if not backend.mirakl_cancel_reason_code:
            raise PermanentError(
                "Set the cancellation reason code on the backend: units of this order "
                "were not delivered and must be cancelled on the marketplace before it ships"
            )
        for cancelation in cancelations:
            cancelation["reason_code"] = backend.mirakl_cancel_reason_code
        client.cancel_lines(cancelations)
        units = ", ".join(f"{c['order_line_id']} x{c['quantity']}" for c in cancelations)
        return f"Undelivered units cancelled on the marketplace (OR30): {units}."
