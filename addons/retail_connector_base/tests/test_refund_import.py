from datetime import datetime

from .common import RetailCase, canonical_order


def canonical_refund(external_id="refund-1", **overrides):
    refund = {
        "external_id": external_id,
        "order_external_id": "1001",
        "created_at": "2026-11-05T09:00:00+01:00",
        "lines": [
            {
                "line_external_id": "line-1",
                "quantity": 1,
                "subtotal": 19.90,
                "tax": 3.98,
                "restock": False,
            }
        ],
        "shipping": "0",
        "amount": "23.88",
        "reason": "Too small",
    }
    refund.update(overrides)
    return refund


class TestRefundImport(RetailCase):
    def import_event(self, topic, data):
        event = self.store_event({"type": topic, "data": data})
        error = self.run_event_job(event)
        return event, error

    def imported_order(self, invoiced=True):
        self.import_event("order.created", canonical_order())
        order = self.env["sale.order"].search([("retail_external_id", "=", "1001")])
        self.assertEqual(order.state, "sale")
        if invoiced:
            invoice = order._create_invoices()
            invoice.action_post()
        return order

    def test_refund_on_an_invoiced_order_drafts_the_credit_note(self):
        order = self.imported_order()
        event, _error = self.import_event("refund.created", canonical_refund())
        self.assertEqual(event.state, "done")
        refund = order.retail_refund_ids
        self.assertEqual(refund.state, "credit_note")
        self.assertEqual(refund.amount, 23.88)
        self.assertEqual(refund.refunded_at, datetime(2026, 11, 5, 8, 0))
        credit_note = refund.credit_note_id
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(credit_note.state, "draft")
        self.assertEqual(credit_note.partner_id, order.partner_invoice_id)
        line = credit_note.invoice_line_ids
        self.assertEqual((line.product_id, line.quantity, line.price_unit), (self.tshirt, 1, 19.9))
        self.assertEqual(line.tax_ids, self.tax_20)
        self.assertEqual(line.sale_line_ids, order.order_line[0])
        self.assertEqual(credit_note.amount_total, 23.88)
        self.assertFalse(order.retail_hold_reason)
        self.assertEqual(
            event.state_reason,
            f"Credit note {credit_note.display_name} drafted for refund refund-1.",
        )

    def test_refund_with_shipping_refund(self):
        order = self.imported_order()
        self.import_event("refund.created", canonical_refund(shipping="4.90", amount="29.76"))
        credit_note = order.retail_refund_ids.credit_note_id
        self.assertEqual(len(credit_note.invoice_line_ids), 2)
        self.assertEqual(credit_note.amount_total, 29.76)
        self.assertEqual(order.retail_refund_ids.state, "credit_note")

    def test_refund_amount_mismatch_holds_with_both_figures(self):
        order = self.imported_order()
        self.import_event("refund.created", canonical_refund(amount="25.00"))
        refund = order.retail_refund_ids
        self.assertEqual(refund.state, "held")
        expected = (
            "Refund refund-1: the channel refunded 25.00, Odoo's credit note comes to "
            "23.88 (difference -1.12)."
        )
        self.assertEqual(refund.hold_reason, expected)
        self.assertIn(expected, order.retail_hold_reason)
        self.assertEqual(refund.credit_note_id.state, "draft")

    def test_refund_on_an_order_not_invoiced_is_recorded_only(self):
        order = self.imported_order(invoiced=False)
        event, _error = self.import_event("refund.created", canonical_refund())
        self.assertEqual(order.retail_refund_ids.state, "recorded")
        self.assertFalse(order.retail_refund_ids.credit_note_id)
        self.assertIn("not invoiced", event.state_reason)

    def test_refund_delivered_twice_is_recorded_once(self):
        order = self.imported_order()
        self.import_event("refund.created", canonical_refund())
        event, _error = self.import_event("refund.created", canonical_refund())
        self.assertEqual(event.state, "ignored")
        self.assertEqual(len(order.retail_refund_ids), 1)
        self.assertEqual(len(order.retail_refund_ids.credit_note_id), 1)

    def test_refund_before_its_order_waits_and_is_retried(self):
        event, error = self.import_event("refund.created", canonical_refund())
        self.assertIsNone(error, "retried, not failed")
        self.assertEqual(event.state, "queued")
        self.assertEqual(event.error, "Order 1001 is not in Odoo yet; the refund waits for it.")
        order = self.imported_order()
        self.run_event_job(event)
        self.assertEqual(event.state, "done")
        self.assertEqual(order.retail_refund_ids.state, "credit_note")
