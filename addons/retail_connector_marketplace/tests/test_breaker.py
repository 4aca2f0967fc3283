"""The marketplace's API behind its circuit breaker, through the outbox: the
failures open it once (one activity), a message arriving while it is open
waits without calling and without spending an attempt, a probe after the
cooldown closes it once, and each message is sent once. The marketplace is
a scripted HTTP server on 127.0.0.1 answering OR29 with 503, then 204."""

from datetime import timedelta
from unittest.mock import patch

from odoo import fields

from odoo.addons.retail_connector_base.api_client import CircuitOpen
from odoo.addons.retail_connector_base.exceptions import TransientError
from odoo.addons.retail_connector_base.tests.common import RetailCase
from odoo.addons.retail_connector_base.tests.test_api_client import ScriptedServer

from ..client import MiraklClient


class TestMiraklBreaker(RetailCase):
    def setUp(self):
        super().setUp()
        self.operator = ScriptedServer().start()
        self.addCleanup(self.operator.stop)
        self.operator.answer((503, {"message": "Service Unavailable"}))
        # Odoo's guard on HTTP in tests takes a timeout in one number only.
        init = MiraklClient.__init__
        self.startPatcher(
            patch.object(
                MiraklClient, "__init__", lambda client, *a, **k: init(client, *a, **k, timeout=5)
            )
        )
        self.mirakl = self.env["retail.backend"].create(
            {
                "name": "Mirakl behind a breaker",
                "code": "mirakl",
                "mirakl_api_url": self.operator.url,
                "mirakl_api_key": "key",
                "state": "active",
                "max_attempts": 5,
                "breaker_failure_threshold": 2,
                "breaker_cooldown_seconds": 60,
            }
        )
        partner = self.env["res.partner"].create({"name": "Buyer"})
        self.messages = self.env["retail.outbox"]
        for number in range(3):
            order = self.env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "retail_backend_id": self.mirakl.id,
                    "retail_external_id": f"ORDER-{number}",
                }
            )
            self.messages |= self.messages._enqueue(self.mirakl, "cancellation", order)

    def send(self, message):
        self.run_job(message.job_id)
        message.invalidate_recordset()
        return message

    def call(self, message, error=TransientError):
        """The message's export as its job calls it, failing with ``error``.
        (A failed job's savepoint, or ``assertRaises``'s, would also undo
        the breaker's writes here: in production they have a transaction of
        their own.)"""
        try:
            self.mirakl._export(message, message._record())
        except error:
            return
        self.fail(f"no {error.__name__}")

    def breaker(self):
        """The breaker as the database has it (the service writes it in SQL)."""
        self.env["retail.circuit.breaker"].invalidate_model()
        return self.env["retail.circuit.breaker"].search([("backend_id", "=", self.mirakl.id)])

    def end_cooldown(self):
        self.breaker().opened_at = fields.Datetime.now() - timedelta(seconds=61)
        self.env.flush_all()

    def test_outage_opens_once_defers_without_attempts_and_sends_each_once(self):
        first, second, third = self.messages
        self.call(first)
        self.assertEqual(self.breaker().state, "closed")
        self.call(second)
        breaker = self.breaker()
        self.assertEqual((breaker.state, breaker.open_count), ("open", 1))
        self.assertEqual(breaker.endpoint, f"{self.operator.url}/orders (backend {self.mirakl.id})")
        self.assertEqual(len(breaker.activity_ids), 1)
        self.assertEqual(len(self.operator.seen), 2)

        # Open: the messages wait without calling, their attempts untouched.
        for message in self.messages:
            self.send(message)
            self.assertEqual((message.state, message.attempts), ("pending", 0))
            self.assertIn("considered down", message.error)
            self.assertEqual(message.job_id.state, "pending")
            self.assertEqual(message.job_id.retry, 0, "no attempt of the job spent")
            self.assertGreater(message.job_id.eta, fields.Datetime.now())
        self.assertEqual(len(self.operator.seen), 2, "nothing sent while open")
        self.assertEqual(len(self.breaker().activity_ids), 1, "one activity, not one per message")

        # Back, and the cooldown over: one probe closes it, then the others go.
        self.operator.answer(204)
        self.end_cooldown()
        self.send(third)
        breaker = self.breaker()
        self.assertEqual(third.state, "done")
        self.assertEqual((breaker.state, breaker.open_count, breaker.close_count), ("closed", 1, 1))
        self.assertFalse(breaker.activity_ids)
        self.send(first)
        self.send(second)
        self.assertEqual(self.messages.mapped("state"), ["done"] * 3)
        sent = [call["path"] for call in self.operator.seen[2:]]
        self.assertEqual(
            sorted(sent), [f"/api/orders/ORDER-{n}/cancel" for n in range(3)], "each sent once"
        )

    def test_a_probe_that_fails_opens_it_again_without_a_second_activity(self):
        first, second, third = self.messages
        for message in (first, second):
            self.call(message)
        self.end_cooldown()
        self.call(third)  # the probe, still down
        breaker = self.breaker()
        self.assertEqual((breaker.state, breaker.open_count), ("open", 1))
        self.assertEqual(len(breaker.activity_ids), 1)
        self.call(first, CircuitOpen)
        self.assertEqual(len(self.operator.seen), 3)
