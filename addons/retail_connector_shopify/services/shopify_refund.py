from collections import defaultdict

from odoo import api, models

from odoo.addons.retail_connector_base.exceptions import PermanentError

from .. import graphql, refunds


class RetailShopifyRefundExporter(models.AbstractModel):
    """Sends a credit note posted in Odoo to Shopify as a refund
    (``refundCreate``), once.

    Three guards keep it single: a credit note already refunded on Shopify
    (a ``retail.order.refund`` recorded by an earlier message) is not sent
    again; every attempt of one message carries the same ``@idempotent`` key,
    so a retry after an answer lost on the way gets Shopify's first refund
    back; and the refund is recorded on the order with Shopify's id, so its
    ``refunds/create`` webhook is recognised as this one and drafts no
    second credit note.
    """

    _name = "retail.shopify.refund.exporter"
    _description = "Shopify Refund Exporter"

    @api.model
    def _send(self, backend, credit_note, message):
        order = self._order_of(backend, credit_note)
        Refund = self.env["retail.order.refund"].sudo()
        already = Refund.search(
            [("backend_id", "=", backend.id), ("credit_note_id", "=", credit_note.id)], limit=1
        )
        if already:
            return f"Already refunded on Shopify: {already.external_id}."
        credited, shipping = self._credited(backend, credit_note, order)
        client = backend._shopify_client()
        shopify_order = client.graphql(
            graphql.ORDER_TRANSACTIONS, {"id": order.retail_external_id}
        ).get("order")
        if not shopify_order:
            raise PermanentError(f"Shopify has no order {order.retail_external_id}")
        transactions = refunds.refund_transactions(
            order.retail_external_id, shopify_order.get("transactions"), credit_note.amount_total
        )
        variables = refunds.refund_variables(
            order.retail_external_id,
            line_items=refunds.refund_line_items(
                credited, self._returned(order), backend.shopify_location_id or None
            ),
            shipping=shipping,
            transactions=transactions,
            currency=credit_note.currency_id.name,
            note=self.env._("Credit note %s (Odoo)", credit_note.name),
            key=refunds.refund_idempotency_key(message.id, credit_note.id),
        )
        payload = client.mutate(graphql.REFUND_CREATE, variables, "refundCreate")
        refund = payload.get("refund") or {}
        if not refund.get("id"):
            raise PermanentError("Shopify's refundCreate answered without a refund")
        self.env["retail.order.refund"]._record_sent(
            backend,
            order,
            credit_note,
            refund["id"],
            amount=credit_note.amount_total,
            shipping=float(shipping),
        )
        return refunds.refund_summary(refund)

    @api.model
    def _order_of(self, backend, credit_note):
        """The one Shopify order of ``backend`` that ``credit_note`` credits."""
        orders = credit_note.invoice_line_ids.sale_line_ids.order_id.filtered(
            lambda o: o.retail_backend_id == backend and o.retail_external_id
        )
        if not orders:
            raise PermanentError(f"{credit_note.display_name} credits no Shopify order")
        if len(orders) > 1:
            raise PermanentError(
                f"{credit_note.display_name} credits several Shopify orders "
                f"({', '.join(orders.mapped('name'))}): make one credit note per order"
            )
        return orders

    @api.model
    def _credited(self, backend, credit_note, order):
        """``({line item gid: quantity}, shipping amount)`` of the credit note;
        amounts in the order's tax mode (tax included when its prices are)."""
        shipping_product = self.env.ref("retail_connector_base.product_retail_shipping")
        credited = defaultdict(float)
        shipping = 0.0
        for line in credit_note.invoice_line_ids.filtered(lambda i: i.display_type == "product"):
            if line.product_id == shipping_product:
                included = line.tax_ids.filtered("price_include")
                shipping += line.price_total if included else line.price_subtotal
                continue
            sale_line = line.sale_line_ids.filtered(
                lambda s: s.order_id == order and s.retail_line_id
            )[:1]
            if sale_line:
                quantity = line.product_uom_id._compute_quantity(
                    line.quantity, sale_line.product_uom_id
                )
                credited[sale_line.retail_line_id] += quantity
        return dict(credited), round(shipping, order.currency_id.decimal_places)

    @api.model
    def _returned(self, order):
        """``{line item gid: quantity}`` Odoo took back into stock (done
        returns of the order's deliveries), in the sale line's unit."""
        returned = defaultdict(float)
        for sale_line in order.order_line.filtered("retail_line_id"):
            for move in sale_line.move_ids:
                if (
                    move.state == "done"
                    and move.origin_returned_move_id
                    and move.location_dest_id.usage == "internal"
                ):
                    returned[sale_line.retail_line_id] += move.product_uom._compute_quantity(
                        move.quantity, sale_line.product_uom_id
                    )
        return dict(returned)
