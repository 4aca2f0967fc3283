import logging

import psycopg2.errors

from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.retail_connector_base.exceptions import PermanentError

from .. import outbound
from ..client import MiraklOutcomeUnknown, MiraklRequestError

_logger = logging.getLogger(__name__)


class RetailBackend(models.Model):
    """What Odoo sends the marketplace through the outbox: shipments
    (``retail.mirakl.shipment``: OR30, OR23, OR24), stock levels (STO01),
    cancellations (OR29) and refunds (OR28); the calls' entries are built in
    :mod:`..outbound`."""

    _inherit = "retail.backend"

    def _export_fulfillment(self, picking, message):
        """Override of `retail_connector_base`: the delivery that completes a
        marketplace order ships it (see ``retail.mirakl.shipment``)."""
        if self.code != "mirakl":
            return super()._export_fulfillment(picking, message)
        return self.env["retail.mirakl.shipment"]._ship(self, picking)

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
        rows = [
            outbound.stock_row(
                line_product.default_code,
                self._get_available_quantity(line_product),
                self.mirakl_warehouse_code,
            )
            for line_product in products
        ]
        # A 429 goes back to the outbox with its Retry-After, no sleeping in a job.
        client = self._mirakl_client(max_attempts=outbound.EXPORT_MAX_ATTEMPTS, max_retry_wait=0)
        import_id = (client.import_stock(rows) or {}).get("import_id")
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

    def _export_stock_levels(self, levels, message):
        """Override of `retail_connector_base`: one STO01 import for the
        rows of a resync chunk."""
        if self.code != "mirakl":
            return super()._export_stock_levels(levels, message)
        rows = [
            outbound.stock_row(level["sku"], level["quantity"], self.mirakl_warehouse_code)
            for level in levels
        ]
        client = self._mirakl_client(max_attempts=outbound.EXPORT_MAX_ATTEMPTS, max_retry_wait=0)
        import_id = (client.import_stock(rows) or {}).get("import_id")
        return f"Import {import_id}: {len(rows)} offers"

    def _get_stock_resync_chunk_size(self):
        """Override of `retail_connector_base`: STO01 is a file, and runs
        about once a minute: large chunks."""
        if self.code != "mirakl":
            return super()._get_stock_resync_chunk_size()
        return outbound.STOCK_RESYNC_CHUNK_SIZE

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

    # Cancellations (OR29) and refunds (OR28) decided in Odoo

    def _export_cancellation(self, order, message):
        """Override of `retail_connector_base`: OR29 cancels the whole order
        (before it ships); an order the marketplace already cancelled is done."""
        if self.code != "mirakl":
            return super()._export_cancellation(order, message)
        client = self._mirakl_client()
        order_id = order.retail_external_id
        try:
            client.cancel(order_id)
        except MiraklRequestError:
            state = self._mirakl_order_state(client, order_id)
            if state in outbound.CANCELLED_STATES:
                return f"Order {order_id} was already {state.lower()} on the marketplace."
            raise
        return f"Order {order_id} cancelled on the marketplace (OR29)."

    def _export_refund(self, credit_note, message):
        """Override of `retail_connector_base`: OR28 refunds the credited
        lines of the marketplace order, shipping included.

        A refund sent twice is paid twice: when the marketplace's answer is
        lost, the message fails for a person to check the order instead of
        being retried.
        """
        if self.code != "mirakl":
            return super()._export_refund(credit_note, message)
        if not self.mirakl_refund_reason_code:
            raise PermanentError("Set the refund reason code on the backend to send refunds")
        refunds = self._mirakl_refund_lines(credit_note)
        if not refunds:
            raise PermanentError(
                f"{credit_note.display_name} credits no line of a marketplace order"
            )
        try:
            answer = self._mirakl_client().refund(refunds) or {}
        except MiraklOutcomeUnknown as exc:
            raise PermanentError(
                f"The marketplace may have recorded the refund ({exc}): check the order "
                "there before sending it again"
            ) from exc
        ids = [str(r.get("refund_id")) for r in answer.get("refunds") or [] if r.get("refund_id")]
        # OR11 lists these refunds on the order's lines later: recorded now,
        # they are known there and draft no second credit note.
        sent = {entry["order_line_id"]: entry for entry in refunds}
        order = credit_note.invoice_line_ids.sale_line_ids.order_id[:1]
        for answered in answer.get("refunds") or []:
            entry = sent.get(answered.get("order_line_id"), {})
            if answered.get("refund_id") and order:
                self.env["retail.order.refund"]._record_sent(
                    self,
                    order,
                    credit_note,
                    str(answered["refund_id"]),
                    entry.get("amount", 0.0) + entry.get("shipping_amount", 0.0),
                    shipping=entry.get("shipping_amount", 0.0),
                )
        return f"Refunded on the marketplace (OR28): {', '.join(ids) or 'no id returned'}"

    def _mirakl_refund_lines(self, credit_note):
        """The OR28 entries of ``credit_note``'s marketplace lines and shipping."""
        lines = []
        shipping = 0.0
        shipping_product = self.env.ref("retail_connector_base.product_retail_shipping")
        for line in credit_note.invoice_line_ids.filtered(lambda i: i.display_type == "product"):
            amount = (
                line.price_total if line.tax_ids.filtered("price_include") else line.price_subtotal
            )
            if line.product_id == shipping_product:
                shipping += amount
                continue
            sale_line = line.sale_line_ids.filtered("retail_line_id")[:1]
            if sale_line:
                lines.append((sale_line.retail_line_id, amount, line.quantity))
        return outbound.refund_entries(lines, shipping, self.mirakl_refund_reason_code)
