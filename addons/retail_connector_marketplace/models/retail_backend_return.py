from odoo import fields, models

from odoo.addons.retail_connector_base.exceptions import PermanentError

from ..client import MiraklOutcomeUnknown, MiraklRequestError

# Orders in these states are cancelled already, whoever did it.
CANCELLED_STATES = ("CANCELED", "REFUSED")


class RetailBackend(models.Model):
    """Cancellations and refunds decided in Odoo, sent to the marketplace
    (OR29, OR28)."""

    _inherit = "retail.backend"

    mirakl_refund_reason_code = fields.Char(
        string="Refund reason code",
        help="The operator's reason code (RE01) sent with refunds made in Odoo.",
    )

    mirakl_cancel_reason_code = fields.Char(
        string="Cancellation reason code",
        help="The operator's reason code (RE01, type ORDER_CANCEL) sent with the units of a "
        "delivery cancelled in Odoo (OR30).",
    )

    def _compute_feature_support(self):
        """Override of `retail_connector_base`: Mirakl takes cancellations and
        refunds."""
        super()._compute_feature_support()
        for backend in self.filtered(lambda b: b.code == "mirakl"):
            backend.support_cancellation_export = True
            backend.support_refund_export = True

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
            if state in CANCELLED_STATES:
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
        ids = [str(r.get("refund_id")) for r in answer.get("refunds") or []]
        return f"Refunded on the marketplace (OR28): {', '.join(ids) or 'no id returned'}"

    def _mirakl_refund_lines(self, credit_note):
        """One OR28 entry per credited marketplace line; credited shipping
        goes with the first of them."""
        refunds = []
        shipping = 0.0
        shipping_product = self.env.ref("retail_connector_base.product_retail_shipping")
        lines = credit_note.invoice_line_ids.filtered(lambda item: item.display_type == "product")
        for line in lines:
            amount = (
                line.price_total if line.tax_ids.filtered("price_include") else line.price_subtotal
            )
            if line.product_id == shipping_product:
                shipping += amount
                continue
            sale_line = line.sale_line_ids.filtered("retail_line_id")[:1]
            if not sale_line:
                continue
            refunds.append(
                {
                    "order_line_id": sale_line.retail_line_id,
                    "amount": round(amount, 2),
                    "quantity": int(line.quantity),
                    "shipping_amount": 0,
                    "reason_code": self.mirakl_refund_reason_code,
                }
            )
        if refunds and shipping:
            refunds[0]["shipping_amount"] = round(shipping, 2)
        return refunds
