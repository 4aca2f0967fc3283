from odoo import fields, models


class RetailOrderRefund(models.Model):
    """A refund the channel made on one of its orders."""

    _name = "retail.order.refund"
    _description = "Channel Order Refund"
    _order = "refunded_at desc, id desc"

    order_id = fields.Many2one("sale.order", required=True, ondelete="cascade", index=True)
    backend_id = fields.Many2one("retail.backend", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="order_id.company_id", store=True)
    currency_id = fields.Many2one(related="order_id.currency_id")
    external_id = fields.Char(string="Channel refund id", required=True)
    refunded_at = fields.Datetime()
    amount = fields.Monetary(string="Refunded (channel)", help="What the channel paid back.")
    shipping_amount = fields.Monetary(string="Shipping refunded")
    reason = fields.Char()
    lines = fields.Json(string="Refunded lines", help="As the channel sent them.")
    credit_note_id = fields.Many2one("account.move", string="Credit note", readonly=True)
    credit_note_amount = fields.Monetary(related="credit_note_id.amount_total")
    state = fields.Selection(
        [
            ("recorded", "Recorded"),
            ("credit_note", "Credit note drafted"),
            ("held", "On hold"),
        ],
        required=True,
        default="recorded",
    )
    hold_reason = fields.Text()
    event_id = fields.Many2one("retail.event", readonly=True)

    _backend_external_uniq = models.Constraint(
        "UNIQUE(backend_id, external_id)", "This channel refund is already recorded."
    )

    def _record_sent(self, backend, order, credit_note, external_id, amount, shipping=0.0):
        """Record the refund ``backend``'s channel made at Odoo's request for
        ``credit_note`` (its id ``external_id``): the channel's own notice of
        it (a webhook, a poll) is then recognised as already recorded and
        drafts no second credit note. A notice recorded first is kept as it is."""
        existing = self.sudo().search(
            [("backend_id", "=", backend.id), ("external_id", "=", external_id)], limit=1
        )
        if existing:
            return existing
        return self.sudo().create(
            {
                "order_id": order.id,
                "backend_id": backend.id,
                "external_id": external_id,
                "refunded_at": fields.Datetime.now(),
                "amount": amount,
                "shipping_amount": shipping,
                "reason": self.env._("Sent from Odoo: %s", credit_note.display_name),
                "credit_note_id": credit_note.id,
                "state": "credit_note",
            }
        )
