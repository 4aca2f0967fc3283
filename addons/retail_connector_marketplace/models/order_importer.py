import json
from datetime import UTC, datetime, timedelta

from odoo import api, fields, models

from ..mappers import refunds_to_canonical

ACCEPTANCE_STATES = ("STAGING", "WAITING_ACCEPTANCE")
DEBIT_STATES = ("WAITING_DEBIT", "WAITING_DEBIT_PAYMENT")
# Payload fields that may carry the acceptance deadline (operators differ).
DEADLINE_FIELDS = ("acceptance_deadline_date", "acceptance_deadline")


class RetailOrderImporter(models.AbstractModel):
    _inherit = "retail.order.importer"

    @api.model
    def _import(self, event, order):
        """Override of `retail_connector_base`: for Mirakl orders, record the
        acceptance deadline, queue the acceptance (OR21) of an order waiting
        for it, and record an order refused without a decision from us."""
        outcome, reason = super()._import(event, order)
        backend = event.backend_id
        if backend.code != "mirakl" or outcome != "done":
            return outcome, reason
        sale_order = self.env["retail.binding"]._find(backend, "sale.order", order.external_id)
        sale_order = sale_order._record() if sale_order else None
        if not sale_order:
            return outcome, reason
        extra = order.extra or {}
        state = extra.get("order_state")
        if state in ACCEPTANCE_STATES:
            if not sale_order.mirakl_acceptance:
                sale_order.write(
                    {
                        "mirakl_acceptance": "pending",
                        "mirakl_acceptance_deadline": _deadline(backend, order, extra),
                    }
                )
            if state == "WAITING_ACCEPTANCE" and sale_order.mirakl_acceptance == "pending":
                backend._mirakl_queue_acceptance(sale_order)
        elif state == "REFUSED" and sale_order.mirakl_acceptance in (False, "pending"):
            label = (
                extra.get("order_state_reason_label")
                or extra.get("order_state_reason_code")
                or self.env._("no reason given")
            )
            note = self.env._(
                "Refused by the marketplace without a decision from us (%s): the acceptance "
                "deadline was missed.",
                label,
            )
            sale_order.write({"mirakl_acceptance": "auto_refused", "mirakl_acceptance_note": note})
            sale_order.message_post(body=note)
            reason = f"{reason} {note}"
        incidents = [
            line.external_id
            for line in order.lines
            if (line.extra or {}).get("order_line_state") == "INCIDENT_OPEN"
        ]
        if incidents:
            self._add_hold(
                sale_order,
                self.env._(
                    "The customer opened an incident on the marketplace (line %s): answer it "
                    "there.",
                    ", ".join(incidents),
                ),
            )
        refunds = self._mirakl_import_refunds(event)
        if refunds:
            reason = f"{reason} {refunds}"
        return outcome, reason

    @api.model
    def _mirakl_import_refunds(self, event):
        """Record the operator's refunds of the order's lines (each once)
        through base's refund importer; return what was recorded."""
        try:
            payload = json.loads(event.body)
        except (TypeError, ValueError):
            return ""
        reasons = []
        for refund in refunds_to_canonical(payload):
            state, reason = self.env["retail.refund.importer"]._import(event, refund)
            if state == "done":
                reasons.append(reason)
        return " ".join(reasons)

    @api.model
    def _channel_holds(self, sale_order, order):
        """Override of `retail_connector_base`: a Mirakl order stays a held
        quotation until the marketplace has debited the customer (SHIPPING)."""
        holds = super()._channel_holds(sale_order, order)
        if sale_order.retail_backend_id.code != "mirakl":
            return holds
        state = (order.extra or {}).get("order_state")
        if state in ACCEPTANCE_STATES:
            return [*holds, self.env._("Waiting for acceptance on the marketplace")]
        if state in DEBIT_STATES:
            return [
                *holds,
                self.env._("Accepted: waiting for the marketplace to debit the customer"),
            ]
        return holds


class SaleOrder(models.Model):
    _inherit = "sale.order"

    mirakl_acceptance = fields.Selection(
        [
            ("pending", "Waiting for our decision"),
            ("accepted", "Accepted"),
            ("partial", "Partly accepted"),
            ("refused", "Refused by us"),
            ("auto_refused", "Refused by the marketplace (deadline missed)"),
            ("error", "Acceptance failed"),
        ],
        string="Marketplace acceptance",
        copy=False,
        readonly=True,
        help="Our OR21 decision; it is sent once per order.",
    )
    mirakl_acceptance_note = fields.Text(string="Acceptance decision", copy=False, readonly=True)
    mirakl_acceptance_deadline = fields.Datetime(
        string="Acceptance deadline", copy=False, readonly=True
    )
    mirakl_deadline_warned = fields.Boolean(copy=False, readonly=True)

    def _mirakl_last_payload(self):
        """The OR11 order of the last event applied to this order."""
        self.ensure_one()
        event = self.retail_last_event_id
        if not event or not event.body:
            return None
        try:
            payload = json.loads(event.body)
        except ValueError:
            return None
        return payload if isinstance(payload, dict) else None


def _deadline(backend, order, extra):
    """The acceptance deadline: the payload's when it has one, else the
    order's creation plus the operator's delay (naive UTC)."""
    for name in DEADLINE_FIELDS:
        value = extra.get(name)
        if value:
            try:
                moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            except ValueError:
                continue
            return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    created = order.created_at.astimezone(UTC).replace(tzinfo=None)
    return created + timedelta(hours=backend.mirakl_acceptance_delay_hours)
