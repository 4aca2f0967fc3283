from decimal import Decimal

from odoo.tests import tagged

from .api_common import ApiCase
from .common import canonical_order


@tagged("post_install", "-at_install")
class TestApiOrders(ApiCase):
    def test_post_order_imports_it_at_once_and_answers_201(self):
        response = self.submit(canonical_order("api-1"))
        self.assertEqual(response.status_code, 201, response.text)
        receipt = response.json()
        order = self.env["sale.order"].search([("retail_external_id", "=", "api-1")])
        self.assertEqual(len(order), 1)
        self.assertEqual(receipt["id"], order.id)
        self.assertEqual(receipt["reference"], order.name)
        self.assertEqual(receipt["state"], "sale")
        self.assertFalse(receipt["on_hold"])
        self.assertIsNone(receipt["hold_reason"])
        self.assertEqual(receipt["import_state"], "done")
        self.assertEqual(response.headers["Location"], "/retail/api/v1/orders/api-1")
        event = order.retail_last_event_id
        self.assertEqual(event.source, "api")
        self.assertEqual(event.api_key_id, self.key)
        self.assertEqual(event.state, "done")
        # The job stored with the event has nothing left to do.
        self.assertEqual(event.job_id.state, "done")

    def test_post_order_on_hold_answers_its_hold_reason(self):
        order = canonical_order("api-hold")
        order["lines"][0]["sku"] = "NO-SUCH-SKU"
        response = self.submit(order)
        self.assertEqual(response.status_code, 201, response.text)
        receipt = response.json()
        self.assertTrue(receipt["on_hold"])
        self.assertIn("NO-SUCH-SKU", receipt["hold_reason"])
        self.assertEqual(receipt["state"], "draft")

    def test_post_order_is_queued_when_the_backend_is_paused(self):
        self.backend.action_pause()
        response = self.submit(canonical_order("api-paused"))
        self.assertEqual(response.status_code, 202, response.text)
        receipt = response.json()
        self.assertIsNone(receipt["id"])
        self.assertEqual(receipt["import_state"], "received")
        self.assertFalse(self.env["sale.order"].search([("retail_external_id", "=", "api-paused")]))
        # Polling tells the same until the backend is active and the job ran.
        polled = self.call("GET", "/orders/api-paused").json()
        self.assertEqual(polled["import_state"], "received")
        self.backend.action_activate()
        event = self.env["retail.event"].search([("api_external_id", "=", "api-paused")])
        self.run_event_job(event)
        polled = self.call("GET", "/orders/api-paused").json()
        self.assertEqual(polled["import_state"], "done")
        self.assertTrue(polled["reference"])

    def test_post_order_respond_async_answers_202_and_the_job_imports_it(self):
        response = self.submit(canonical_order("api-async"), headers={"Prefer": "respond-async"})
        self.assertEqual(response.status_code, 202, response.text)
        self.assertEqual(response.json()["import_state"], "queued")
        event = self.env["retail.event"].search([("api_external_id", "=", "api-async")])
        self.assertEqual(event.job_id.state, "pending")
        self.assertIsNone(self.run_event_job(event))
        self.assertEqual(self.call("GET", "/orders/api-async").json()["state"], "sale")

    def test_post_order_whose_import_fails_now_is_queued_for_its_job(self):
        with self.apply_raising(lambda: RuntimeError("database hiccup")) as calls:
            response = self.submit(canonical_order("api-fail"))
        self.assertEqual(len(calls), 1)
        self.assertEqual(response.status_code, 202, response.text)
        receipt = response.json()
        self.assertEqual(receipt["import_state"], "queued")
        self.assertIn("database hiccup", receipt["import_message"])
        event = self.env["retail.event"].search([("api_external_id", "=", "api-fail")])
        self.assertEqual(event.job_id.state, "pending")
        self.assertIsNone(self.run_event_job(event))
        self.assertEqual(self.call("GET", "/orders/api-fail").json()["state"], "sale")

    def test_post_order_validation_error_names_the_field(self):
        order = canonical_order("api-bad")
        order["lines"][0]["quantity"] = -1
        order["surprise"] = True
        response = self.submit(order)
        problem = self.assertProblem(response, 422, "validation")
        fields = {error["field"] for error in problem["errors"]}
        self.assertIn("lines.0.quantity", fields)
        self.assertIn("surprise", fields)
        self.assertFalse(self.env["retail.event"].search([("source", "=", "api")]))

    def test_post_order_refuses_other_content_types_and_bad_json(self):
        response = self.submit(b"{}", headers={"Content-Type": "text/plain"})
        self.assertProblem(response, 415, "unsupported-media-type")
        response = self.submit(b"{not json")
        self.assertProblem(response, 400, "invalid-json")

    def test_post_order_refuses_a_body_over_the_limit(self):
        self.backend.webhook_max_body_bytes = 100
        response = self.submit(canonical_order("api-big"))
        self.assertProblem(response, 413, "too-large")

    def test_resubmitting_an_order_updates_it_and_answers_200(self):
        self.assertEqual(self.submit(canonical_order("api-upd")).status_code, 201)
        later = canonical_order(
            "api-upd", updated_at="2026-11-03T10:00:00Z", channel_status="closed"
        )
        response = self.submit(later)
        self.assertEqual(response.status_code, 200, response.text)
        order = self.env["sale.order"].search([("retail_external_id", "=", "api-upd")])
        self.assertEqual(len(order), 1)
        self.assertEqual(order.retail_channel_status, "closed")
        self.assertEqual(response.json()["import_state"], "done")

    def test_get_order_of_another_backend_is_not_found(self):
        other = self.backend.copy({"name": "Other POS"})
        _other_key, other_secret = self.make_key(backend=other)
        self.assertEqual(self.submit(canonical_order("api-mine")).status_code, 201)
        mine = self.call("GET", "/orders/api-mine")
        self.assertEqual(mine.status_code, 200)
        theirs = self.call("GET", "/orders/api-mine", secret=other_secret)
        unknown = self.call("GET", "/orders/never-submitted", secret=other_secret)
        # The same answer whether the order exists elsewhere or nowhere.
        self.assertEqual(
            {
                k: v
                for k, v in self.assertProblem(theirs, 404, "not-found").items()
                if k != "instance"
            },
            {
                k: v
                for k, v in self.assertProblem(unknown, 404, "not-found").items()
                if k != "instance"
            },
        )

    def test_cancel_order_cancels_it_once(self):
        self.submit(canonical_order("api-cancel"))
        response = self.call(
            "POST", "/orders/api-cancel/cancel", {"reason": "customer changed mind"}
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["state"], "cancel")
        order = self.env["sale.order"].search([("retail_external_id", "=", "api-cancel")])
        self.assertEqual(order.state, "cancel")
        # No cancellation owed back to the channel that asked for it.
        self.assertFalse(self.env["retail.outbox"].search([("backend_id", "=", self.backend.id)]))
        again = self.call("POST", "/orders/api-cancel/cancel", {})
        self.assertEqual(again.json()["state"], "cancel")

    def test_cancel_of_a_shipped_order_is_a_conflict(self):
        self.submit(canonical_order("api-shipped"))
        order = self.env["sale.order"].search([("retail_external_id", "=", "api-shipped")])
        self.ship(order)
        response = self.call("POST", "/orders/api-shipped/cancel", {})
        self.assertProblem(response, 409, "already-shipped")
        self.assertEqual(order.state, "sale")

    def test_cancel_of_an_unknown_order_is_not_found(self):
        self.assertProblem(self.call("POST", "/orders/nope/cancel", {}), 404, "not-found")

    def test_shipments_list_what_left_with_tracking_and_lines(self):
        self.submit(canonical_order("api-ship"))
        order = self.env["sale.order"].search([("retail_external_id", "=", "api-ship")])
        self.assertEqual(self.call("GET", "/orders/api-ship/shipments").json(), {"shipments": []})
        picking = self.ship(order, tracking="1Z999")
        response = self.call("GET", "/orders/api-ship/shipments")
        self.assertEqual(response.status_code, 200, response.text)
        [shipment] = response.json()["shipments"]
        self.assertEqual(shipment["external_id"], picking.name)
        self.assertEqual(shipment["order_external_id"], "api-ship")
        [line] = shipment["lines"]
        self.assertEqual(line["line_external_id"], "line-1")
        self.assertEqual(Decimal(line["quantity"]), 2)
        self.assertTrue(shipment["shipped_at"])
        if "carrier_tracking_ref" in picking._fields:
            self.assertEqual(shipment["tracking_number"], "1Z999")

    def ship(self, order, tracking=None):
        picking = order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        if tracking and "carrier_tracking_ref" in picking._fields:
            picking.carrier_tracking_ref = tracking
        picking.with_context(skip_backorder=True, skip_sms=True).button_validate()
        self.assertEqual(picking.state, "done")
        return picking
