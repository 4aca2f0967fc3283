from datetime import timedelta
from decimal import Decimal

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.queue_job.job import identity_exact
from odoo.addons.retail_connector_base.exceptions import PermanentError, TransientError
from odoo.addons.retail_connector_base.processing import retryable_job_error

from .. import acceptance
from ..client import MiraklRequestError
from ..mappers import channel_status

# The channel status of an order whose last version waits for acceptance.
WAITING_STATUS = channel_status(acceptance.WAITING_ACCEPTANCE)


class RetailMiraklAcceptance(models.AbstractModel):
    """How a Mirakl order is accepted.

    An imported version waiting for acceptance marks the order pending with
    its deadline and queues one job; the job decides every line by the
    backend's rules (the plain :mod:`..acceptance`) and sends the decisions
    in one OR21 call, once per order. An order the operator refused because
    nobody decided in time is recorded; a cron warns before the deadline.
    """

    _name = "retail.mirakl.acceptance"
    _description = "Retail Mirakl Order Acceptance"

    @api.model
    def _follow(self, backend, sale_order, order):
        """Apply what canonical ``order``, a version of ``sale_order`` just
        imported from Mirakl ``backend``, says of its acceptance.

        :return: a note for the event ("" when there is none)
        """
        state = order.extra.get("order_state")
        if state in acceptance.ACCEPTANCE_STATES:
            if not sale_order.mirakl_acceptance:
                sale_order.write(
                    {
                        "mirakl_acceptance": "pending",
                        "mirakl_acceptance_deadline": acceptance.deadline(
                            order, backend.mirakl_acceptance_delay_hours
                        ),
                    }
                )
            if state == acceptance.WAITING_ACCEPTANCE and sale_order.mirakl_acceptance == "pending":
                self._queue(backend, sale_order, acceptance.ordered_lines(order))
            return ""
        if state == "REFUSED" and sale_order.mirakl_acceptance in (False, "pending"):
            label = (
                order.extra.get("order_state_reason_label")
                or order.extra.get("order_state_reason_code")
                or self.env._("no reason given")
            )
            note = self.env._(
                "Refused by the marketplace without a decision from us (%s): the acceptance "
                "deadline was missed.",
                label,
            )
            sale_order.write({"mirakl_acceptance": "auto_refused", "mirakl_acceptance_note": note})
            sale_order.message_post(body=note)
            return note
        return ""

    @api.model
    def _queue(self, backend, sale_order, lines):
        return self.with_delay(
            channel=backend._get_job_channel(),
            identity_key=identity_exact,
            description=f"Accept or refuse Mirakl order {sale_order.retail_external_id}",
        )._accept_order(sale_order, lines)

    @api.model
    def _accept_order(self, sale_order, lines):
        """Job: decide every line of a WAITING_ACCEPTANCE order and send the
        decisions in one OR21 call, once per order.

        :param lines: the order's :func:`~..acceptance.ordered_lines`
        """
        self.env.cr.execute(
            SQL("SELECT 1 FROM sale_order WHERE id = %s FOR NO KEY UPDATE", sale_order.id)
        )
        sale_order.invalidate_recordset()
        if sale_order.mirakl_acceptance != "pending":
            return f"Already decided ({sale_order.mirakl_acceptance}): no OR21 sent."
        if sale_order.retail_channel_status != WAITING_STATUS:
            return "The order no longer waits for acceptance: no OR21 sent."
        backend = sale_order.retail_backend_id
        decisions = self._decide(backend, lines)
        order_id = sale_order.retail_external_id
        refusal = None
        try:
            self._send_acceptance(
                backend,
                order_id,
                {d.line_id: d.accepted for d in decisions},
                [line["line_id"] for line in lines],
            )
        except TransientError as exc:
            raise retryable_job_error(exc) from exc
        except MiraklRequestError as exc:
            # A previous attempt may have got through with its answer lost:
            # the order tells.
            if not self._decisions_recorded(backend, order_id, decisions):
                refusal = exc.message
        if refusal is not None:
            # E.g. decided otherwise, or past the deadline: recorded for a
            # person, never sent again.
            sale_order.write(
                {
                    "mirakl_acceptance": "error",
                    "mirakl_acceptance_note": self.env._(
                        "Mirakl refused the acceptance: %s", refusal
                    ),
                }
            )
            return sale_order.mirakl_acceptance_note
        accepted = [d for d in decisions if d.accepted]
        state = (
            "accepted" if len(accepted) == len(decisions) else "partial" if accepted else "refused"
        )
        note = "\n".join(
            self.env._("%s: accepted", d.line_id)
            if d.accepted
            else self.env._("%(line)s: refused, %(reason)s", line=d.line_id, reason=d.reason)
            for d in decisions
        )
        sale_order.write({"mirakl_acceptance": state, "mirakl_acceptance_note": note})
        sale_order.message_post(body=self.env._("Mirakl acceptance sent (OR21):\n%s", note))
        return f"{state}: {note}"

    @api.model
    def _decide(self, backend, lines):
        """The :class:`~..acceptance.Decision` of every line, by ``backend``'s
        rules and Odoo's stock and cost of each SKU."""
        Product = self.env["product.product"].with_company(backend.company_id)
        facts = []
        for line in lines:
            sku = line["sku"]
            product = Product.search([("default_code", "=", sku)], limit=1) if sku else Product
            facts.append(
                acceptance.line_facts(
                    line,
                    available=backend._get_available_quantity(product) if product else None,
                    cost=Decimal(str(product.standard_price)) if product else None,
                )
            )
        rules = acceptance.Rules(
            check_stock=backend.mirakl_accept_in_stock_only,
            blocked_skus=acceptance.blocked_skus(backend.mirakl_blocked_skus),
            min_margin=Decimal(str(backend.mirakl_min_margin or 0)),
            allow_partial=backend.mirakl_allow_partial_acceptance,
        )
        return acceptance.decide(facts, rules)

    @api.model
    def _send_acceptance(self, backend, order_id, decisions, line_ids):
        """The OR21 call (the seam tests stub)."""
        return backend._mirakl_client().accept(order_id, decisions, line_ids=line_ids)

    @api.model
    def _decisions_recorded(self, backend, order_id, decisions):
        """Whether the marketplace's order shows exactly ``decisions``: it left
        acceptance with our accepted lines accepted and refused ones REFUSED."""
        try:
            order = backend._mirakl_order(backend._mirakl_client(), order_id)
        except (TransientError, PermanentError):
            return False
        state = order and order.get("order_state")
        if not order or state in acceptance.ACCEPTANCE_STATES:
            return False
        if state == "REFUSED":  # every line refused, by us or by the deadline
            return not any(d.accepted for d in decisions)
        states = {
            str(line.get("order_line_id")): line.get("order_line_state")
            for line in order.get("order_lines") or []
        }
        return all((states.get(str(d.line_id)) == "REFUSED") != d.accepted for d in decisions)

    @api.model
    def _cron_deadline_warnings(self):
        """Schedule one to-do on each undecided order close to its deadline."""
        now = fields.Datetime.now()
        Backend = self.env["retail.backend"]
        for backend in Backend.search([("code", "=", "mirakl"), ("state", "=", "active")]):
            orders = self.env["sale.order"].search(
                [
                    ("retail_backend_id", "=", backend.id),
                    ("mirakl_acceptance", "in", ("pending", "error")),
                    ("mirakl_deadline_warned", "=", False),
                    ("state", "in", ("draft", "sent")),
                    ("mirakl_acceptance_deadline", "!=", False),
                    (
                        "mirakl_acceptance_deadline",
                        "<=",
                        now + timedelta(hours=backend.mirakl_deadline_warning_hours),
                    ),
                ]
            )
            user = backend.user_id or self.env.ref("base.user_admin")
            for order in orders:
                order.activity_schedule(
                    "mail.mail_activity_data_todo",
                    date_deadline=order.mirakl_acceptance_deadline.date(),
                    summary=self.env._("Accept or refuse on the marketplace"),
                    note=self.env._(
                        "The marketplace refuses this order on its own at %s unless it is "
                        "accepted before.",
                        order.mirakl_acceptance_deadline,
                    ),
                    user_id=user.id,
                )
            orders.mirakl_deadline_warned = True
