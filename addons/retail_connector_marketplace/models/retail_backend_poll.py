import json
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import identity_exact
from odoo.addons.retail_connector_base.adapters import EventValues
from odoo.addons.retail_connector_base.exceptions import PermanentError, TransientError

from .. import acceptance
from ..adapters.mirakl import order_event_key
from ..client import MAX_PAGE_SIZE, MiraklRequestError

_logger = logging.getLogger(__name__)

WAITING_ACCEPTANCE = "WAITING_ACCEPTANCE"


class RetailBackend(models.Model):
    """Mirakl inbound: the OR11 poll and the acceptance (OR21) of new orders."""

    _inherit = "retail.backend"

    mirakl_poll_interval = fields.Integer(
        string="Poll every (minutes)",
        default=5,
        required=True,
        help="Mirakl recommends every 5 minutes and allows at most once a minute.",
    )
    mirakl_poll_cursor = fields.Datetime(
        string="Marketplace orders polled up to",
        copy=False,
        help="The latest order update seen; the next poll reads from there minus the overlap.",
    )
    mirakl_poll_overlap_minutes = fields.Integer(
        string="Marketplace poll overlap (minutes)",
        default=10,
        required=True,
        help="Each poll reads again this much before the cursor; versions already "
        "received are not stored twice.",
    )
    mirakl_poll_last_at = fields.Datetime(string="Last marketplace poll", readonly=True, copy=False)
    mirakl_poll_last_result = fields.Char(
        string="Last marketplace poll result", readonly=True, copy=False
    )
    mirakl_accept_in_stock_only = fields.Boolean(
        string="Accept only what is in stock",
        default=True,
        help="Refuse a line when Odoo's available stock doesn't cover it.",
    )
    mirakl_blocked_skus = fields.Char(
        string="Blocked SKUs", help="Comma-separated SKUs whose lines are always refused."
    )
    mirakl_min_margin = fields.Float(
        string="Minimum margin (%)",
        help="Refuse a line whose untaxed price is less than this margin over the "
        "product's cost. 0: no check.",
    )
    mirakl_allow_partial_acceptance = fields.Boolean(
        string="Partial acceptance",
        default=True,
        help="Whether the operator allows refusing some lines only. When not, an order "
        "with a line that can't be accepted is refused whole.",
    )
    mirakl_deadline_warning_hours = fields.Integer(
        string="Warn before the deadline (hours)",
        default=12,
        required=True,
        help="An activity is scheduled on orders still undecided this close to the "
        "acceptance deadline.",
    )
    mirakl_acceptance_delay_hours = fields.Integer(
        string="Acceptance delay (hours)",
        default=72,
        required=True,
        help="The operator's time to accept an order, counted from its creation, when "
        "the order doesn't carry its deadline.",
    )

    _mirakl_poll_interval_positive = models.Constraint(
        "CHECK(mirakl_poll_interval >= 1)", "Mirakl allows polling at most once a minute."
    )
    _mirakl_poll_overlap_positive = models.Constraint(
        "CHECK(mirakl_poll_overlap_minutes >= 0)", "The poll overlap can't be negative."
    )

    # Poll

    @api.model
    def _cron_mirakl_poll_orders(self):
        """Queue a poll of every active Mirakl backend whose interval has passed."""
        now = fields.Datetime.now()
        for backend in self.search([("code", "=", "mirakl"), ("state", "=", "active")]):
            last = backend.mirakl_poll_last_at
            if last and last > now - timedelta(minutes=max(backend.mirakl_poll_interval, 1)):
                continue
            backend._mirakl_queue_poll()

    def action_mirakl_poll_orders(self):
        """Poll now, without waiting for the cron (Mirakl's 429 still applies)."""
        for backend in self.filtered(lambda b: b.code == "mirakl" and b.state == "active"):
            backend._mirakl_queue_poll(force=True)
        return True

    def _mirakl_queue_poll(self, force=False):
        self.ensure_one()
        return self.with_delay(
            channel=self._get_job_channel("batch"),
            identity_key=identity_exact,
            description=f"Poll the Mirakl orders of {self.name}",
        )._mirakl_poll_orders(force=force)

    def _mirakl_poll_orders(self, force=False):
        """Job: store every order version updated since the cursor (minus the
        overlap) as an event (source ``poll``); move the cursor forward.

        :return: a summary for the job's result
        """
        self.ensure_one()
        if self.code != "mirakl" or self.state != "active":
            return "Not an active Mirakl backend: nothing polled."
        now = fields.Datetime.now()
        last = self.mirakl_poll_last_at
        if not force and last and last > now - timedelta(minutes=max(self.mirakl_poll_interval, 1)):
            return "Polled less than an interval ago: skipped."
        self.env.cr.execute(
            SQL(
                "SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))",
                f"retail.backend/{self.id}/mirakl-poll",
            )
        )
        if not self.env.cr.fetchone()[0]:
            return "Another poll of this backend is running."
        start = self.mirakl_poll_cursor or self.create_date
        since = start - timedelta(minutes=self.mirakl_poll_overlap_minutes)
        settings = self._get_settings()
        Event = self.env["retail.event"]
        seen = stored = 0
        newest = None
        try:
            for order in self._mirakl_client().orders(
                start_update_date=since.replace(tzinfo=UTC), page_size=MAX_PAGE_SIZE
            ):
                key = order_event_key(order)
                state = str(order.get("order_state") or "unknown")
                body = json.dumps(order, separators=(",", ":"), ensure_ascii=False).encode()
                values = EventValues(event_key=key, topic=f"orders/{state.lower()}", headers={})
                if Event._insert_idempotent(settings, values, body, source="poll"):
                    stored += 1
                seen += 1
                stamp = _parse_time(order["last_updated_date"])
                newest = max(newest or stamp, stamp)
        except TransientError as exc:
            raise RetryableJobError(str(exc), seconds=getattr(exc, "retry_after", None)) from exc
        result = self.env._(
            "%(seen)s order versions updated since %(since)s, %(stored)s new events.",
            seen=seen,
            since=since,
            stored=stored,
        )
        values = {"mirakl_poll_last_at": now, "mirakl_poll_last_result": result}
        if newest and (not self.mirakl_poll_cursor or newest > self.mirakl_poll_cursor):
            values["mirakl_poll_cursor"] = newest
        self.write(values)
        _logger.info("Mirakl poll of backend %s: %s", self.id, result)
        return result

    # Acceptance (OR21)

    def _mirakl_queue_acceptance(self, sale_order):
        self.ensure_one()
        return self.with_delay(
            channel=self._get_job_channel(),
            identity_key=identity_exact,
            description=f"Accept or refuse Mirakl order {sale_order.retail_external_id}",
        )._mirakl_accept_order(sale_order)

    def _mirakl_accept_order(self, sale_order):
        """Job: decide every line of a WAITING_ACCEPTANCE order and send the
        decisions in one OR21 call, once per order."""
        self.ensure_one()
        self.env.cr.execute(
            SQL("SELECT 1 FROM sale_order WHERE id = %s FOR NO KEY UPDATE", sale_order.id)
        )
        sale_order.invalidate_recordset()
        if sale_order.mirakl_acceptance != "pending":
            return f"Already decided ({sale_order.mirakl_acceptance}): no OR21 sent."
        payload = sale_order._mirakl_last_payload()
        if not payload or payload.get("order_state") != WAITING_ACCEPTANCE:
            return "The order no longer waits for acceptance: no OR21 sent."
        decisions = self._mirakl_decide(payload)
        line_ids = [line["order_line_id"] for line in payload.get("order_lines") or []]
        order_id = payload["order_id"]
        refusal = None
        try:
            self._mirakl_send_acceptance(
                order_id, {d.line_id: d.accepted for d in decisions}, line_ids
            )
        except TransientError as exc:
            raise RetryableJobError(str(exc), seconds=getattr(exc, "retry_after", None)) from exc
        except MiraklRequestError as exc:
            # A previous attempt may have got through with its answer lost:
            # the order tells.
            if not self._mirakl_decisions_recorded(order_id, decisions):
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

    def _mirakl_decisions_recorded(self, order_id, decisions):
        """Whether the marketplace's order shows exactly ``decisions``: it left
        acceptance with our accepted lines accepted and refused ones REFUSED."""
        try:
            order = self._mirakl_order(self._mirakl_client(), order_id)
        except (TransientError, PermanentError):
            return False
        state = order and order.get("order_state")
        if not order or state in ("STAGING", WAITING_ACCEPTANCE):
            return False
        if state == "REFUSED":  # every line refused, by us or by the deadline
            return not any(d.accepted for d in decisions)
        states = {
            str(line.get("order_line_id")): line.get("order_line_state")
            for line in order.get("order_lines") or []
        }
        return all((states.get(str(d.line_id)) == "REFUSED") != d.accepted for d in decisions)

    def _mirakl_send_acceptance(self, order_id, decisions, line_ids):
        """The OR21 call (the seam tests stub)."""
        return self._mirakl_client().accept(order_id, decisions, line_ids=line_ids)

    def _mirakl_decide(self, payload):
        """The :class:`acceptance.Decision` of every line of an OR11 order."""
        self.ensure_one()
        taxes_included = payload.get("order_tax_mode") == "TAX_INCLUDED"
        Product = self.env["product.product"].with_company(self.company_id)
        facts = []
        for line in payload.get("order_lines") or []:
            sku = line.get("offer_sku") or ""
            product = Product.search([("default_code", "=", sku)], limit=1) if sku else Product
            facts.append(
                acceptance.LineFacts(
                    line_id=line["order_line_id"],
                    sku=sku,
                    quantity=line.get("quantity") or 0,
                    unit_price=acceptance.untaxed_unit_price(line, taxes_included),
                    available=self._get_available_quantity(product) if product else None,
                    cost=Decimal(str(product.standard_price)) if product else None,
                )
            )
        rules = acceptance.Rules(
            check_stock=self.mirakl_accept_in_stock_only,
            blocked_skus=acceptance.blocked_skus(self.mirakl_blocked_skus),
            min_margin=Decimal(str(self.mirakl_min_margin or 0)),
            allow_partial=self.mirakl_allow_partial_acceptance,
        )
        return acceptance.decide(facts, rules)

    # Deadline warnings

    @api.model
    def _cron_mirakl_deadline_warnings(self):
        """Schedule one to-do on each undecided order close to its deadline."""
        now = fields.Datetime.now()
        for backend in self.search([("code", "=", "mirakl"), ("state", "=", "active")]):
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


def _parse_time(value):
    """Mirakl's ISO-8601 date as a naive UTC datetime, as Odoo stores them."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise PermanentError(f"not a Mirakl date: {value!r}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment
