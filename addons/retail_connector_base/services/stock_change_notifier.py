from collections import defaultdict

from odoo import api, models

# Where a transaction gathers the (product, location) pairs whose stock changed.
PRECOMMIT_KEY = "retail_connector_base.stock_changed"


class RetailStockChangeNotifier(models.AbstractModel):
    """Owes stock-exporting backends the new level of every product whose
    available quantity changed, whatever changed it.

    Every change of what is available to sell is a change of a quant's
    quantity or reservation (``stock.quant`` override). The pairs are
    gathered in memory during the transaction and written to the outbox once,
    just before commit (the cursor's precommit hooks): one coalesced ``stock``
    message per product and backend per transaction, however many move lines
    changed it. A savepoint rolled back drops what it gathered.
    """

    _name = "retail.stock.change.notifier"
    _description = "Retail Stock Change Notifier"

    @api.model
    def _note_quants(self, quants):
        """Remember that the stock of ``quants`` changed in this transaction."""
        if not quants:
            return
        pairs = {(quant.product_id.id, quant.location_id.id) for quant in quants}
        precommit = self.env.cr.precommit
        pending = precommit.data.get(PRECOMMIT_KEY)
        if pending is None:
            pending = precommit.data[PRECOMMIT_KEY] = set()
            # Run at commit as superuser with a clean context (not the
            # context of the first change: active_test=False, a company...).
            precommit.add(self.sudo().with_context({})._flush)
        pending.update(pairs)

    @api.model
    def _flush(self):
        """Precommit hook: enqueue the stock messages of the changes gathered."""
        pairs = self.env.cr.precommit.data.pop(PRECOMMIT_KEY, None)
        if pairs:
            self._enqueue_stock_levels(pairs)

    @api.model
    def _enqueue_stock_levels(self, pairs):
        """Enqueue one ``stock`` message per product and backend concerned by
        ``pairs`` of (product id, location id): storable products with a SKU,
        in a warehouse's internal location, for the backends of the
        location's company exporting stock (of that warehouse, when they
        have one)."""
        products = self.env["product.product"].browse({p for p, _l in pairs})
        sellable = set(products.filtered(lambda p: p.is_storable and p.default_code).ids)
        locations = self.env["stock.location"].browse({loc for _p, loc in pairs})
        warehouse_of = {
            location.id: location.warehouse_id
            for location in locations
            if location.usage == "internal" and location.warehouse_id
        }
        by_company = defaultdict(set)  # company → {(product id, warehouse id)}
        for product_id, location_id in pairs:
            warehouse = warehouse_of.get(location_id)
            if warehouse and product_id in sellable:
                by_company[warehouse.company_id].add((product_id, warehouse.id))
        Outbox = self.env["retail.outbox"]
        Backend = self.env["retail.backend"]
        for company, items in by_company.items():
            for backend in Backend._get_stock_export_backends(company):
                product_ids = sorted(
                    {
                        product_id
                        for product_id, warehouse_id in items
                        if not backend.warehouse_id or backend.warehouse_id.id == warehouse_id
                    }
                )
                for product in products.browse(product_ids):
                    Outbox._enqueue(
                        backend,
                        "stock",
                        product,
                        dedup_key=f"stock/{product.id}",
                        delay=backend.stock_export_delay,
                    )
