"""Reconciliation runs of a backend whose channel side is patched (the way
Odoo's payment tests use a dummy provider); the channel sides are tested
against the fake Shopify and Mirakl servers (tests/shopify, tests/marketplace)."""

from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from unittest.mock import patch

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs

from ..adapters import EventValues
from ..exceptions import PermanentError, TransientError
from ..polling import PolledRecord, json_body
from ..reconciliation import CANCELLED, OPEN, OrderSummary
from .common import RetailCase, generic_order_payload

UNTIL = datetime(2026, 11, 8)
SINCE = UNTIL - timedelta(days=7)
CREATED = datetime(2026, 11, 2, 9)


class TestReconciliation(RetailCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mug.is_storable = True
        cls.tshirt.is_storable = True
        cls.Backend = type(cls.env["retail.backend"])
        cls.Run = cls.env["retail.reconciliation.run"]

    def odoo_order(self, external_id, created=CREATED, price=10.0, **values):
        """A channel order already in Odoo."""
        partner = self.env["res.partner"].create({"name": f"Customer {external_id}"})
        return self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "retail_backend_id": self.backend.id,
                "retail_external_id": external_id,
                "date_order": created,
                "order_line": [
                    (0, 0, {"product_id": self.mug.id, "product_uom_qty": 1, "price_unit": price})
                ],
                **values,
            }
        )

    def channel_order(self, order, status=OPEN, total=None, refunded="0", updated=None):
        """The channel's summary of an Odoo ``order`` (the same by default)."""
        return OrderSummary(
            external_id=order.retail_external_id,
            status=status,
            total=Decimal(str(total if total is not None else order.amount_total)),
            currency=order.currency_id.name,
            refunded=Decimal(refunded),
            created_at=order.date_order,
            updated_at=updated,
        )

    def new_channel_order(self, external_id, created=CREATED):
        """An order only the channel has, with the poll record that imports it."""
        payload = generic_order_payload(
            external_id, created_at=f"{created.isoformat()}Z", updated_at=f"{created.isoformat()}Z"
        )
        return OrderSummary(
            external_id=external_id,
            status=OPEN,
            total=Decimal("53.64"),
            currency="USD",
            refunded=Decimal(0),
            created_at=created,
            updated_at=created,
            record=PolledRecord(
                EventValues(f"reconcile-{external_id}", "order.created", {}),
                json_body(payload),
                created,
                "sale.order",
                external_id,
            ),
        )

    @contextmanager
    def channel(self, orders=(), stock=None, by_ids=None, error=None, refused=None):
        """Patch the channel side of the backend: its orders in the window,
        those it finds by id, and its stock."""
        calls = {"orders": [], "by_ids": [], "stock": []}

        def fetch_orders(backend, since, until):
            calls["orders"].append((since, until))
            if error:
                raise error
            return iter(orders)

        def fetch_by_ids(backend, external_ids):
            calls["by_ids"].append(list(external_ids))
            return [o for o in by_ids or () if o.external_id in external_ids]

        def fetch_stock(backend, skus):
            calls["stock"].append(list(skus))
            return {sku: qty for sku, qty in (stock or {}).items() if sku in skus}

        def fetch_refusals(backend, since):
            calls["refusals"].append(since)
            return dict(refused or {})

        calls["refusals"] = []
        with (
            patch.object(self.Backend, "_reconcile_fetch_stock_refusals", fetch_refusals),
            patch.object(self.Backend, "_reconcile_fetch_orders", fetch_orders),
            patch.object(self.Backend, "_reconcile_fetch_orders_by_ids", fetch_by_ids),
            patch.object(self.Backend, "_reconcile_fetch_stock", fetch_stock),
        ):
            yield calls

    @contextmanager
    def supports(self, **flags):
        """The backend's channel supports ``flags`` (``reconciliation=True``...)."""
        compute = self.Backend._compute_feature_support

        def _compute_feature_support(backends):
            compute(backends)
            for name, value in flags.items():
                backends[f"support_{name}"] = value

        self.backend.invalidate_recordset()
        with patch.object(self.Backend, "_compute_feature_support", _compute_feature_support):
            yield
        self.backend.invalidate_recordset()

    def reconcile(self):
        self.env["retail.reconciler"]._run(self.backend, since=SINCE, until=UNTIL)
        return self.Run.search([("backend_id", "=", self.backend.id)], limit=1)

    def test_missing_orders_are_imported_as_poll_events(self):
        in_odoo = [self.odoo_order(f"OK-{n}") for n in range(8)]
        lost = [self.new_channel_order("LOST-1"), self.new_channel_order("LOST-2")]
        orders = [self.channel_order(order) for order in in_odoo] + lost
        with self.channel(orders), trap_jobs():
            run = self.reconcile()
        self.assertEqual(run.state, "done")
        self.assertEqual((run.orders_compared, run.orders_missing_in_odoo), (10, 2))
        self.assertEqual(run.order_drift_rate, 200.0)
        self.assertEqual((run.repaired_count, run.open_count), (2, 0))
        events = self.env["retail.event"].search(
            [("backend_id", "=", self.backend.id), ("source", "=", "poll")]
        )
        self.assertEqual(
            sorted(events.mapped("event_key")), ["reconcile-LOST-1", "reconcile-LOST-2"]
        )
        line = run.line_ids.filtered(lambda line: line.key == "LOST-1")
        self.assertEqual((line.kind, line.state), ("missing_in_odoo", "repaired"))
        self.assertEqual(line.event_id.event_key, "reconcile-LOST-1")
        # The event goes through the ordinary pipeline: the order is imported.
        self.assertFalse(self.run_event_job(line.event_id))
        self.assertTrue(
            self.env["sale.order"].search([("retail_external_id", "=", "LOST-1")]),
            line.event_id.error,
        )
        # A second run stores nothing twice.
        with self.channel(orders), trap_jobs():
            self.reconcile()
        self.assertEqual(
            self.env["retail.event"].search_count(
                [("backend_id", "=", self.backend.id), ("source", "=", "poll")]
            ),
            2,
        )

    def test_mismatches_are_listed_for_a_person(self):
        cancelled = self.odoo_order("CANCELLED-THERE")
        pricier = self.odoo_order("PRICIER")
        refunded = self.odoo_order("REFUNDED")
        gone = self.odoo_order("GONE")
        orders = [
            self.channel_order(cancelled, status=CANCELLED),
            self.channel_order(pricier, total=pricier.amount_total + 5),
            self.channel_order(refunded, refunded="4.00"),
        ]
        with self.channel(orders) as calls:
            run = self.reconcile()
        self.assertEqual(
            calls["by_ids"], [["GONE"]], "the channel is asked for what it didn't list"
        )
        self.assertEqual(
            sorted(run.line_ids.mapped(lambda line: (line.kind, line.key, line.state))),
            [
                ("missing_in_channel", "GONE", "open"),
                ("refund", "REFUNDED", "open"),
                ("status", "CANCELLED-THERE", "open"),
                ("total", "PRICIER", "open"),
            ],
        )
        self.assertEqual(
            (run.status_mismatches, run.total_mismatches, run.refund_mismatches), (1, 1, 1)
        )
        self.assertEqual((run.orders_missing_in_channel, run.orders_compared), (1, 4))
        self.assertEqual((run.open_count, run.order_drift_rate), (4, 1000.0))
        line = run.line_ids.filtered(lambda line: line.key == "GONE")
        self.assertEqual(line.order_id, gone)
        self.assertEqual(
            run.line_ids.filtered(lambda line: line.kind == "status").channel_value, "cancelled"
        )
        line.note = "Deleted in the channel by the shop owner"
        line.action_ignore()
        self.assertEqual((line.state, line.resolved_by_id), ("ignored", self.env.user))
        line.action_reopen()
        self.assertEqual(line.state, "open")
        self.assertFalse(line.resolved_at)

    def test_newer_channel_version_of_a_mismatch_is_imported_again(self):
        order = self.odoo_order("STALE")
        self.env["retail.binding"].create(
            {
                "backend_id": self.backend.id,
                "res_model": "sale.order",
                "res_id": order.id,
                "external_id": "STALE",
                "external_updated_at": CREATED,
            }
        )
        newer = self.new_channel_order("STALE")._replace(
            status=CANCELLED,
            updated_at=CREATED + timedelta(hours=1),
            total=Decimal(str(order.amount_total)),
            currency=order.currency_id.name,
        )
        newer = newer._replace(record=newer.record._replace(updated_at=newer.updated_at))
        same = newer._replace(updated_at=CREATED, record=newer.record._replace(updated_at=CREATED))
        with self.channel([same]), trap_jobs():
            run = self.reconcile()
        self.assertEqual(run.line_ids.mapped("state"), ["open"], "Odoo has that version")
        with self.channel([newer]), trap_jobs():
            run = self.reconcile()
        line = run.line_ids
        self.assertEqual((line.kind, line.state), ("status", "repaired"))
        self.assertEqual(line.event_id.event_key, "reconcile-STALE")

    def test_order_of_another_date_in_odoo_is_compared_not_missing(self):
        order = self.odoo_order("EARLY", created=SINCE - timedelta(minutes=5))
        summary = self.channel_order(order)._replace(created_at=SINCE + timedelta(minutes=5))
        with self.channel([summary]):
            run = self.reconcile()
        self.assertEqual((run.orders_compared, run.orders_drifted), (1, 0))

    def test_status_of_an_undelivered_change_is_not_compared(self):
        order = self.odoo_order("CANCELLED-HERE")
        order.with_context(disable_cancel_warning=True).action_cancel()
        self.env["retail.outbox"].create(
            {
                "backend_id": self.backend.id,
                "kind": "cancellation",
                "res_model": "sale.order",
                "res_id": order.id,
            }
        )
        with self.channel([self.channel_order(order)]):
            run = self.reconcile()
        self.assertFalse(run.line_ids)
        self.env["retail.outbox"].search([("res_id", "=", order.id)]).state = "done"
        with self.channel([self.channel_order(order)]):
            run = self.reconcile()
        self.assertEqual(run.line_ids.mapped("odoo_value"), ["cancelled (cancel)"])

    def test_stock_differences_are_sent_through_the_outbox(self):
        self.backend.export_stock = True
        with self.supports(stock_export=True):
            self.env["stock.quant"]._update_available_quantity(
                self.mug, self.env.ref("stock.stock_location_stock"), 7
            )
            refused = {"TSHIRT-M": "Import 4, line 2: the offer does not exist", "GONE": "no"}
            with (
                self.channel(stock={"MUG": 3, "TSHIRT-M": 0}, refused=refused) as calls,
                trap_jobs() as trap,
            ):
                run = self.reconcile()
        self.assertEqual(len(calls["stock"]), 1)
        self.assertIn("MUG", calls["stock"][0])
        self.assertEqual((run.skus_compared, run.stock_differences), (2, 1))
        self.assertEqual(run.stock_drift_rate, 500.0)
        self.assertEqual(calls["refusals"], [SINCE])
        refusals = run.line_ids.filtered(lambda line: line.kind == "stock_refused")
        self.assertEqual(
            sorted(refusals.mapped(lambda line: (line.key, line.product_id, line.state))),
            [("GONE", self.env["product.product"], "open"), ("TSHIRT-M", self.tshirt, "open")],
        )
        self.assertEqual((run.stock_refusals, run.open_count, run.repaired_count), (2, 2, 1))
        line = run.line_ids - refusals
        self.assertEqual((line.key, line.channel_value, line.odoo_value), ("MUG", "3", "7"))
        self.assertEqual((line.state, line.product_id), ("repaired", self.mug))
        self.assertEqual(
            (line.outbox_id.kind, line.outbox_id.res_id, line.outbox_id.dedup_key),
            ("stock", self.mug.id, f"stock/{self.mug.id}"),
        )
        sends = [job for job in trap.enqueued_jobs if job.method_name == "_send"]
        self.assertEqual([job.recordset for job in sends], [line.outbox_id])

    def test_channel_refusal_fails_the_run_and_outage_retries_it(self):
        with self.channel(error=PermanentError("Shopify rejected the access token")):
            run = self.reconcile()
        self.assertEqual(run.state, "failed")
        self.assertIn("access token", run.error)
        with (
            self.channel(error=TransientError("Shopify answered 502", retry_after=30)),
            self.assertRaises(RetryableJobError),
        ):
            self.reconcile()

    def test_reconcile_now_and_the_cron_queue_batch_jobs(self):
        self.assertEqual(self.backend._reconcile(), "This backend's channel can't be reconciled.")
        with trap_jobs() as trap:
            self.backend.action_reconcile_now()
            self.env["retail.backend"]._cron_reconcile()
            trap.assert_jobs_count(0)
        with self.supports(reconciliation=True), trap_jobs() as trap:
            self.backend.action_reconcile_now()
            trap.assert_jobs_count(1, only=self.backend._reconcile)
            self.assertEqual(trap.enqueued_jobs[0].channel, "root.retail.batch")
            with self.channel():
                trap.perform_enqueued_jobs()
        run = self.Run.search([("backend_id", "=", self.backend.id)])
        self.assertEqual(run.state, "done")
        self.assertEqual(run.window_end - run.window_start, timedelta(days=7))
        self.assertEqual(self.backend.reconcile_last_run_id, run)
        with self.supports(reconciliation=True), trap_jobs() as trap:
            self.env["retail.backend"]._cron_reconcile()
            trap.assert_jobs_count(0, only=self.backend._reconcile)  # ran today already
            run.started_at -= timedelta(days=2)
            self.env["retail.backend"]._cron_reconcile()
            trap.assert_jobs_count(1, only=self.backend._reconcile)
