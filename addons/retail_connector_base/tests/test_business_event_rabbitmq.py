import json
import socket

import pika

from ..business_events import amqp_publisher
from .events_common import EventCase, assert_valid_event

BROKER_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


def broker_answers():
    try:
        pika.BlockingConnection(amqp_publisher._parameters(BROKER_URL)).close()
    except (pika.exceptions.AMQPError, OSError):
        return False
    return True


class TestBusinessEventsToRabbitMQ(EventCase):
    """The same events on the real broker at 127.0.0.1:5672: durable topic
    exchange ``retail.events``, routing key = type, message_id = event id,
    persistent, confirmed before the delivery is marked sent."""

    @classmethod
    def setUpClass(cls):
        if not broker_answers():
            cls.skipTest(cls, f"No RabbitMQ broker answers at {BROKER_URL}: tests skipped.")
        super().setUpClass()

    def setUp(self):
        super().setUp()
        self.consumer = pika.BlockingConnection(pika.URLParameters(BROKER_URL))
        channel = self.consumer.channel()
        channel.exchange_declare(amqp_publisher.EXCHANGE, exchange_type="topic", durable=True)
        self.queue = channel.queue_declare("", exclusive=True).method.queue
        channel.queue_bind(self.queue, amqp_publisher.EXCHANGE, routing_key="order.*")
        self.channel = channel
        self.addCleanup(self.consumer.close)
        self.addCleanup(amqp_publisher.close)

    def consumed(self):
        messages = []
        while True:
            method, properties, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                return messages
            messages.append((method, properties, json.loads(body)))

    def confirm_orders(self, count):
        partner = self.env["res.partner"].create({"name": "Walk In"})
        orders = self.env["sale.order"].create(
            [
                {
                    "partner_id": partner.id,
                    "order_line": [(0, 0, {"product_id": self.mug.id, "product_uom_qty": 1})],
                }
                for _i in range(count)
            ]
        )
        orders.action_confirm()
        return orders

    def deliveries(self, subscription):
        return self.env["retail.business.event.delivery"].search(
            [("subscription_id", "=", subscription.id)], order="id"
        )

    def test_events_are_published_persistent_and_confirmed(self):
        subscription = self.subscribe(BROKER_URL, kind="amqp", types="order.* customer.*")
        order = self.confirm_orders(1)
        deliveries = self.deliveries(subscription)
        self.assertEqual(len(deliveries), 2, "customer.created and order.confirmed")
        self.deliver(deliveries)
        self.assertEqual(set(deliveries.mapped("state")), {"done"})
        self.assertEqual(set(deliveries.mapped("last_status")), {"confirmed"})
        ((method, properties, body),) = self.consumed()
        self.assertEqual(method.routing_key, "order.confirmed")
        self.assertEqual(method.exchange, "retail.events")
        self.assertEqual(properties.message_id, body["id"])
        self.assertEqual(properties.delivery_mode, 2)
        self.assertEqual(properties.content_type, "application/json")
        self.assertEqual(body["subject"], {"kind": "order", "id": str(order.id)})
        assert_valid_event(body)

    def test_a_dropped_connection_mid_burst_loses_nothing(self):
        subscription = self.subscribe(BROKER_URL, kind="amqp", types="order.*")
        self.confirm_orders(10)
        deliveries = self.deliveries(subscription)
        self.deliver(deliveries[:5])
        channel = amqp_publisher._channel(BROKER_URL)
        # The broker's side goes away: the socket is cut under the client.
        channel.connection._impl._transport._sock.shutdown(socket.SHUT_RDWR)
        self.deliver(deliveries[5:])
        self.assertIsNot(amqp_publisher._channel(BROKER_URL), channel, "reconnected")
        self.assertEqual(set(deliveries.mapped("state")), {"done"})
        ids = [body["id"] for _m, _p, body in self.consumed()]
        self.assertEqual(sorted(ids), sorted(deliveries.event_id.mapped("uid")))

    def test_unreachable_broker_keeps_the_delivery_pending(self):
        subscription = self.subscribe(
            "amqp://guest:guest@127.0.0.1:9/%2F", kind="amqp", types="order.*"
        )
        self.confirm_orders(1)
        delivery = self.deliveries(subscription)
        self.deliver(delivery)
        self.assertEqual((delivery.state, delivery.attempts), ("pending", 1))
        self.assertIn("RabbitMQ unreachable", delivery.error)
        self.assertFalse(self.consumed())
