from odoo import api, models
from odoo.exceptions import UserError

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
                "returned_at": naive(ret.created_at),
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


def naive(timestamp):
    """``timestamp`` without its time zone (Odoo stores naive UTC), or False."""
    return timestamp.replace(tzinfo=None) if timestamp else False
