import itertools
import json
import logging
from datetime import UTC, datetime, timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import identity_exact
from odoo.addons.retail_connector_base.adapters import EventValues
from odoo.addons.retail_connector_base.exceptions import (
    PermanentError,
    RetailError,
    TransientError,
)

from .. import graphql, payloads
from ..adapters.shopify import POLL_CUSTOMER_TOPIC, POLL_ORDER_TOPIC
from ..client import ShopifyUserError
from .retail_backend import _notification

_logger = logging.getLogger(__name__)

# Reconciliation: bindings looked up, and events stored, this many orders at a time.
POLL_CHUNK = 100
# A backfill's bulk operation is checked again this often (seconds) until it
# completes, for at most BACKFILL_CHECK_RETRIES checks (a day).
BACKFILL_CHECK_SECONDS = 15
BACKFILL_CHECK_RETRIES = 24 * 3600 // BACKFILL_CHECK_SECONDS
BULK_RUNNING_STATUSES = ("CREATED", "RUNNING", "CANCELING")
# The backfill's steps, one bulk operation each, run one after the other
# (Shopify runs one bulk query per shop at a time): step -> its bulk query.
BACKFILL_QUERIES = {
    "orders": graphql.BACKFILL_ORDERS_BULK_QUERY,
    "customers": graphql.BACKFILL_CUSTOMERS_BULK_QUERY,
}
# The topic of the events stored from GraphQL nodes -> the model of their bindings.
POLL_TOPIC_MODELS = {POLL_ORDER_TOPIC: "sale.order", POLL_CUSTOMER_TOPIC: "res.partner"}


class RetailBackend(models.Model):
    """Reconciliation: a poll of the orders updated since a cursor finds what
    webhooks missed; bulk operations backfill the recent orders and customers."""

    _inherit = "retail.backend"

    # Reconciliation: a poll of the orders updated since the cursor finds what
    # webhooks missed; bulk operations backfill the recent orders and customers.
    shopify_poll_cursor = fields.Datetime(
        string="Orders polled up to",
        copy=False,
        help="Shopify's latest order update seen by the reconciliation poll; the next "
        "poll asks for the orders updated since then, minus the overlap. Empty: "
        "since the backend's creation.",
    )
    shopify_poll_overlap_minutes = fields.Integer(
        string="Poll overlap (minutes)",
        default=10,
        required=True,
        help="Each poll reads again this much before the cursor, for updates Shopify "
        "indexed late; what was already received is not stored twice.",
    )
    shopify_poll_last_at = fields.Datetime(string="Last poll", readonly=True, copy=False)
    shopify_poll_last_result = fields.Char(string="Last poll result", readonly=True, copy=False)
    shopify_backfill_days = fields.Integer(
        string="Backfill (days)",
        default=60,
        required=True,
        help="How far back the backfill reads orders and customers. Without the "
        "read_all_orders scope Shopify only gives the last 60 days of orders.",
    )
    shopify_bulk_operation_id = fields.Char(
        string="Running bulk operation", readonly=True, copy=False
    )
    shopify_backfill_step = fields.Selection(
        [("orders", "Orders"), ("customers", "Customers")],
        string="Backfill step",
        readonly=True,
        copy=False,
        help="What the running bulk operation exports.",
    )
    shopify_backfill_since = fields.Datetime(
        string="Backfill since",
        readonly=True,
        copy=False,
        help="The running backfill reads what was updated since then.",
    )
    shopify_backfill_status = fields.Char(string="Backfill", readonly=True, copy=False)

    _shopify_poll_overlap_positive = models.Constraint(
        "CHECK(shopify_poll_overlap_minutes >= 0)", "The poll overlap can't be negative."
    )
    _shopify_backfill_days_positive = models.Constraint(
        "CHECK(shopify_backfill_days > 0)", "The backfill needs at least one day."
    )

    # Reconciliation: poll and backfill

    @api.model
    def _cron_shopify_poll_orders(self):
        """Queue a poll of every active Shopify store in its batch channel (a
        slow store never holds the cron), and the check of a running backfill."""
        for backend in self.search([("code", "=", "shopify"), ("state", "=", "active")]):
            backend.with_delay(
                channel=backend._get_job_channel("batch"),
                identity_key=identity_exact,
                description=f"Poll the Shopify orders of {backend.name}",
            )._shopify_poll_orders()
            if backend.shopify_bulk_operation_id:
                backend._shopify_schedule_backfill_check()

    def action_shopify_poll_orders(self):
        """Reconcile now: queue this store's poll without waiting for the cron."""
        for backend in self.filtered(lambda b: b.code == "shopify" and b.state == "active"):
            backend.with_delay(
                channel=backend._get_job_channel("batch"),
                identity_key=identity_exact,
                description=f"Poll the Shopify orders of {backend.name}",
            )._shopify_poll_orders()
        return _notification(self.env._("Reconciliation queued."), "success")

    def _shopify_poll_orders(self):
        """Job: store the orders updated since the cursor (minus the overlap)
        as ``orders/poll`` events, through the same event store and
        idempotency as webhooks; move the cursor to the latest update seen.

        :return: a summary for the job's result
        """
        self.ensure_one()
        if self.code != "shopify" or self.state != "active":
            return "Not an active Shopify backend: nothing polled."
        if not self._shopify_try_lock("poll"):
            return "Another poll of this store is running."
        start = self.shopify_poll_cursor or self.create_date
        since = start - timedelta(minutes=self.shopify_poll_overlap_minutes)
        query = f"updated_at:>='{_shopify_time(since)}'"
        try:
            nodes = self._shopify_client().paginate(
                graphql.ORDERS_UPDATED_SINCE,
                {"query": query},
                "orders",
                page_size=graphql.ORDERS_PAGE_SIZE,
            )
            seen, stored, newest = self._shopify_store_nodes(nodes, POLL_ORDER_TOPIC)
        except TransientError as exc:
            raise RetryableJobError(str(exc), seconds=getattr(exc, "retry_after", None)) from exc
        result = self.env._(
            "%(seen)s orders updated since %(since)s, %(stored)s new events.",
            seen=seen,
            since=since,
            stored=stored,
        )
        values = {"shopify_poll_last_at": fields.Datetime.now(), "shopify_poll_last_result": result}
        if newest and (not self.shopify_poll_cursor or newest > self.shopify_poll_cursor):
            values["shopify_poll_cursor"] = newest
        self.write(values)
        _logger.info("Shopify poll of backend %s: %s", self.id, result)
        return result

    def _shopify_store_nodes(self, nodes, topic):
        """Store order or customer nodes as ``topic`` events (``orders/poll``
        or ``customers/poll``; source ``poll``, key ``<gid>@<updatedAt>``),
        except those whose binding already has this update or a later one.

        :return: ``(seen, stored, newest updatedAt as a naive UTC datetime)``
        """
        self.ensure_one()
        settings = self._get_settings()
        res_model = POLL_TOPIC_MODELS[topic]
        Event = self.env["retail.event"]
        seen = stored = 0
        newest = None
        for chunk in itertools.batched(nodes, POLL_CHUNK):
            applied = dict(
                self.env["retail.binding"]
                .search(
                    [
                        ("backend_id", "=", self.id),
                        ("res_model", "=", res_model),
                        ("external_id", "in", [node.get("id") for node in chunk]),
                    ]
                )
                .mapped(lambda binding: (binding.external_id, binding.external_updated_at))
            )
            for node in chunk:
                gid, updated_at = node.get("id"), node.get("updatedAt")
                if not gid or not updated_at:
                    raise PermanentError(f"Shopify sent a node without id or updatedAt: {gid}")
                stamp = _parse_shopify_time(updated_at)
                seen += 1
                newest = max(newest or stamp, stamp)
                if applied.get(gid) and applied[gid] >= stamp:
                    continue
                body = json.dumps(node, separators=(",", ":"), ensure_ascii=False).encode()
                event_values = EventValues(event_key=f"{gid}@{updated_at}", topic=topic, headers={})
                if Event._insert_idempotent(settings, event_values, body, source="poll"):
                    stored += 1
        return seen, stored, newest

    def _shopify_try_lock(self, what):
        """Whether this transaction got the store's ``what`` lock (one poll,
        or one backfill import, per store at a time)."""
        self.env.cr.execute(
            SQL(
                "SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))",
                f"retail.backend/{self.id}/shopify-{what}",
            )
        )
        return self.env.cr.fetchone()[0]

    def action_shopify_backfill_orders(self):
        """Start the backfill: a bulk operation exporting the orders updated in
        the last ``shopify_backfill_days`` days, then one of the customers
        (Shopify runs one at a time); jobs import them as they complete."""
        self.ensure_one()
        if self.shopify_bulk_operation_id:
            return _notification(
                self.env._(
                    "The previous backfill (%s) is not imported yet: try again when it is.",
                    self.shopify_bulk_operation_id,
                ),
                "warning",
            )
        client = self._shopify_client()
        since = fields.Datetime.now() - timedelta(days=self.shopify_backfill_days)
        try:
            current = client.graphql(graphql.CURRENT_BULK_OPERATION).get("currentBulkOperation")
            if current and current.get("status") in BULK_RUNNING_STATUSES:
                return _notification(
                    self.env._(
                        "A bulk operation is already running on this shop (%s): Shopify runs "
                        "one at a time. Try again when it has finished.",
                        current.get("id"),
                    ),
                    "warning",
                )
            self._shopify_start_backfill_step(client, "orders", since)
        except ShopifyUserError as exc:
            return _notification(self.env._("Shopify refused the backfill: %s", exc), "warning")
        except RetailError as exc:
            return _notification(self.env._("Could not start the backfill: %s", exc), "danger")
        self.shopify_backfill_status = _backfill_status(
            self.env._("exporting those updated since %s", since), self.env._("waiting")
        )
        self._shopify_schedule_backfill_check(eta=1)
        return _notification(
            self.env._(
                "Backfill of the last %s days started: the orders, then the customers, are "
                "imported once Shopify has exported them.",
                self.shopify_backfill_days,
            ),
            "success",
        )

    def _shopify_start_backfill_step(self, client, step, since):
        """Start the bulk operation of ``step`` (``orders`` or ``customers``)
        over what was updated since ``since``, and remember it."""
        payload = client.mutate(
            graphql.BULK_OPERATION_RUN_QUERY,
            {"query": BACKFILL_QUERIES[step] % {"since": _shopify_time(since)}},
            "bulkOperationRunQuery",
        )
        self.write(
            {
                "shopify_bulk_operation_id": (payload.get("bulkOperation") or {}).get("id"),
                "shopify_backfill_step": step,
                "shopify_backfill_since": since,
            }
        )

    def _shopify_end_backfill(self, status):
        self.write(
            {
                "shopify_bulk_operation_id": False,
                "shopify_backfill_step": False,
                "shopify_backfill_status": status,
            }
        )
        return status

    def _shopify_schedule_backfill_check(self, eta=None):
        self.ensure_one()
        return self.with_delay(
            channel=self._get_job_channel("batch"),
            identity_key=identity_exact,
            max_retries=BACKFILL_CHECK_RETRIES,
            eta=eta,
            description=f"Import the Shopify backfill of {self.name}",
        )._shopify_backfill_check()

    def _shopify_backfill_check(self):
        """Job: once the backfill's running bulk operation has completed,
        download its JSONL and store its orders or customers as the poll
        does; until then, retried. The orders' then starts the customers'
        operation, checked by a job of its own."""
        self.ensure_one()
        operation_id, step = self.shopify_bulk_operation_id, self.shopify_backfill_step
        if not operation_id:
            return "No backfill running."
        if not self._shopify_try_lock("backfill"):
            return "The backfill is being imported by another job."
        # A backfill started before there were steps exports orders.
        step = step or "orders"
        since = self.shopify_backfill_since or (
            fields.Datetime.now() - timedelta(days=self.shopify_backfill_days)
        )
        # The customers step keeps what the orders step said.
        orders_done = _backfill_orders(self.shopify_backfill_status)
        try:
            client = self._shopify_client()
            current = (
                client.graphql(graphql.CURRENT_BULK_OPERATION).get("currentBulkOperation") or {}
            )
            if current.get("id") == operation_id and current.get("status") in BULK_RUNNING_STATUSES:
                raise RetryableJobError(
                    f"Bulk operation {operation_id} is {current['status']}",
                    seconds=BACKFILL_CHECK_SECONDS,
                    ignore_retry=False,
                )
            if current.get("id") != operation_id or current.get("status") != "COMPLETED":
                failure = self.env._(
                    "bulk operation %(id)s ended as %(status)s %(error)s",
                    id=operation_id,
                    status=current.get("status") if current.get("id") == operation_id else "?",
                    error=current.get("errorCode") or "",
                ).strip()
                if step == "orders":
                    return self._shopify_end_backfill(
                        _backfill_status(failure, self.env._("not run"))
                    )
                return self._shopify_end_backfill(_backfill_status(orders_done, failure))
            lines = client.download_jsonl(current.get("url"))
            if step == "customers":
                seen, stored, _newest = self._shopify_store_nodes(lines, POLL_CUSTOMER_TOPIC)
                done = self.env._("%(stored)s stored (%(seen)s exported)", stored=stored, seen=seen)
                return self._shopify_end_backfill(_backfill_status(orders_done, done))
            nodes = payloads.reassemble_bulk_orders(lines)
            seen, stored, newest = self._shopify_store_nodes(nodes, POLL_ORDER_TOPIC)
            if newest and (not self.shopify_poll_cursor or newest > self.shopify_poll_cursor):
                self.shopify_poll_cursor = newest
            done = self.env._("%(stored)s stored (%(seen)s exported)", stored=stored, seen=seen)
            try:
                self._shopify_start_backfill_step(client, "customers", since)
            except PermanentError as exc:
                failure = self.env._("not started (%s)", exc)
                return self._shopify_end_backfill(_backfill_status(done, failure))
        except TransientError as exc:
            raise RetryableJobError(str(exc), seconds=BACKFILL_CHECK_SECONDS) from exc
        self.shopify_backfill_status = _backfill_status(done, self.env._("running"))
        self._shopify_schedule_backfill_check(eta=1)
        return self.shopify_backfill_status


def _backfill_status(orders, customers):
    """The backfill's status: ``orders: <state>; customers: <state>``."""
    return f"orders: {orders}; customers: {customers}"


def _backfill_orders(status):
    """The orders' state in a backfill status."""
    return (status or "").partition("; ")[0].removeprefix("orders: ")


def _shopify_time(moment):
    """A naive UTC datetime as Shopify's search syntax reads it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_shopify_time(value):
    """Shopify's DateTime (``2026-11-02T09:00:00Z``) as a naive UTC datetime,
    as Odoo stores them."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise PermanentError(f"not a Shopify timestamp: {value!r}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment
