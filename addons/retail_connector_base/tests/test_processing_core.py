"""The processing core on its own (no database): which errors are retried,
how they read, and what a failed attempt leads to under the retry policy,
with the backoff the addon seeds (read from its data file)."""

import ast
import unittest
from pathlib import Path
from types import SimpleNamespace
from xml.etree import ElementTree

import psycopg2
import requests

from odoo.exceptions import AccessError, UserError, ValidationError

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job

from ..exceptions import PermanentError, TransientError
from ..processing import (
    DEAD,
    FAILED,
    RETRY,
    RetryPolicy,
    describe_error,
    is_transient_error,
)

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "queue_job_function_data.xml"


def seeded_retry_patterns():
    """The retry pattern of each job function of the data file, by xml id."""
    return {
        record.get("id"): ast.literal_eval(record.find("field[@name='retry_pattern']").get("eval"))
        for record in ElementTree.parse(DATA_FILE).getroot().iter("record")
        if record.get("model") == "queue.job.function"
    }


class TestErrorClassification(unittest.TestCase):
    def test_passing_faults_are_transient(self):
        for exc in (
            TransientError("Shopify answered 503"),
            RetryableJobError("later"),
            psycopg2.errors.SerializationFailure("could not serialize access"),
            psycopg2.errors.LockNotAvailable("could not obtain lock on row"),
            psycopg2.errors.DeadlockDetected("deadlock detected"),
            psycopg2.errors.UniqueViolation("duplicate key value"),
            requests.exceptions.ConnectionError("connection refused"),
            requests.exceptions.Timeout("read timed out"),
        ):
            self.assertTrue(is_transient_error(exc), type(exc).__name__)

    def test_errors_a_person_must_fix_are_permanent(self):
        for exc in (
            PermanentError("unknown SKU"),
            ValidationError("Product TSHIRT-M is archived"),
            UserError("no warehouse"),
            AccessError("not allowed"),
            ValueError("bad date"),
        ):
            self.assertFalse(is_transient_error(exc), type(exc).__name__)

    def test_an_unexpected_error_is_transient(self):
        self.assertTrue(is_transient_error(KeyError("line_items")))


class TestErrorDescription(unittest.TestCase):
    def test_our_errors_read_as_raised_with_their_field_path(self):
        self.assertEqual(
            describe_error(PermanentError("missing SKU", path="data.lines.0.sku")),
            "data.lines.0.sku: missing SKU",
        )
        self.assertEqual(
            describe_error(TransientError("Shopify answered 503")), "Shopify answered 503"
        )

    def test_odoo_errors_read_as_their_message(self):
        self.assertEqual(
            describe_error(ValidationError("Product TSHIRT-M is archived")),
            "Product TSHIRT-M is archived",
        )
        self.assertEqual(describe_error(UserError("no warehouse")), "no warehouse")

    def test_network_and_database_errors_say_what_happened(self):
        self.assertEqual(
            describe_error(requests.exceptions.ConnectionError("connection refused")),
            "Channel unreachable: connection refused",
        )
        self.assertEqual(
            describe_error(psycopg2.errors.LockNotAvailable("could not obtain lock")),
            "Database contention (LockNotAvailable); will retry.",
        )

    def test_an_unexpected_error_reads_as_its_type_and_message(self):
        self.assertEqual(describe_error(KeyError("line_items")), "KeyError: 'line_items'")

    def test_messages_go_through_the_translation_function(self):
        def shout(message, *args, **kwargs):
            return (message % (args or kwargs)).upper()

        self.assertEqual(
            describe_error(requests.exceptions.Timeout("read timed out"), shout),
            "CHANNEL UNREACHABLE: READ TIMED OUT",
        )


class TestRetryPolicy(unittest.TestCase):
    policy = RetryPolicy(3, {1: 10, 2: 30, 3: 120})

    def test_permanent_error_fails_at_once_with_attempts_left(self):
        outcome = self.policy.decide(PermanentError("unknown SKU"), 1)
        self.assertEqual((outcome.kind, outcome.attempts), (FAILED, 1))
        self.assertEqual(outcome.message, "unknown SKU")
        self.assertFalse(outcome.retry)
        self.assertIsNone(outcome.retry_after)

    def test_transient_error_retries_after_the_backoff(self):
        first = self.policy.decide(TransientError("Shopify answered 503"), 1)
        self.assertEqual(
            (first.kind, first.message, first.retry_after), (RETRY, "Shopify answered 503", 10)
        )
        self.assertTrue(first.retry)
        self.assertEqual(self.policy.decide(KeyError("x"), 2).retry_after, 30)

    def test_channel_hint_wins_over_the_backoff(self):
        outcome = self.policy.decide(TransientError("throttled", retry_after=2), 1)
        self.assertEqual((outcome.kind, outcome.retry_after), (RETRY, 2))

    def test_last_attempt_of_a_transient_error_is_dead(self):
        outcome = self.policy.decide(TransientError("marketplace down"), 3)
        self.assertEqual((outcome.kind, outcome.attempts), (DEAD, 3))
        self.assertEqual(outcome.message, "Gave up after 3 attempts: marketplace down")
        self.assertFalse(outcome.retry)

    def test_one_attempt_only_is_dead_at_the_first_failure(self):
        outcome = RetryPolicy(1).decide(requests.exceptions.Timeout("read timed out"), 1)
        self.assertEqual(outcome.kind, DEAD)
        self.assertEqual(
            outcome.message, "Gave up after 1 attempts: Channel unreachable: read timed out"
        )

    def test_backoff_is_read_as_queue_job_reads_a_retry_pattern(self):
        """The delay the policy gives queue_job is the one queue_job's own
        reading of the pattern gives (its default interval without one)."""
        for pattern in ({1: 10, 2: 30, 3: 120}, {2: 60, 4: 300}, {}):
            policy = RetryPolicy(6, pattern)
            for attempt in range(1, 8):
                job = SimpleNamespace(
                    job_config=SimpleNamespace(retry_pattern=pattern), retry=attempt
                )
                self.assertEqual(
                    Job._get_retry_seconds(job, policy.delay(attempt)),
                    Job._get_retry_seconds(job),
                    (pattern, attempt),
                )

    def test_random_delay_is_left_to_queue_job(self):
        self.assertEqual(RetryPolicy(3, {1: (5, 9)}).delay(2), (5, 9))

    def test_seeded_backoff_of_events_and_outbox_messages(self):
        patterns = seeded_retry_patterns()
        self.assertEqual(
            set(patterns),
            {
                "job_function_retail_event_process",
                "job_function_retail_outbox_send",
                "job_function_retail_backend_poll",
                "job_function_retail_backend_reconcile",
            },
        )
        for pattern in patterns.values():
            policy = RetryPolicy(6, pattern)
            self.assertEqual(
                [policy.delay(attempt) for attempt in range(1, 7)], [10, 30, 120, 600, 1800, 1800]
            )
