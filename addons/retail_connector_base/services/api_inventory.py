import math
from datetime import UTC

from odoo import api, models
from odoo.tools import SQL

from .. import schemas
from ..channel_api.models import InventoryAnswer
from ..channel_api.problems import ApiProblem

MAX_SKUS = 200


class RetailApiInventory(models.AbstractModel):
    """The Channel API's stock: what a channel may sell per SKU and
    warehouse, the free quantity ``retail.backend._get_available_quantity``
    exports, read for many SKUs in one query.

    Not cached: a channel asks right before it sells, and one indexed
    query answers 50 SKUs in a few milliseconds (``make bench-api``).

    Runs as the key's technical user: the warehouses are those it may read
    (its company's); the quantities come from one SQL statement over its
    company's products in those warehouses, read-only.
    """

    _name = "retail.api.inventory"
    _description = "Retail Channel API: Inventory"

    @api.model
    def _levels(self, backend, skus):
        skus = list(dict.fromkeys(sku.strip() for sku in skus if sku and sku.strip()))
        if not skus:
            raise ApiProblem(400, "missing-criteria", "Missing criteria", "Give at least one sku.")
        if len(skus) > MAX_SKUS:
            raise ApiProblem(
                422,
                "validation",
                "Invalid request",
                errors=[{"field": "sku", "message": f"at most {MAX_SKUS} SKUs per call"}],
            )
        warehouses = backend.warehouse_id or self.env["stock.warehouse"].search(
            [("company_id", "=", backend.company_id.id)], order="sequence, id"
        )
        self.env.cr.execute(
            SQL(
                """
                WITH product AS (
                    SELECT DISTINCT ON (p.default_code) p.id, p.default_code
                      FROM product_product p
                      JOIN product_template t ON t.id = p.product_tmpl_id
                     WHERE p.default_code IN %(skus)s AND p.active
                       AND (t.company_id IS NULL OR t.company_id = %(company)s)
                     ORDER BY p.default_code, p.id
                )
                SELECT product.default_code, l.warehouse_id,
                       SUM(q.quantity - q.reserved_quantity), MAX(q.write_date)
                  FROM product
                  LEFT JOIN stock_quant q ON q.product_id = product.id
                   AND q.location_id IN (
                        SELECT id FROM stock_location
                         WHERE usage = 'internal' AND warehouse_id IN %(warehouses)s)
                  LEFT JOIN stock_location l ON l.id = q.location_id
                 GROUP BY product.default_code, l.warehouse_id
                """,
                skus=tuple(skus),
                company=backend.company_id.id,
                warehouses=tuple(warehouses.ids) or (0,),
            )
        )
        found = {}
        for sku, warehouse_id, quantity, updated_at in self.env.cr.fetchall():
            levels = found.setdefault(sku, {})
            if warehouse_id:
                levels[warehouse_id] = (quantity or 0.0, updated_at)
        answer = []
        for sku in skus:
            if sku not in found:
                continue
            for warehouse in warehouses:
                quantity, updated_at = found[sku].get(warehouse.id, (0.0, None))
                answer.append(
                    schemas.InventoryLevel(
                        sku=sku,
                        location_code=warehouse.code,
                        available=max(math.floor(quantity + 1e-9), 0),
                        updated_at=updated_at.replace(tzinfo=UTC) if updated_at else None,
                    )
                )
        return InventoryAnswer(levels=answer, unknown_skus=[s for s in skus if s not in found])
