from odoo import api, models

from ..exceptions import PermanentError

# Bindings of applied counts: (backend, this model, "inventory/<location id>/<sku>").
COUNT_MODEL = "product.product"


class RetailInventoryImporter(models.AbstractModel):
    """A warehouse system tells Odoo what it counted of a SKU (canonical
    ``InventoryLevel``): the count is applied at the backend warehouse's
    stock location (or the location named by ``location_code``) through
    Odoo's inventory adjustment (``inventory_quantity`` then apply).

    Out-of-order safe: a count older than the last one applied for that SKU
    and location is ignored (the binding keeps the last ``updated_at``).
    """

    _name = "retail.inventory.importer"
    _description = "Retail Inventory Importer"

    @api.model
    def _import(self, event, level):
        backend = event.backend_id
        if level.available < 0:
            raise PermanentError(
                self.env._("A counted quantity can't be negative (%s).", level.available),
                path="data.available",
            )
        product = self._find_product(backend, level.sku)
        location = self._find_location(backend, level.location_code)
        Binding = self.env["retail.binding"]
        key = f"inventory/{location.id}/{level.sku}"
        binding = Binding._claim(backend, COUNT_MODEL, key)
        counted_at = level.updated_at and level.updated_at.replace(tzinfo=None)
        if binding.external_updated_at and counted_at and counted_at <= binding.external_updated_at:
            return "ignored", self.env._(
                "Count of %(sku)s at %(location)s from %(at)s is older than the one applied "
                "(%(applied)s).",
                sku=level.sku,
                location=location.complete_name,
                at=counted_at,
                applied=binding.external_updated_at,
            )
        before = self._apply_count(product, location, level.available)
        Binding._bind(backend, product, key, level.updated_at, event, binding=binding)
        return "done", self.env._(
            "%(sku)s at %(location)s counted %(count)s (was %(before)s).",
            sku=level.sku,
            location=location.complete_name,
            count=level.available,
            before=before,
        )

    @api.model
    def _find_product(self, backend, sku):
        products = self.env["product.product"].search(
            [
                ("default_code", "=", sku),
                ("company_id", "in", (False, backend.company_id.id)),
            ],
            limit=2,
        )
        if not products:
            raise PermanentError(self.env._("Unknown SKU %s.", sku), path="data.sku")
        if len(products) > 1:
            raise PermanentError(
                self.env._("Several products have the SKU %s.", sku), path="data.sku"
            )
        if not products.is_storable:
            raise PermanentError(
                self.env._("%s is not tracked in stock.", products.display_name), path="data.sku"
            )
        if products.tracking != "none":
            raise PermanentError(
                self.env._(
                    "%s is tracked by lots or serial numbers: counts by lot are not taken.",
                    products.display_name,
                ),
                path="data.sku",
            )
        return products

    @api.model
    def _find_location(self, backend, code):
        company = backend.company_id
        if code:
            location = self.env["stock.location"].search(
                [
                    ("usage", "=", "internal"),
                    ("company_id", "=", company.id),
                    "|",
                    "|",
                    ("barcode", "=", code),
                    ("complete_name", "=", code),
                    ("name", "=", code),
                ],
                limit=2,
            )
            if len(location) != 1:
                raise PermanentError(
                    self.env._("No single internal location has the barcode or name %s.", code)
                    if location
                    else self.env._("Unknown location %s.", code),
                    path="data.location_code",
                )
            return location
        warehouse = backend.warehouse_id or self.env["stock.warehouse"].search(
            [("company_id", "=", company.id)], limit=1
        )
        if not warehouse:
            raise PermanentError(self.env._("The backend's company has no warehouse."))
        return warehouse.lot_stock_id

    @api.model
    def _apply_count(self, product, location, counted):
        """Apply ``counted`` as the quantity of ``product`` at ``location``
        (its quants in packages included) with an inventory adjustment;
        return the quantity before."""
        # Flagged: a count of one SKU leaves the location's inventory date
        # alone (see stock.location.write).
        Quant = self.env["stock.quant"].sudo().with_context(retail_inventory_count=True)
        quants = Quant._gather(product, location, strict=True)
        before = sum(quants.mapped("quantity"))
        loose = quants.filtered(lambda q: not q.lot_id and not q.package_id and not q.owner_id)
        target = counted - (before - sum(loose.mapped("quantity")))
        if product.uom_id.compare(before, counted) == 0:
            return before
        quant = loose[:1] or Quant.with_context(inventory_mode=True).create(
            {"product_id": product.id, "location_id": location.id}
        )
        quant.with_context(inventory_mode=True).inventory_quantity = target
        if quant.action_apply_inventory():
            # A conflict (stock moved since the count was set): the newest count wins.
            quant._apply_inventory()
            quant.inventory_quantity_set = False
        return before
