import unittest
from unittest.mock import patch

import requests

from odoo.tests import TransactionCase

from odoo.addons.retail_connector_base.exceptions import PermanentError, TransientError

from .. import outbound
from ..client import MiraklClient, MiraklRequestError


class TestOutboundEntries(unittest.TestCase):
    """The entries of OR30, OR28 and STO01, built without a database."""

    def test_undelivered_units_of_a_shipping_order(self):
        payload = {
            "order_state": "SHIPPING",
            "currency_iso_code": "EUR",
            "order_lines": [
                {
                    "order_line_id": "A-1",
                    "order_line_state": "SHIPPING",
                    "quantity": 5,
                    "price": 50.0,
                    "cancelations": [{"quantity": 1}],
                },
                {"order_line_id": "A-2", "order_line_state": "SHIPPING", "quantity": 1},
                {"order_line_id": "A-3", "order_line_state": "CANCELED", "quantity": 2},
                {"order_line_id": "A-4", "order_line_state": "SHIPPING", "quantity": 2},
            ],
        }
        delivered = {"A-1": 2.5, "A-2": 1.0, "A-3": 0.0}  # not on the Odoo order
        self.assertEqual(
            outbound.undelivered_cancelations(payload, delivered),
            [
                {
                    "order_line_id": "A-1",
                    "quantity": 1,  # 5 ordered, 1 cancelled there, 3 (2.5 rounded up) shipped
                    "amount": 10.0,
                    "shipping_amount": 0,
                    "currency_iso_code": "EUR",
                }
            ],
        )
        shipped = dict(payload, order_state="SHIPPED")
        self.assertEqual(outbound.undelivered_cancelations(shipped, delivered), [])

    def test_refund_entries_carry_the_shipping_on_the_first(self):
        entries = outbound.refund_entries([("A-1", 12.344, 1.0), ("A-2", 5, 2.0)], 4.5, "R1")
        self.assertEqual(
            entries,
            [
                {
                    "order_line_id": "A-1",
                    "amount": 12.34,
                    "quantity": 1,
                    "shipping_amount": 4.5,
                    "reason_code": "R1",
                },
                {
                    "order_line_id": "A-2",
                    "amount": 5,
                    "quantity": 2,
                    "shipping_amount": 0,
                    "reason_code": "R1",
                },
            ],
        )
        self.assertEqual(outbound.refund_entries([], 4.5, "R1"), [])

    def test_stock_row_sends_whole_units_never_negative(self):
        self.assertEqual(
            outbound.stock_row("MUG", 3.7, "WH1"),
            {"offer_sku": "MUG", "quantity": 3, "warehouse_code": "WH1"},
        )
        self.assertEqual(outbound.stock_row("MUG", -2, False)["quantity"], 0)
        self.assertIsNone(outbound.stock_row("MUG", 1, False)["warehouse_code"])


class TestMiraklOutbound(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = cls.env["retail.backend"].create(
            {
                "name": "Mirakl outbound test",
                "code": "mirakl",
                "mirakl_api_url": "https://operator.example",
                "mirakl_api_key": "key",
                "mirakl_warehouse_code": "WH1",
            }
        )
        cls.ups = cls.env["delivery.carrier"].create(
            {
                "name": "UPS Standard",
                "product_id": cls.env["product.product"]
                .create({"name": "UPS shipping", "type": "service"})
                .id,
            }
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Mug", "default_code": "OUT-MUG", "is_storable": True}
        )
        cls.other = cls.env["product.product"].create(
            {"name": "Cup", "default_code": "OUT-CUP", "is_storable": True}
        )
        cls.stock = (
            cls.env["stock.warehouse"]
            .search([("company_id", "=", cls.env.company.id)], limit=1)
            .lot_stock_id
        )
        cls.partner = cls.env["res.partner"].create({"name": "Marketplace customer"})

    def _order(self, quantity=2, external_id="1001-A"):
        self.env["stock.quant"]._update_available_quantity(self.product, self.stock, 10)
        order = self.env["sale.order"].create(
            {
                "partner_id": self.partner.id,
                "retail_backend_id": self.backend.id,
                "retail_external_id": external_id,
                "order_line": [
                    (
                        0,
                        0,
                        {
                            "product_id": self.product.id,
                            "product_uom_qty": quantity,
                            "retail_line_id": f"{external_id}-1",
                        },
                    )
                ],
            }
        )
        order.action_confirm()
        return order

    def _deliver(self, picking, quantity, tracking="1Z999", backorder=True):
        picking.carrier_id = self.ups
        picking.carrier_tracking_ref = tracking
        picking.move_ids.write({"quantity": quantity, "picked": True})
        picking.with_context(skip_backorder=True, cancel_backorder=not backorder)._action_done()

    def _on_marketplace(self, order, state="SHIPPING", cancelled=0):
        """OR11 answers ``order`` as the marketplace has it, with ``cancelled``
        units of its line cancelled there already."""
        lines = [
            {
                "order_line_id": line.retail_line_id,
                "order_line_state": state,
                "quantity": int(line.product_uom_qty),
                "price": line.price_subtotal,
                "cancelations": [{"quantity": cancelled}] if cancelled else [],
            }
            for line in order.order_line
            if line.retail_line_id
        ]
        payload = {
            "order_id": order.retail_external_id,
            "order_state": state,
            "currency_iso_code": "EUR",
            "order_lines": lines,
        }
        return patch.object(MiraklClient, "orders", side_effect=lambda *a, **k: iter([payload]))

    def _message(self, picking):
        return self.env["retail.outbox"].create(
            {
                "backend_id": self.backend.id,
                "kind": "fulfillment",
                "res_model": "stock.picking",
                "res_id": picking.id,
            }
        )

    def test_mirakl_takes_shipments_and_stock(self):
        self.assertTrue(self.backend.support_fulfillment_export)
        self.assertTrue(self.backend.support_stock_export)

    def test_the_completing_delivery_sends_tracking_then_ship(self):
        self.env["retail.carrier.mapping"].create(
            {
                "backend_id": self.backend.id,
                "carrier_id": self.ups.id,
                "operator_carrier_code": "UPS",
            }
        )
        order = self._order()
        picking = order.picking_ids
        self._deliver(picking, 2)
        calls = []
        with (
            self._on_marketplace(order),
            patch.object(MiraklClient, "cancel_lines", side_effect=AssertionError("no OR30")),
            patch.object(MiraklClient, "tracking", lambda s, *a, **k: calls.append(("OR23", a, k))),
            patch.object(MiraklClient, "ship", lambda s, *a: calls.append(("OR24", a))),
        ):
            result = self.backend._export(self._message(picking), picking)
        self.assertEqual(
            calls,
            [
                ("OR23", ("1001-A",), {"tracking_number": "1Z999", "carrier_code": "UPS"}),
                ("OR24", ("1001-A",)),
            ],
        )
        self.assertIn("shipped", result)

    def test_an_unmapped_carrier_is_sent_by_name(self):
        order = self._order()
        picking = order.picking_ids
        self._deliver(picking, 2)
        calls = []
        with (
            self._on_marketplace(order),
            patch.object(MiraklClient, "tracking", lambda s, *a, **k: calls.append(k)),
            patch.object(MiraklClient, "ship", lambda s, *a: None),
        ):
            self.backend._export(self._message(picking), picking)
        self.assertEqual(calls[0]["carrier_name"], "UPS Standard")
        self.assertNotIn("carrier_code", calls[0])

    def test_a_partial_delivery_waits_for_the_rest_of_the_order(self):
        picking = self._order().picking_ids
        self._deliver(picking, 1)
        self.assertTrue(picking.backorder_ids)
        with patch.object(MiraklClient, "request", side_effect=AssertionError("no call")):
            result = self.backend._export(self._message(picking), picking)
        self.assertIn("Waiting for the rest of the order", result)

    def test_an_order_not_in_shipping_is_a_permanent_error(self):
        picking = self._order().picking_ids
        self._deliver(picking, 2)
        refused = MiraklRequestError("PUT", "/x", 400, "Order 1001-A is in state CANCELED")
        with (
            patch.object(MiraklClient, "tracking", side_effect=refused),
            patch.object(
                MiraklClient,
                "orders",
                side_effect=lambda *a, **k: iter(
                    [{"order_id": "1001-A", "order_state": "CANCELED"}]
                ),
            ),
            self.assertRaisesRegex(PermanentError, "state CANCELED"),
        ):
            self.backend._export(self._message(picking), picking)

    def test_an_order_already_shipped_makes_the_message_done(self):
        picking = self._order().picking_ids
        self._deliver(picking, 2)
        refused = MiraklRequestError("PUT", "/x", 400, "not SHIPPING")
        with (
            patch.object(MiraklClient, "tracking", side_effect=refused),
            patch.object(
                MiraklClient,
                "orders",
                side_effect=lambda *a, **k: iter(
                    [{"order_id": "1001-A", "order_state": "SHIPPED"}]
                ),
            ),
        ):
            result = self.backend._export(self._message(picking), picking)
        self.assertIn("already SHIPPED", result)

    def test_a_short_delivery_cancels_the_missing_units_before_shipping(self):
        self.backend.mirakl_cancel_reason_code = "40"
        order = self._order(quantity=3)
        picking = order.picking_ids
        self._deliver(picking, 1, backorder=False)
        self.assertFalse(picking.backorder_ids)
        calls = []
        with (
            self._on_marketplace(order),
            patch.object(MiraklClient, "cancel_lines", lambda s, c: calls.append(("OR30", c))),
            patch.object(MiraklClient, "tracking", lambda s, *a, **k: calls.append(("OR23",))),
            patch.object(MiraklClient, "ship", lambda s, *a: calls.append(("OR24",))),
        ):
            result = self.backend._export(self._message(picking), picking)
        unit = order.order_line.price_subtotal / 3
        self.assertEqual(
            calls,
            [
                (
                    "OR30",
                    [
                        {
                            "order_line_id": "1001-A-1",
                            "quantity": 2,
                            "amount": round(unit * 2, 2),
                            "shipping_amount": 0,
                            "currency_iso_code": "EUR",
                            "reason_code": "40",
                        }
                    ],
                ),
                ("OR23",),
                ("OR24",),
            ],
        )
        self.assertIn("cancelled on the marketplace (OR30): 1001-A-1 x2", result)

    def test_a_retry_cancels_nothing_twice(self):
        self.backend.mirakl_cancel_reason_code = "40"
        order = self._order(quantity=3)
        picking = order.picking_ids
        self._deliver(picking, 1, backorder=False)
        with (
            self._on_marketplace(order, cancelled=2),
            patch.object(MiraklClient, "cancel_lines", side_effect=AssertionError("no OR30")),
            patch.object(MiraklClient, "tracking", lambda s, *a, **k: None),
            patch.object(MiraklClient, "ship", lambda s, *a: None),
        ):
            result = self.backend._export(self._message(picking), picking)
        self.assertNotIn("OR30", result)
        self.assertIn("shipped", result)

    def test_missing_units_without_a_reason_code_ship_nothing(self):
        order = self._order(quantity=2)
        picking = order.picking_ids
        self._deliver(picking, 1, backorder=False)
        with (
            self._on_marketplace(order),
            patch.object(MiraklClient, "tracking", side_effect=AssertionError("no OR23")),
            self.assertRaisesRegex(PermanentError, "cancellation reason code"),
        ):
            self.backend._export(self._message(picking), picking)

    def test_cancelling_the_last_backorder_owes_the_shipment(self):
        self.backend.export_fulfillment = True
        order = self._order(quantity=2)
        picking = order.picking_ids
        self._deliver(picking, 1)
        backorder = picking.backorder_ids
        self.assertTrue(backorder)
        owed = self.env["retail.outbox"].search(
            [("kind", "=", "fulfillment"), ("res_id", "=", picking.id)]
        )
        backorder.action_cancel()
        new = (
            self.env["retail.outbox"].search(
                [("kind", "=", "fulfillment"), ("res_id", "=", picking.id)]
            )
            - owed
        )
        self.assertEqual(len(new), 1)
        self.assertEqual(new.res_model, "stock.picking")

    def test_one_stock_import_carries_every_pending_product(self):
        self.env["stock.quant"]._update_available_quantity(self.product, self.stock, 4)
        self.env["stock.quant"]._update_available_quantity(self.other, self.stock, 7)
        Outbox = self.env["retail.outbox"]
        mine = Outbox._enqueue(self.backend, "stock", self.product, dedup_key="stock/mug")
        theirs = Outbox._enqueue(self.backend, "stock", self.other, dedup_key="stock/cup")
        sent = []
        with patch.object(
            MiraklClient, "import_stock", lambda s, rows: sent.append(rows) or {"import_id": 9}
        ):
            result = self.backend._export(mine, self.product)
        [rows] = sent
        self.assertEqual(
            sorted((r["offer_sku"], r["quantity"], r["warehouse_code"]) for r in rows),
            [("OUT-CUP", 7, "WH1"), ("OUT-MUG", 4, "WH1")],
        )
        self.assertIn("Import 9", result)
        self.assertEqual(theirs.state, "done")
        self.assertIn("import 9", theirs.result)

    def test_a_rate_limited_stock_import_is_retried_later(self):
        response = requests.Response()
        response.status_code = 429
        response.headers["Retry-After"] = "60"
        response._content = b"{}"
        message = self.env["retail.outbox"]._enqueue(
            self.backend, "stock", self.product, dedup_key="stock/mug"
        )
        with (
            patch.object(requests.Session, "request", return_value=response),
            self.assertRaises(TransientError) as caught,
        ):
            self.backend._export(message, self.product)
        self.assertEqual(caught.exception.retry_after, 60)

    # Refunds decided in Odoo (OR28)

    def _credit_note(self, order):
        order.order_line.retail_line_id = "1001-A-1"
        order.order_line.qty_delivered = order.order_line.product_uom_qty
        self.product.invoice_policy = "order"
        invoice = order._create_invoices()
        invoice.action_post()
        credit_note = invoice._reverse_moves()
        credit_note.invoice_line_ids.quantity = 1
        return credit_note

    def test_refund_sends_one_or28_entry_per_credited_line(self):
        self.backend.mirakl_refund_reason_code = "36"
        order = self._order(quantity=2)
        order.order_line.price_unit = 25.0
        credit_note = self._credit_note(order)
        answer = {"refunds": [{"order_line_id": "1001-A-1", "refund_id": "R1"}]}
        with patch.object(MiraklClient, "refund", return_value=answer) as refund:
            result = self.backend._export_refund(credit_note, self.env["retail.outbox"])
        [refunds] = refund.call_args.args
        self.assertEqual(
            refunds,
            [
                {
                    "order_line_id": "1001-A-1",
                    "amount": 25.0,
                    "quantity": 1,
                    "shipping_amount": 0,
                    "reason_code": "36",
                }
            ],
        )
        self.assertIn("R1", result)
        # OR11 will list R1 on the line: it is recorded, with its credit note,
        # so the poll drafts no second one.
        recorded = self.env["retail.order.refund"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "=", "R1")]
        )
        self.assertEqual(recorded.credit_note_id, credit_note)
        self.assertEqual(recorded.order_id, order)
        self.assertEqual(recorded.amount, 25.0)

    def test_refund_without_reason_code_or_with_a_lost_answer_is_for_a_person(self):
        from ..client import MiraklOutcomeUnknown

        order = self._order()
        credit_note = self._credit_note(order)
        with self.assertRaisesRegex(PermanentError, "refund reason code"):
            self.backend._export_refund(credit_note, self.env["retail.outbox"])
        self.backend.mirakl_refund_reason_code = "36"
        with (
            patch.object(MiraklClient, "refund", side_effect=MiraklOutcomeUnknown("reset")),
            self.assertRaisesRegex(PermanentError, "check the order there"),
        ):
            self.backend._export_refund(credit_note, self.env["retail.outbox"])
