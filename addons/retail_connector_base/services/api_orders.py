from datetime import UTC
from decimal import Decimal

from pydantic import ValidationError as PydanticValidationError

from odoo import api, models

from .. import schemas
from ..adapters import EventValues
from ..channel_api.models import OrderReceipt, ShipmentList
from ..channel_api.problems import ApiProblem, not_found, validation_problem

ORDER_TOPIC = "order.submitted"


class RetailApiOrders(models.AbstractModel):
    """The Channel API's orders: submitted through the event store and the
    importer every channel uses, read back as receipts and shipments.

    Runs as the caller's key's technical user: every method takes the
    key's backend as that user sees it, and reads orders, events and
    deliveries under its record rules (its own backend only). Submitting
    and cancelling go through the pipeline every channel shares, with
    system rights, each in one marked place.
    """

    _name = "retail.api.orders"
    _description = "Retail Channel API: Orders"

    @api.model
    def _submit(self, backend, key_id, body, idempotency_key, respond_async=False):
        """Store a canonical order as an ``api`` event and import it now,
        unless asked not to or the backend is not active (then its job does).

        :param key_id: the id of the ``retail.api.key`` submitting it

        :return: ``(http status, OrderReceipt)``: 201 created, 200 updated,
            202 queued
        """
        try:
            order = schemas.Order.model_validate_json(body)
        except PydanticValidationError as exc:
            raise validation_problem(exc) from None
        existed = bool(self._find_sale_order(backend, order.external_id))
        # Privileged: the event store, its queued job and the import are the
        # pipeline every channel shares (webhooks, polling): it creates and
        # confirms orders, reserves stock, writes the outbox. sudo() keeps
        # the key's user as the uid, so the event, the job (which runs as
        # that user too) and every record the import creates name the key's
        # user (create_uid), while the user itself may only read its orders.
        Event = self.env["retail.event"].sudo()
        event = Event._insert_idempotent(
            backend.sudo()._get_settings(),
            EventValues(
                event_key=f"api:{idempotency_key}",
                topic=ORDER_TOPIC,
                headers={"idempotency-key": idempotency_key},
            ),
            body,
            source="api",
        )
        if not event:
            # The idempotency record expired but the event is still stored.
            return 200, self._receipt(backend, order.external_id)
        event.write({"api_key_id": key_id, "api_external_id": order.external_id})
        if backend.state != "active" or respond_async:
            return 202, self._receipt(backend, order.external_id, event)
        failure = event._apply_now()
        receipt = self._receipt(backend, order.external_id, event)
        if failure:
            message = self.env._("Not imported yet, its job tries again: %s", failure)
            return 202, receipt.model_copy(update={"import_message": message})
        return (200 if existed else 201), receipt

    @api.model
    def _get(self, backend, external_id):
        receipt = self._receipt(backend, external_id)
        if receipt is None:
            raise not_found("order")
        return receipt

    @api.model
    def _cancel(self, backend, external_id, request):
        """Cancel an order that has not shipped; cancelling a cancelled
        order answers it as it is."""
        sale_order = self._find_sale_order(backend, external_id)
        if not sale_order:
            if self._last_event(backend, external_id):
                raise ApiProblem(
                    409,
                    "not-imported-yet",
                    "Order not imported yet",
                    "The order is still waiting for its import; cancel it once "
                    "GET /orders/{external_id} shows it.",
                )
            raise not_found("order")
        if sale_order.state != "cancel":
            if sale_order._retail_is_shipped():
                raise ApiProblem(
                    409,
                    "already-shipped",
                    "Order already shipped",
                    "Goods of this order have left the warehouse: return them instead.",
                )
            # Privileged: a cancel cancels the order's deliveries and
            # invoices too, as a channel's cancel does; the key's user only
            # reads orders. Its uid stays: the cancel and its note name it.
            privileged_order = sale_order.sudo()
            privileged_order.with_context(
                disable_cancel_warning=True, retail_from_channel=True
            )._action_cancel()
            reason = request.reason or self.env._("no reason given")
            privileged_order.message_post(
                body=self.env._("Cancelled through the Channel API (%s).", reason)
            )
        return self._receipt(backend, external_id)

    @api.model
    def _shipments(self, backend, external_id):
        """The deliveries of the order that left the warehouse."""
        sale_order = self._find_sale_order(backend, external_id)
        if not sale_order:
            raise not_found("order")
        pickings = sale_order.picking_ids.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing"
        ).sorted(lambda p: (p.date_done, p.id))
        return ShipmentList(
            shipments=[self._shipment(picking, external_id) for picking in pickings]
        )

    # Reading

    @api.model
    def _find_sale_order(self, backend, external_id):
        return self.env["sale.order"].search(
            [("retail_backend_id", "=", backend.id), ("retail_external_id", "=", external_id)],
            limit=1,
        )

    @api.model
    def _last_event(self, backend, external_id):
        return self.env["retail.event"].search(
            [
                ("backend_id", "=", backend.id),
                ("api_external_id", "=", external_id),
                ("topic", "=", ORDER_TOPIC),
            ],
            order="id desc",
            limit=1,
        )

    @api.model
    def _receipt(self, backend, external_id, event=None):
        """The :class:`OrderReceipt` of an order of ``backend``; ``None``
        when the backend has neither the order nor a submission of it."""
        sale_order = self._find_sale_order(backend, external_id)
        event = event or self._last_event(backend, external_id)
        if not sale_order and not event:
            return None
        if not event:
            event = sale_order.retail_last_event_id
        values = {"external_id": external_id}
        if sale_order:
            values.update(
                id=sale_order.id,
                reference=sale_order.name,
                state=sale_order.state,
                on_hold=bool(sale_order.retail_hold_reason),
                hold_reason=sale_order.retail_hold_reason or None,
            )
        if event:
            values.update(
                import_state=event.state,
                import_message=event.error or event.state_reason or None,
            )
        return OrderReceipt(**values)

    @api.model
    def _shipment(self, picking, order_external_id):
        lines = {}
        for move in picking.move_ids.filtered(lambda m: m.state == "done" and m.quantity):
            line_id = move.sale_line_id.retail_line_id
            if not line_id:
                continue
            quantity = move.product_uom._compute_quantity(
                move.quantity, move.sale_line_id.product_uom_id
            )
            lines[line_id] = lines.get(line_id, Decimal(0)) + Decimal(str(quantity))
        # The carrier's name is a label on the delivery; stock_delivery lets
        # internal users only read its carriers' configuration.
        carrier = picking.carrier_id.sudo().name if "carrier_id" in picking._fields else None
        tracking = (
            picking.carrier_tracking_ref if "carrier_tracking_ref" in picking._fields else None
        )
        return schemas.Shipment(
            external_id=picking.name,
            order_external_id=order_external_id,
            carrier=carrier or None,
            tracking_number=tracking or None,
            lines=[
                schemas.ShipmentLine(line_external_id=line_id, quantity=quantity)
                for line_id, quantity in lines.items()
            ],
            shipped_at=picking.date_done.replace(tzinfo=UTC) if picking.date_done else None,
        )
