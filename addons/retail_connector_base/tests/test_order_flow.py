"""The order flow: each step's outcomes on realistic orders, the timeline,
hold and resume, compensation in reverse order, the carrier's label behind
its circuit breaker, and two backends with different flows."""

import json

from .carrier_fake import REFUSED_ZIP, FakeCarrier
from .common import GENERIC_SECRET, SHIPPING, RetailCase, canonical_order


class FlowCase(RetailCase):
    def set_step(self, code, backend=None, active=True, **params):
        step = (
            (backend or self.backend)
            .with_context(active_test=False)
            .flow_step_ids.filtered(lambda s: s.code == code)
        )
        step.write({"active": active, "parameters": json.dumps(params)})
        return step

    def import_order(self, order=None, backend=None):
        event = self.store_event(
            {"type": "order.created", "data": order or canonical_order()}, backend=backend
        )
        self.assertIsNone(self.run_event_job(event), event.error)
        self.assertEqual(event.state, "done", event.error)
        return event

    def sale_order(self, external_id="1001", backend=None):
        return self.env["sale.order"].search(
            [
                ("retail_backend_id", "=", (backend or self.backend).id),
                ("retail_external_id", "=", external_id),
            ]
        )

    def timeline(self, order, kind="run"):
        runs = order.retail_step_run_ids.filtered(lambda r: r.kind == kind).sorted("id")
        return [(run.code, run.outcome) for run in runs]

    def step_run(self, order, code):
        return order.retail_step_run_ids.filtered(lambda r: r.kind == "run" and r.code == code)

    def label_jobs(self):
        return self.env["queue.job"].search(
            [("method_name", "=", "_retry_label"), ("state", "=", "pending")]
        )


class TestDefaultFlow(FlowCase):
    def test_default_flow_confirms_and_releases_a_clean_order(self):
        self.import_order()
        order = self.sale_order()
        self.assertEqual(order.state, "sale")
        self.assertFalse(order.retail_hold_reason)
        self.assertTrue(order.retail_released_at)
        self.assertEqual(
            self.timeline(order),
            [
                ("customer", "passed"),
                ("amount", "passed"),
                ("tax", "passed"),
                ("channel", "passed"),
                ("payment", "passed"),
                ("fraud", "passed"),
                ("stock", "passed"),
                ("release", "passed"),
                ("shipment", "skipped"),
            ],
        )
        self.assertEqual(self.step_run(order, "release").decided_by, "every earlier step")
        self.assertIn("No carrier configured", self.step_run(order, "shipment").reason)

    def test_totals_hold_stops_at_the_tax_step_with_the_checker_reason(self):
        order_values = canonical_order(totals={"untaxed": "44.70", "tax": "8.94", "total": "60.00"})
        self.import_order(order_values)
        order = self.sale_order()
        self.assertEqual(order.state, "draft")
        self.assertEqual(self.timeline(order)[-1], ("tax", "held"))
        self.assertEqual(order.retail_hold_reason, self.step_run(order, "tax").reason)
        self.assertIn("Odoo's amounts differ from the channel's", order.retail_hold_reason)
        self.assertTrue(self.step_run(order, "tax").can_act)
        self.assertFalse(self.step_run(order, "payment"), "no step runs after a held one")

    def test_backend_gets_its_channel_default_steps_once(self):
        codes = self.backend.flow_step_ids.mapped("code")
        self.assertEqual(
            codes,
            [
                "customer",
                "amount",
                "tax",
                "channel",
                "payment",
                "fraud",
                "stock",
                "release",
                "shipment",
            ],
        )
        self.backend._seed_flow_steps()
        self.assertEqual(len(self.backend.flow_step_ids), len(codes))

    def test_parameters_must_be_a_json_object(self):
        step = self.backend.flow_step_ids[:1]
        with self.assertRaisesRegex(Exception, "not JSON"):
            step.parameters = "{max: 3"
        with self.assertRaisesRegex(Exception, "JSON object"):
            step.parameters = "[1, 2]"


class TestCheckSteps(FlowCase):
    def test_blocked_customer_is_held_then_released_resumes_from_that_step(self):
        self.import_order()
        partner = self.sale_order().partner_id
        # A second order of the now blocked customer
        partner.retail_order_blocked = True
        self.import_order(canonical_order("1002"))
        order = self.sale_order("1002")
        self.assertEqual(order.state, "draft")
        self.assertEqual(self.timeline(order), [("customer", "held")])
        self.assertIn("blocked for channel orders", order.retail_hold_reason)
        held = self.step_run(order, "customer")
        held.action_release()
        order.invalidate_recordset()
        self.assertEqual(order.state, "sale")
        self.assertFalse(order.retail_hold_reason)
        timeline = self.timeline(order)
        self.assertEqual(timeline[0], ("customer", "released"))
        self.assertEqual([code for code, _ in timeline].count("customer"), 1)
        self.assertEqual(held.user_id, self.env.user)
        self.assertEqual(timeline[-1], ("shipment", "skipped"))

    def test_only_a_manager_releases_and_a_settled_step_cannot_be(self):
        from odoo.exceptions import AccessError, UserError

        self.set_step("fraud", amount_threshold=10)
        self.import_order()
        held = self.step_run(self.sale_order(), "fraud")
        clerk = self.env["res.users"].create(
            {
                "name": "Clerk",
                "login": "flow-clerk",
                "group_ids": [
                    (
                        6,
                        0,
                        [
                            self.env.ref("retail_connector_base.group_retail_connect_user").id,
                            self.env.ref("sales_team.group_sale_salesman").id,
                        ],
                    )
                ],
            }
        )
        with self.assertRaises(AccessError):
            held.with_user(clerk).action_release()
        with self.assertRaises(AccessError):
            held.with_user(clerk).action_cancel_order()
        self.assertEqual(held.outcome, "held")
        with self.assertRaisesRegex(UserError, "not waiting for a person"):
            self.step_run(self.sale_order(), "customer").action_release()

    def test_retry_of_a_held_step_does_not_run_passed_steps_again(self):
        order_values = canonical_order(totals={"untaxed": "44.70", "tax": "8.94", "total": "60.00"})
        self.import_order(order_values)
        order = self.sale_order()
        customer_run = self.step_run(order, "customer")
        first_date = customer_run.date
        self.step_run(order, "tax").action_retry()
        order.invalidate_recordset()
        self.assertEqual(self.step_run(order, "customer"), customer_run)
        self.assertEqual(customer_run.date, first_date)
        self.assertEqual(self.timeline(order).count(("tax", "held")), 1)

    def test_max_discount_rule_holds_a_larger_discount_only(self):
        self.set_step("amount", max_discount_percent=10)
        discounted = canonical_order(
            discount_lines=[{"title": "WELCOME", "amount": "8.00"}],
            totals={"untaxed": "36.70", "tax": "8.94", "total": "45.64"},
        )
        self.import_order(discounted)
        order = self.sale_order()
        self.assertEqual(self.timeline(order), [("customer", "passed"), ("amount", "held")])
        self.assertIn("more than the 10", order.retail_hold_reason)
        self.set_step("amount", max_discount_percent=25)
        self.import_order(
            canonical_order(
                "1002",
                discount_lines=[{"title": "W", "amount": "8.00"}],
                totals={"untaxed": "36.70", "tax": "8.94", "total": "45.64"},
            )
        )
        self.assertEqual(self.step_run(self.sale_order("1002"), "amount").outcome, "passed")

    def test_pending_payment_waits_when_payment_is_required(self):
        self.set_step("payment", require_payment=True, accepted_states=["paid"])
        self.import_order(canonical_order(payment_state="pending"))
        order = self.sale_order()
        self.assertEqual(self.timeline(order)[-1], ("payment", "waiting"))
        self.assertIn("Waiting for the payment", order.retail_hold_reason)
        self.assertEqual(order.state, "draft")

    def test_cash_on_delivery_passes_payment_by_rule(self):
        self.set_step(
            "payment",
            require_payment=True,
            accepted_states=["paid"],
            allow_cash_on_delivery=True,
            cash_on_delivery_gateways=["cash_on_delivery"],
        )
        payment = {
            "external_id": "p1",
            "kind": "sale",
            "status": "pending",
            "amount": "53.64",
            "gateway": "Cash_on_Delivery",
        }
        self.import_order(canonical_order(payment_state="pending", payments=[payment]))
        run = self.step_run(self.sale_order(), "payment")
        self.assertEqual((run.outcome, run.decided_by), ("passed", "rule: payment on delivery"))
        self.assertEqual(self.sale_order().state, "sale")

    def test_invoiced_customer_passes_payment_by_rule(self):
        self.import_order()
        partner = self.sale_order().partner_id
        partner.property_payment_term_id = self.env.ref("account.account_payment_term_30days")
        self.set_step(
            "payment", require_payment=True, accepted_states=["paid"], allow_invoiced_customers=True
        )
        self.import_order(canonical_order("1002", payment_state="pending"))
        run = self.step_run(self.sale_order("1002"), "payment")
        self.assertEqual((run.outcome, run.decided_by), ("passed", "rule: invoiced customers"))

    def test_voided_payment_fails_and_cancels_the_quotation(self):
        self.set_step("payment", require_payment=True, accepted_states=["paid"])
        self.import_order(canonical_order(payment_state="voided"))
        order = self.sale_order()
        self.assertEqual(self.timeline(order)[-1], ("payment", "failed"))
        self.assertEqual(order.state, "cancel")
        self.assertFalse(order.retail_hold_reason)
        self.assertEqual(self.timeline(order, "compensation"), [("confirmation", "compensated")])

    def test_fraud_rules_amount_new_customer_express_and_address_mismatch(self):
        self.set_step(
            "fraud",
            amount_threshold=50,
            new_customer_express=True,
            express_shipping_codes=["express"],
            address_mismatch=True,
        )
        express = canonical_order(
            shipping_lines=[
                {
                    "title": "Express delivery",
                    "code": "EXPRESS",
                    "price": "4.90",
                    "tax_lines": [{"title": "VAT", "rate": "0.2", "amount": "0.98"}],
                }
            ]
        )
        self.import_order(express)
        order = self.sale_order()
        self.assertEqual(self.timeline(order)[-1], ("fraud", "held"))
        reason = order.retail_hold_reason
        self.assertIn("above the review threshold 50", reason)
        self.assertIn("new customer with express shipping (Express delivery)", reason)
        self.assertIn("billing and shipping addresses differ", reason)

    def test_fraud_rules_pass_a_known_customer_shipping_home_below_the_threshold(self):
        self.import_order()  # the customer's first order, default flow
        self.set_step(
            "fraud", amount_threshold=100, new_customer_express=True, address_mismatch=True
        )
        from .common import BILLING

        self.import_order(canonical_order("1002", shipping_address=BILLING))
        self.assertEqual(self.step_run(self.sale_order("1002"), "fraud").outcome, "passed")


class TestFulfilmentSteps(FlowCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tshirt.is_storable = True
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )

    def put_in_stock(self, quantity):
        self.env["stock.quant"]._update_available_quantity(
            self.tshirt, self.warehouse.lot_stock_id, quantity
        )

    def test_short_stock_holds_when_partial_is_not_allowed_then_retry_releases(self):
        self.set_step("stock", allow_partial=False)
        self.put_in_stock(1)
        self.import_order()
        order = self.sale_order()
        self.assertEqual(order.state, "sale")
        self.assertEqual(self.timeline(order)[-1], ("stock", "held"))
        self.assertIn("Only 1 of 2 units", order.retail_hold_reason)
        self.assertFalse(order.retail_released_at, "not released while a step holds")
        self.put_in_stock(5)
        self.step_run(order, "stock").action_retry()
        self.assertEqual(self.step_run(order, "stock").outcome, "passed")
        self.assertTrue(order.retail_released_at)
        self.assertFalse(order.retail_hold_reason)
        self.assertEqual(len(order.picking_ids), 1, "one delivery")

    def test_short_stock_passes_when_partial_is_allowed(self):
        self.put_in_stock(1)
        self.import_order()
        run = self.step_run(self.sale_order(), "stock")
        self.assertEqual(run.outcome, "passed")
        self.assertIn("1 of 2 units reserved (partial allowed)", run.reason)


class CarrierCase(FlowCase):
    """Orders in stock, and a fake carrier on the shipment step."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tshirt.is_storable = True
        warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.env["stock.quant"]._update_available_quantity(cls.tshirt, warehouse.lot_stock_id, 100)

    def setUp(self):
        super().setUp()
        self.carrier = self.enterContext(FakeCarrier())
        self.set_step(
            "shipment",
            carrier_url=self.carrier.url,
            carrier_code="fastship",
            breaker_threshold=2,
            breaker_cooldown_seconds=0,
        )

    def breaker(self):
        return self.env["retail.circuit.breaker"].search(
            [("endpoint", "=", f"{self.carrier.url}/labels")]
        )


class TestCarrierAndCompensation(CarrierCase):
    def test_label_is_created_when_a_carrier_is_configured(self):
        self.import_order()
        order = self.sale_order()
        run = self.step_run(order, "shipment")
        self.assertEqual((run.outcome, run.decided_by), ("passed", "fastship"))
        self.assertEqual(order.retail_label_state, "done")
        self.assertEqual(order.retail_label_ref, "TRK000001")
        key, payload, _status = self.carrier.requests[0]
        self.assertEqual(key, f"{self.env.cr.dbname}-{order.id}")
        self.assertEqual(payload["recipient"]["city"], "Cambridge")
        self.assertEqual(payload["parcels"], [{"sku": "TSHIRT-M", "quantity": 2.0}])

    def test_carrier_refusal_compensates_earlier_steps_in_reverse_order(self):
        self.backend.write({"code": "generic"})
        refused = dict(SHIPPING, zip=REFUSED_ZIP)
        self.import_order(canonical_order(shipping_address=refused))
        order = self.sale_order()
        self.assertEqual(self.timeline(order)[-1], ("shipment", "failed"))
        self.assertIn("destination not served", self.step_run(order, "shipment").reason)
        self.assertEqual(
            self.timeline(order, "compensation"),
            [
                ("release", "compensated"),
                ("stock", "compensated"),
                ("confirmation", "compensated"),
                ("payment", "compensated"),
            ],
        )
        self.assertEqual(order.state, "cancel")
        self.assertFalse(order.retail_released_at)
        self.assertEqual(order.picking_ids.mapped("state"), ["cancel"])
        self.assertEqual(order.retail_refund_owed, 53.64)
        self.assertFalse(order.retail_hold_reason)
        # a refusal is an answer: the carrier is up
        self.assertEqual(self.breaker().state, "closed")
        # Running the flow of that version again undoes nothing twice.
        version = self.step_run(order, "shipment").version
        self.env["retail.order.flow"]._run(order, version)
        self.assertEqual(len(self.timeline(order, "compensation")), 4)
        self.assertEqual(len(self.carrier.requests), 1)

    def test_cancel_from_a_held_step_compensates_and_tells_the_channel(self):
        self.set_step("fraud", amount_threshold=10)
        self.import_order()
        order = self.sale_order()
        run = self.step_run(order, "fraud")
        self.assertEqual(run.outcome, "held")
        run.action_cancel_order()
        self.assertEqual(order.state, "cancel")
        self.assertEqual(run.outcome, "failed")
        self.assertEqual(
            self.timeline(order, "compensation"),
            [("confirmation", "compensated"), ("payment", "compensated")],
        )
        self.assertEqual(order.retail_refund_owed, 53.64)

    def test_carrier_down_leaves_label_pending_opens_breaker_once_and_recovers(self):
        self.carrier.down = True
        for number in ("1001", "1002", "1003"):
            self.import_order(canonical_order(number))
        orders = self.env["sale.order"].search([("retail_backend_id", "=", self.backend.id)])
        self.assertEqual(set(orders.mapped("state")), {"sale"})
        self.assertTrue(all(orders.mapped("retail_released_at")))
        self.assertEqual(set(orders.mapped("retail_label_state")), {"pending"})
        self.assertFalse(any(orders.mapped("retail_hold_reason")), "label pending is no hold")
        for order in orders:
            self.assertEqual(self.timeline(order)[-1], ("shipment", "waiting"))
            self.assertIn("Label pending", self.step_run(order, "shipment").reason)
        breaker = self.breaker()
        self.assertEqual((breaker.state, breaker.open_count), ("open", 1))
        self.assertEqual(len(breaker.activity_ids), 1, "one activity, not one per order")
        self.assertTrue(breaker.runbook_url.endswith("alerts/circuit_breaker_open.md"))
        self.assertIn(breaker.runbook_url, breaker.activity_ids.note)
        jobs = self.label_jobs()
        self.assertEqual(len(jobs), 3)
        # A probe while still down re-opens it: no second activity.
        self.run_job(jobs[0])
        self.assertEqual(self.breaker().state, "open")
        self.assertEqual(self.breaker().open_count, 1)
        self.assertEqual(len(self.breaker().activity_ids), 1)
        self.carrier.down = False
        for _ in range(3):
            for job in self.label_jobs():
                self.run_job(job)
        orders.invalidate_recordset()
        self.assertEqual(set(orders.mapped("retail_label_state")), {"done"})
        created = [r for r in self.carrier.requests if r[2] == 201]
        self.assertEqual(len({key for key, _p, _s in created}), 3)
        self.assertEqual(len(created), 3, "one label each")
        breaker = self.breaker()
        self.assertEqual((breaker.state, breaker.open_count, breaker.close_count), ("closed", 1, 1))
        self.assertFalse(breaker.activity_ids)
        for order in orders:
            self.assertEqual(self.timeline(order).count(("shipment", "passed")), 1)

    def test_cancellation_while_label_pending_never_ships(self):
        self.carrier.down = True
        self.import_order()
        order = self.sale_order()
        self.assertEqual(order.retail_label_state, "pending")
        cancelled = canonical_order(
            updated_at="2026-11-02T11:00:00+01:00",
            cancelled_at="2026-11-02T11:00:00+01:00",
            cancel_reason="customer",
        )
        self.import_order(cancelled)
        self.assertEqual(order.state, "cancel")
        self.assertEqual(order.retail_label_state, "cancelled")
        self.carrier.down = False
        self.carrier.requests.clear()
        for job in self.label_jobs():
            self.run_job(job)
        self.assertEqual(self.carrier.requests, [], "no label for a cancelled order")

    def test_address_update_while_label_pending_labels_the_new_address_once(self):
        self.carrier.down = True
        self.import_order()
        order = self.sale_order()
        moved = dict(SHIPPING, street="7 New Street", city="Oxford", zip="OX1 1AA")
        self.import_order(
            canonical_order(updated_at="2026-11-02T11:00:00+01:00", shipping_address=moved)
        )
        self.assertEqual(order.partner_shipping_id.city, "Oxford")
        self.carrier.down = False
        for job in self.label_jobs():
            self.run_job(job)
        created = [payload for _k, payload, status in self.carrier.requests if status == 201]
        self.assertEqual(len(created), 1)
        self.assertEqual(created[0]["recipient"]["city"], "Oxford")
        self.assertEqual(len(order.picking_ids), 1, "never two deliveries")


class TestTwoBackends(FlowCase):
    def test_same_order_walks_a_different_flow_on_each_backend(self):
        other = self.env["retail.backend"].create(
            {
                "name": "Outlet (generic)",
                "code": "generic",
                "webhook_secret": GENERIC_SECRET,
                "state": "active",
            }
        )
        self.set_step("fraud", backend=other, amount_threshold=20)
        self.set_step("customer", backend=other, active=False)
        self.import_order()
        self.import_order(canonical_order("2001"), backend=other)
        here, there = self.sale_order(), self.sale_order("2001", backend=other)
        self.assertEqual(here.state, "sale")
        self.assertEqual(there.state, "draft")
        self.assertEqual(self.timeline(there)[0], ("amount", "passed"))
        self.assertEqual(self.timeline(there)[-1], ("fraud", "held"))
        self.assertIn("above the review threshold 20", there.retail_hold_reason)
