from typing import NamedTuple

from odoo import api, models

from ..exceptions import PermanentError

# Bindings of applied counts: (backend, this model, "inventory/<location id>/<sku>").
COUNT_MODEL = "product.product"


class Count(NamedTuple):
    """A count checked and ready to apply (:meth:`RetailInventoryImporter._prepare`)."""

    event: object  # the retail.event
    level: object  # the canonical InventoryLevel
    product: object
    location: object
    key: str  # the binding's external id
    binding: object  # claimed: locked for this transaction
    counted_at: object  # naive UTC datetime, or None


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
        """Apply one count; return ``(state, reason)``."""
        return self._apply_counts([self._prepare(event, level)])[0]

    @api.model
    def _prepare(self, event, level, claims=None):
        """Check one count and claim its binding; return it as a :class:`Count`.

        :param claims: the bindings claimed so far by key, shared by the counts
            of one batch (a key is claimed once)
        :raise PermanentError: for a count that can't be applied
        """
        backend = event.backend_id
        if level.available < 0:
            raise PermanentError(
                self.env._("A counted quantity can't be negative (%s).", level.available),
                path="data.available",
            )
        product = self._find_product(backend, level.sku)
        location = self._find_location(backend, level.location_code)
        key = f"inventory/{location.id}/{level.sku}"
        claims = {} if claims is None else claims
        if key not in claims:
            claims[key] = self.env["retail.binding"]._claim(backend, COUNT_MODEL, key)
        counted_at = level.updated_at and level.updated_at.replace(tzinfo=None)
        return Count(event, level, product, location, key, claims[key], counted_at)

    @api.model
    def _apply_counts(self, counts):
        """Apply ``counts`` (of one backend, prepared, in arrival order)
        together; return the ``(state, reason)`` of each.

        As if applied one after the other: a count older than the last one
        applied for its SKU and location (before or earlier in ``counts``) is
        ignored; of several counts of one SKU and location the last one is
        applied, the earlier ones are done and say which count replaced them.
        The quantities are applied in one inventory adjustment.
        """
        outcomes = [None] * len(counts)
        applied_at, last = {}, {}
        for index, count in enumerate(counts):
            previous = applied_at.get(count.key, count.binding.external_updated_at)
            if previous and count.counted_at and count.counted_at <= previous:
                outcomes[index] = (
                    "ignored",
                    self.env._(
                        "Count of %(sku)s at %(location)s from %(at)s is older than the one "
                        "applied (%(applied)s).",
                        sku=count.level.sku,
                        location=count.location.complete_name,
                        at=count.counted_at,
                        applied=previous,
                    ),
                )
                continue
            if count.key in last:
                earlier = counts[last[count.key]]
                outcomes[last[count.key]] = (
                    "done",
                    self.env._(
                        "%(sku)s at %(location)s counted %(count)s, replaced by the later count "
                        "of event %(event)s applied with it.",
                        sku=earlier.level.sku,
                        location=earlier.location.complete_name,
                        count=earlier.level.available,
                        event=count.event.id,
                    ),
                )
            last[count.key] = index
            applied_at[count.key] = count.counted_at
        final = [counts[index] for index in last.values()]
        befores = self._apply_levels(
            [(count.product, count.location, count.level.available) for count in final]
        )
        Binding = self.env["retail.binding"]
        for count, before in zip(final, befores, strict=True):
            Binding._bind(
                count.event.backend_id,
                count.product,
                count.key,
                count.level.updated_at,
                count.event,
                binding=count.binding,
            )
            outcomes[last[count.key]] = (
                "done",
                self.env._(
                    "%(sku)s at %(location)s counted %(count)s (was %(before)s).",
                    sku=count.level.sku,
                    location=count.location.complete_name,
                    count=count.level.available,
                    before=before,
                ),
            )
        return outcomes

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
    def _apply_levels(self, levels):
        """Apply each ``(product, location, counted)`` of ``levels`` (one per
        product and location) as the quantity of the product at the location
        (its quants in packages, lots or owned by others left as they are),
        with one inventory adjustment; return the quantities before."""
        if not levels:
            return []
        # Flagged: a count of one SKU leaves the location's inventory date
        # alone (see stock.location.write).
        Quant = self.env["stock.quant"].sudo().with_context(retail_inventory_count=True)
        loose = {}  # (product, location): its quants without lot, package or owner
        for quant in Quant.search(
            [
                ("product_id", "in", [product.id for product, _loc, _n in levels]),
                ("location_id", "in", [location.id for _p, location, _n in levels]),
                ("lot_id", "=", False),
                ("package_id", "=", False),
                ("owner_id", "=", False),
            ],
            order="id",
        ):
            pair = (quant.product_id, quant.location_id)
            loose[pair] = loose.get(pair, Quant.browse()) | quant
        befores, targets, missing = [], [], []
        for product, location, counted in levels:
            quants = loose.get((product, location), Quant.browse())
            before = sum(quants.mapped("quantity"))
            befores.append(before)
            if product.uom_id.compare(before, counted) == 0:
                continue
            if quants:
                targets.append((quants[:1], counted - before + quants[:1].quantity))
            else:
                missing.append((product, location, counted))
        if missing:
            created = Quant.with_context(inventory_mode=True).create(
                [{"product_id": p.id, "location_id": loc.id} for p, loc, _n in missing]
            )
            targets += [
                (quant, counted) for quant, (_p, _l, counted) in zip(created, missing, strict=True)
            ]
        quants = Quant.browse()
        for quant, target in targets:
            quant.with_context(inventory_mode=True).inventory_quantity = target
            quants |= quant
        if quants and quants.action_apply_inventory():
            # A conflict (stock moved since the count was set): the newest count wins.
            quants._apply_inventory()
            quants.inventory_quantity_set = False
        return befores
