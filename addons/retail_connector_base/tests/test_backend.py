from datetime import timedelta

import psycopg2

from odoo import fields
from odoo.exceptions import UserError
from odoo.tools import mute_logger

from .common import GENERIC_SECRET, RetailCase


class TestBackend(RetailCase):
    def test_webhook_url_uses_random_token_not_database_id(self):
        other = self.backend.copy({"name": "Copy"})
        self.assertGreaterEqual(len(self.backend.webhook_token), 32)
        self.assertNotEqual(other.webhook_token, self.backend.webhook_token)
        self.assertTrue(
            self.backend.webhook_url.endswith(f"/retail/webhook/{self.backend.webhook_token}")
        )
        self.assertNotEqual(self.backend.webhook_url.rsplit("/", 1)[1], str(self.backend.id))
        self.assertFalse(other.webhook_secret, "secrets are not copied")
        self.assertEqual(other.state, "draft")

    def test_regenerated_token_replaces_the_url(self):
        old = self.backend.webhook_url
        self.backend.action_regenerate_webhook_token()
        self.assertNotEqual(self.backend.webhook_url, old)

    def test_event_key_is_unique_per_backend_in_the_database(self):
        event = self.store_event(key="dup-1")
        other_backend = self.backend.copy({"name": "Other", "state": "active"})
        self.assertTrue(self.store_event(key="dup-1", backend=other_backend))
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.errors.UniqueViolation),
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute(
                "INSERT INTO retail_event (backend_id, source, topic, event_key, "
                "received_at, state) VALUES (%s, 'webhook', 't', 'dup-1', now(), 'received')",
                (event.backend_id.id,),
            )

    def test_duplicate_insert_returns_nothing_and_creates_no_job(self):
        jobs_before = self.env["queue.job"].search_count([])
        first = self.store_event(key="same")
        second = self.store_event(key="same")
        self.assertTrue(first)
        self.assertFalse(second)
        self.assertEqual(self.env["retail.event"].search_count([("event_key", "=", "same")]), 1)
        self.assertEqual(self.env["queue.job"].search_count([]), jobs_before + 1)

    def test_health_counts_today_backlog_and_oldest_waiting(self):
        done = self.store_event()
        self.run_event_job(done)
        waiting = self.store_event()
        waiting.received_at = fields.Datetime.now() - timedelta(minutes=90)
        self.store_event()
        failed = self.store_event(payload={"type": "order.created"})  # no "data"
        self.run_event_job(failed)
        yesterday = self.store_event()
        yesterday.received_at = fields.Datetime.now() - timedelta(days=2)
        self.run_event_job(yesterday)

        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.event_received_today, 4)
        self.assertEqual(self.backend.event_failed_today, 1)
        self.assertEqual(self.backend.event_dead_today, 0)
        self.assertEqual(self.backend.event_backlog, 2)
        self.assertEqual(self.backend.oldest_pending_at, waiting.received_at)
        self.assertEqual(self.backend.oldest_pending_age, "1 h 30 min")

    def test_backend_with_events_cannot_be_deleted(self):
        self.store_event()
        with self.assertRaises(UserError):
            self.backend.unlink()

    def test_job_channels_default_to_the_service_tiers(self):
        self.assertEqual(self.backend._get_job_channel("realtime"), "root.retail.realtime")
        self.assertEqual(self.backend._get_job_channel("batch"), "root.retail.batch")

    def test_generated_secret_is_a_standard_webhooks_secret(self):
        from ..adapters import standard_webhooks

        self.backend.action_generate_webhook_secret()
        secret = self.backend.webhook_secret
        self.assertTrue(secret.startswith("whsec_"))
        self.assertNotEqual(secret, GENERIC_SECRET)
        self.assertEqual(len(standard_webhooks.decode_secret(secret)), 32)

    def test_feature_flags_follow_the_channel(self):
        self.assertTrue(self.backend.support_webhooks)
        self.assertTrue(self.backend.support_webhook_secret)
        self.backend.code = "none"
        self.assertFalse(self.backend.support_webhook_secret)
