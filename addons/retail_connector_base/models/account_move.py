from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        """Override of `account`: owe the channel the refunds decided in Odoo
        (credit notes of channel orders; not those drafted from the channel's
        own refunds)."""
        posted = super()._post(soft=soft)
        credit_notes = posted.filtered(lambda move: move.move_type == "out_refund")
        if not credit_notes:
            return posted
        from_channel = (
            self.env["retail.order.refund"]
            .sudo()
            .search([("credit_note_id", "in", credit_notes.ids)])
            .credit_note_id
        )
        Outbox = self.env["retail.outbox"].sudo()
        for move in credit_notes - from_channel:
            orders = move.invoice_line_ids.sale_line_ids.order_id.filtered("retail_backend_id")
            for backend in orders.retail_backend_id.filtered("support_refund_export"):
                # Posted again after a reset to draft: owed once, unless the
                # channel refused it (a failed message may be sent anew).
                owed = Outbox.search_count(
                    [
                        ("backend_id", "=", backend.id),
                        ("kind", "=", "refund"),
                        ("res_model", "=", move._name),
                        ("res_id", "=", move.id),
                        ("state", "in", ("pending", "done", "dead")),
                    ],
                    limit=1,
                )
                if not owed:
                    Outbox._enqueue(backend, "refund", move)
        return posted
