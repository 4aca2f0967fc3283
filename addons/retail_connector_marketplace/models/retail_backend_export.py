import logging
import math

import psycopg2.errors

from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.retail_connector_base.exceptions import PermanentError

from ..client import MiraklRequestError

_logger = logging.getLogger(__name__)

# Order states from which OR23/OR24 have nothing left to do.
SHIPPED_STATES = ("SHIPPED", "TO_COLLECT", "RECEIVED", "CLOSED")
# A job retries the calls a few times itself; longer outages go back to the outbox.
EXPORT_MAX_ATTEMPTS = 3


class RetailBackend(models.Model):
    """Mirakl's side of the outbox: a completed delivery becomes OR23
    (tracking) then OR24 (shipped); stock levels become STO01 imports, one
    CSV for every product pending at the moment it is sent."""

    _inherit = "retail.backend"

    mirakl_carrier_mapping_ids = fields.One2many(
        "retail.carrier.mapping", "backend_id", string="Carrier codes"
    )
    mirakl_warehouse_code = fields.Char(
        string="Marketplace warehouse code",
        help="Sent as warehouse-code in the stock imports (STO01); empty for a single stock.",
    )

    def _compute_feature_support(self):
        """Override of `retail_connector_base`: Mirakl takes shipments and
        stock levels."""
        super()._compute_feature_support()
        for backend in self.filtered(lambda b: b.code == "mirakl"):
            backend.support_fulfillment_export = True
            backend.support_stock_export = True

    # Shipments (OR23, OR24)

    def _export_fulfillment(self, picking, message):
        """Override of `retail_connector_base`: Mirakl ships whole orders, so
        the delivery that completes the order sends its carrier and tracking
        (OR23), then confirms the shipment (OR24).

        A retry after OR23 succeeded sends OR23 again (Mirakl allows it while
        the order is SHIPPING); an order already shipped makes the message done.
        """
        if self.code != "mirakl":
            return super()._export_fulfillment(picking, message)
        order = picking.sale_id
        order_id = order.retail_external_id
        if not order_id:
            raise PermanentError(f"{order.display_name or picking.name} has no marketplace order")
        rest = order.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state not in ("done", "cancel")
        )
        if rest:
            return f"Waiting for the rest of the order: {', '.join(rest.mapped('name'))}"
        client = self._mirakl_client(max_attempts=EXPORT_MAX_ATTEMPTS)
        cancelled = self._mirakl_cancel_undelivered(client, order)
        delivered = order.picking_ids.move_ids.filtered(
            lambda m: m.picking_code == "outgoing" and m.state == "done" and m.quantity
        )
        if not delivered:
            return f"Order {order_id}: nothing was delivered. {cancelled}".strip()
        carrier = self._mirakl_carrier(picking)
        try:
            client.tracking(order_id, tracking_number=picking.carrier_tracking_ref, **carrier)
            client.ship(order_id)
        except MiraklRequestError as exc:
            if exc.status != 400:
                raise
            state = self._mirakl_order_state(client, order_id)
            if state in SHIPPED_STATES:
                return f"Order {order_id} already {state} on the marketplace"
            raise
        sent = carrier.get("carrier_code") or carrier.get("carrier_name")
        done = f"Order {order_id} shipped ({sent} {picking.carrier_tracking_ref or ''})".strip()
        return f"{cancelled} {done}".strip()

    def _mirakl_cancel_undelivered(self, client, order):
        """OR30 for the units of ``order`` that won't ship: ordered, not
        cancelled on the marketplace yet, not delivered in Odoo (a delivery
        validated without backorder, a cancelled backorder). Mirakl ships
        whole orders, so this goes before OR24.

        The order is read first, so a retry after a lost answer cancels
        nothing twice. Returns what was cancelled ("" when nothing)."""
        short = order.order_line.filtered(
            lambda line: (
                line.retail_line_id
                and line.product_uom_id.compare(line.qty_delivered, line.product_uom_qty) < 0
            )
        )
        if not short:
            return ""  # everything ordered was delivered: nothing to read nor cancel
        order_id = order.retail_external_id
        payload = self._mirakl_order(client, order_id)
        if payload is None:
            raise PermanentError(f"Order {order_id} is not on the marketplace")
        if payload.get("order_state") != "SHIPPING":
            return ""
        cancelations = []
        for line in payload.get("order_lines") or []:
            if line.get("order_line_state") != "SHIPPING":
                continue
            line_id = str(line.get("order_line_id"))
            sale_lines = order.order_line.filtered(lambda sl, lid=line_id: sl.retail_line_id == lid)
            if not sale_lines:
                continue
            cancelled = sum(int(c.get("quantity") or 0) for c in line.get("cancelations") or [])
            left = int(line.get("quantity") or 0) - cancelled
            undelivered = left - math.ceil(sum(sale_lines.mapped("qty_delivered")))
            if undelivered <= 0:
                continue
            unit_amount = float(line.get("price") or 0) / (line.get("quantity") or 1)
            cancelations.append(
                {
                    "order_line_id": line["order_line_id"],
                    "quantity": undelivered,
                    "amount": round(unit_amount * undelivered, 2),
                    "shipping_amount": 0,
                    "currency_iso_code": payload.get("currency_iso_code"),
                }
            )
        if not cancelations:
            return ""
        if not self.mirakl_cancel_reason_code:
            raise PermanentError(
                "Set the cancellation reason code on the backend: units of this order "
                "were not delivered and must be cancelled on the marketplace before it ships"
            )
        for cancelation in cancelations:
            cancelation["reason_code"] = self.mirakl_cancel_reason_code
        client.cancel_lines(cancelations)
        units = ", ".join(f"{c['order_line_id']} x{c['quantity']}" for c in cancelations)
        return f"Undelivered units cancelled on the marketplace (OR30): {units}."

    def _mirakl_carrier(self, picking):
        """OR23's carrier fields for ``picking``: the operator's code when the
        carrier is mapped, else its name and tracking URL."""
        mapping = self.mirakl_carrier_mapping_ids.filtered(
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

    def _mirakl_order_state(self, client, order_id):
        order = self._mirakl_order(client, order_id)
        return order.get("order_state") if order else None

    def _mirakl_order(self, client, order_id):
        """The marketplace's current version of order ``order_id`` (OR11)."""
        for order in client.orders(order_ids=[order_id], page_size=1):
            if str(order.get("order_id")) == str(order_id):
                return order
        return None

    # Stock levels (STO01)

    def _export_stock(self, product, message):
        """Override of `retail_connector_base`: one STO01 import with the
        available quantity of ``product`` and of every other product whose
        stock message is pending (STO01 takes many offers and runs about once
        a minute); those messages are done with this one."""
        if self.code != "mirakl":
            return super()._export_stock(product, message)
        if not product.default_code:
            raise PermanentError(f"{product.display_name} has no SKU (internal reference)")
        others = self._mirakl_take_pending_stock(message)
        products = product
        for other in others:
            products |= other._record()
        rows = [self._mirakl_stock_row(line_product) for line_product in products]
        # A 429 goes back to the outbox with its Retry-After, no sleeping in a job.
        answer = (
            self._mirakl_client(max_attempts=EXPORT_MAX_ATTEMPTS, max_retry_wait=0).import_stock(
                rows
            )
            or {}
        )
        import_id = answer.get("import_id")
        others.write(
            {
                "state": "done",
                "result": f"Sent with import {import_id} (message {message.id})",
                "sent_at": fields.Datetime.now(),
                "error": False,
            }
        )
        summary = ", ".join(f"{row['offer_sku']}: {row['quantity']}" for row in rows)
        return f"Import {import_id}: {summary}"[:250]

    def _mirakl_stock_row(self, product):
        quantity = max(math.floor(self._get_available_quantity(product)), 0)
        return {
            "offer_sku": product.default_code,
            "quantity": quantity,
            "warehouse_code": self.mirakl_warehouse_code or None,
        }

    def _mirakl_take_pending_stock(self, message):
        """The other pending stock messages of this backend, locked; those
        whose own job is running (their row is locked) are left to it."""
        cr = self.env.cr
        try:
            with cr.savepoint():
                cr.execute(
                    SQL(
                        """
                        SELECT id FROM retail_outbox
                         WHERE backend_id = %s AND kind = 'stock' AND state = 'pending'
                           AND res_model = 'product.product' AND id != %s
                         ORDER BY id
                           FOR NO KEY UPDATE SKIP LOCKED
                        """,
                        self.id,
                        message.id,
                    )
                )
                ids = [row[0] for row in cr.fetchall()]
        except psycopg2.errors.SerializationFailure:
            # Another job sent some of them since this transaction began.
            _logger.info("Outbox %s: pending stock changed meanwhile, sent alone", message.id)
            return message.browse()
        others = message.browse(ids)
        others.invalidate_recordset()
        return others.filtered(
            lambda m: m.state == "pending" and (m._record().default_code if m._record() else False)
        )
