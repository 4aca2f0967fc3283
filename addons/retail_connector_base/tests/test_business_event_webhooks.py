import json
from contextlib import closing
from datetime import timedelta

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from odoo.exceptions import UserError, ValidationError
from odoo.modules.neutralize import get_neutralization_queries
from odoo.sql_db import db_connect
from odoo.tests import new_test_user

from ..models.retail_business_event_delivery import CONCURRENCY_LOCK_CLASS
from .common import GENERIC_SECRET, generic_order_payload
from .event_receiver import EventReceiver
from .events_common import EventCase, assert_valid_event


class TestBusinessEventWebhooks(EventCase):
    """Deliveries to a real receiver on 127.0.0.1, checked with the
    reference ``standardwebhooks`` package."""

    def confirm_order(self, name="Walk In"):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.env["res.partner"].create({"name": name}).id,
                "order_line": [(0, 0, {"product_id": self.mug.id, "product_uom_qty": 1})],
            }
        )
        order.action_confirm()
        return order

    def deliveries(self, subscription):
        return self.env["retail.business.event.delivery"].search(
            [("subscription_id", "=", subscription.id)], order="id"
        )

    def test_delivery_is_signed_the_standard_webhooks_way(self):
        with EventReceiver() as receiver:
            subscription = self.subscribe(receiver.url, types="order.*")
            self.confirm_order()
            delivery = self.deliveries(subscription)
            self.assertEqual(len(delivery), 1, "customer.created is not order.*")
            self.assertFalse(self.deliver(delivery)[0])
        self.assertEqual(delivery.state, "done")
        self.assertTrue(delivery.last_status.startswith("200"))
        (request,) = receiver.requests
        verified = Webhook(subscription.secret).verify(request["body"], request["headers"])
        self.assertEqual(verified["type"], "order.confirmed")
        self.assertEqual(request["headers"]["webhook-id"], delivery.event_id.uid)
        assert_valid_event(verified)
        self.assertFalse(verified["echo"])
        with self.assertRaises(WebhookVerificationError):
            Webhook(GENERIC_SECRET).verify(request["body"], request["headers"])

    def test_failures_are_retried_then_dead_lettered_then_replayed(self):
        with EventReceiver(status=500) as receiver:
            subscription = self.subscribe(receiver.url, types="order.confirmed", max_attempts=3)
            self.confirm_order()
            delivery = self.deliveries(subscription)
            for _attempt in range(3):
                self.deliver(delivery)
            self.assertEqual(delivery.state, "dead")
            self.assertEqual(delivery.attempts, 3)
            self.assertIn("answered 500", delivery.error)
            self.assertEqual(delivery.job_id.state, "failed")
            self.assertEqual(subscription.consecutive_failures, 3)
            receiver.status = 200
            delivery.action_replay()
            self.assertEqual(delivery.state, "pending")
            self.deliver(delivery)
        self.assertEqual(delivery.state, "done")
        self.assertEqual(len(receiver.requests), 4)
        self.assertEqual(len(receiver.delivered), 1)
        self.assertEqual(subscription.consecutive_failures, 0)

    def test_retry_delays_grow_with_jitter_over_about_a_day(self):
        subscription = self.subscribe(types="order.confirmed")
        self.confirm_order()
        policy = self.deliveries(subscription)._get_retry_policy()
        self.assertEqual(policy.max_attempts, 18)
        delays = [policy.delay(attempt) for attempt in range(1, 18)]
        self.assertTrue(all(isinstance(d, tuple) and d[0] < d[1] for d in delays), "jitter")
        self.assertEqual(delays, sorted(delays))
        hours = sum((low + high) / 2 for low, high in delays) / 3600
        self.assertTrue(18 <= hours <= 30, hours)

    def test_410_gone_disables_the_subscription_and_tells_its_owner(self):
        owner = self.env["res.users"].create({"name": "Integrator", "login": "integrator"})
        with EventReceiver(status=410) as receiver:
            subscription = self.subscribe(receiver.url, types="order.*", owner_id=owner.id)
            self.confirm_order()
            self.confirm_order("Second")
            first, second = self.deliveries(subscription)
            self.deliver(first)
            self.assertEqual(first.state, "failed")
            self.assertEqual(subscription.state, "disabled")
            self.assertIn("410", subscription.disabled_reason)
            message = subscription.message_ids.filtered(lambda m: "disabled" in (m.body or ""))
            self.assertIn(owner.partner_id, message.partner_ids)
            self.assertEqual(self.deliver(second), [None])
            self.assertEqual(second.state, "pending", "kept while disabled")
            self.assertEqual(len(receiver.requests), 1)
            receiver.status = 200
            subscription.action_enable()
            self.deliver(second)
        self.assertEqual(second.state, "done")

    def test_continuous_failures_past_the_threshold_and_window_disable(self):
        with EventReceiver(status=503) as receiver:
            subscription = self.subscribe(
                receiver.url, types="order.*", failure_threshold=2, failure_window_hours=1
            )
            self.confirm_order()
            self.confirm_order("Second")
            self.deliver(self.deliveries(subscription))
            self.assertEqual(subscription.consecutive_failures, 2)
            self.assertEqual(subscription.state, "enabled", "failing for less than an hour")
            subscription._health().failing_since -= timedelta(hours=2)
            self.env.flush_all()
            self.deliver(self.deliveries(subscription)[:1])
        self.assertEqual(subscription.state, "disabled")
        self.assertIn("3 deliveries failed in a row since", subscription.disabled_reason)

    def test_private_address_is_refused_unless_allow_listed(self):
        with EventReceiver() as receiver:
            subscription = self.subscribe(receiver.url, types="order.*", allowed_networks=False)
            self.confirm_order()
            delivery = self.deliveries(subscription)
            self.deliver(delivery)
            self.assertEqual(delivery.state, "failed")
            self.assertIn("loopback", delivery.error)
            self.assertFalse(receiver.requests)
            subscription.allowed_networks = "127.0.0.0/8"
            delivery.action_replay()
            self.deliver(delivery)
        self.assertEqual(delivery.state, "done")

    def test_redirects_are_not_followed(self):
        with EventReceiver(status=302) as receiver:
            subscription = self.subscribe(receiver.url, types="order.*")
            self.confirm_order()
            delivery = self.deliveries(subscription)
            self.deliver(delivery)
        self.assertEqual(delivery.state, "pending")
        self.assertIn("redirect (302), not followed", delivery.error)
        self.assertEqual(len(receiver.requests), 1)

    def test_unreachable_receiver_is_retried(self):
        subscription = self.subscribe("http://127.0.0.1:9/nothing", types="order.*")
        self.confirm_order()
        delivery = self.deliveries(subscription)
        self.deliver(delivery)
        self.assertEqual((delivery.state, delivery.attempts), ("pending", 1))
        self.assertIn("unreachable", delivery.error)

    def test_an_object_s_events_go_out_in_sequence(self):
        with EventReceiver() as receiver:
            subscription = self.subscribe(receiver.url, types="order.*")
            order = self.confirm_order()
            order._action_cancel()
            confirmed, cancelled = self.deliveries(subscription)
            self.deliver(cancelled)
            self.assertEqual(cancelled.state, "pending", "waits for the confirmation")
            self.assertEqual(cancelled.attempts, 0, "waiting spends no attempt")
            self.deliver(confirmed | cancelled)
        self.assertEqual(
            [(p["type"], p["sequence"]) for p in receiver.delivered],
            [("order.confirmed", 1), ("order.cancelled", 2)],
        )

    def test_a_busy_subscriber_s_deliveries_wait_without_spending_attempts(self):
        with EventReceiver() as receiver:
            subscription = self.subscribe(receiver.url, types="order.*", max_concurrency=1)
            self.confirm_order()
            delivery = self.deliveries(subscription)
            # Another worker is sending to this subscriber: its only slot is taken.
            with closing(db_connect(self.env.cr.dbname).cursor()) as other:
                other.execute(
                    "SELECT pg_advisory_lock(%s, %s)",
                    (CONCURRENCY_LOCK_CLASS, subscription.id * 1000),
                )
                self.deliver(delivery)
                self.assertEqual((delivery.state, delivery.attempts), ("pending", 0))
                self.assertIn("all busy", delivery.job_id.result or "")
                other.execute(
                    "SELECT pg_advisory_unlock(%s, %s)",
                    (CONCURRENCY_LOCK_CLASS, subscription.id * 1000),
                )
            self.deliver(delivery)
        self.assertEqual(delivery.state, "done")
        self.assertEqual(len(receiver.requests), 1)

    def test_batched_jobs_are_the_jobs_with_delay_stores(self):
        subscription = self.subscribe(types="order.*", max_attempts=7)
        self.confirm_order()
        delivery = self.deliveries(subscription)
        ours = delivery.job_id
        theirs = (
            delivery.with_delay(
                channel=subscription._job_channel(),
                max_retries=7,
                description=ours.name,
            )
            ._send()
            .db_record()
        )
        fields = [
            "name", "model_name", "method_name", "func_string", "channel_method_name",
            "job_function_id", "channel", "records", "args", "kwargs", "state", "priority",
            "max_retries", "retry", "user_id", "company_id", "eta", "dependencies",
        ]  # fmt: skip
        self.assertEqual(ours.read(fields)[0] | {"id": 0}, theirs.read(fields)[0] | {"id": 0})
        self.assertEqual(ours.channel, f"root.retail.events.subscription_{subscription.id}")

    def test_subscription_filters_types_company_and_channel(self):
        shop = self.subscribe(types="order.confirmed", backend_id=self.backend.id)
        everything = self.subscribe(types="*")
        self.confirm_order()
        event = self.events("order.confirmed")
        self.assertEqual(event.delivery_ids.subscription_id, everything, "not the channel's order")
        self.store_event(generic_order_payload())
        self.run_event_job(self.env["retail.event"].search([], order="id desc", limit=1))
        channel_event = self.events("order.confirmed")[-1]
        self.assertEqual(channel_event.delivery_ids.subscription_id, shop | everything)

    def test_bad_configuration_is_refused_clearly(self):
        with self.assertRaisesRegex(ValidationError, "Unknown event types: order.shiped"):
            self.subscribe(types="order.shiped")
        with self.assertRaisesRegex(ValidationError, "not an http"):
            self.subscribe(url="ftp://example.com/x")
        with self.assertRaisesRegex(ValidationError, "not an IP address"):
            self.subscribe(allowed_networks="intranet")
        with self.assertRaisesRegex(ValidationError, "amqp://"):
            self.subscribe(url="http://example.com", kind="amqp")
        with self.assertRaisesRegex(UserError, "Select the deliveries"):
            self.env["retail.business.event.delivery"].action_replay()


class TestGenericChannelHearsBack(EventCase):
    """A generic backend gets the events about its own orders at its events
    URL, signed with its own secret, its own changes marked as echoes."""

    def test_channel_hears_its_own_orders_signed_with_its_secret(self):
        other = self.env["retail.backend"].create(
            {"name": "Other POS", "code": "generic", "state": "active"}
        )
        with EventReceiver() as receiver:
            self.backend.write(
                {"event_webhook_url": receiver.url, "event_allowed_networks": "127.0.0.1"}
            )
            other.write({"event_webhook_url": receiver.url + "/other"})
            subscription = self.backend.event_subscription_id
            self.assertEqual(subscription.state, "enabled")
            event = self.store_event(generic_order_payload())
            self.run_event_job(event)
            order = self.env["sale.order"].search([("retail_external_id", "=", "1001")])
            order._action_cancel()
            deliveries = self.env["retail.business.event.delivery"].search(
                [("subscription_id", "=", subscription.id)], order="id"
            )
            self.assertEqual(
                deliveries.event_id.mapped("event_type"), ["order.confirmed", "order.cancelled"]
            )
            self.assertFalse(
                other.event_subscription_id.delivery_ids, "another channel's order is not sent"
            )
            self.deliver(deliveries)
        confirmed, cancelled = receiver.delivered
        for request in receiver.requests:
            Webhook(GENERIC_SECRET).verify(request["body"], request["headers"])
        self.assertTrue(confirmed["echo"], "the channel's own order: an echo")
        self.assertFalse(cancelled["echo"], "cancelled in Odoo")
        self.assertEqual(confirmed["data"]["order_ref"]["external_id"], "1001")
        self.assertEqual(json.loads(receiver.requests[0]["body"])["source"]["kind"], "channel")

    def test_channel_hears_stock_counts_of_its_own_skus_only(self):
        self.backend.write({"event_webhook_url": "http://127.0.0.1:9/x"})
        (self.tshirt | self.mug).write({"is_storable": True})
        self.run_event_job(self.store_event(generic_order_payload()))  # sells TSHIRT-M
        stock = (
            self.env["stock.warehouse"]
            .search([("company_id", "=", self.env.company.id)], limit=1)
            .lot_stock_id
        )
        for product in self.tshirt | self.mug:
            self.env["stock.quant"].with_context(inventory_mode=True).create(
                {"product_id": product.id, "location_id": stock.id, "inventory_quantity": 3}
            ).action_apply_inventory()
        heard = self.backend.event_subscription_id.delivery_ids.event_id.filtered(
            lambda e: e.event_type == "inventory.adjusted"
        )
        self.assertEqual([e.payload["data"]["level"]["sku"] for e in heard], ["TSHIRT-M"])

    def test_paused_channel_keeps_its_events_until_activated(self):
        self.backend.write({"event_webhook_url": "http://127.0.0.1:9/x"})
        self.backend.state = "paused"
        self.assertEqual(self.backend.event_subscription_id.state, "disabled")
        self.backend.state = "active"
        self.assertEqual(self.backend.event_subscription_id.state, "enabled")
        self.backend.event_webhook_url = False
        self.assertFalse(self.backend.event_subscription_id.active)


class TestBusinessEventSafety(EventCase):
    def test_neutralized_copy_tells_nobody(self):
        subscription = self.subscribe(types="*")
        installed = self.env["ir.module.module"].search([("state", "=", "installed")])
        for query in get_neutralization_queries(installed.mapped("name")):
            self.env.cr.execute(query)
        self.env.invalidate_all()
        self.assertEqual(subscription.state, "disabled")
        self.assertFalse(subscription.secret)

    def test_other_company_user_sees_no_event(self):
        self.subscribe(types="*")
        self.env["res.partner"].create({"name": "Seen by company 1"})
        other = self.env["res.company"].create({"name": "Other company"})
        user = new_test_user(
            self.env,
            login="other-company-user",
            groups="retail_connector_base.group_retail_connect_user",
            company_id=other.id,
            company_ids=[other.id],
        )
        Event = self.env["retail.business.event"]
        self.assertTrue(Event.search([]))
        self.assertFalse(Event.with_user(user).search([]))
        self.assertFalse(self.env["retail.business.event.delivery"].with_user(user).search([]))
