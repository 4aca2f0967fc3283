from odoo import fields, models


class SaleOrder(models.Model):
    """A marketplace order's acceptance, as ``retail.mirakl.acceptance``
    records it."""

    _inherit = "sale.order"

    mirakl_acceptance = fields.Selection(
        [
            ("pending", "Waiting for our decision"),
            ("accepted", "Accepted"),
            ("partial", "Partly accepted"),
            ("refused", "Refused by us"),
            ("auto_refused", "Refused by the marketplace (deadline missed)"),
            ("error", "Acceptance failed"),
        ],
        string="Marketplace acceptance",
        copy=False,
        readonly=True,
        help="Our OR21 decision; it is sent once per order.",
    )
    mirakl_acceptance_note = fields.Text(string="Acceptance decision", copy=False, readonly=True)
    mirakl_acceptance_deadline = fields.Datetime(
        string="Acceptance deadline", copy=False, readonly=True
    )
    mirakl_deadline_warned = fields.Boolean(copy=False, readonly=True)
