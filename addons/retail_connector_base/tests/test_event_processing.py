from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

import psycopg2
import requests

from odoo import fields
from odoo.exceptions import UserError, ValidationError

from odoo.addons.queue_job.exception import FailedJobError

from ..exceptions import PermanentError, TransientError
from .common import RetailCase, generic_order_payload


class TestEventProcessing(RetailCase):
    @contextmanager
    def apply_counting(self, outcome=("done", False)):
        """Make the importer seam succeed, counting how often it applies."""
        calls = []

        def _apply_canonical(event_self, canonical):
            calls.append((event_self.id, type(canonical).__name__))
            return outcome

        with patch.object(type(self.env["retail.event"]), "_apply_canonical", _apply_canonical):
            yield calls

    def test_event_is_queued_with_its_job_in_the_realtime_channel(self):
        event = self.store_event()
        self.assertEqual(event.state, "queued")
        self.assertEqual(event.job_id.state, "pending")
        self.assertEqual(event.job_id.channel, "root.retail.realtime")
        self.assertEqual(event.job_id.max_retries, 3)
        self.assertEqual(event.job_id.method_name, "_process")
        self.assertEqual(event.job_id.records, event)

    def test_inventory_event_is_queued_in_the_batch_channel(self):
        """A burst of stock counts must not hold up orders: the batch tier."""
        event = self.store_event(
            {"type": "inventory.updated", "data": {"sku": "MUG", "available": 3}}
        )
        self.assertEqual(event.job_id.channel, "root.retail.batch")
        order = self.store_event()
        self.assertEqual(order.job_id.channel, "root.retail.realtime")

    def test_inventory_event_follows_the_backend_batch_channel(self):
        channel = self.env["queue.job.channel"].create(
            {"name": "stock", "parent_id": self.env.ref("queue_job.channel_root").id}
        )
        self.backend.job_channel_batch_id = channel
        event = self.store_event(
            {"type": "inventory.updated", "data": {"sku": "MUG", "available": 3}}
        )
        self.assertEqual(event.job_id.channel, "root.stock")
        # replayed, it is queued again in the same tier
        event.write({"state": "failed"})
        event.action_replay()
        self.assertEqual(event.job_id.channel, "root.stock")

    def test_process_without_importer_ignores_with_reason(self):
        event = self.store_event({"type": "loyalty.updated", "data": {"points": 10}})
        self.assertIsNone(self.run_event_job(event))
        self.assertEqual(event.state, "ignored")
        self.assertEqual(event.state_reason, "No importer handles topic loyalty.updated.")
        self.assertEqual(event.attempts, 1)
        self.assertTrue(event.processed_at)
        self.assertEqual(event.job_id.state, "done")

    def test_process_applies_canonical_data_once(self):
        event = self.store_event()
        with self.apply_counting() as calls:
            self.run_event_job(event)
        self.assertEqual(calls, [(event.id, "Order")])
        self.assertEqual(event.state, "done")
        self.assertFalse(event.error)

    def test_process_permanent_validation_error_fails_at_once_with_field_path(self):
        payload = generic_order_payload()
        del payload["data"]
        event = self.store_event(payload)
        error = self.run_event_job(event)
        self.assertIsInstance(error, FailedJobError)
        self.assertEqual(event.state, "failed")
        self.assertEqual(event.attempts, 1)
        self.assertEqual(event.error, "data: Field required")
        self.assertEqual(event.job_id.state, "failed")

    def test_process_odoo_validation_error_is_permanent(self):
        event = self.store_event()
        with self.apply_raising(lambda: ValidationError("Product TSHIRT-M is archived")):
            self.run_event_job(event)
        self.assertEqual(event.state, "failed")
        self.assertEqual(event.error, "Product TSHIRT-M is archived")

    def test_process_transient_error_retries_with_backoff(self):
        event = self.store_event()
        with self.apply_raising(lambda: TransientError("Shopify answered 503")):
            error = self.run_event_job(event)
        self.assertIsNone(error, "a transient error is postponed, not failed")
        self.assertEqual(event.state, "queued")
        self.assertEqual(event.attempts, 1)
        self.assertEqual(event.error, "Shopify answered 503")
        job = event.job_id
        self.assertEqual(job.state, "pending")
        self.assertEqual(job.retry, 1)
        # retry pattern of the job function: 10 s after the first attempt
        self.assertAlmostEqual((job.eta - fields.Datetime.now()).total_seconds(), 10, delta=5)

    def test_process_retries_wait_longer_each_time(self):
        event = self.store_event()
        with self.apply_raising(lambda: TransientError("Shopify answered 503")):
            self.run_event_job(event)
            self.run_event_job(event)
        self.assertEqual((event.state, event.attempts), ("queued", 2))
        # retry pattern of the job function: 30 s after the second attempt
        eta = event.job_id.eta
        self.assertAlmostEqual((eta - fields.Datetime.now()).total_seconds(), 30, delta=5)

    def test_process_channel_retry_after_wins_over_the_backoff(self):
        event = self.store_event()
        with self.apply_raising(lambda: TransientError("throttled", retry_after=300)):
            self.run_event_job(event)
        eta = event.job_id.eta
        self.assertAlmostEqual((eta - fields.Datetime.now()).total_seconds(), 300, delta=5)

    def test_process_lock_contention_and_network_errors_are_transient(self):
        for exc in (
            psycopg2.errors.LockNotAvailable("could not obtain lock on row"),
            psycopg2.errors.SerializationFailure("could not serialize access"),
            requests.exceptions.ConnectionError("connection refused"),
        ):
            event = self.store_event()
            with self.apply_raising(lambda exc=exc: exc):
                self.run_event_job(event)
            self.assertEqual(event.state, "queued", type(exc).__name__)
            self.assertEqual(event.job_id.state, "pending")

    def test_process_dead_after_max_attempts(self):
        event = self.store_event()
        with self.apply_raising(lambda: TransientError("marketplace down")) as calls:
            for _attempt in range(3):
                error = self.run_event_job(event)
        self.assertEqual(len(calls), 3)
        self.assertIsInstance(error, FailedJobError)
        self.assertEqual(event.state, "dead")
        self.assertEqual(event.attempts, 3)
        self.assertEqual(event.error, "Gave up after 3 attempts: marketplace down")
        self.assertEqual(event.job_id.state, "failed")

    def test_process_unexpected_error_is_retried_and_described(self):
        event = self.store_event()
        with self.apply_raising(lambda: KeyError("line_items")):
            self.run_event_job(event)
        self.assertEqual(event.state, "queued")
        self.assertEqual(event.error, "KeyError: 'line_items'")

    def test_failed_work_is_rolled_back(self):
        partner_name = "Half-written customer"

        def factory():
            self.env["res.partner"].create({"name": partner_name})
            return PermanentError("missing SKU", path="data.lines.0.sku")

        event = self.store_event()
        with self.apply_raising(factory):
            self.run_event_job(event)
        self.assertEqual(event.state, "failed")
        self.assertEqual(event.error, "data.lines.0.sku: missing SKU")
        self.assertFalse(self.env["res.partner"].search([("name", "=", partner_name)]))

    def test_replay_applies_a_failed_event_once(self):
        event = self.store_event()
        with self.apply_raising(lambda: PermanentError("unknown SKU TSHIRT-M")):
            self.run_event_job(event)
        self.assertEqual(event.state, "failed")
        first_job = event.job_id

        event.action_replay()
        self.assertEqual(event.state, "queued")
        self.assertEqual(event.attempts, 0)
        self.assertFalse(event.error)
        self.assertNotEqual(event.job_id, first_job)
        with self.apply_counting() as calls:
            self.run_event_job(event)
            self.assertEqual(event.state, "done")
            with self.assertRaises(UserError):
                event.action_replay()
        self.assertEqual(len(calls), 1)

    def test_replay_many_events_at_once(self):
        events = self.store_event() | self.store_event() | self.store_event()
        with self.apply_raising(lambda: PermanentError("bad")):
            for event in events:
                self.run_event_job(event)
        self.assertEqual(set(events.mapped("state")), {"failed"})
        events.action_replay()
        self.assertEqual(set(events.mapped("state")), {"queued"})
        self.assertEqual(len(events.job_id), 3)

    def test_two_jobs_for_one_event_apply_it_once(self):
        event = self.store_event()
        first_job = event.job_id
        event._enqueue_processing()  # e.g. a replay racing the first job
        second_job = event.job_id
        self.assertNotEqual(first_job, second_job)
        with self.apply_counting() as calls:
            self.run_job(first_job)
            self.run_job(second_job)
        self.assertEqual(len(calls), 1)
        self.assertEqual(second_job.state, "done")
        self.assertEqual(second_job.result, "Event already done: nothing applied.")

    def test_job_of_paused_backend_keeps_event_for_later(self):
        event = self.store_event()
        self.backend.action_pause()
        with self.apply_counting() as calls:
            self.run_event_job(event)
            self.assertEqual(calls, [])
            self.assertEqual(event.state, "received")
            self.backend.action_activate()
            self.assertEqual(event.state, "queued")
            self.run_event_job(event)
        self.assertEqual(len(calls), 1)
        self.assertEqual(event.state, "done")

    def test_replay_refuses_processed_events(self):
        event = self.store_event()
        self.run_event_job(event)
        self.assertEqual(event.state, "done")
        with self.assertRaisesRegex(UserError, "never applied twice"):
            event.action_replay()

    def test_purge_erases_old_bodies_of_processed_events_only(self):
        old_done = self.store_event()
        self.run_event_job(old_done)
        old_waiting = self.store_event()
        recent_done = self.store_event()
        self.run_event_job(recent_done)
        long_ago = fields.Datetime.now() - timedelta(days=self.backend.raw_body_retention_days + 1)
        (old_done | old_waiting).write({"received_at": long_ago})

        self.env["retail.event"]._cron_purge_raw_bodies()

        self.assertTrue(old_done.body_purged)
        self.assertFalse(old_done.body)
        self.assertTrue(old_done.exists(), "the row stays")
        self.assertFalse(old_waiting.body_purged, "an unprocessed event keeps its body")
        self.assertTrue(old_waiting.body)
        self.assertFalse(recent_done.body_purged)

    def test_processing_a_purged_event_fails_with_a_reason(self):
        event = self.store_event()
        event.write({"body": False, "body_purged": True})
        self.run_event_job(event)
        self.assertEqual(event.state, "failed")
        self.assertIn("purged", event.error)


class TestProcessingJobFormat(RetailCase):
    def test_enqueued_job_is_the_row_with_delay_would_store(self):
        """Events are enqueued with one INSERT, not queue_job's ORM path: the
        row must stay what queue_job itself stores, field by field."""
        event = self.store_event()
        ours = event.job_id
        reference = (
            event.with_delay(
                channel="root.retail.realtime",
                priority=5,
                max_retries=self.backend.max_attempts,
                description=f"Process generic event order.created ({event.event_key})",
            )
            ._process()
            .db_record()
        )
        compared = [
            "name",
            "model_name",
            "method_name",
            "func_string",
            "channel_method_name",
            "job_function_id",
            "channel",
            "state",
            "priority",
            "max_retries",
            "retry",
            "user_id",
            "company_id",
            "eta",
            "identity_key",
            "graph_uuid",
            "dependencies",
        ]
        self.assertEqual(
            ours.read(compared)[0] | {"id": 0}, reference.read(compared)[0] | {"id": 0}
        )
        self.assertEqual(ours.records, reference.records)
        self.assertEqual(ours.records.env.uid, reference.records.env.uid)
        self.assertEqual(ours.args, reference.args)
        self.assertEqual(ours.kwargs, reference.kwargs)
        self.assertNotEqual(ours.uuid, reference.uuid)
        self.assertAlmostEqual(
            ours.date_created, reference.date_created, delta=timedelta(seconds=5)
        )
