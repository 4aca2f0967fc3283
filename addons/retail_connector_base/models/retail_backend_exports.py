from odoo import fields, models

from ..exceptions import PermanentError


class RetailBackendExports(models.AbstractModel):
    """What Odoo sends a backend's channel (``retail.outbox``): the switches,
    and the hooks a channel module implements. Inherited by
    ``retail.backend`` only."""

    _name = "retail.backend.exports"
    _description = "Retail Backend Exports"

    export_fulfillment = fields.Boolean(
        string="Send deliveries to the channel",
        default=True,
        help="When a delivery of a channel order is done, send its quantities and tracking.",
    )
    export_stock = fields.Boolean(
        string="Send stock levels to the channel",
        help="Send each product's available quantity in the backend's warehouse when it changes.",
    )
    stock_export_delay = fields.Integer(
        string="Stock sent after (seconds)",
        default=30,
        help="Changes of one product within this delay become one call with the latest quantity.",
    )

    def _export(self, message, record):
        """Send outbox ``message`` about ``record`` to the channel; return a
        short text of what the channel answered."""
        self.ensure_one()
        return getattr(self, f"_export_{message.kind}")(record, message)

    def _export_fulfillment(self, picking, message):
        """Hook: tell the channel what ``picking`` delivered (quantities, tracking)."""
        raise PermanentError(f"Channel {self.code} does not take deliveries")

    def _export_stock(self, product, message):
        """Hook: tell the channel how many ``product`` are available to sell."""
        raise PermanentError(f"Channel {self.code} does not take stock levels")

    def _export_cancellation(self, order, message):
        """Hook: tell the channel that Odoo cancelled ``order``."""
        raise PermanentError(f"Channel {self.code} does not take cancellations")

    def _export_refund(self, credit_note, message):
        """Hook: ask the channel to refund what ``credit_note`` credits."""
        raise PermanentError(f"Channel {self.code} does not take refunds")

    def _get_available_quantity(self, product):
        """What the channel may sell of ``product``: free stock of the
        backend's warehouse (all warehouses of the company without one)."""
        self.ensure_one()
        context = {"warehouse_id": self.warehouse_id.id} if self.warehouse_id else {}
        return product.with_company(self.company_id).with_context(**context).free_qty

    def _get_stock_export_backends(self, company):
        """The backends of ``company`` that want stock levels: active ones,
        and paused ones (their messages wait for the activation)."""
        return self.search(
            [
                ("state", "in", ("active", "paused")),
                ("export_stock", "=", True),
                ("company_id", "=", company.id),
            ]
        ).filtered("support_stock_export")
