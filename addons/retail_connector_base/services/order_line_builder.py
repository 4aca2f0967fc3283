from odoo import api, models
from odoo.tools import float_compare, float_is_zero


class RetailOrderLineBuilder(models.AbstractModel):
    """Turns a canonical order's lines into ``sale.order.line`` values: the
    product of each line (by SKU, then barcode), its taxes, shipping and
    discount lines, and the holds they raise (an unknown SKU, a missing tax)."""

    _name = "retail.order.line.builder"
    _description = "Retail Order Line Builder"

    @api.model
    def _line_commands(self, backend, order):
        """``order_line`` create commands and the holds the lines raise."""
        holds = []
        commands = []
        taxes = self.env["retail.tax.matcher"]
        for line in order.lines:
            product = self._find_product(backend, line)
            if not product:
                holds.append(
                    self.env._(
                        "Unknown SKU %(sku)s (%(name)s): create the product, then retry.",
                        sku=line.sku or line.barcode or "-",
                        name=line.name,
                    )
                )
                commands.append(self._note_command(line))
                continue
            tax_ids, tax_hold = taxes._match(backend, line.tax_lines, order.taxes_included)
            if tax_hold:
                holds.append(tax_hold)
            commands.append(
                (0, 0, self._line_values(product, line, tax_ids, retail_line_id=line.external_id))
            )
        for shipping in order.shipping_lines:
            tax_ids, tax_hold = taxes._match(backend, shipping.tax_lines, order.taxes_included)
            if tax_hold:
                holds.append(tax_hold)
            product = self.env.ref("retail_connector_base.product_retail_shipping")
            commands.append(
                (
                    0,
                    0,
                    {
                        "product_id": product.id,
                        "name": shipping.title,
                        "product_uom_qty": 1,
                        "price_unit": float(shipping.price),
                        "discount": discount_percent(shipping.price, shipping.discount),
                        "tax_ids": [(6, 0, tax_ids)],
                    },
                )
            )
        for discount in order.discount_lines:
            tax_ids, tax_hold = taxes._match(backend, discount.tax_lines, order.taxes_included)
            if tax_hold:
                holds.append(tax_hold)
            product = self.env.ref("retail_connector_base.product_retail_discount")
            commands.append(
                (
                    0,
                    0,
                    {
                        "product_id": product.id,
                        "name": discount.title,
                        "product_uom_qty": 1,
                        "price_unit": -float(discount.amount),
                        "tax_ids": [(6, 0, tax_ids)],
                    },
                )
            )
        return commands, holds

    @api.model
    def _line_values(self, product, line, tax_ids, **extra):
        return {
            "product_id": product.id,
            "name": line.name,
            "product_uom_qty": float(line.quantity),
            "price_unit": float(line.unit_price),
            "discount": discount_percent(line.unit_price * line.quantity, line.discount),
            "tax_ids": [(6, 0, tax_ids)],
            **extra,
        }

    @api.model
    def _note_command(self, line):
        return (
            0,
            0,
            {
                "display_type": "line_note",
                "name": self.env._(
                    "Unknown SKU %(sku)s: %(qty)s x %(name)s at %(price)s",
                    sku=line.sku or line.barcode or "-",
                    qty=line.quantity,
                    name=line.name,
                    price=line.unit_price,
                ),
                "retail_line_id": line.external_id,
            },
        )

    @api.model
    def _find_product(self, backend, line):
        """The product a line sells: by SKU (internal reference), then barcode."""
        Product = self.env["product.product"].with_context(active_test=True)
        company_domain = [("company_id", "in", (False, backend.company_id.id))]
        for field_name, value in (
            ("default_code", line.sku),
            ("barcode", line.barcode or line.sku),
        ):
            if not value:
                continue
            product = Product.search([(field_name, "=", value), *company_domain], limit=1)
            if product:
                return product
        if backend.create_missing_products and line.sku:
            return Product.create(
                {
                    "name": line.name,
                    "default_code": line.sku,
                    "type": "consu",
                    "list_price": float(line.unit_price),
                    "company_id": False,
                }
            )
        return Product

    @api.model
    def _same_line_terms(self, sale_line, line):
        """Whether the channel's ``line`` still sells what ``sale_line`` does,
        at the same unit price and discount rate (whatever the quantity)."""
        if float_compare(float(line.unit_price), sale_line.price_unit, precision_digits=6):
            return False
        discount = discount_percent(line.unit_price * line.quantity, line.discount)
        if float_compare(discount, sale_line.discount, precision_digits=2):
            return False
        product = sale_line.product_id
        return not (
            sale_line.display_type != "line_note"
            and line.sku
            and line.sku not in (product.default_code, product.barcode)
        )


def discount_percent(gross, discount):
    """Line discount as Odoo's percentage."""
    if not gross or float_is_zero(float(discount), precision_digits=6):
        return 0.0
    return float(discount * 100 / gross)
