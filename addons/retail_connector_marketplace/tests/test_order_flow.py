"""The marketplace's acceptance as a step of the order flow."""

import copy
import json

from odoo.addons.retail_connector_base.tests.common import RetailCase

from .test_acceptance import PolledOrders, sample


class TestMiraklAcceptanceStep(PolledOrders, RetailCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Product = cls.env["product.product"]
        Product.create({"name": "Blue mug", "default_code": "MUG-BLUE", "is_storable": True})
        Product.create({"name": "Teapot", "default_code": "TEAPOT-CAST", "is_storable": True})
        cls.marketplace = cls.env["retail.backend"].create(
            {
                "name": "Marketplace",
                "code": "mirakl",
                "mirakl_api_url": "http://127.0.0.1:1",
                "mirakl_api_key": "key",
                "state": "active",
            }
        )
        cls.env.ref("base.EUR").active = True
        cls.env.company.tax_calculation_rounding_method = "round_per_line"

    def timeline(self, order, version=None):
        runs = order.retail_step_run_ids.filtered(
            lambda r: r.kind == "run" and (version is None or r.version == version)
        ).sorted("id")
        return [(run.code, run.outcome) for run in runs]

    def test_mirakl_backend_has_the_acceptance_step_and_generic_does_not(self):
        self.assertIn("mirakl_acceptance", self.marketplace.flow_step_ids.mapped("code"))
        self.assertNotIn("mirakl_acceptance", self.backend.flow_step_ids.mapped("code"))

    def test_acceptance_step_waits_per_version_then_passes_at_shipping(self):
        payload = sample("order_waiting_acceptance")
        self.run_event_job(self.store(payload))
        order = self.sale_order(payload)
        self.assertEqual(
            self.timeline(order),
            [("customer", "passed"), ("amount", "passed"), ("mirakl_acceptance", "waiting")],
        )
        waiting = order.retail_step_run_ids.filtered(lambda r: r.code == "mirakl_acceptance")
        self.assertEqual(waiting.decided_by, "Marketplace")
        self.assertEqual(order.retail_hold_reason, waiting.reason)
        shipping = copy.deepcopy(payload)
        address = {
            "firstname": "Camille",
            "lastname": "Durand",
            "street_1": "3 quai des Chartrons",
            "zip_code": "33000",
            "city": "Bordeaux",
            "country_iso_code": "FRA",
        }
        shipping["customer"].update(billing_address=address, shipping_address=address)
        shipping.update(order_state="SHIPPING", last_updated_date="2026-11-02T11:00:00Z")
        for line in shipping["order_lines"]:
            line["order_line_state"] = "SHIPPING"
        self.run_event_job(self.store(shipping))
        self.assertEqual(order.state, "sale")
        new_version = order.retail_step_run_ids.sorted("id")[-1].version
        self.assertEqual(
            self.timeline(order, new_version)[:3],
            [("customer", "passed"), ("amount", "passed"), ("mirakl_acceptance", "passed")],
        )
        self.assertEqual(
            self.timeline(order, new_version)[-2:], [("release", "passed"), ("shipment", "skipped")]
        )
        # the first version's waiting step stays on the timeline
        self.assertIn(("mirakl_acceptance", "waiting"), self.timeline(order))

    def test_cancel_from_a_held_fraud_step_tells_the_marketplace_through_the_outbox(self):
        step = self.marketplace.flow_step_ids.filtered(lambda s: s.code == "fraud")
        step.parameters = json.dumps({"amount_threshold": 10})
        payload = sample("order_waiting_acceptance")
        payload.update(order_state="SHIPPING", last_updated_date="2026-11-02T10:00:00Z")
        for line in payload["order_lines"]:
            line["order_line_state"] = "SHIPPING"
        self.run_event_job(self.store(payload))
        order = self.sale_order(payload)
        held = order.retail_step_run_ids.filtered(lambda r: r.code == "fraud")
        self.assertEqual(held.outcome, "held")
        held.action_cancel_order()
        self.assertEqual(order.state, "cancel")
        outbox = self.env["retail.outbox"].search(
            [("backend_id", "=", self.marketplace.id), ("res_id", "=", order.id)]
        )
        self.assertEqual(outbox.mapped("kind"), ["cancellation"])
        compensations = order.retail_step_run_ids.filtered(lambda r: r.kind == "compensation")
        self.assertIn("The channel is told through the outbox.", compensations[0].reason)
