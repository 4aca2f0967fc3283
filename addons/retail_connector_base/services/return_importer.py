from collections import defaultdict
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_round

from .. import schemas
from ..exceptions import TransientError


class RetailReturnImporter(models.AbstractModel):
    """Records a channel return on its order and brings the goods back:
    a return picking of the order's delivery (Odoo's own return wizard) for
    the lines to restock, into the backend's return location or, for
    damaged and defective goods, its damaged-returns location; validated
    when the channel says the goods were received."""

    _name = "retail.return.importer"
    _description = "Retail Return Importer"

    # ------------------------------------------------------------ entry points

    @api.model
    def _import(self, event, ret):
        """Apply a canonical :class:`~..schemas.Return` of ``event``'s backend.

        :return: ``(state, reason)``
        """
        backend = event.backend_id
        self.env["retail.binding"]._lock(backend, "retail.order.return", ret.external_id)
        existing = self._find_existing(backend, ret)
        if existing:
            return self._update(existing, ret.refund_external_id, ret.received, ret.received_at)
        binding = self.env["retail.binding"]._find(backend, "sale.order", ret.order_external_id)
        order = binding._record() if binding else self.env["sale.order"]
        if not order:
            # Returns can overtake their order: wait for it (retried with backoff).
            raise TransientError(
                self.env._(
                    "Order %s is not in Odoo yet; the return waits for it.",
                    ret.order_external_id,
                )
            )
        refund = self.env["retail.order.refund"]
        if ret.refund_external_id:
            refund = refund.search(
                [("backend_id", "=", backend.id), ("external_id", "=", ret.refund_external_id)],
                limit=1,
            )
        return "done", self._record(order, backend, ret, event, refund)

    @api.model
    def _import_from_refund(self, event, refund, refund_record):
        """The return of a channel refund's ``restock`` lines, received with
        the refund (the channel put the goods back in stock). A return the
        channel recorded before for this refund is linked to it (and
        received, when the refund restocks) instead of returned twice.

        :return: what was done, in words, or None when there was nothing to do
        """
        restocked = [line for line in refund.lines if line.restock]
        backend = event.backend_id
        Return = self.env["retail.order.return"]
        domain = [("refund_external_id", "=", refund.external_id)]
        if refund.return_external_id:
            domain = ["|", *domain, ("external_id", "=", refund.return_external_id)]
        linked = Return.search([("backend_id", "=", backend.id), *domain], limit=1)
        if not restocked and not linked:
            return None
        received_at = refund.created_at if restocked else None
        if linked:
            self.env["retail.binding"]._lock(backend, "retail.order.return", linked.external_id)
            return self._update(linked, refund.external_id, bool(restocked), received_at)[1]
        # Named after the channel's return when the refund says which one, so
        # that return, delivered later, finds it.
        external_id = refund.return_external_id or refund.external_id
        self.env["retail.binding"]._lock(backend, "retail.order.return", external_id)
        ret = schemas.Return(
            external_id=external_id,
            order_external_id=refund.order_external_id,
            created_at=refund.created_at,
            lines=[
                schemas.ReturnLine(
                    line_external_id=line.line_external_id,
                    quantity=line.quantity,
                    reason=refund.reason,
                )
                for line in restocked
            ],
            refund_external_id=refund.external_id,
            received=True,
            received_at=received_at,
            reason=refund.reason,
        )
        return self._record(refund_record.order_id, backend, ret, event, refund_record)

    # ------------------------------------------------------------ recording

    @api.model
    def _find_existing(self, backend, ret):
        """The return recorded for ``ret``: the same channel return, or the
        one of the same refund (a return opened on the channel, then paid
        back by a refund that restocks its goods)."""
        Return = self.env["retail.order.return"]
        domain = [("external_id", "=", ret.external_id)]
        if ret.refund_external_id:
            domain = ["|", *domain, ("refund_external_id", "=", ret.refund_external_id)]
        return Return.search([("backend_id", "=", backend.id), *domain], limit=1)

    @api.model
    def _record(self, order, backend, ret, event, refund):
        sale_lines = {line.retail_line_id: line for line in order.order_line if line.retail_line_id}
        record = self.env["retail.order.return"].create(
            {
                "order_id": order.id,
                "backend_id": backend.id,
                "external_id": ret.external_id,
                "returned_at": _naive(ret.created_at),
                "reason": ret.reason,
                "refund_id": refund.id,
                "refund_external_id": ret.refund_external_id,
                "refund_amount": float(ret.refund_amount)
                if ret.refund_amount is not None
                else False,
                "event_id": event.id,
                "line_ids": [
                    (
                        0,
                        0,
                        {
                            "line_external_id": line.line_external_id,
                            "sale_line_id": sale_lines.get(line.line_external_id, False)
                            and sale_lines[line.line_external_id].id,
                            "quantity": float(line.quantity),
                            "reason": line.reason,
                            "condition": line.condition.value if line.condition else False,
                            "restock": line.restock,
                        },
                    )
                    for line in ret.lines
                ],
            }
        )
        holds = self._check_lines(record) + self._check_amount(record)
        if holds:
            return self._hold(record, holds)
        if not record.line_ids.filtered("restock"):
            return self.env._(
                "Return %(ret)s recorded on %(order)s (nothing to restock: no return picking).",
                ret=ret.external_id,
                order=order.name,
            )
        try:
            # A picking the wizard refuses half-way leaves nothing behind.
            with self.env.cr.savepoint():
                self._create_pickings(record)
        except UserError as exc:
            return self._hold(
                record,
                [
                    self.env._(
                        "Return %(ret)s: no return picking: %(error)s",
                        ret=ret.external_id,
                        error=exc.args[0],
                    )
                ],
            )
        record.state = "waiting"
        if ret.received:
            return self._receive(record, ret.received_at)
        return self.env._(
            "Return %(ret)s recorded: %(pickings)s ready to receive.",
            ret=ret.external_id,
            pickings=", ".join(record.picking_ids.mapped("name")),
        )

    @api.model
    def _update(self, record, refund_external_id, received, received_at):
        """A return recorded before: link its refund, receive its goods."""
        notes = []
        if refund_external_id and not record.refund_id:
            refund = self.env["retail.order.refund"].search(
                [
                    ("backend_id", "=", record.backend_id.id),
                    ("external_id", "=", refund_external_id),
                ],
                limit=1,
            )
            if refund:
                record.write({"refund_id": refund.id, "refund_external_id": refund_external_id})
                notes.append(self.env._("Refund %s linked.", refund_external_id))
                holds = self._check_amount(record)
                if holds:
                    return "done", " ".join([*notes, self._hold(record, holds)])
        if received and record.state == "waiting":
            notes.append(self._receive(record, received_at))
        if not notes:
            return "ignored", self.env._(
                "Return %(ret)s is already recorded (%(state)s).",
                ret=record.external_id,
                state=dict(record._fields["state"].selection)[record.state],
            )
        return "done", " ".join(notes)

    @api.model
    def _hold(self, record, holds):
        record.write({"state": "held", "hold_reason": "\n".join(holds)})
        for hold in holds:
            self.env["retail.order.importer"]._add_hold(record.order_id, hold)
        return " ".join(holds)

    # ------------------------------------------------------------ checks

    @api.model
    def _check_lines(self, record):
        """Hold reasons of lines the order doesn't have and of goods returned
        beyond what was delivered (over every return of the order)."""
        holds = []
        requested = defaultdict(float)
        for line in record.line_ids:
            if not line.sale_line_id:
                holds.append(
                    self.env._(
                        "Return %(ret)s: line %(line)s is not on the order.",
                        ret=record.external_id,
                        line=line.line_external_id,
                    )
                )
                continue
            requested[line.sale_line_id] += line.quantity
        others = self.env["retail.order.return.line"].search(
            [
                ("sale_line_id", "in", [line.id for line in requested]),
                ("return_id", "!=", record.id),
                ("return_id.state", "!=", "held"),
            ]
        )
        for sale_line, quantity in requested.items():
            delivered = sum(self._delivered_moves(sale_line).mapped("quantity"))
            returned = max(
                sum(others.filtered(lambda o, s=sale_line: o.sale_line_id == s).mapped("quantity")),
                sum(self._returned_moves(sale_line).mapped("product_uom_qty")),
            )
            # A line without a product (an unknown SKU) has no unit.
            rounding = sale_line.product_uom_id.rounding or 0.001
            if float_compare(quantity, delivered - returned, precision_rounding=rounding) > 0:
                holds.append(
                    self.env._(
                        "Return %(ret)s: %(qty)s x %(product)s (line %(line)s) sent back, but "
                        "%(delivered)s delivered and %(returned)s already returned: at most "
                        "%(left)s can come back. Check what the customer really returned.",
                        ret=record.external_id,
                        qty=_qty(quantity, rounding),
                        product=sale_line.product_id.display_name,
                        line=sale_line.retail_line_id,
                        delivered=_qty(delivered, rounding),
                        returned=_qty(returned, rounding),
                        left=_qty(max(delivered - returned, 0), rounding),
                    )
                )
        return holds

    @api.model
    def _check_amount(self, record):
        """Hold reason when what the channel refunded for the return differs
        from the credit note Odoo drafted for its refund."""
        refund = record.refund_id
        credit_note = refund.credit_note_id
        if not credit_note or not record.refund_amount:
            # Without a figure of the return's own, the refund's amount is
            # the one to compare, and the refund importer did.
            return []
        channel = record.refund_amount
        rounding = record.order_id.currency_id.rounding
        if not float_compare(credit_note.amount_total, channel, precision_rounding=rounding):
            return []
        places = Decimal(10) ** -record.order_id.currency_id.decimal_places
        odoo = Decimal(str(credit_note.amount_total)).quantize(places)
        channel = Decimal(str(channel)).quantize(places)
        return [
            self.env._(
                "Return %(ret)s: the channel refunded %(channel)s, Odoo's credit note "
                "%(move)s comes to %(odoo)s (difference %(diff)s).",
                ret=record.external_id,
                channel=channel,
                move=credit_note.display_name,
                odoo=odoo,
                diff=odoo - channel,
            )
        ]

    # ------------------------------------------------------------ goods

    @api.model
    def _delivered_moves(self, sale_line):
        return sale_line.move_ids.filtered(
            lambda m: (
                m.state == "done"
                and m.location_dest_id.usage == "customer"
                and not m.origin_returned_move_id
            )
        )

    @api.model
    def _returned_moves(self, sale_line):
        return self._delivered_moves(sale_line).returned_move_ids.filtered(
            lambda m: m.state != "cancel"
        )

    @api.model
    def _create_pickings(self, record):
        """One return picking per delivery and destination, through Odoo's
        return wizard, for the lines to restock."""
        backend = record.backend_id
        # (delivery, destination) -> {delivered move: quantity to return}
        groups = defaultdict(lambda: defaultdict(float))
        for line in record.line_ids.filtered("restock"):
            left = line.quantity
            for move in self._delivered_moves(line.sale_line_id):
                returned = sum(
                    move.returned_move_ids.filtered(lambda m: m.state != "cancel").mapped(
                        "product_uom_qty"
                    )
                ) + sum(groups_move.get(move, 0) for groups_move in groups.values())
                quantity = min(left, move.quantity - returned)
                if quantity <= 0:
                    continue
                destination = backend._get_return_location(line.condition, move.picking_id)
                groups[(move.picking_id, destination)][move] += quantity
                line.location_dest_id = destination
                left -= quantity
                if float_compare(left, 0, precision_rounding=move.product_uom.rounding) <= 0:
                    break
        pickings = self.env["stock.picking"]
        for (delivery, destination), quantities in groups.items():
            wizard = (
                self.env["stock.return.picking"]
                .with_context(
                    active_id=delivery.id,
                    active_model="stock.picking",
                    retail_return_location_id=destination.id,
                )
                .create({"picking_id": delivery.id})
            )
            for wizard_line in wizard.product_return_moves:
                wizard_line.quantity = quantities.get(wizard_line.move_id, 0)
            picking = wizard._create_return()
            picking.origin = self.env._(
                "%(order)s: channel return %(ret)s",
                order=record.order_id.name,
                ret=record.external_id,
            )
            pickings |= picking
        record.picking_ids = [(6, 0, pickings.ids)]

    @api.model
    def _receive(self, record, received_at):
        """Validate the return pickings: the goods are back."""
        for picking in record.picking_ids.filtered(lambda p: p.state not in ("done", "cancel")):
            try:
                with self.env.cr.savepoint():
                    for move in picking.move_ids.filtered(
                        lambda m: m.state not in ("done", "cancel")
                    ):
                        move.quantity = move.product_uom_qty
                        move.picked = True
                    picking.with_context(skip_backorder=True, skip_sms=True).button_validate()
            except UserError as exc:
                return self._hold(
                    record,
                    [
                        self.env._(
                            "Return %(ret)s: the goods were received but %(picking)s can't be "
                            "validated: %(error)s",
                            ret=record.external_id,
                            picking=picking.name,
                            error=exc.args[0],
                        )
                    ],
                )
            if picking.state != "done":
                return self._hold(
                    record,
                    [
                        self.env._(
                            "Return %(ret)s: the goods were received but %(picking)s needs a "
                            "person to validate it.",
                            ret=record.external_id,
                            picking=picking.name,
                        )
                    ],
                )
        record.write(
            {
                "state": "received",
                "received_at": _naive(received_at) if received_at else fields.Datetime.now(),
            }
        )
        return self.env._(
            "Return %(ret)s received: %(pickings)s done.",
            ret=record.external_id,
            pickings=", ".join(record.picking_ids.mapped("name")),
        )


def _naive(timestamp):
    return timestamp.replace(tzinfo=None) if timestamp else False


def _qty(quantity, rounding):
    value = float_round(quantity, precision_rounding=rounding)
    return int(value) if value == int(value) else value
