from datetime import timedelta

from odoo import api, fields, models

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import identity_exact
from odoo.addons.retail_connector_base.exceptions import (
    PermanentError,
    RetailError,
    TransientError,
)
from odoo.addons.retail_connector_base.polling import POLL_STREAM

from .. import graphql, payloads
from ..adapters.shopify import POLL_CUSTOMER_TOPIC, POLL_ORDER_TOPIC
from ..client import ShopifyUserError
from ..reconciliation import (
    BACKFILL_CHECK_RETRIES,
    BACKFILL_CHECK_SECONDS,
    BACKFILL_QUERIES,
    BULK_RUNNING_STATUSES,
    backfill_orders,
    backfill_status,
    polled_records,
    shopify_time,
)

# The backfill's running state, in the backend's runtime values.
OPERATION, STEP, SINCE, STATUS = (
    "shopify_bulk_operation_id",
    "shopify_backfill_step",
    "shopify_backfill_since",
    "shopify_backfill_status",
)


class RetailShopifyBackfill(models.AbstractModel):
    """The backfill of a store: a bulk operation exports the orders updated
    in the last ``shopify_backfill_days`` days, then one the customers
    (Shopify runs one at a time); a job checks each until it completes and
    stores its nodes as the poll does (``orders/poll``, ``customers/poll``).

    Its running state (operation, step, since, status) lives in the backend's
    runtime values, not on its configuration.
    """

    _name = "retail.shopify.backfill"
    _description = "Shopify Backfill"

    @api.model
    def _start(self, backend):
        """Start the backfill of ``backend``.

        :return: ``(message, kind)`` for the user's notification
        """
        running = backend._get_runtime_value(OPERATION)
        if running:
            return self.env._(
                "The previous backfill (%s) is not imported yet: try again when it is.", running
            ), "warning"
        client = backend._shopify_client()
        since = fields.Datetime.now() - timedelta(days=backend.shopify_backfill_days)
        try:
            current = client.graphql(graphql.CURRENT_BULK_OPERATION).get("currentBulkOperation")
            if current and current.get("status") in BULK_RUNNING_STATUSES:
                return self.env._(
                    "A bulk operation is already running on this shop (%s): Shopify runs "
                    "one at a time. Try again when it has finished.",
                    current.get("id"),
                ), "warning"
            self._start_step(backend, client, "orders", since)
        except ShopifyUserError as exc:
            return self.env._("Shopify refused the backfill: %s", exc), "warning"
        except RetailError as exc:
            return self.env._("Could not start the backfill: %s", exc), "danger"
        self._set_status(
            backend,
            backfill_status(
                self.env._("exporting those updated since %s", since), self.env._("waiting")
            ),
        )
        self._schedule_check(backend, eta=1)
        return self.env._(
            "Backfill of the last %s days started: the orders, then the customers, are "
            "imported once Shopify has exported them.",
            backend.shopify_backfill_days,
        ), "success"

    @api.model
    def _schedule_check(self, backend, eta=None):
        """Queue the check of ``backend``'s running bulk operation."""
        return backend.with_delay(
            channel=backend._get_job_channel("batch"),
            identity_key=identity_exact,
            max_retries=BACKFILL_CHECK_RETRIES,
            eta=eta,
            description=f"Import the Shopify backfill of {backend.name}",
        )._shopify_backfill_check()

    @api.model
    def _check(self, backend):
        """Once ``backend``'s running bulk operation has completed, download
        its JSONL and store its orders or customers as the poll does; until
        then, retried. The orders' then starts the customers' operation,
        checked by a job of its own.

        :return: the backfill's status, for the job's result
        """
        state = backend.env["retail.backend.runtime"]._read_values(
            backend, [OPERATION, STEP, SINCE, STATUS]
        )
        operation_id = state.get(OPERATION)
        if not operation_id:
            return "No backfill running."
        if not backend._try_lock("shopify-backfill"):
            return "The backfill is being imported by another job."
        # A backfill started before there were steps exports orders.
        step = state.get(STEP) or "orders"
        since = fields.Datetime.to_datetime(state.get(SINCE)) or (
            fields.Datetime.now() - timedelta(days=backend.shopify_backfill_days)
        )
        # The customers step keeps what the orders step said.
        orders_done = backfill_orders(state.get(STATUS))
        try:
            client = backend._shopify_client()
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
                    return self._end(backend, backfill_status(failure, self.env._("not run")))
                return self._end(backend, backfill_status(orders_done, failure))
            lines = client.download_jsonl(current.get("url"))
            # Stored as the poll stores (the orders' cursor stores customers too).
            cursor = self.env["retail.poll.cursor"]._get(backend, POLL_STREAM)
            if step == "customers":
                seen, stored, _newest = cursor._store(polled_records(lines, POLL_CUSTOMER_TOPIC))
                done = self.env._("%(stored)s stored (%(seen)s exported)", stored=stored, seen=seen)
                return self._end(backend, backfill_status(orders_done, done))
            nodes = payloads.reassemble_bulk_orders(lines)
            seen, stored, newest = cursor._store(polled_records(nodes, POLL_ORDER_TOPIC))
            if newest and (not cursor.cursor or newest > cursor.cursor):
                cursor.cursor = newest
            done = self.env._("%(stored)s stored (%(seen)s exported)", stored=stored, seen=seen)
            try:
                self._start_step(backend, client, "customers", since)
            except PermanentError as exc:
                failure = self.env._("not started (%s)", exc)
                return self._end(backend, backfill_status(done, failure))
        except TransientError as exc:
            raise RetryableJobError(str(exc), seconds=BACKFILL_CHECK_SECONDS) from exc
        status = backfill_status(done, self.env._("running"))
        self._set_status(backend, status)
        self._schedule_check(backend, eta=1)
        return status

    @api.model
    def _start_step(self, backend, client, step, since):
        """Start the bulk operation of ``step`` (``orders`` or ``customers``)
        over what was updated since ``since``, and remember it."""
        payload = client.mutate(
            graphql.BULK_OPERATION_RUN_QUERY,
            {"query": BACKFILL_QUERIES[step] % {"since": shopify_time(since)}},
            "bulkOperationRunQuery",
        )
        backend._set_runtime_values(
            {
                OPERATION: (payload.get("bulkOperation") or {}).get("id"),
                STEP: step,
                SINCE: fields.Datetime.to_string(since),
            }
        )
        backend.invalidate_recordset(["shopify_bulk_operation_id"])

    @api.model
    def _end(self, backend, status):
        backend._set_runtime_values({OPERATION: None, STEP: None})
        self._set_status(backend, status)
        return status

    @api.model
    def _set_status(self, backend, status):
        backend._set_runtime_values({STATUS: status})
        backend.invalidate_recordset(["shopify_backfill_status", "shopify_bulk_operation_id"])
