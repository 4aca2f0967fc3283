import hashlib
import json

from odoo import api, models

ORDER_MODEL = "sale.order"


class RetailOrderImporter(models.AbstractModel):
    """Turns a canonical order into a ``sale.order``: created, updated,
    confirmed, cancelled or held with a reason a person can act on.

    Whatever the channel, orders reach Odoo only through here.
    """

    _name = "retail.order.importer"
    _description = "Retail Order Importer"

    @api.model
    def _import(self, event, order):
        """Apply canonical ``order`` from ``event``; return ``(state, reason)``."""
        backend = event.backend_id
        Binding = self.env["retail.binding"]
        binding = Binding._claim(backend, ORDER_MODEL, order.external_id)
        sale_order = binding._record()
        if sale_order and binding.external_updated_at:
            applied = binding.external_updated_at
            incoming = order.updated_at.replace(tzinfo=None)
            if incoming < applied:
                return "ignored", self.env._(
                    "Stale: the channel's update of %(incoming)s is older than the one "
                    "applied (%(applied)s).",
                    incoming=incoming,
                    applied=applied,
                )
            if incoming == applied and not self.env.context.get("retail_reimport"):
                return "ignored", self.env._("Already applied: same channel update time.")
        if sale_order:
            reason = self._update_order(event, sale_order, order)
        else:
            sale_order = self._create_order(event, order)
            reason = self.env._("Order %s created.", sale_order.name)
        Binding._bind(
            backend, sale_order, order.external_id, order.updated_at, event, binding=binding
        )
        sale_order.retail_last_event_id = event
        if sale_order.retail_hold_reason:
            reason = self.env._(
                "%(reason)s On hold: %(hold)s", reason=reason, hold=sale_order.retail_hold_reason
            )
        return "done", reason

    # Creation

    @api.model
    def _create_order(self, event, order):
        backend = event.backend_id
        values, holds = self._order_values(backend, order, event=event)
        values.update(
            {
                "retail_backend_id": backend.id,
                "retail_external_id": order.external_id,
                "client_order_ref": order.name or order.external_id,
                "date_order": order.created_at.replace(tzinfo=None),
                "fiscal_position_id": False,
            }
        )
        lines, line_holds = self.env["retail.order.line.builder"]._line_commands(backend, order)
        values["order_line"] = lines
        values["retail_lines_signature"] = lines_signature(order)
        holds += line_holds
        sale_order = (
            self.env[ORDER_MODEL]
            .with_company(backend.company_id)
            .with_context(mail_create_nolog=True)
            .create(values)
        )
        self._settle(sale_order, order, holds)
        return sale_order

    @api.model
    def _settle(self, sale_order, order, holds):
        """Walk the order through its backend's flow (``retail.order.flow``):
        the checks (the totals among them, compared only when nothing else
        is wrong), then confirm; or cancel, or hold with a reason."""
        self.env["retail.order.flow"]._start(sale_order, order, holds)

    @api.model
    def _channel_holds(self, sale_order, order):
        """Hook: reasons a channel has to keep ``sale_order`` from being
        confirmed (e.g. a pending fraud analysis). Channel modules override
        it for their own backends and add to ``super()``'s list."""
        return []

    @api.model
    def _order_values(self, backend, order, event=None):
        """Header values of the sale order and the holds they raise; ``event``
        (the one applied) is handed to the customer's resolution."""
        holds = []
        resolver = self.env["retail.partner.resolver"]
        customer = resolver._customer_of_order(order)
        partner = resolver._resolve(backend, customer, event=event)
        invoice = resolver._resolve_address(backend, partner, order.billing_address, "invoice")
        shipping = resolver._resolve_address(
            backend, partner, order.shipping_address or order.billing_address, "delivery"
        )
        pricelist, currency_hold = self._pricelist(backend, order.currency)
        if currency_hold:
            holds.append(currency_hold)
        values = {
            "partner_id": partner.id,
            "partner_invoice_id": invoice.id,
            "partner_shipping_id": shipping.id,
            "company_id": backend.company_id.id,
            "retail_channel_status": order.channel_status,
            "retail_payment_state": order.payment_state.value,
            "note": order.note or False,
        }
        if pricelist:
            values["pricelist_id"] = pricelist.id
        for field_name, value in (
            ("team_id", backend.team_id),
            ("user_id", backend.user_id),
            ("warehouse_id", backend.warehouse_id),
            ("payment_term_id", backend.payment_term_id),
        ):
            if value:
                values[field_name] = value.id
        return values, holds

    @api.model
    def _pricelist(self, backend, currency_code):
        """A pricelist in the order's currency: the backend's, else any of
        the company's, else a new one. Returns ``(pricelist, hold)``."""
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", currency_code)], limit=1)
        )
        if not currency or not currency.active:
            return self.env["product.pricelist"], self.env._(
                "Currency %s is not active in Odoo: activate it, then retry.", currency_code
            )
        if backend.pricelist_id.currency_id == currency:
            return backend.pricelist_id, None
        Pricelist = self.env["product.pricelist"]
        pricelist = Pricelist.search(
            [
                ("currency_id", "=", currency.id),
                ("company_id", "in", (False, backend.company_id.id)),
            ],
            limit=1,
        )
        if not pricelist:
            pricelist = Pricelist.create(
                {
                    "name": f"{backend.name} ({currency.name})",
                    "currency_id": currency.id,
                    "company_id": backend.company_id.id,
                }
            )
        return pricelist, None

    # Updates

    @api.model
    def _update_order(self, event, sale_order, order):
        """Apply a newer version of an order already in Odoo."""
        backend = event.backend_id
        sale_order.write(
            {
                "retail_channel_status": order.channel_status,
                "retail_payment_state": order.payment_state.value,
            }
        )
        if sale_order.state == "cancel":
            return self.env._("Order %s is cancelled: status updated.", sale_order.name)
        if sale_order.state in ("draft", "sent"):
            return self._rebuild_draft(backend, sale_order, order, event=event)
        notes = []
        if order.cancelled_at:
            self._cancel(sale_order, order)
            return self.env._("Order %s cancelled on the channel.", sale_order.name)
        shipped = sale_order._retail_is_shipped()
        values, _holds = self._order_values(backend, order, event=event)
        addresses = {
            key: values[key]
            for key in ("partner_invoice_id", "partner_shipping_id")
            if sale_order[key].id != values[key]
        }
        if addresses and shipped:
            notes.append(self.env._("Address change not applied: the order has shipped."))
        elif addresses:
            sale_order.with_context(update_delivery_shipping_partner=True).write(addresses)
            notes.append(self.env._("Addresses updated."))
        if lines_signature(order) == sale_order.retail_lines_signature:
            pass
        elif (decreased := self._apply_cancelled_units(sale_order, order)) is not None:
            sale_order.retail_lines_signature = lines_signature(order)
            notes.append(decreased)
        else:
            self._add_hold(
                sale_order,
                self.env._(
                    "The channel changed the lines after confirmation: review the order "
                    "against the channel, then retry or adjust it by hand."
                ),
            )
        return " ".join([self.env._("Order %s updated.", sale_order.name), *notes])

    @api.model
    def _apply_cancelled_units(self, sale_order, order):
        """Take units the channel cancelled off a confirmed order's lines.

        Applies only when the channel's version differs by fewer units on
        lines Odoo has (a line gone is all of it cancelled) and none of them
        was delivered; the picking shrinks with the lines. Returns a note, or
        ``None`` when the lines changed otherwise (a new line, another
        product or price, more units, delivered units cancelled), for a
        person to review.
        """
        current = {line.retail_line_id: line for line in sale_order.order_line}
        current.pop(False, None)
        incoming = {line.external_id: line for line in order.lines}
        if set(incoming) - set(current) or sale_order.locked:
            return None
        decreases = []
        for line_id, sale_line in current.items():
            line = incoming.get(line_id)
            if line and not self.env["retail.order.line.builder"]._same_line_terms(sale_line, line):
                return None
            quantity = float(line.quantity) if line else 0.0
            uom = sale_line.product_uom_id
            change = uom.compare(quantity, sale_line.product_uom_qty)
            if change > 0 or (change < 0 and uom.compare(quantity, sale_line.qty_delivered) < 0):
                return None
            if change < 0:
                decreases.append((sale_line, quantity))
        if not decreases:
            return None  # the same units, yet the lines differ: e.g. a new discount
        for sale_line, quantity in decreases:
            self._shrink_deliveries(sale_line, sale_line.product_uom_qty - quantity)
            sale_line.product_uom_qty = quantity
        return self.env._(
            "Units cancelled on the channel taken off: %s.",
            ", ".join(
                f"{sale_line.product_id.display_name or sale_line.name} -> {quantity:g}"
                for sale_line, quantity in decreases
            ),
        )

    @api.model
    def _shrink_deliveries(self, sale_line, excess):
        """Take ``excess`` (in the line's unit) off the line's open delivery
        moves, last ones first.

        Done here rather than by Odoo's negative procurement, which can't
        absorb the decrease into a move whose deadline differs (the channel's
        order date) and would plan a receipt instead.
        """
        moves = sale_line.move_ids.filtered(
            lambda m: m.picking_code == "outgoing" and m.state not in ("done", "cancel")
        ).sorted("id", reverse=True)
        for move in moves:
            if sale_line.product_uom_id.compare(excess, 0) <= 0:
                break
            wanted = sale_line.product_uom_id._compute_quantity(excess, move.product_uom)
            if move.product_uom.compare(move.product_uom_qty, wanted) <= 0:
                excess -= move.product_uom._compute_quantity(
                    move.product_uom_qty, sale_line.product_uom_id
                )
                move._action_cancel()
                continue
            move._do_unreserve()
            move.product_uom_qty -= wanted
            move._action_assign()
            excess = 0

    @api.model
    def _rebuild_draft(self, backend, sale_order, order, event=None):
        """A quotation (usually held) takes the channel's version whole."""
        values, holds = self._order_values(backend, order, event=event)
        lines, line_holds = self.env["retail.order.line.builder"]._line_commands(backend, order)
        # Writing an unchanged company would still recompute the lines' taxes
        # from the products: only what changed is written, lines last.
        values.pop("company_id")
        sale_order.write(
            {key: value for key, value in values.items() if _changed(sale_order, key, value)}
        )
        sale_order.order_line.unlink()
        sale_order.write({"order_line": lines, "retail_lines_signature": lines_signature(order)})
        self._settle(sale_order, order, holds + line_holds)
        return self.env._("Order %s updated.", sale_order.name)

    @api.model
    def _cancel(self, sale_order, order):
        if sale_order.state == "cancel":
            return
        if sale_order._retail_is_shipped():
            self._add_hold(
                sale_order,
                self.env._(
                    "Cancelled on the channel (%(reason)s) after shipping: arrange the "
                    "return or refund.",
                    reason=order.cancel_reason or self.env._("no reason given"),
                ),
            )
            return
        sale_order.with_context(
            disable_cancel_warning=True, retail_from_channel=True
        )._action_cancel()

    @api.model
    def _add_hold(self, sale_order, reason):
        reasons = [r for r in (sale_order.retail_hold_reason or "").split("\n") if r]
        if reason not in reasons:
            reasons.append(reason)
        sale_order.retail_hold_reason = "\n".join(reasons)


def _changed(record, field_name, value):
    current = record[field_name]
    if isinstance(current, models.BaseModel):
        current = current.id
    return current != value


def lines_signature(order):
    """A fingerprint of what the channel sold: lines, quantities, prices."""
    lines = sorted(
        (line.external_id, line.sku, str(line.quantity), str(line.unit_price), str(line.discount))
        for line in order.lines
    )
    return hashlib.sha256(json.dumps(lines).encode()).hexdigest()
