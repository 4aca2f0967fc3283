"""Where business events come from: the Odoo changes that cause them.

Each override lets the change happen, then records its event through
``retail.business.event._emit`` (in the same transaction; an emission
error is logged and never undoes the change). The payloads come from
``retail.business.event.payloads`` (canonical objects).
"""

from odoo import api, fields, models

# Customer fields whose change is a ``customer.updated``.
CUSTOMER_FIELDS = (
    "name",
    "email",
    "phone",
    "street",
    "street2",
    "city",
    "zip",
    "state_id",
    "country_id",
    "lang",
    "is_company",
)


def _events(env):
    return env["retail.business.event"]


def _payloads(env):
    return env["retail.business.event.payloads"].sudo()


def _emit_order(order, event_type, hold_reason=None):
    events = _events(order.env)
    if not events._sinks_configured():
        return

    def data():
        payloads = _payloads(order.env)
        return {
            "order_ref": payloads._order_ref(order.sudo()),
            "order": payloads._canonical_order(order.sudo()),
            "hold_reason": hold_reason,
        }

    events._emit(event_type, order, data, backend=order.retail_backend_id)


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def action_confirm(self):
        """Override of `sale`: ``order.confirmed``."""
        result = super().action_confirm()
        for order in self.filtered(lambda o: o.state == "sale"):
            _emit_order(order, "order.confirmed")
        return result

    def _action_cancel(self):
        """Override of `sale`: ``order.cancelled``."""
        was_cancelled = set(self.filtered(lambda o: o.state == "cancel").ids)
        result = super()._action_cancel()
        for order in self.filtered(lambda o: o.state == "cancel" and o.id not in was_cancelled):
            _emit_order(order, "order.cancelled")
        return result

    @api.model_create_multi
    def create(self, vals_list):
        """Override of `sale`: an order created on hold is ``order.held``."""
        orders = super().create(vals_list)
        for order in orders.filtered("retail_hold_reason"):
            _emit_order(order, "order.held", order.retail_hold_reason)
        return orders

    def write(self, vals):
        """Override of `sale`: ``order.held`` when a hold starts,
        ``order.released`` when it ends."""
        if "retail_hold_reason" not in vals or not _events(self.env)._sinks_configured():
            return super().write(vals)
        was_held = {order.id: bool(order.retail_hold_reason) for order in self}
        result = super().write(vals)
        for order in self:
            held = bool(order.retail_hold_reason)
            if held and not was_held[order.id]:
                _emit_order(order, "order.held", order.retail_hold_reason)
            elif was_held[order.id] and not held:
                _emit_order(order, "order.released")
        return result


class StockPicking(models.Model):
    _inherit = "stock.picking"

    retail_delivered_at = fields.Datetime(
        string="Delivered to the customer", readonly=True, copy=False
    )

    def _action_done(self):
        """Override of `stock`: ``shipment.dispatched`` for a sale's delivery."""
        result = super()._action_done()
        for picking in self._retail_sale_deliveries():
            picking._retail_emit_shipment("shipment.dispatched")
        return result

    def action_retail_mark_delivered(self):
        """The carrier delivered: ``shipment.delivered``."""
        for picking in self._retail_sale_deliveries().filtered(lambda p: not p.retail_delivered_at):
            picking.retail_delivered_at = fields.Datetime.now()
            picking._retail_emit_shipment("shipment.delivered")
        return True

    def _retail_sale_deliveries(self):
        return self.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing" and p.sale_id
        )

    def _retail_emit_shipment(self, event_type):
        events = _events(self.env)
        if not events._sinks_configured():
            return
        order = self.sale_id.sudo()
        payloads = _payloads(self.env)

        def data():
            return {
                "order": payloads._order_ref(order),
                "shipment": payloads._canonical_shipment(self.sudo()),
                "delivered_at": self.retail_delivered_at.isoformat() + "+00:00"
                if self.retail_delivered_at
                else None,
            }

        events._emit(
            event_type,
            self,
            data,
            subject=("order", str(order.id)),
            backend=order.retail_backend_id,
        )


class StockQuant(models.Model):
    _inherit = "stock.quant"

    def _apply_inventory(self, *args, **kwargs):
        """Override of `stock`: ``inventory.adjusted`` per product and
        warehouse counted."""
        counted = {
            (quant.product_id, quant.location_id.warehouse_id)
            for quant in self
            if quant.product_id.default_code and quant.location_id.warehouse_id
        }
        result = super()._apply_inventory(*args, **kwargs)
        events = _events(self.env)
        if counted and events._sinks_configured():
            payloads = _payloads(self.env)
            for product, warehouse in counted:
                events._emit(
                    "inventory.adjusted",
                    product,
                    lambda p=product, w=warehouse: payloads._canonical_inventory(p, w),
                    subject=("inventory", f"{product.default_code}@{warehouse.code}"),
                    company=warehouse.company_id,
                )
        return result


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.model_create_multi
    def create(self, vals_list):
        """Override of `base`: ``customer.created`` for a customer (a
        partner without a parent)."""
        partners = super().create(vals_list)
        events = _events(self.env)
        if events._sinks_configured():
            for partner in partners.filtered(lambda p: not p.parent_id and p.active):
                partner._retail_emit_customer("customer.created")
        return partners

    def write(self, vals):
        """Override of `base`: ``customer.updated`` when a customer's name,
        contact, address or language really changed."""
        fields_written = [name for name in CUSTOMER_FIELDS if name in vals]
        if not fields_written or not _events(self.env)._sinks_configured():
            return super().write(vals)
        before = {p.id: [p[name] for name in fields_written] for p in self}
        result = super().write(vals)
        for partner in self.filtered(lambda p: not p.parent_id and p.active):
            if [partner[name] for name in fields_written] != before[partner.id]:
                partner._retail_emit_customer("customer.updated")
        return result

    def _retail_emit_customer(self, event_type, **data):
        def payload():
            return {"customer": _payloads(self.env)._canonical_customer(self.sudo()), **data}

        _events(self.env)._emit(event_type, self, payload)

    def _retail_emit_merged(self, merged_partners, merge=None):
        """``customer.merged``: ``merged_partners`` became this customer
        (called by the identity resolution's merge)."""
        if _events(self.env)._sinks_configured():
            self._retail_emit_customer(
                "customer.merged",
                merged_customer_ids=[str(p.id) for p in merged_partners],
                merge_id=str(merge.id) if merge else None,
            )


class RetailOrderRefund(models.Model):
    _inherit = "retail.order.refund"

    @api.model_create_multi
    def create(self, vals_list):
        """Override: ``refund.created``."""
        refunds = super().create(vals_list)
        events = _events(self.env)
        if events._sinks_configured():
            payloads = _payloads(self.env)
            for refund in refunds:
                order = refund.order_id
                events._emit(
                    "refund.created",
                    refund,
                    lambda o=order, r=refund: {
                        "order": payloads._order_ref(o),
                        "refund": payloads._canonical_refund(r),
                    },
                    subject=("order", str(order.id)),
                    backend=order.retail_backend_id,
                )
        return refunds


class RetailOrderReturn(models.Model):
    _inherit = "retail.order.return"

    @api.model_create_multi
    def create(self, vals_list):
        """Override: a return recorded as received is ``return.received``."""
        returns = super().create(vals_list)
        returns.filtered(lambda r: r.state == "received")._retail_emit_received()
        return returns

    def write(self, vals):
        """Override: ``return.received`` when the goods arrive back."""
        if vals.get("state") != "received":
            return super().write(vals)
        waiting = self.filtered(lambda r: r.state != "received")
        result = super().write(vals)
        waiting._retail_emit_received()
        return result

    def _retail_emit_received(self):
        events = _events(self.env)
        if not self or not events._sinks_configured():
            return
        payloads = _payloads(self.env)
        for record in self:
            order = record.order_id
            events._emit(
                "return.received",
                record,
                lambda o=order, r=record: {
                    "order": payloads._order_ref(o),
                    "return": payloads._canonical_return(r.sudo()),
                },
                subject=("order", str(order.id)),
                backend=order.retail_backend_id,
            )
