"""Compensating the shipment step: a label already made is voided with the
carrier (behind the carrier's breaker when it is down), on the timeline."""

from .common import canonical_order
from .test_order_flow import CarrierCase

CANCELLED = canonical_order(
    updated_at="2026-11-02T11:00:00+01:00",
    cancelled_at="2026-11-02T11:00:00+01:00",
    cancel_reason="customer",
)


class TestLabelVoid(CarrierCase):
    def labelled_order(self):
        self.import_order()
        order = self.sale_order()
        self.assertEqual((order.retail_label_state, order.retail_label_ref), ("done", "TRK000001"))
        return order

    def void_jobs(self):
        return self.env["queue.job"].search(
            [("method_name", "=", "_retry_void"), ("state", "=", "pending")]
        )

    def undo(self, order):
        return order.retail_step_run_ids.filtered(
            lambda r: r.kind == "compensation" and r.code == "shipment"
        )

    def test_cancellation_from_the_channel_voids_the_label(self):
        order = self.labelled_order()
        self.import_order(CANCELLED)
        self.assertEqual(order.state, "cancel")
        self.assertEqual(order.retail_label_state, "voided")
        self.assertEqual(self.carrier.voids, [("TRK000001", 200)])
        undo = self.undo(order)
        self.assertEqual(undo.outcome, "compensated")
        self.assertIn("Carrier label TRK000001 voided with the carrier", undo.reason)
        self.assertEqual(undo.decided_by, "fastship")
        self.assertFalse(self.void_jobs())

    def test_void_waits_behind_the_breaker_while_the_carrier_is_down(self):
        order = self.labelled_order()
        self.carrier.down = True
        self.import_order(CANCELLED)
        self.assertEqual(order.state, "cancel", "the cancellation never waits for the carrier")
        self.assertEqual(order.retail_label_state, "void_pending")
        undo = self.undo(order)
        self.assertEqual(undo.outcome, "waiting")
        self.assertIn("TRK000001 to be voided: the carrier is unavailable", undo.reason)
        [job] = self.void_jobs()
        # Still down: the second failure in a row opens the breaker (threshold 2).
        self.run_job(job)
        self.assertEqual(self.breaker().state, "open")
        self.assertEqual(order.retail_label_state, "void_pending")
        self.assertEqual([status for _n, status in self.carrier.voids], [503, 503])
        self.carrier.down = False
        for _ in range(2):
            for job in self.void_jobs():
                self.run_job(job)
        self.assertEqual(order.retail_label_state, "voided")
        self.assertEqual([status for _n, status in self.carrier.voids], [503, 503, 200])
        self.assertEqual(len(self.undo(order)), 1, "one compensation row, brought up to date")
        self.assertEqual(self.undo(order).outcome, "compensated")
        breaker = self.breaker()
        self.assertEqual((breaker.state, breaker.open_count, breaker.close_count), ("closed", 1, 1))
        self.assertFalse(self.void_jobs())

    def test_a_later_step_cancelled_by_a_person_voids_the_label_first(self):
        shipment = self.set_step("shipment", carrier_url=self.carrier.url, carrier_code="fastship")
        shipment.sequence = 65  # before the stock step
        self.set_step("stock", allow_partial=False)
        stock = (
            self.env["stock.warehouse"]
            .search([("company_id", "=", self.env.company.id)], limit=1)
            .lot_stock_id
        )
        self.env["stock.quant"]._update_available_quantity(self.tshirt, stock, -99)
        order = self.labelled_order()
        held = self.step_run(order, "stock")
        self.assertEqual(held.outcome, "held")
        held.action_cancel_order()
        self.assertEqual(
            self.timeline(order, "compensation"),
            [
                ("shipment", "compensated"),
                ("confirmation", "compensated"),
                ("payment", "compensated"),
            ],
        )
        self.assertEqual(order.state, "cancel")
        self.assertEqual(order.retail_label_state, "voided")
        self.assertEqual(self.carrier.voids, [("TRK000001", 200)])

    def test_a_void_the_carrier_refuses_is_left_to_a_person(self):
        order = self.labelled_order()
        order.retail_label_ref = "TRK999999"  # a label the carrier does not know
        self.import_order(CANCELLED)
        self.assertEqual(order.state, "cancel")
        self.assertEqual(order.retail_label_state, "void_refused")
        undo = self.undo(order)
        self.assertEqual(undo.outcome, "failed")
        self.assertIn("refused to void label TRK999999", undo.reason)
        self.assertIn("void it with the carrier", undo.reason)
        self.assertFalse(self.void_jobs(), "a refusal is not retried")
        self.assertEqual(self.breaker().state, "closed", "a refusal is an answer")
