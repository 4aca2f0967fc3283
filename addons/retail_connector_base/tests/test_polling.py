"""The one poll loop: a channel's _poll_fetch hook feeds the event store."""

from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError
from odoo.modules.neutralize import get_neutralization_queries

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs

from ..adapters import EventValues
from ..exceptions import TransientError
from ..polling import PolledRecord, json_body, parse_iso_utc
from .common import RetailCase


def polled(external_id, updated_at, res_model=None):
    stamp = parse_iso_utc(updated_at)
    return PolledRecord(
        event_values=EventValues(
            event_key=f"{external_id}@{updated_at}", topic="orders/poll", headers={}
        ),
        body=json_body({"id": external_id, "updated_at": updated_at}),
        updated_at=stamp,
        res_model=res_model,
        external_id=external_id,
    )


class TestPolling(RetailCase):
    @contextmanager
    def polling_channel(self, changes):
        """The test backend polls; its channel answers ``changes`` (a list of
        PolledRecord, or an exception to raise); yields the ``since`` values asked."""
        asked = []
        Backend = type(self.env["retail.backend"])
        compute = Backend._compute_feature_support

        def _compute_feature_support(backends):
            compute(backends)
            for backend in backends:
                backend.support_polling = backend.code == "generic"

        def _poll_fetch(backend, since, stream="orders"):
            asked.append(since)
            if isinstance(changes, Exception):
                raise changes
            yield from changes

        with (
            patch.object(Backend, "_compute_feature_support", _compute_feature_support),
            patch.object(Backend, "_poll_fetch", _poll_fetch),
        ):
            self.backend.invalidate_recordset(["support_polling"])
            yield asked

    def poll_events(self):
        return self.env["retail.event"].search(
            [("backend_id", "=", self.backend.id), ("source", "=", "poll")]
        )

    def test_poll_stores_changes_as_events_and_moves_the_cursor(self):
        changes = [polled("A", "2026-11-02T09:00:00Z"), polled("B", "2026-11-02T10:30:00+01:00")]
        with self.polling_channel(changes) as asked:
            result = self.backend._poll()
        events = self.poll_events()
        self.assertEqual(
            sorted(events.mapped("event_key")), sorted(c.event_values.event_key for c in changes)
        )
        self.assertEqual(set(events.mapped("state")), {"queued"})
        self.assertIn("2 orders updated since", result)
        self.assertIn("2 new events", result)
        self.assertEqual(self.backend.poll_cursor, datetime(2026, 11, 2, 9, 30))
        self.assertEqual(self.backend.poll_last_result, result)
        # From the backend's creation, minus the overlap.
        self.assertEqual(asked, [self.backend.create_date - timedelta(minutes=10)])

    def test_next_poll_reads_from_the_cursor_minus_the_overlap_and_stores_nothing_twice(self):
        changes = [polled("A", "2026-11-02T09:00:00Z")]
        with self.polling_channel(changes) as asked:
            self.backend._poll()
            result = self.backend._poll(force=True)
        self.assertEqual(asked[1], datetime(2026, 11, 2, 8, 50))
        self.assertIn("1 orders updated since", result)
        self.assertIn("0 new events", result)
        self.assertEqual(len(self.poll_events()), 1)

    def test_cursor_never_moves_back(self):
        with self.polling_channel([polled("A", "2026-11-02T09:00:00Z")]):
            self.backend._poll()
        with self.polling_channel([polled("B", "2026-11-01T09:00:00Z")]):
            self.backend._poll(force=True)
        self.assertEqual(self.backend.poll_cursor, datetime(2026, 11, 2, 9, 0))

    def test_change_already_applied_is_not_stored(self):
        self.env["retail.binding"].create(
            {
                "backend_id": self.backend.id,
                "res_model": "res.partner",
                "res_id": self.env.user.partner_id.id,
                "external_id": "A",
                "external_updated_at": datetime(2026, 11, 2, 9, 0),
            }
        )
        changes = [
            polled("A", "2026-11-02T09:00:00Z", "res.partner"),
            polled("B", "2026-11-02T09:00:00Z", "res.partner"),
        ]
        with self.polling_channel(changes):
            result = self.backend._poll()
        self.assertEqual(self.poll_events().mapped("event_key"), ["B@2026-11-02T09:00:00Z"])
        self.assertIn("2 orders updated", result)
        self.assertIn("1 new events", result)

    def test_poll_within_the_interval_is_skipped_unless_forced(self):
        with self.polling_channel([polled("A", "2026-11-02T09:00:00Z")]) as asked:
            self.backend._poll()
            self.assertIn("skipped", self.backend._poll())
            self.backend._poll(force=True)
        self.assertEqual(len(asked), 2)

    def test_channel_outage_retries_the_job_and_keeps_the_cursor(self):
        with (
            self.polling_channel(TransientError("503", retry_after=42)),
            self.enter_registry_test_mode(),
            self.assertRaises(RetryableJobError) as caught,
        ):
            self.backend._poll()
        self.assertEqual(caught.exception.seconds, 42)
        self.assertFalse(self.backend.poll_cursor)
        self.assertFalse(self.backend.poll_last_at)

    def test_inactive_backend_is_not_polled(self):
        self.backend.action_pause()
        with self.polling_channel([polled("A", "2026-11-02T09:00:00Z")]) as asked:
            self.assertIn("nothing polled", self.backend._poll())
        self.assertFalse(asked)

    def test_backend_without_polling_is_not_polled(self):
        self.assertFalse(self.backend.support_polling)
        self.assertIn("nothing polled", self.backend._poll())

    def test_cron_queues_the_backends_whose_interval_passed(self):
        Backend = self.env["retail.backend"]
        with self.polling_channel([]):
            with trap_jobs() as trap:
                Backend._cron_poll()
                trap.assert_jobs_count(1, only=self.backend._poll)
            cursor = self.env["retail.poll.cursor"]._get(self.backend, "orders")
            cursor.last_run_at = fields.Datetime.now()
            with trap_jobs() as trap:
                Backend._cron_poll()
                trap.assert_jobs_count(0, only=self.backend._poll)
            cursor.last_run_at = fields.Datetime.now() - timedelta(minutes=6)
            with trap_jobs() as trap:
                Backend._cron_poll()
                trap.assert_jobs_count(1, only=self.backend._poll)

    def test_poll_now_queues_a_forced_poll(self):
        with self.polling_channel([]), trap_jobs() as trap:
            self.backend.action_poll_now()
            trap.assert_enqueued_job(self.backend._poll, kwargs={"force": True})

    def poll_jobs(self):
        return self.env["queue.job"].search(
            [("model_name", "=", "retail.backend"), ("method_name", "=", "_poll")]
        )

    def seconds_until(self, when):
        return (when - fields.Datetime.now()).total_seconds()

    def test_poll_now_runs_the_poll_waiting_for_its_next_attempt(self):
        """After an outage longer than a few attempts, the poll job waits
        minutes for its next one: "Poll now" runs it now, queues no other."""
        with self.polling_channel(TransientError("Mirakl answered 503")) as asked:
            job = self.backend._queue_poll()
            for _attempt in range(3):  # waits 10 s, 30 s, then 120 s
                self.assertIsNone(self.run_job(job.db_record()))
            record = job.db_record()
            self.assertEqual((record.state, record.retry), ("pending", 3))
            self.assertAlmostEqual(self.seconds_until(record.eta), 120, delta=5)
            with trap_jobs() as trap:
                self.backend.action_poll_now()
                trap.assert_jobs_count(0)
        self.assertEqual(len(asked), 3)
        self.assertLessEqual(self.seconds_until(record.eta), 0)
        self.assertEqual(self.poll_jobs(), record)

    def test_cron_brings_a_waiting_poll_within_a_minute(self):
        with self.polling_channel(TransientError("Mirakl answered 503")):
            job = self.backend._queue_poll().db_record()
            self.run_job(job)
            job.eta = fields.Datetime.now() + timedelta(minutes=30)
            with trap_jobs() as trap:
                self.env["retail.backend"]._cron_poll()
                trap.assert_jobs_count(0)
        self.assertLessEqual(self.seconds_until(job.eta), 0)
        self.assertEqual(self.poll_jobs(), job)
        # A poll due within the minute is left as it is.
        job.eta = fields.Datetime.now() + timedelta(seconds=20)
        eta = job.eta
        self.env["retail.backend"]._cron_poll()
        self.assertEqual(job.eta, eta)

    def test_the_channels_retry_after_is_kept_by_poll_now_and_the_cron(self):
        with self.polling_channel(TransientError("Mirakl answered 429", retry_after=3600)) as asked:
            job = self.backend._queue_poll().db_record()
            self.run_job(job)
            self.assertAlmostEqual(self.seconds_until(job.eta), 3600, delta=5)
            eta = job.eta
            action = self.backend.action_poll_now()
            self.assertEqual(action["params"]["type"], "warning")
            self.assertIn("asked not to be polled before", action["params"]["message"])
            self.env["retail.backend"]._cron_poll()
            self.assertEqual(job.eta, eta)
            # A new poll job waits too, and a poll run early asks nothing.
            job.state = "cancelled"
            with trap_jobs() as trap:
                self.backend.action_poll_now()
                [queued] = trap.enqueued_jobs
            self.assertAlmostEqual(self.seconds_until(queued.eta), 3600, delta=5)
            with self.assertRaises(RetryableJobError) as caught:
                self.backend._poll(force=True)
            self.assertAlmostEqual(caught.exception.seconds, 3600, delta=5)
        self.assertEqual(len(asked), 1)
        # Once the time has come, the poll runs and forgets the wait.
        cursor = self.env["retail.poll.cursor"]._get(self.backend, "orders")
        self.backend._set_runtime_values(
            {"poll_not_before/orders": (fields.Datetime.now() - timedelta(seconds=1)).isoformat()}
        )
        with self.polling_channel([polled("A", "2026-11-02T09:00:00Z")]) as asked:
            self.backend._poll(force=True)
        self.assertEqual(len(asked), 1)
        self.assertFalse(cursor._get_not_before())


class TestRuntimeValues(RetailCase):
    def test_values_are_kept_per_backend_and_removed_with_none(self):
        other = self.backend.copy({"name": "Other"})
        self.backend._set_runtime_values({"token": "secret", "expires_at": 12.5})
        self.assertEqual(self.backend._get_runtime_value("token"), "secret")
        self.assertEqual(self.backend._get_runtime_value("expires_at"), 12.5)
        self.assertIsNone(other._get_runtime_value("token"))
        self.backend._set_runtime_values({"token": "renewed"})
        self.assertEqual(self.backend._get_runtime_value("token"), "renewed")
        self.backend._set_runtime_values({"token": None})
        self.assertEqual(self.backend._get_runtime_value("token", "none"), "none")

    def test_runtime_values_do_not_touch_the_configuration(self):
        before = self.backend.write_date
        self.backend._set_runtime_values({"token": "secret"})
        self.backend.invalidate_recordset(["write_date"])
        self.assertEqual(self.backend.write_date, before)

    def test_runtime_values_are_hidden_from_retail_managers(self):
        manager = self.env["res.users"].create(
            {
                "name": "Channel manager",
                "login": "runtime-manager",
                "group_ids": [
                    (6, 0, [self.env.ref("retail_connector_base.group_retail_connect_manager").id])
                ],
            }
        )
        self.backend._set_runtime_values({"token": "secret"})
        Runtime = self.env["retail.backend.runtime"].with_user(manager)
        with self.assertRaises(AccessError):
            Runtime.search([])

    def test_neutralization_wipes_runtime_values(self):
        self.backend._set_runtime_values({"token": "secret"})
        for query in get_neutralization_queries(["retail_connector_base"]):
            self.env.cr.execute(query)
        self.env.invalidate_all()
        self.assertIsNone(self.backend._get_runtime_value("token"))
        self.assertEqual(self.backend.state, "paused")
