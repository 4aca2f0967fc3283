from datetime import timedelta

from odoo import api, fields, models

from ..exceptions import PermanentError

# Stock resync: how many products one chunk (one call to the channel) carries by default.
STOCK_RESYNC_CHUNK_SIZE = 250


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

    stock_resync_interval_hours = fields.Integer(
        string="Full stock resync every (hours)",
        default=24,
        help="Every this many hours, every product the channel sells gets Odoo's quantity, "
        "whatever was sent before. 0: only from the Resync stock button.",
    )
    stock_resync_status = fields.Char(
        string="Last stock resync", compute="_compute_stock_resync_status"
    )

    _stock_resync_interval_positive = models.Constraint(
        "CHECK(stock_resync_interval_hours >= 0)", "The stock resync interval can't be negative."
    )

    def _compute_stock_resync_status(self):
        Resync = self.env["retail.stock.resync"]
        for backend in self:
            backend.stock_resync_status = Resync._get_status(backend)

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

    def _export_stock_resync(self, backend, message):
        """Send one step of a full stock resync (``retail.stock.resync``):
        plan the chunks, or send one chunk through :meth:`_export_stock_levels`."""
        return self.env["retail.stock.resync"]._send(self, message)

    def _export_stock_levels(self, levels, message):
        """Hook: set the channel's available quantity of many products in one
        or few calls (a chunk of a full resync).

        :param levels: dicts ``{"product", "sku", "quantity", "ref"}``: the
            whole units available now, and the channel reference that
            :meth:`_get_stock_resync_products` gave (``None`` if none)
        :return: a short text of what the channel answered
        """
        raise PermanentError(f"Channel {self.code} does not take stock levels in bulk")

    def _get_stock_resync_products(self):
        """Hook: the products a full resync sets on the channel, as
        ``{product: channel reference}`` (a JSON value handed back to
        :meth:`_export_stock_levels`, ``None`` when the SKU is enough).

        By default: the storable products with a SKU the channel has sold
        (lines of its orders) or that are bound to it.
        """
        self.ensure_one()
        Product = self.env["product.product"].with_context(active_test=False)
        sold = (
            self.env["sale.order.line"]
            .sudo()
            ._read_group(
                [("order_id.retail_backend_id", "=", self.id), ("product_id", "!=", False)],
                ["product_id"],
            )
        )
        bound = (
            self.env["retail.binding"]
            .sudo()
            .search([("backend_id", "=", self.id), ("res_model", "=", "product.product")])
        )
        products = Product.browse({p.id for (p,) in sold} | set(bound.mapped("res_id")))
        products = products.exists().filtered(lambda p: p.is_storable and p.default_code)
        return dict.fromkeys(products.sorted("id"))

    def _get_stock_resync_chunk_size(self):
        """Hook: how many products one call of :meth:`_export_stock_levels` takes."""
        return STOCK_RESYNC_CHUNK_SIZE

    def action_stock_resync(self):
        """Queue a full stock resync (a batch-tier job: it waits while the
        backend is paused)."""
        self.check_access("write")
        for backend in self.filtered(lambda b: b.export_stock and b.support_stock_export):
            self.env["retail.stock.resync"]._queue(backend)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"type": "success", "message": self.env._("Stock resync queued.")},
        }

    @api.model
    def _cron_stock_resync(self):
        """Queue the full stock resync of each backend exporting stock whose
        interval has passed."""
        Resync = self.env["retail.stock.resync"]
        now = fields.Datetime.now()
        for company in self.search([("export_stock", "=", True)]).company_id:
            for backend in self._get_stock_export_backends(company):
                hours = backend.stock_resync_interval_hours
                last = Resync._get_last_queued_at(backend)
                if hours and (not last or last <= now - timedelta(hours=hours)):
                    Resync._queue(backend)

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
