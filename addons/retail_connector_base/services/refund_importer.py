from decimal import Decimal

from odoo import api, models
from odoo.tools import float_compare

from ..exceptions import TransientError


class RetailRefundImporter(models.AbstractModel):
    """Records a channel refund on its order and, when the order is
    invoiced, drafts the credit note of what was refunded."""

    _name = "retail.refund.importer"
    _description = "Retail Refund Importer"

    @api.model
    def _import(self, event, refund):
        backend = event.backend_id
        Binding = self.env["retail.binding"]
        claim = Binding._claim(backend, "retail.order.refund", refund.external_id)
        Refund = self.env["retail.order.refund"]
        recorded = claim._record() or Refund.search(
            [("backend_id", "=", backend.id), ("external_id", "=", refund.external_id)], limit=1
        )
        if recorded:
            if not claim.res_id:  # recorded by Odoo's own refund export
                Binding._bind(backend, recorded, refund.external_id, binding=claim)
            return "ignored", self.env._("Refund %s is already recorded.", refund.external_id)
        binding = Binding._find(backend, "sale.order", refund.order_external_id)
        order = binding._record() if binding else self.env["sale.order"]
        if not order:
            # Refunds can overtake their order: wait for it (retried with backoff).
            raise TransientError(
                self.env._(
                    "Order %s is not in Odoo yet; the refund waits for it.",
                    refund.order_external_id,
                )
            )
        in_flight = self.env["retail.outbox"].sudo()._refunds_in_flight(backend, order)
        if in_flight:
            # It may be Odoo's own refund coming back: wait for the export's answer,
            # which records it (then this one is "already recorded").
            raise TransientError(
                self.env._(
                    "A refund sent from Odoo for %(order)s (%(notes)s) waits for the "
                    "channel's answer; refund %(refund)s waits for it.",
                    order=order.name,
                    notes=", ".join(m._record().display_name or "" for m in in_flight),
                    refund=refund.external_id,
                )
            )
        record = Refund.create(
            {
                "order_id": order.id,
                "backend_id": backend.id,
                "external_id": refund.external_id,
                "refunded_at": refund.created_at.replace(tzinfo=None),
                "amount": float(refund.amount),
                "shipping_amount": float(refund.shipping),
                "reason": refund.reason,
                "lines": [line.model_dump(mode="json") for line in refund.lines],
                "event_id": event.id,
            }
        )
        Binding._bind(backend, record, refund.external_id, binding=claim)
        outcome, reason = self._apply_credit_note(order, record, refund)
        # After the credit note: a return linked to this refund is checked against it.
        returned = self.env["retail.return.importer"]._import_from_refund(event, refund, record)
        return outcome, f"{reason} {returned}" if returned else reason

    @api.model
    def _apply_credit_note(self, order, record, refund):
        invoices = order.invoice_ids.filtered(
            lambda move: move.move_type == "out_invoice" and move.state == "posted"
        )
        if not invoices:
            return "done", self.env._(
                "Refund of %(amount)s recorded on %(order)s (not invoiced: no credit note).",
                amount=refund.amount,
                order=order.name,
            )
        credit_note, missing = self._draft_credit_note(order, invoices[:1], refund)
        record.credit_note_id = credit_note
        holds = [
            self.env._("Refunded line %s is not on the order.", line_id) for line_id in missing
        ]
        if float_compare(
            credit_note.amount_total,
            float(refund.amount),
            precision_rounding=order.currency_id.rounding,
        ):
            odoo = Decimal(str(credit_note.amount_total))
            holds.append(
                self.env._(
                    "Refund %(refund)s: the channel refunded %(channel)s, Odoo's credit note "
                    "comes to %(odoo)s (difference %(diff)s).",
                    refund=refund.external_id,
                    channel=refund.amount,
                    odoo=odoo,
                    diff=odoo - refund.amount,
                )
            )
        if holds:
            record.write({"state": "held", "hold_reason": "\n".join(holds)})
            for hold in holds:
                self.env["retail.order.importer"]._add_hold(order, hold)
            return "done", " ".join(holds)
        record.state = "credit_note"
        return "done", self.env._(
            "Credit note %(move)s drafted for refund %(refund)s.",
            move=credit_note.display_name,
            refund=refund.external_id,
        )

    @api.model
    def _draft_credit_note(self, order, invoice, refund):
        """A draft credit note of the refunded lines and shipping; returns it
        with the refunded line ids the order doesn't have."""
        lines_by_id = {
            line.retail_line_id: line for line in order.order_line if line.retail_line_id
        }
        commands = []
        missing = []
        for refund_line in refund.lines:
            sale_line = lines_by_id.get(refund_line.line_external_id)
            if not sale_line:
                missing.append(refund_line.line_external_id)
                continue
            commands.append(
                (
                    0,
                    0,
                    {
                        "product_id": sale_line.product_id.id,
                        "name": sale_line.name,
                        "quantity": float(refund_line.quantity),
                        "price_unit": sale_line.price_unit,
                        "discount": sale_line.discount,
                        "tax_ids": [(6, 0, sale_line.tax_ids.ids)],
                        "sale_line_ids": [(4, sale_line.id)],
                    },
                )
            )
        if refund.shipping:
            shipping_product = self.env.ref("retail_connector_base.product_retail_shipping")
            shipping_line = order.order_line.filtered(
                lambda line: line.product_id == shipping_product
            )[:1]
            commands.append(
                (
                    0,
                    0,
                    {
                        "product_id": shipping_product.id,
                        "name": self.env._("Shipping refund"),
                        "quantity": 1,
                        "price_unit": float(refund.shipping),
                        "tax_ids": [(6, 0, shipping_line.tax_ids.ids)],
                    },
                )
            )
        credit_note = (
            self.env["account.move"]
            .with_company(order.company_id)
            .create(
                {
                    "move_type": "out_refund",
                    "partner_id": invoice.partner_id.id,
                    "currency_id": order.currency_id.id,
                    "invoice_origin": order.name,
                    "reversed_entry_id": invoice.id,
                    "ref": self.env._(
                        "Channel refund %(refund)s%(reason)s",
                        refund=refund.external_id,
                        reason=f": {refund.reason}" if refund.reason else "",
                    ),
                    "invoice_line_ids": commands,
                }
            )
        )
        return credit_note, missing
