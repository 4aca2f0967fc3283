from datetime import UTC

from odoo import api, models
from odoo.tools import float_repr

from .. import schemas

SHIPPING_PRODUCT = "retail_connector_base.product_retail_shipping"
DISCOUNT_PRODUCT = "retail_connector_base.product_retail_discount"


def _text(value):
    """An Odoo char value (``False`` when empty) as text or ``None``."""
    return value or None


def _aware(value):
    """An Odoo datetime (naive UTC) as an aware one."""
    return value.replace(tzinfo=UTC) if value else None


class RetailBusinessEventPayloads(models.AbstractModel):
    """Odoo records → canonical objects (``schemas.py``): what business
    events carry, so subscribers never see Odoo field names. Each object's
    ``external_id`` is Odoo's id (channels' own ids ride in ``extra``)."""

    _name = "retail.business.event.payloads"
    _description = "Retail Business Event Payloads"

    def _money(self, amount, currency):
        return float_repr(currency.round(amount), currency.decimal_places)

    @api.model
    def _canonical_address(self, partner):
        if not partner:
            return None
        first, _sep, last = (partner.name or "").rpartition(" ")
        return schemas.Address(
            first_name=first or None,
            last_name=last or None,
            company=partner.parent_id.name if partner.parent_id else None,
            street=_text(partner.street),
            street2=_text(partner.street2),
            city=_text(partner.city),
            state_code=partner.state_id.code or None,
            zip=_text(partner.zip),
            country_code=partner.country_id.code or None,
            phone=_text(partner.phone),
            email=_text(partner.email),
        )

    @api.model
    def _canonical_customer(self, partner):
        partner = partner.commercial_partner_id if partner.parent_id else partner
        first, _sep, last = (partner.name or "").rpartition(" ")
        bindings = partner.sudo().retail_binding_ids if "retail_binding_ids" in partner else []
        return schemas.Customer(
            external_id=str(partner.id),
            email=_text(partner.email),
            phone=_text(partner.phone),
            first_name=None if partner.is_company else (first or None),
            last_name=None if partner.is_company else (last or partner.name),
            company_name=partner.name if partner.is_company else None,
            is_company=partner.is_company,
            lang=_text(partner.lang),
            default_address=self._canonical_address(partner),
            updated_at=_aware(partner.write_date),
            extra={
                "channel_ids": [
                    {"backend_id": b.backend_id.id, "external_id": b.external_id} for b in bindings
                ],
            },
        )

    @api.model
    def _canonical_tax_lines(self, line, currency):
        if not line.tax_ids or not line.price_tax:
            return []
        rate = sum(t.amount for t in line.tax_ids if t.amount_type == "percent") / 100
        return [
            schemas.TaxLine(
                title=", ".join(line.tax_ids.mapped("name")),
                rate=f"{min(max(rate, 0), 1):.8f}",
                amount=self._money(line.price_tax, currency),
            )
        ]

    @api.model
    def _canonical_order(self, order):
        """The order in canonical form, ``None`` while it has no goods line."""
        currency = order.currency_id
        shipping_product = self.env.ref(SHIPPING_PRODUCT, raise_if_not_found=False)
        discount_product = self.env.ref(DISCOUNT_PRODUCT, raise_if_not_found=False)
        lines, shipping, discounts = [], [], []
        taxes_included = any(
            t.price_include for t in order.order_line.tax_ids if t.amount_type == "percent"
        )
        for line in order.order_line.filtered(lambda line: not line.display_type):
            if line.product_id == shipping_product or getattr(line, "is_delivery", False):
                shipping.append(
                    schemas.ShippingLine(
                        title=line.name or "Shipping",
                        price=self._money(max(line.price_subtotal, 0), currency),
                        tax_lines=self._canonical_tax_lines(line, currency),
                    )
                )
            elif line.product_id == discount_product or line.price_unit < 0:
                discounts.append(
                    schemas.DiscountLine(
                        title=line.name or "Discount",
                        amount=self._money(abs(line.price_subtotal), currency),
                        tax_lines=self._canonical_tax_lines(line, currency),
                    )
                )
            elif line.product_uom_qty > 0:
                lines.append(
                    schemas.OrderLine(
                        external_id=str(line.id),
                        sku=_text(line.product_id.default_code),
                        barcode=_text(line.product_id.barcode),
                        name=line.name or line.product_id.display_name,
                        quantity=f"{line.product_uom_qty:.6f}",
                        unit_price=self._money(line.price_unit, currency),
                        discount=self._money(
                            line.price_unit * line.product_uom_qty * line.discount / 100,
                            currency,
                        ),
                        tax_lines=self._canonical_tax_lines(line, currency),
                        extra={"channel_line_id": line.retail_line_id or None},
                    )
                )
        if not lines:
            return None
        return schemas.Order(
            external_id=str(order.id),
            name=order.name,
            created_at=_aware(order.create_date),
            updated_at=_aware(order.write_date),
            currency=currency.name,
            taxes_included=taxes_included,
            customer=self._canonical_customer(order.partner_id) if order.partner_id else None,
            email=_text(order.partner_id.email),
            phone=_text(order.partner_id.phone),
            billing_address=self._canonical_address(order.partner_invoice_id),
            shipping_address=self._canonical_address(order.partner_shipping_id),
            lines=lines,
            shipping_lines=shipping,
            discount_lines=discounts,
            totals=schemas.Totals(
                untaxed=self._money(order.amount_untaxed, currency),
                tax=self._money(order.amount_tax, currency),
                total=self._money(order.amount_total, currency),
            ),
            payment_state=order.retail_payment_state or schemas.PaymentState.PENDING,
            channel_status=_text(order.retail_channel_status),
            note=None,
            extra={
                "state": order.state,
                "channel_order_id": order.retail_external_id or None,
                "backend_id": order.retail_backend_id.id or None,
            },
        )

    @api.model
    def _order_ref(self, order):
        return {
            "id": str(order.id),
            "name": order.name,
            "external_id": order.retail_external_id or None,
            "backend_id": order.retail_backend_id.id or None,
        }

    @api.model
    def _canonical_shipment(self, picking):
        carrier = picking.carrier_id.name if "carrier_id" in picking else None
        return schemas.Shipment(
            external_id=str(picking.id),
            order_external_id=str(picking.sale_id.id),
            carrier=carrier or None,
            tracking_number=getattr(picking, "carrier_tracking_ref", None) or None,
            lines=[
                schemas.ShipmentLine(
                    line_external_id=str(move.sale_line_id.id),
                    quantity=f"{move.quantity:.6f}",
                )
                for move in picking.move_ids
                if move.state == "done" and move.sale_line_id and move.quantity > 0
            ],
            shipped_at=_aware(picking.date_done),
            extra={"name": picking.name},
        )

    @api.model
    def _canonical_refund(self, refund):
        currency = refund.order_id.currency_id
        lines = []
        for line in refund.lines or []:
            if isinstance(line, dict):
                try:
                    lines.append(schemas.RefundLine.model_validate(line))
                except ValueError:
                    continue
        return schemas.Refund(
            external_id=str(refund.id),
            order_external_id=str(refund.order_id.id),
            created_at=_aware(refund.refunded_at or refund.create_date),
            lines=lines,
            shipping=self._money(refund.shipping_amount, currency),
            amount=self._money(refund.amount, currency),
            reason=_text(refund.reason),
            extra={
                "channel_refund_id": refund.external_id,
                "credit_note": refund.credit_note_id.name or None,
                "state": refund.state,
            },
        )

    @api.model
    def _canonical_return(self, record):
        return schemas.Return(
            external_id=str(record.id),
            order_external_id=str(record.order_id.id),
            created_at=_aware(record.returned_at or record.create_date),
            lines=[
                schemas.ReturnLine(
                    line_external_id=str(line.sale_line_id.id or line.line_external_id),
                    quantity=f"{line.quantity:.6f}",
                    reason=_text(line.reason),
                    condition=line.condition or None,
                    restock=line.restock,
                )
                for line in record.line_ids
                if line.quantity > 0
            ],
            refund_amount=(
                self._money(record.refund_amount, record.currency_id)
                if record.refund_amount
                else None
            ),
            received=True,
            received_at=_aware(record.received_at) or _aware(record.write_date),
            reason=_text(record.reason),
            extra={"channel_return_id": record.external_id},
        )

    @api.model
    def _canonical_inventory(self, product, warehouse):
        available = product.with_context(warehouse_id=warehouse.id).free_qty
        return {
            "level": schemas.InventoryLevel(
                sku=product.default_code,
                location_code=warehouse.code,
                available=int(available),
                updated_at=schemas.utcnow(),
            ),
            "warehouse": warehouse.code,
        }
