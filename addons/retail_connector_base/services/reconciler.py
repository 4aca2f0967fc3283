import itertools
import logging
import math
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from odoo import api, fields, models

from ..exceptions import PermanentError, TransientError
from ..processing import retryable_job_error
from ..reconciliation import (
    CANCELLED,
    FULFILLED,
    MISSING_IN_CHANNEL,
    MISSING_IN_ODOO,
    OPEN,
    PARTIALLY_FULFILLED,
    REFUND,
    STATUS,
    STOCK_REFUSED,
    TOTAL,
    OrderSummary,
    compare_orders,
    compare_stock,
)

_logger = logging.getLogger(__name__)

# The poll cursor whose machinery stores the orders a run imports.
RECONCILE_STREAM = "reconcile"
# Orders looked up by id, and Odoo's stock computed, this many at a time.
ORDER_ID_CHUNK = 100
STOCK_CHUNK = 200
# Differences that a newer channel version of the order may repair.
REIMPORTED_KINDS = (MISSING_IN_ODOO, STATUS, TOTAL, REFUND)


class RetailReconciler(models.AbstractModel):
    """Measures a backend's drift from its channel: gathers Odoo's side,
    calls the channel's ``_reconcile_fetch_*`` hooks, compares them
    (:mod:`..reconciliation`), repairs through the ordinary pipeline what it
    can (an order the channel has and Odoo hasn't, or a newer version of
    it, is stored as a poll event; a stock difference is an outbox message)
    and records the run with a line per difference."""

    _name = "retail.reconciler"
    _description = "Retail Reconciler"

    @api.model
    def _run(self, backend, since=None, until=None):
        """Reconcile ``backend`` over ``[since, until)`` (naive UTC).

        :return: a summary for the job's result
        :raise RetryableJobError: when the channel is unavailable
        """
        until = until or fields.Datetime.now()
        since = since or until - timedelta(days=max(backend.reconcile_window_days, 1))
        if not backend._try_lock("reconcile"):
            return "Another reconciliation of this backend is running."
        Run = self.env["retail.reconciliation.run"].sudo()
        run = Run.create({"backend_id": backend.id, "window_start": since, "window_end": until})
        try:
            figures = self._reconcile_orders(run, backend, since, until)
            if backend.export_stock and backend.support_stock_export:
                figures.update(self._reconcile_stock(run, backend))
                figures.update(self._reconcile_stock_refusals(run, backend, since))
        except TransientError as exc:
            raise retryable_job_error(exc) from exc
        except PermanentError as exc:
            run.write({"state": "failed", "error": str(exc), "finished_at": fields.Datetime.now()})
            _logger.warning("Reconciliation of backend %s failed: %s", backend.id, exc)
            return f"Failed: {exc}"
        states = Counter(run.line_ids.mapped("state"))
        figures.update(repaired_count=states["repaired"], open_count=states["open"])
        summary = self.env._(
            "%(orders)s orders compared, %(drifted)s differ; %(skus)s SKUs compared, "
            "%(stock)s differ; %(repaired)s repaired, %(open)s left for a person.",
            orders=figures.get("orders_compared", 0),
            drifted=figures.get("orders_drifted", 0),
            skus=figures.get("skus_compared", 0),
            stock=figures.get("stock_differences", 0),
            repaired=states["repaired"],
            open=states["open"],
        )
        run.write(dict(figures, state="done", finished_at=fields.Datetime.now(), summary=summary))
        self.env["retail.poll.cursor"].sudo()._get(backend, RECONCILE_STREAM)._record_run(
            fields.Datetime.now(), summary[:250]
        )
        _logger.info("Reconciliation of backend %s: %s", backend.id, summary)
        return summary

    # Orders

    def _reconcile_orders(self, run, backend, since, until):
        channel = {s.external_id: s for s in backend._reconcile_fetch_orders(since, until)}
        odoo = self._get_odoo_orders(
            backend, [("date_order", ">=", since), ("date_order", "<", until)]
        )
        elsewhere = [external_id for external_id in channel if external_id not in odoo]
        for chunk in itertools.batched(elsewhere, ORDER_ID_CHUNK):
            odoo.update(self._get_odoo_orders(backend, [("retail_external_id", "in", chunk)]))
        unseen = [external_id for external_id in odoo if external_id not in channel]
        for chunk in itertools.batched(unseen, ORDER_ID_CHUNK):
            for summary in backend._reconcile_fetch_orders_by_ids(list(chunk)):
                channel.setdefault(summary.external_id, summary)
        decimals = self._get_currency_decimals(
            {s.currency for s in itertools.chain(channel.values(), odoo.values()) if s.currency}
        )
        result = compare_orders(channel.values(), odoo.values(), since, until, decimals)
        cursor = self.env["retail.poll.cursor"].sudo()._get(backend, RECONCILE_STREAM)
        kinds = Counter()
        for difference in result.differences:
            kinds[difference.kind] += 1
            values = self._order_line_values(run, difference)
            if difference.kind in REIMPORTED_KINDS:
                values.update(self._reimport(backend, cursor, difference))
            self.env["retail.reconciliation.line"].sudo().create(values)
        return {
            "orders_compared": result.compared,
            "orders_drifted": result.drifted,
            "orders_missing_in_odoo": kinds[MISSING_IN_ODOO],
            "orders_missing_in_channel": kinds[MISSING_IN_CHANNEL],
            "status_mismatches": kinds[STATUS],
            "total_mismatches": kinds[TOTAL],
            "refund_mismatches": kinds[REFUND],
        }

    def _order_line_values(self, run, difference):
        return {
            "run_id": run.id,
            "kind": difference.kind,
            "key": difference.key,
            "order_id": difference.odoo.res_id if difference.odoo else False,
            "channel_value": difference.channel_value,
            "odoo_value": difference.odoo_value,
        }

    def _reimport(self, backend, cursor, difference):
        """Store the channel's version of the order as a poll event when it
        is newer than what Odoo applied (deduplicated like any polled
        change); otherwise the difference is left for a person."""
        theirs, ours = difference.channel, difference.odoo
        record = theirs.record if theirs else None
        if record is None:
            return {}
        if ours is not None and (
            not theirs.updated_at or (ours.updated_at and theirs.updated_at <= ours.updated_at)
        ):
            return {}  # Odoo applied this version: importing it again changes nothing
        _seen, stored, _newest = cursor._store([record])
        event = (
            self.env["retail.event"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", backend.id),
                    ("event_key", "=", record.event_values.event_key),
                ],
                limit=1,
            )
        )
        if not stored:
            if event and event.state in ("received", "queued"):
                return {"event_id": event.id, "repair": "Already waiting to be imported"}
            return {"event_id": event.id}
        return {"state": "repaired", "event_id": event.id, "repair": "Imported as a poll event"}

    def _get_odoo_orders(self, backend, domain):
        """``{external id: OrderSummary}`` of ``backend``'s orders in ``domain``."""
        orders = (
            self.env["sale.order"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("retail_backend_id", "=", backend.id),
                    ("retail_external_id", "!=", False),
                    *domain,
                ]
            )
        )
        if not orders:
            return {}
        applied = (
            self.env["retail.binding"]
            .sudo()
            ._get_applied_updates(
                backend, [("sale.order", order.retail_external_id) for order in orders]
            )
        )
        in_flight = self._get_orders_in_flight(backend, orders)
        refunded = Counter()
        for refund in orders.retail_refund_ids:
            refunded[refund.order_id.id] += Decimal(str(refund.amount))
        return {
            order.retail_external_id: OrderSummary(
                external_id=order.retail_external_id,
                status=self._get_odoo_status(order),
                total=Decimal(str(order.amount_total)),
                currency=order.currency_id.name,
                refunded=refunded[order.id],
                created_at=order.date_order,
                updated_at=applied.get(("sale.order", order.retail_external_id)),
                res_id=order.id,
                in_flight=order.id in in_flight,
                raw_status=order.state,
            )
            for order in orders
        }

    def _get_odoo_status(self, order):
        """Odoo's side in the status vocabulary: cancelled, or how much of
        what was sold left the warehouse."""
        if order.state == "cancel":
            return CANCELLED
        deliveries = order.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state != "cancel"
        )
        done = deliveries.filtered(lambda p: p.state == "done")
        if not done:
            return OPEN
        return FULFILLED if done == deliveries else PARTIALLY_FULFILLED

    def _get_orders_in_flight(self, backend, orders):
        """Ids of ``orders`` with a delivery or cancellation Odoo has not
        sent the channel yet."""
        messages = (
            self.env["retail.outbox"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", backend.id),
                    ("state", "=", "pending"),
                    ("kind", "in", ("fulfillment", "cancellation")),
                ]
            )
        )
        ids = set()
        for message in messages:
            record = message._record()
            order = record if record._name == "sale.order" else record.sale_id
            ids.add(order.id)
        return ids & set(orders.ids)

    def _get_currency_decimals(self, codes):
        currencies = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "in", list(codes))])
        )
        return {currency.name: currency.decimal_places for currency in currencies}

    # Stock

    def _reconcile_stock(self, run, backend):
        products = self._get_stock_products(backend)
        pending = (
            self.env["retail.outbox"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", backend.id),
                    ("state", "=", "pending"),
                    ("kind", "=", "stock"),
                    ("res_model", "=", "product.product"),
                ]
            )
        )
        pending_ids = set(pending.mapped("res_id"))
        by_sku = {}
        for product in products:
            by_sku.setdefault(product.default_code, product)
        # One call: the channel reads its side in the pages it prefers.
        channel = backend._reconcile_fetch_stock(list(by_sku)) if by_sku else {}
        odoo = {}
        for chunk in itertools.batched(by_sku.items(), STOCK_CHUNK):
            for sku, product in chunk:
                if sku in channel:
                    odoo[sku] = max(math.floor(backend._get_available_quantity(product)), 0)
        in_flight = {sku for sku, product in by_sku.items() if product.id in pending_ids}
        result = compare_stock(channel, odoo, in_flight)
        for difference in result.differences:
            product = by_sku[difference.key]
            message = (
                self.env["retail.outbox"]
                .sudo()
                ._enqueue(backend, "stock", product, dedup_key=f"stock/{product.id}")
            )
            self.env["retail.reconciliation.line"].sudo().create(
                {
                    "run_id": run.id,
                    "kind": difference.kind,
                    "key": difference.key,
                    "product_id": product.id,
                    "channel_value": difference.channel_value,
                    "odoo_value": difference.odoo_value,
                    "state": "repaired" if message else "open",
                    "outbox_id": message.id,
                    "repair": "Stock level queued for the channel" if message else False,
                }
            )
        compared, differences = result.compared, len(result.differences)
        return {"skus_compared": compared, "stock_differences": differences}

    def _reconcile_stock_refusals(self, run, backend, since):
        """List, for a person, the SKUs whose stock update the channel
        refused since ``since``: sending it again would be refused again."""
        refusals = backend._reconcile_fetch_stock_refusals(since)
        products = {}
        if refusals:
            products = {
                product.default_code: product
                for product in self.env["product.product"]
                .sudo()
                .with_context(active_test=False)
                .search([("default_code", "in", list(refusals))])
            }
        for sku, reason in sorted(refusals.items()):
            self.env["retail.reconciliation.line"].sudo().create(
                {
                    "run_id": run.id,
                    "kind": STOCK_REFUSED,
                    "key": sku,
                    "product_id": products[sku].id if sku in products else False,
                    "channel_value": str(reason)[:250],
                }
            )
        return {"stock_refusals": len(refusals)}

    def _get_stock_products(self, backend):
        """The products whose stock the backend's channel should show: those
        with a SKU that Odoo stocks and sells."""
        return (
            self.env["product.product"]
            .sudo()
            .search(
                [
                    ("default_code", "!=", False),
                    ("is_storable", "=", True),
                    ("sale_ok", "=", True),
                    ("company_id", "in", (backend.company_id.id, False)),
                ],
                order="default_code, id",
            )
        )
