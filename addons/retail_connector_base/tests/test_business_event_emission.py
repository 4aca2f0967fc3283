from contextlib import closing

import psycopg2

from odoo.sql_db import db_connect

from .common import canonical_order
from .events_common import EventCase, assert_valid_event


class Undone(Exception):
    """What undoes a change in a test."""


class TestBusinessEventEmission(EventCase):
    """Each event type comes from the real Odoo change that causes it, in
    the change's transaction, with a payload valid against its schema."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.subscription = cls.env["retail.business.event.subscription"].create(
            {"name": "Everything", "url": "https://hooks.example.com/in", "event_types": "*"}
        )
        cls.tshirt.is_storable = True
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )

    def import_event(self, topic, data):
        event = self.store_event({"type": topic, "data": data})
        self.run_event_job(event)
        return event

    def imported_order(self, **overrides):
        self.import_event("order.created", canonical_order(**overrides))
        return self.env["sale.order"].search([("retail_external_id", "=", "1001")])

    def payloads(self, event_type):
        return [assert_valid_event(event.payload) for event in self.events(event_type)]

    def test_no_event_is_written_without_a_subscriber(self):
        self.subscription.state = "disabled"
        self.imported_order()
        self.assertFalse(self.events())

    def test_order_confirmed_by_the_import_carries_the_canonical_order(self):
        order = self.imported_order()
        (payload,) = self.payloads("order.confirmed")
        self.assertEqual(payload["subject"], {"kind": "order", "id": str(order.id)})
        self.assertEqual(payload["source"]["kind"], "channel")
        self.assertEqual(payload["source"]["backend_id"], self.backend.id)
        data = payload["data"]["order"]
        self.assertEqual(data["extra"]["channel_order_id"], "1001")
        self.assertEqual(
            data["totals"], {"untaxed": "44.70", "tax": "8.94", "total": "53.64", "extra": {}}
        )
        self.assertEqual(data["lines"][0]["sku"], "TSHIRT-M")
        self.assertEqual(data["shipping_lines"][0]["price"], "4.90")
        self.assertEqual(data["customer"]["email"], order.partner_id.email)
        self.assertNotIn("partner_id", str(payload), "no Odoo field names")
        event = self.events("order.confirmed")
        self.assertEqual(event.delivery_ids.subscription_id, self.subscription)

    def test_order_confirmed_in_odoo_comes_from_odoo(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.env["res.partner"].create({"name": "Walk In"}).id,
                "order_line": [(0, 0, {"product_id": self.mug.id, "product_uom_qty": 1})],
            }
        )
        order.action_confirm()
        (payload,) = self.payloads("order.confirmed")
        self.assertEqual(
            payload["source"],
            {"kind": "odoo", "backend_id": None, "channel": None, "backend_name": None},
        )

    def test_held_then_released_then_confirmed_in_sequence(self):
        order = self.imported_order(lines=[dict(canonical_order()["lines"][0], sku="UNKNOWN")])
        self.assertTrue(order.retail_hold_reason)
        (held,) = self.payloads("order.held")
        self.assertIn("UNKNOWN", held["data"]["hold_reason"])
        self.env["product.product"].create(
            {"name": "New", "default_code": "UNKNOWN", "type": "consu", "list_price": 5}
        )
        order.action_retail_retry()
        self.assertFalse(order.retail_hold_reason)
        types = [e.event_type for e in self.events().filtered(lambda e: e.res_id == order.id)]
        self.assertEqual(types, ["order.held", "order.released", "order.confirmed"])
        sequences = [e.sequence for e in self.events().filtered(lambda e: e.res_id == order.id)]
        self.assertEqual(sequences, [1, 2, 3])
        for payload in self.payloads("order.released"):
            self.assertIsNone(payload["data"]["hold_reason"])

    def test_order_cancelled(self):
        order = self.imported_order()
        order._action_cancel()
        (payload,) = self.payloads("order.cancelled")
        self.assertEqual(payload["data"]["order"]["extra"]["state"], "cancel")
        self.assertEqual(payload["sequence"], 2)
        self.assertEqual(payload["source"]["kind"], "odoo")

    def test_rolled_back_change_publishes_nothing(self):
        order = self.imported_order()
        with self.assertRaises(Undone), self.env.cr.savepoint():
            order._action_cancel()
            self.assertEqual(len(self.events("order.cancelled")), 1)
            raise Undone
        self.assertFalse(self.events("order.cancelled"))

    def test_emission_error_never_breaks_the_change(self):
        order = self.imported_order()
        with self.assertLogs(
            "odoo.addons.retail_connector_base.models.retail_business_event", "ERROR"
        ):
            order.with_context(retail_source_backend_id="not an id")._action_cancel()
        self.assertEqual(order.state, "cancel")
        self.assertFalse(self.events("order.cancelled"))

    def test_a_concurrent_numbering_retries_the_change_rather_than_lose_its_event(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.env["res.partner"].create({"name": "Walk In"}).id,
                "order_line": [(0, 0, {"product_id": self.mug.id, "product_uom_qty": 1})],
            }
        )
        subject = f"order/{order.id}"
        # Another transaction numbers an event of this order and commits.
        with closing(db_connect(self.env.cr.dbname).cursor()) as other:
            other.execute(
                "INSERT INTO retail_business_event_counter (subject_key, last_sequence)"
                " VALUES (%s, 1)",
                (subject,),
            )
            other.commit()
        try:
            with self.assertRaises(psycopg2.errors.SerializationFailure):
                order.action_confirm()
        finally:
            with closing(db_connect(self.env.cr.dbname).cursor()) as other:
                other.execute(
                    "DELETE FROM retail_business_event_counter WHERE subject_key = %s", (subject,)
                )
                other.commit()

    def test_shipment_dispatched_then_delivered(self):
        self.env["stock.quant"]._update_available_quantity(
            self.tshirt, self.warehouse.lot_stock_id, 10
        )
        order = self.imported_order()
        picking = order.picking_ids
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        picking.button_validate()
        (dispatched,) = self.payloads("shipment.dispatched")
        self.assertEqual(dispatched["subject"], {"kind": "order", "id": str(order.id)})
        self.assertEqual(dispatched["data"]["order"]["external_id"], "1001")
        self.assertEqual(dispatched["data"]["shipment"]["lines"][0]["quantity"], "2.000000")
        picking.action_retail_mark_delivered()
        picking.action_retail_mark_delivered()
        (delivered,) = self.payloads("shipment.delivered")
        self.assertTrue(delivered["data"]["delivered_at"])
        self.assertGreater(delivered["sequence"], dispatched["sequence"])

    def test_inventory_adjusted_by_a_count(self):
        quant = (
            self.env["stock.quant"]
            .with_context(inventory_mode=True)
            .create(
                {
                    "product_id": self.tshirt.id,
                    "location_id": self.warehouse.lot_stock_id.id,
                    "inventory_quantity": 7,
                }
            )
        )
        quant.action_apply_inventory()
        (payload,) = self.payloads("inventory.adjusted")
        self.assertEqual(payload["data"]["level"]["sku"], "TSHIRT-M")
        self.assertEqual(payload["data"]["level"]["available"], 7)
        self.assertEqual(payload["subject"]["id"], f"TSHIRT-M@{self.warehouse.code}")

    def test_refund_created(self):
        order = self.imported_order()
        order._create_invoices().action_post()
        self.import_event(
            "refund.created",
            {
                "external_id": "refund-1",
                "order_external_id": "1001",
                "created_at": "2026-11-05T09:00:00+01:00",
                "lines": [
                    {"line_external_id": "line-1", "quantity": 1, "subtotal": 19.90, "tax": 3.98}
                ],
                "amount": "23.88",
            },
        )
        (payload,) = self.payloads("refund.created")
        self.assertEqual(payload["data"]["refund"]["amount"], "23.88")
        self.assertEqual(payload["data"]["refund"]["extra"]["channel_refund_id"], "refund-1")

    def test_return_received(self):
        self.env["stock.quant"]._update_available_quantity(
            self.tshirt, self.warehouse.lot_stock_id, 10
        )
        order = self.imported_order()
        picking = order.picking_ids
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        picking.button_validate()
        self.import_event(
            "return.received",
            {
                "external_id": "return-1",
                "order_external_id": "1001",
                "created_at": "2026-11-06T09:00:00+01:00",
                "lines": [{"line_external_id": "line-1", "quantity": 2, "reason": "Too small"}],
                "received": True,
                "received_at": "2026-11-08T15:00:00+01:00",
            },
        )
        (payload,) = self.payloads("return.received")
        self.assertEqual(payload["data"]["return"]["lines"][0]["quantity"], "2.000000")
        self.assertEqual(payload["data"]["order"]["id"], str(order.id))

    def test_customer_created_then_updated_only_on_a_real_change(self):
        partner = self.env["res.partner"].create({"name": "Grace Hopper", "email": "g@x.org"})
        (created,) = self.payloads("customer.created")
        self.assertEqual(created["data"]["customer"]["last_name"], "Hopper")
        partner.write({"email": "g@x.org"})
        self.assertFalse(self.events("customer.updated"), "same value: no event")
        partner.write({"email": "grace@navy.mil"})
        (updated,) = self.payloads("customer.updated")
        self.assertEqual(updated["data"]["customer"]["email"], "grace@navy.mil")
        self.assertEqual(updated["sequence"], 2)
        self.env["res.partner"].create({"name": "Shipping", "parent_id": partner.id})
        self.assertEqual(len(self.events("customer.created")), 1, "an address is no customer")
