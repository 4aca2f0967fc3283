import json

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from ..triage import fingerprint, suggest_cause
from .common import RetailCase, generic_order_payload, signed_generic_headers


class TestFingerprint(RetailCase):
    def test_fingerprint_ignores_ids_numbers_names_emails_and_amounts(self):
        one = fingerprint("hold", "Unknown SKU TSHIRT-M (T-shirt, size M): create the product.")
        two = fingerprint("hold", "Unknown SKU MUG-42 (Mug): create the product.")
        self.assertEqual(one.key, two.key)
        self.assertEqual(one.pattern, "unknown sku <n> (<value>): create the product.")
        self.assertEqual(
            fingerprint("event", "Customer ada@example.com of order #1001 paid 53.64").key,
            fingerprint("event", "Customer bob@test.org of order #77 paid 9.5").key,
        )

    def test_fingerprint_separates_kinds_and_messages(self):
        message = "ValueError: data.lines.0.quantity: Input should be a valid number"
        self.assertEqual(fingerprint("event", message).kind, "event:ValueError")
        self.assertNotEqual(fingerprint("event", message).key, fingerprint("outbox", message).key)
        self.assertNotEqual(
            fingerprint("hold", "Unknown SKU A-1 (x)").key,
            fingerprint("hold", "No tax matches VAT 20%").key,
        )

    def test_fingerprint_keeps_the_field_of_a_path_and_drops_its_index(self):
        price = fingerprint("event", "data.lines.0.unit_price: Input should be a valid decimal")
        self.assertEqual(
            price.pattern, "data.lines.<n>.unit_price: input should be a valid decimal"
        )
        self.assertEqual(
            price.key,
            fingerprint("event", "data.lines.12.unit_price: Input should be a valid decimal").key,
        )
        self.assertNotEqual(
            price.key,
            fingerprint("event", "data.lines.0.quantity: Input should be a valid decimal").key,
        )

    def test_two_hundred_failures_of_six_kinds_make_six_groups(self):
        """Messages as the pipeline words them, with ids, SKUs, names,
        emails and amounts varying."""
        kinds = (
            (
                "hold",
                lambda i: (
                    f"Unknown SKU SKU-{i}-X ({'Mug' if i % 2 else 'T-shirt, size M'}): "
                    "create the product, then retry."
                ),
            ),
            (
                "hold",
                lambda i: f"No Odoo tax matches VAT {i % 30}% (rate 0.{i % 9}) on order #{i}.",
            ),
            (
                "event",
                lambda i: (
                    f"ValueError: data.lines.{i % 4}.quantity: Input should be a "
                    f"valid decimal [input_value='lots-{i}']"
                ),
            ),
            ("event", lambda i: f"Customer {i}@example.com of order #{1000 + i} has no address"),
            (
                "outbox",
                lambda i: (
                    f"Channel unreachable: HTTPSConnectionPool(host='shop{i}.example',"
                    f" port=443): Read timed out. (read timeout={i % 7 + 5})"
                ),
            ),
            ("job", lambda i: f"Order {i} total {i * 1.37:.2f} EUR differs from {i * 1.4:.2f} EUR"),
        )
        keys = {
            fingerprint(source, words(i)).key
            for i in range(200)
            for source, words in [kinds[i % 6]]
        }
        self.assertEqual(len(keys), 6)

    def test_suggestion_names_a_cause_or_none(self):
        self.assertEqual(suggest_cause("hold", "unknown sku <n> (<value>)")[0], "unknown_product")
        self.assertEqual(
            suggest_cause("outbox", "channel unreachable: <n>")[0], "channel_unreachable"
        )
        self.assertEqual(suggest_cause("event", "something nobody foresaw"), (None, None))


@tagged("post_install", "-at_install")
class TestExceptionTriage(RetailCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Group = cls.env["retail.exception.group"]
        cls.team = cls.env["crm.team"].create({"name": "Catalog team"})
        cls.catalog_user = cls.env["res.users"].create(
            {"name": "Cat Alog", "login": "catalog-triage", "email": "cat@example.com"}
        )
        cls.ops_user = cls.env["res.users"].create(
            {"name": "Op Erator", "login": "ops-triage", "email": "ops@example.com"}
        )

    def post_delivery(self, payload):
        body = json.dumps(payload).encode()
        response = self.url_open(
            f"/retail/webhook/{self.backend.webhook_token}",
            data=body,
            headers=signed_generic_headers(body),
            method="POST",
        )
        self.assertEqual(response.status_code, 200, response.text)
        return self.env["retail.event"].search(
            [("backend_id", "=", self.backend.id)], order="id desc", limit=1
        )

    def bad_order(self, order_id):
        """A delivery whose line quantity is not a number: the pipeline
        fails it for good."""
        payload = generic_order_payload(order_id)
        payload["data"]["lines"][0]["quantity"] = f"lots-{order_id}"
        return payload

    def failed_events(self, *order_ids):
        events = self.env["retail.event"]
        for order_id in order_ids:
            event = self.post_delivery(self.bad_order(order_id))
            self.run_event_job(event)
            events |= event
        self.assertEqual(set(events.mapped("state")), {"failed"})
        return events

    def held_orders(self, *skus):
        orders = self.env["sale.order"]
        for sku in skus:
            payload = generic_order_payload(f"H-{sku}")
            payload["data"]["lines"][0]["sku"] = sku
            payload["data"]["lines"][0]["name"] = f"Product {sku}"
            event = self.store_event(payload)
            self.run_event_job(event)
            self.assertEqual(event.state, "done", event.error)
            orders |= self.env["sale.order"].search(
                [
                    ("retail_backend_id", "=", self.backend.id),
                    ("retail_external_id", "=", f"H-{sku}"),
                ]
            )
        self.assertTrue(all(orders.mapped("retail_on_hold")))
        return orders

    def group_of(self, record):
        occurrence = self.env["retail.exception.occurrence"].search(
            [("res_model", "=", record._name), ("res_id", "=", record.id)]
        )
        return occurrence.group_id

    def test_bad_payloads_differing_only_in_ids_make_one_group(self):
        events = self.failed_events("5001", "5002")
        self.Group._cron_triage()
        group = self.group_of(events[0])
        self.assertEqual(len(group), 1)
        self.assertEqual(self.group_of(events[1]), group)
        self.assertEqual(group.source, "event")
        self.assertEqual(group.count, 2)
        self.assertEqual(group.open_count, 2)
        self.assertEqual(group.backend_ids, self.backend)
        self.assertEqual(group.topics, "order.created")
        self.assertIn("quantity", group.example)
        self.assertEqual(group.suggestion and group.cause_rule, "payload_schema")
        self.assertTrue(group.first_seen and group.last_seen >= group.first_seen)
        # A second run reads the same records again without counting them twice.
        self.Group._cron_triage()
        self.assertEqual(group.count, 2)

    def test_holds_from_imports_are_grouped_and_routed_with_one_activity(self):
        self.env["retail.exception.route"].create(
            [
                {"name": "Payloads", "sequence": 1, "source": "event", "user_id": self.ops_user.id},
                {
                    "name": "Missing products",
                    "sequence": 2,
                    "hold_reason": "unknown sku",
                    "team_id": self.team.id,
                    "user_id": self.catalog_user.id,
                },
            ]
        )
        orders = self.held_orders("NOPE-1", "NOPE-2", "GONE-3")
        self.Group._cron_triage()
        group = self.group_of(orders[0])
        self.assertEqual(self.group_of(orders[1]), group)
        self.assertEqual(self.group_of(orders[2]), group)
        self.assertEqual(group.count, 3)
        self.assertEqual(group.team_id, self.team)
        self.assertEqual(group.user_id, self.catalog_user)
        self.assertEqual(group.route_id.name, "Missing products")
        self.assertEqual(len(group.activity_ids), 1)
        self.assertEqual(group.activity_ids.user_id, self.catalog_user)
        # More held orders of the same kind: the group grows, no new activity.
        orders |= self.held_orders("LATE-9")
        self.Group._cron_triage()
        self.assertEqual(group.count, 4)
        self.assertEqual(len(group.activity_ids), 1)
        self.assertEqual(self.group_of(orders[0]), group)
        # The event rule catches failed events, not holds.
        events = self.failed_events("6001")
        self.Group._cron_triage()
        self.assertEqual(self.group_of(events).user_id, self.ops_user)

    def test_retry_import_releases_the_orders_and_resolves_the_group(self):
        orders = self.held_orders("NEW-1", "NEW-2")
        self.Group._cron_triage()
        group = self.group_of(orders[0])
        self.assertEqual(self.group_of(orders[1]), group)
        for sku in ("NEW-1", "NEW-2"):
            self.env["product.product"].create({"name": sku, "default_code": sku, "type": "consu"})
        group.action_retry_import()
        self.assertFalse(any(orders.mapped("retail_on_hold")))
        self.assertEqual(set(orders.mapped("state")), {"sale"})
        self.assertEqual(group.open_count, 0)
        self.assertEqual(group.state, "resolved")
        self.assertFalse(group.activity_ids)
        with self.assertRaises(UserError):
            group.action_retry_import()

    def test_bulk_replay_queues_every_failed_event_of_the_group(self):
        events = self.failed_events("7001", "7002", "7003")
        self.Group._cron_triage()
        group = self.group_of(events[0])
        old_jobs = events.job_id
        group.action_replay()
        self.assertEqual(set(events.mapped("state")), {"queued"})
        self.assertFalse(events.job_id & old_jobs)
        self.assertEqual(set(events.job_id.mapped("state")), {"pending"})
        # Nothing left to replay while they wait.
        with self.assertRaises(UserError):
            group.action_replay()

    def test_ignore_needs_a_reason_and_stops_activities(self):
        event = self.failed_events("8001")
        self.Group._cron_triage()
        group = self.group_of(event)
        self.assertEqual(len(group.activity_ids), 1)
        wizard = self.env["retail.exception.ignore.wizard"].create(
            {"group_ids": [(6, 0, group.ids)], "reason": " "}
        )
        with self.assertRaises(UserError):
            wizard.action_ignore()
        wizard.reason = "Test store sends junk on purpose"
        wizard.action_ignore()
        self.assertEqual(group.state, "ignored")
        self.assertEqual(group.ignore_reason, "Test store sends junk on purpose")
        self.assertEqual(group.ignored_by_id, self.env.user)
        self.assertFalse(group.activity_ids)
        self.failed_events("8002")
        self.Group._cron_triage()
        self.assertEqual(group.count, 2)
        self.assertEqual(group.state, "ignored")
        self.assertFalse(group.activity_ids)

    def test_edit_before_replay_keeps_the_original_and_applies_the_correction(self):
        event = self.failed_events("9001")
        original = event.body
        Wizard = self.env["retail.event.edit.wizard"].with_context(default_event_id=event.id)
        wizard = Wizard.create({"note": "quantity typed as text by the POS"})
        self.assertEqual(json.loads(wizard.payload), json.loads(original))
        wizard.payload = "{not json"
        with self.assertRaises(UserError):
            wizard.action_replay()
        corrected = json.loads(original)
        corrected["data"]["lines"][0]["quantity"] = 2
        wizard.payload = json.dumps(corrected)
        wizard.action_replay()
        correction = event.correction_ids
        self.assertEqual(len(correction), 1)
        self.assertEqual(correction.body_before, original)
        self.assertEqual(json.loads(correction.body_after), corrected)
        self.assertEqual(correction.user_id, self.env.user)
        self.assertEqual(event.original_body, original)
        self.assertEqual(event.state, "queued")
        self.run_event_job(event)
        self.assertEqual(event.state, "done", event.error)
        order = self.env["sale.order"].search(
            [("retail_backend_id", "=", self.backend.id), ("retail_external_id", "=", "9001")]
        )
        self.assertEqual(
            order.order_line.filtered(lambda line: line.product_id == self.tshirt).product_uom_qty,
            2,
        )

    def test_edit_before_replay_refuses_a_processed_event(self):
        event = self.store_event(generic_order_payload("9100"))
        self.run_event_job(event)
        wizard = self.env["retail.event.edit.wizard"].create(
            {"event_id": event.id, "payload": "{}", "note": "x"}
        )
        with self.assertRaises(UserError):
            wizard.action_replay()
        self.assertFalse(event.correction_ids)
