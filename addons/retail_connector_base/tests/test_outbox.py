from contextlib import contextmanager
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError

from odoo.addons.queue_job.exception import FailedJobError

from ..exceptions import PermanentError, TransientError
from .common import RetailCase, canonical_order


class TestOutbox(RetailCase):
    """Deliveries and stock levels owed to a channel, with a channel that
    takes both (its two export hooks patched)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.export_stock = True
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.stock_location = cls.warehouse.lot_stock_id
        cls.tshirt.is_storable = True
        cls.mug.is_storable = True

    @contextmanager
    def channel(self, fail=None):
        """A channel taking exports; ``fail`` raises instead of sending."""
        sent = []
        Backend = type(self.env["retail.backend"])

        def export(kind):
            def _export(backend, record, message):
                if fail:
                    raise fail()
                sent.append((kind, record))
                return f"sent {kind} {record.display_name}"

            return _export

        def flags(backends):
            for backend in backends:
                backend.support_webhooks = backend.support_webhook_secret = True
                backend.support_fulfillment_export = backend.support_stock_export = True

        with (
            patch.object(Backend, "_export_fulfillment", export("fulfillment")),
            patch.object(Backend, "_export_stock", export("stock")),
            patch.object(Backend, "_compute_feature_support", flags),
        ):
            self.backend.invalidate_recordset(
                ["support_stock_export", "support_fulfillment_export"]
            )
            yield sent

    def outbox(self, kind):
        self.env.cr.flush()  # stock changes are written to the outbox before commit
        return self.env["retail.outbox"].search(
            [("backend_id", "=", self.backend.id), ("kind", "=", kind)]
        )

    def receive(self, product, quantity):
        self.env["stock.quant"]._update_available_quantity(product, self.stock_location, quantity)
        move = self.env["stock.move"].create(
            {
                "product_id": product.id,
                "product_uom_qty": quantity,
                "location_id": self.env.ref("stock.stock_location_suppliers").id,
                "location_dest_id": self.stock_location.id,
            }
        )
        move._action_confirm()
        move.quantity = quantity
        move.picked = True
        move._action_done()

    def test_a_burst_of_stock_moves_is_one_pending_message(self):
        with self.channel() as sent:
            for _i in range(5):
                self.receive(self.tshirt, 3)
            self.receive(self.mug, 1)
            messages = self.outbox("stock")
            self.assertEqual(len(messages), 2, "one per product")
            tshirt_message = messages.filtered(lambda m: m.res_id == self.tshirt.id)
            self.assertEqual(tshirt_message.dedup_key, f"stock/{self.tshirt.id}")
            self.assertEqual(tshirt_message.job_id.channel, "root.retail.batch")
            self.assertTrue(tshirt_message.job_id.eta, "waits to coalesce")
            self.run_job(tshirt_message.job_id)
            self.assertEqual(sent, [("stock", self.tshirt)])
            self.assertEqual(tshirt_message.state, "done")
            self.assertEqual(tshirt_message.result, "sent stock [TSHIRT-M] T-shirt M")
            # after sending, a new change is a new message
            self.receive(self.tshirt, 1)
            self.assertEqual(len(self.outbox("stock")), 3)

    def test_no_stock_message_without_the_backend_option(self):
        self.backend.export_stock = False
        with self.channel():
            self.receive(self.tshirt, 3)
        self.assertFalse(self.outbox("stock"))

    def test_a_done_delivery_of_a_channel_order_is_owed_to_the_channel(self):
        with self.channel() as sent:
            event = self.store_event({"type": "order.created", "data": canonical_order()})
            self.run_event_job(event)
            order = self.env["sale.order"].search([("retail_external_id", "=", "1001")])
            picking = order.picking_ids
            picking.move_ids.quantity = 2
            picking.move_ids.picked = True
            picking._action_done()
            message = self.outbox("fulfillment")
            self.assertEqual(message._record(), picking)
            self.assertEqual(message.job_id.channel, "root.retail.realtime")
            self.run_job(message.job_id)
        self.assertEqual(sent, [("fulfillment", picking)])
        self.assertEqual(message.state, "done")

    def test_a_paused_backend_sends_nothing_and_catches_up_on_activation(self):
        with self.channel() as sent:
            event = self.store_event({"type": "order.created", "data": canonical_order()})
            self.run_event_job(event)
            order = self.env["sale.order"].search([("retail_external_id", "=", "1001")])
            self.backend.action_pause()
            picking = order.picking_ids
            picking.move_ids.quantity = 2
            picking.move_ids.picked = True
            picking._action_done()
            self.receive(self.tshirt, 3)
            fulfillment, stock = self.outbox("fulfillment"), self.outbox("stock")
            self.run_job(fulfillment.job_id)
            self.assertEqual(sent, [])
            self.assertEqual(fulfillment.state, "pending")
            self.assertEqual(fulfillment.job_id.state, "done")
            stock_job = stock.job_id
            self.backend.action_activate()
            self.assertEqual(fulfillment.job_id.state, "pending")
            self.assertEqual(stock.job_id, stock_job, "its waiting job sends it: no second job")
            self.assertEqual(
                self.env["queue.job"].search_count(
                    [("model_name", "=", "retail.outbox"), ("records", "like", f"[{stock.id}]")]
                ),
                1,
            )
            self.run_job(fulfillment.job_id)
            self.run_job(stock.job_id)
        self.assertEqual(sent, [("fulfillment", picking), ("stock", self.tshirt)])
        self.assertEqual((fulfillment | stock).mapped("state"), ["done", "done"])

    def test_channel_outage_retries_then_dies_and_can_be_sent_again(self):
        with self.channel(fail=lambda: TransientError("Shopify answered 503")):
            self.receive(self.tshirt, 3)
            message = self.outbox("stock")
            for _attempt in range(3):
                error = self.run_job(message.job_id)
        self.assertIsInstance(error, FailedJobError)
        self.assertEqual(message.state, "dead")
        self.assertEqual(message.error, "Gave up after 3 attempts: Shopify answered 503")
        with self.channel() as sent:
            message.action_replay()
            self.assertEqual(message.state, "pending")
            self.run_job(message.job_id)
        self.assertEqual(sent, [("stock", self.tshirt)])
        self.assertEqual(message.state, "done")

    def test_channel_outage_waits_by_the_retry_pattern(self):
        with self.channel(fail=lambda: TransientError("Shopify answered 503")):
            self.receive(self.tshirt, 3)
            message = self.outbox("stock")
            self.assertIsNone(self.run_job(message.job_id))
        self.assertEqual((message.state, message.attempts), ("pending", 1))
        self.assertEqual(message.error, "Shopify answered 503")
        job = message.job_id
        self.assertEqual((job.state, job.retry, job.max_retries), ("pending", 1, 3))
        eta = job.eta
        self.assertAlmostEqual((eta - fields.Datetime.now()).total_seconds(), 10, delta=5)

    def test_refused_message_fails_at_once(self):
        with self.channel(fail=lambda: PermanentError("unknown location")):
            self.receive(self.tshirt, 3)
            message = self.outbox("stock")
            self.run_job(message.job_id)
        self.assertEqual((message.state, message.attempts), ("failed", 1))
        self.assertEqual(message.error, "unknown location")

    def test_replaying_a_stock_message_superseded_by_a_newer_one(self):
        with self.channel(fail=lambda: PermanentError("refused")):
            self.receive(self.tshirt, 3)
            failed = self.outbox("stock")
            self.run_job(failed.job_id)
            self.receive(self.tshirt, 1)
            self.assertEqual(len(self.outbox("stock")), 2, "a newer pending message")
        failed.action_replay()
        self.assertEqual(failed.state, "done")
        self.assertEqual(failed.result, "Superseded by a newer pending message.")

    def user(self, login, group):
        return self.env["res.users"].create(
            {
                "name": login,
                "login": login,
                "group_ids": [(6, 0, [self.env.ref(f"retail_connector_base.{group}").id])],
            }
        )

    def discard(self, messages, reason, user):
        wizard = (
            self.env["retail.outbox.discard.wizard"]
            .with_user(user)
            .create({"message_ids": [(6, 0, messages.ids)], "reason": reason})
        )
        return wizard.action_discard()

    def test_a_manager_discards_a_pending_message_and_it_is_never_sent(self):
        manager = self.user("outbox-manager", "group_retail_connect_manager")
        with self.channel() as sent:
            self.receive(self.tshirt, 3)
            message = self.outbox("stock")
            action = message.with_user(manager).action_open_discard_wizard()
            self.assertEqual(action["res_model"], "retail.outbox.discard.wizard")
            self.discard(message, "Stock counted by hand on the channel", manager)
            self.assertEqual(message.state, "discarded")
            self.assertEqual(message.discard_reason, "Stock counted by hand on the channel")
            self.assertEqual(message.discarded_by_id, manager)
            self.assertTrue(message.discarded_at)
            # Its job, already queued, runs later: nothing leaves.
            self.assertIsNone(self.run_job(message.job_id))
        self.assertEqual(sent, [])
        self.assertEqual(message.state, "discarded")
        with self.assertRaisesRegex(UserError, "Discarded messages are never sent"):
            message.action_replay()
        self.assertEqual(message.state, "discarded")

    def test_failed_and_dead_messages_can_be_discarded_sent_ones_not(self):
        manager = self.user("outbox-manager", "group_retail_connect_manager")
        with self.channel(fail=lambda: PermanentError("unknown location")):
            self.receive(self.tshirt, 3)
            failed = self.outbox("stock")
            self.run_job(failed.job_id)
        with self.channel():
            self.receive(self.mug, 2)
            sent = self.outbox("stock") - failed
            self.run_job(sent.job_id)
        self.assertEqual((failed.state, sent.state), ("failed", "done"))
        with self.assertRaisesRegex(UserError, "Only pending, failed or dead messages"):
            self.discard(failed | sent, "cleanup", manager)
        self.assertEqual(failed.state, "failed")
        with self.assertRaisesRegex(UserError, "Say why"):
            self.discard(failed, "  ", manager)
        self.discard(failed, "Location removed on the channel", manager)
        self.assertEqual(failed.state, "discarded")

    def test_only_a_manager_may_discard(self):
        user = self.user("outbox-user", "group_retail_connect_user")
        with self.channel():
            self.receive(self.tshirt, 3)
            message = self.outbox("stock")
        self.assertTrue(message)
        with self.assertRaises(UserError):
            message.with_user(user).action_open_discard_wizard()
        with self.assertRaises(AccessError):
            self.discard(message, "no", user)
        self.assertEqual(message.state, "pending")


class TestOutboxCancellationsAndRefunds(RetailCase):
    """Cancellations and credit notes decided in Odoo are owed to the
    channel; those the channel itself sent are not echoed back."""

    outbox = TestOutbox.outbox

    def import_order(self, **overrides):
        event = self.store_event({"type": "order.created", "data": canonical_order(**overrides)})
        self.run_event_job(event)
        return self.env["sale.order"].search([("retail_external_id", "=", "1001")])

    def flags_with_returns(self):
        Backend = type(self.env["retail.backend"])

        def flags(backends):
            for backend in backends:
                backend.support_webhooks = backend.support_webhook_secret = True
                backend.support_fulfillment_export = backend.support_stock_export = True
                backend.support_cancellation_export = backend.support_refund_export = True

        return patch.object(Backend, "_compute_feature_support", flags)

    def test_a_cancellation_decided_in_odoo_is_owed_to_the_channel(self):
        with self.flags_with_returns():
            self.backend.invalidate_recordset()
            order = self.import_order()
            order.with_context(disable_cancel_warning=True)._action_cancel()
            message = self.outbox("cancellation")
        self.assertEqual(message._record(), order)
        self.assertEqual(message.job_id.channel, "root.retail.realtime")

    def test_a_cancellation_sent_by_the_channel_is_not_echoed(self):
        with self.flags_with_returns():
            self.backend.invalidate_recordset()
            self.import_order(cancelled_at="2026-11-02T10:30:00Z", cancel_reason="customer")
            self.assertEqual(
                self.env["sale.order"].search([("retail_external_id", "=", "1001")]).state,
                "cancel",
            )
            self.assertFalse(self.outbox("cancellation"))

    def test_a_posted_credit_note_is_owed_but_not_one_from_a_channel_refund(self):
        with self.flags_with_returns():
            self.backend.invalidate_recordset()
            order = self.import_order()
            invoice = order._create_invoices()
            invoice.action_post()
            reversal = invoice._reverse_moves()
            reversal.action_post()
            message = self.outbox("refund")
            self.assertEqual(message._record(), reversal)
            # a credit note drafted from the channel's own refund
            refund_event = self.store_event(
                {
                    "type": "refund.created",
                    "data": {
                        "external_id": "refund-9",
                        "order_external_id": "1001",
                        "created_at": "2026-11-05T09:00:00Z",
                        "lines": [{"line_external_id": "line-1", "quantity": 1, "subtotal": 19.9}],
                        "amount": "23.88",
                    },
                }
            )
            self.run_event_job(refund_event)
            channel_note = order.retail_refund_ids.credit_note_id
            channel_note.action_post()
            self.assertEqual(self.outbox("refund"), message, "no message for the channel's own")
