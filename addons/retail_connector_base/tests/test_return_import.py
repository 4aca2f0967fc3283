from .common import RetailCase, canonical_order
from .test_refund_import import canonical_refund

# Two T-shirts and a mug at 20 % on top, shipping 4.90.
ORDER_LINES = [
    {
        "external_id": "line-1",
        "sku": "TSHIRT-M",
        "name": "T-shirt, size M",
        "quantity": 2,
        "unit_price": "19.90",
        "tax_lines": [{"title": "VAT", "rate": "0.2", "amount": "7.96"}],
    },
    {
        "external_id": "line-2",
        "sku": "MUG",
        "name": "Mug",
        "quantity": 1,
        "unit_price": "12.00",
        "tax_lines": [{"title": "VAT", "rate": "0.2", "amount": "2.40"}],
    },
]
ORDER_TOTALS = {"untaxed": "56.70", "tax": "11.34", "total": "68.04"}


def refund_line(line_id, subtotal, tax, restock=False):
    return {
        "line_external_id": line_id,
        "quantity": 1,
        "subtotal": subtotal,
        "tax": tax,
        "restock": restock,
    }


def canonical_return(external_id="return-1", lines=None, **overrides):
    ret = {
        "external_id": external_id,
        "order_external_id": "1001",
        "created_at": "2026-11-06T09:00:00+01:00",
        "lines": lines or [{"line_external_id": "line-1", "quantity": 2, "reason": "Too small"}],
        "received": True,
        "received_at": "2026-11-08T15:00:00+01:00",
    }
    ret.update(overrides)
    return ret


class TestReturnImport(RetailCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        (cls.tshirt | cls.mug).write({"is_storable": True})
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.stock = cls.warehouse.lot_stock_id
        cls.scrap = cls.env["stock.location"].search(
            [("usage", "=", "inventory"), ("company_id", "=", cls.env.company.id)],
            order="id",
            limit=1,
        )

    def import_event(self, topic, data):
        event = self.store_event({"type": topic, "data": data})
        error = self.run_event_job(event)
        return event, error

    def delivered_order(self, deliver=True, invoiced=False):
        """The channel order, confirmed, with its delivery done."""
        Quant = self.env["stock.quant"]
        Quant._update_available_quantity(self.tshirt, self.stock, 10)
        Quant._update_available_quantity(self.mug, self.stock, 10)
        self.import_event("order.created", canonical_order(lines=ORDER_LINES, totals=ORDER_TOTALS))
        order = self.env["sale.order"].search([("retail_external_id", "=", "1001")])
        self.assertEqual(order.state, "sale")
        if deliver:
            delivery = order.picking_ids
            for move in delivery.move_ids:
                move.quantity = move.product_uom_qty
                move.picked = True
            delivery.button_validate()
            self.assertEqual(delivery.state, "done")
        if invoiced:
            order._create_invoices().action_post()
        return order

    def returns(self, order):
        return order.retail_return_ids.sorted("id")

    def test_full_return_received_brings_the_goods_back_to_stock(self):
        order = self.delivered_order()
        on_hand = self.tshirt.with_context(location=self.stock.id).qty_available
        event, error = self.import_event("return.created", canonical_return())
        self.assertIsNone(error)
        self.assertEqual(event.state, "done")
        ret = order.retail_return_ids
        self.assertEqual(ret.state, "received")
        self.assertFalse(ret.hold_reason)
        picking = ret.picking_ids
        self.assertEqual(len(picking), 1)
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.picking_type_code, "incoming")
        delivery = order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")
        self.assertEqual(picking.return_id, delivery)
        self.assertIn(picking, order.picking_ids, "the return belongs to the sale order")
        self.assertEqual(picking.move_ids.origin_returned_move_id.sale_line_id, order.order_line[0])
        self.assertEqual(picking.location_dest_id, self.stock)
        self.assertEqual(
            self.tshirt.with_context(location=self.stock.id).qty_available, on_hand + 2
        )
        self.assertEqual(order.order_line[0].qty_delivered, 0, "returned goods are not delivered")
        self.assertEqual(str(ret.received_at), "2026-11-08 14:00:00")
        self.assertEqual(ret.line_ids.location_dest_id, self.stock)
        self.assertIn(f"{picking.name} done", event.state_reason)

    def test_return_not_yet_received_waits_then_is_validated(self):
        order = self.delivered_order()
        self.import_event("return.requested", canonical_return(received=False, received_at=None))
        ret = order.retail_return_ids
        self.assertEqual(ret.state, "waiting")
        self.assertEqual(ret.picking_ids.state, "assigned", "ready for the warehouse")
        event, _error = self.import_event("return.received", canonical_return())
        self.assertEqual(event.state, "done")
        self.assertEqual(len(order.retail_return_ids), 1)
        self.assertEqual(ret.state, "received")
        self.assertEqual(ret.picking_ids.state, "done")
        self.assertEqual(len(ret.picking_ids), 1)

    def test_same_return_twice_is_recorded_once(self):
        order = self.delivered_order()
        self.import_event("return.created", canonical_return())
        event, _error = self.import_event("return.created", canonical_return())
        self.assertEqual(event.state, "ignored")
        self.assertEqual(len(order.retail_return_ids), 1)
        self.assertEqual(len(order.retail_return_ids.picking_ids), 1)
        self.assertEqual(order.retail_return_ids.picking_ids.move_ids.quantity, 2)

    def test_partial_return_of_some_lines_and_quantities(self):
        order = self.delivered_order()
        lines = [{"line_external_id": "line-1", "quantity": 1}]
        self.import_event("return.created", canonical_return(lines=lines))
        ret = order.retail_return_ids
        self.assertEqual(ret.state, "received")
        move = ret.picking_ids.move_ids
        self.assertEqual((move.product_id, move.quantity), (self.tshirt, 1))
        self.assertEqual(order.order_line[0].qty_delivered, 1)
        self.assertEqual(order.order_line[1].qty_delivered, 1, "the mug stays delivered")

    def test_two_partial_returns_then_one_too_many_is_held(self):
        order = self.delivered_order()
        one = [{"line_external_id": "line-1", "quantity": 1}]
        self.import_event("return.created", canonical_return("return-1", lines=one))
        mug = {"line_external_id": "line-2", "quantity": 1}
        self.import_event("return.created", canonical_return("return-2", lines=[*one, mug]))
        first, second = self.returns(order)
        self.assertEqual((first.state, second.state), ("received", "received"))
        self.assertEqual(second.picking_ids.move_ids.mapped("quantity"), [1, 1])
        self.assertFalse(order.retail_hold_reason)
        event, _error = self.import_event("return.created", canonical_return("return-3", lines=one))
        self.assertEqual(event.state, "done")
        third = self.returns(order)[2]
        self.assertEqual(third.state, "held")
        self.assertFalse(third.picking_ids, "nothing is received beyond what was delivered")
        expected = (
            "Return return-3: 1 x [TSHIRT-M] T-shirt M (line line-1) sent back, but 2 "
            "delivered and 2 already returned: at most 0 can come back. Check what the "
            "customer really returned."
        )
        self.assertEqual(third.hold_reason, expected)
        self.assertIn(expected, order.retail_hold_reason)

    def test_return_of_more_than_delivered_is_held(self):
        order = self.delivered_order()
        lines = [{"line_external_id": "line-1", "quantity": 3}]
        self.import_event("return.created", canonical_return(lines=lines))
        ret = order.retail_return_ids
        self.assertEqual(ret.state, "held")
        self.assertIn(
            "3 x [TSHIRT-M] T-shirt M (line line-1) sent back, but 2 delivered", ret.hold_reason
        )
        self.assertFalse(ret.picking_ids)

    def test_return_before_delivery_is_held(self):
        order = self.delivered_order(deliver=False)
        self.import_event("return.created", canonical_return())
        ret = order.retail_return_ids
        self.assertEqual(ret.state, "held")
        self.assertIn("but 0 delivered", ret.hold_reason)

    def test_return_of_a_line_not_on_the_order_is_held(self):
        order = self.delivered_order()
        lines = [{"line_external_id": "line-9", "quantity": 1}]
        self.import_event("return.created", canonical_return(lines=lines))
        ret = order.retail_return_ids
        self.assertEqual(ret.state, "held")
        self.assertEqual(ret.hold_reason, "Return return-1: line line-9 is not on the order.")

    def test_damaged_goods_go_to_scrap_and_sellable_to_stock(self):
        order = self.delivered_order()
        lines = [
            {"line_external_id": "line-1", "quantity": 1, "condition": "damaged"},
            {"line_external_id": "line-1", "quantity": 1, "condition": "sellable"},
            {"line_external_id": "line-2", "quantity": 1, "condition": "opened"},
        ]
        scrap_before = self.tshirt.with_context(location=self.stock.id).qty_available
        self.import_event("return.created", canonical_return(lines=lines))
        ret = order.retail_return_ids
        self.assertEqual(ret.state, "received")
        self.assertEqual(len(ret.picking_ids), 2, "one picking per destination")
        by_destination = {p.location_dest_id: p for p in ret.picking_ids}
        self.assertEqual(set(by_destination), {self.stock, self.scrap})
        scrapped = by_destination[self.scrap].move_ids
        self.assertEqual((scrapped.product_id, scrapped.quantity), (self.tshirt, 1))
        self.assertEqual(by_destination[self.stock].move_ids.product_id, self.tshirt | self.mug)
        self.assertEqual(
            self.tshirt.with_context(location=self.stock.id).qty_available, scrap_before + 1
        )
        damaged = ret.line_ids.filtered(lambda line: line.condition == "damaged")
        self.assertEqual(damaged.location_dest_id, self.scrap)

    def test_damaged_goods_go_to_the_backend_s_damaged_location(self):
        quality = self.env["stock.location"].create(
            {"name": "Quality control", "usage": "internal", "location_id": self.stock.id}
        )
        self.backend.return_damaged_location_id = quality
        order = self.delivered_order()
        lines = [{"line_external_id": "line-2", "quantity": 1, "condition": "defective"}]
        self.import_event("return.created", canonical_return(lines=lines))
        self.assertEqual(order.retail_return_ids.picking_ids.location_dest_id, quality)
        self.assertEqual(self.mug.with_context(location=quality.id).qty_available, 1)

    def test_return_without_restock_makes_no_picking(self):
        order = self.delivered_order()
        lines = [{"line_external_id": "line-1", "quantity": 1, "restock": False}]
        event, _error = self.import_event("return.created", canonical_return(lines=lines))
        ret = order.retail_return_ids
        self.assertEqual(ret.state, "recorded")
        self.assertFalse(ret.picking_ids)
        self.assertIn("nothing to restock", event.state_reason)

    def test_return_whose_refund_differs_from_the_credit_note_is_held(self):
        order = self.delivered_order(invoiced=True)
        refund_lines = [refund_line("line-1", "19.90", "3.98")]
        self.import_event("refund.created", canonical_refund(lines=refund_lines))
        credit_note = order.retail_refund_ids.credit_note_id
        self.assertEqual(credit_note.amount_total, 23.88)
        lines = [{"line_external_id": "line-1", "quantity": 1}]
        self.import_event(
            "return.created",
            canonical_return(lines=lines, refund_external_id="refund-1", refund_amount="30.00"),
        )
        ret = order.retail_return_ids
        self.assertEqual(ret.state, "held")
        self.assertEqual(ret.credit_note_id, credit_note)
        expected = (
            f"Return return-1: the channel refunded 30.00, Odoo's credit note "
            f"{credit_note.display_name} comes to 23.88 (difference -6.12)."
        )
        self.assertEqual(ret.hold_reason, expected)
        self.assertIn(expected, order.retail_hold_reason)
        self.assertFalse(ret.picking_ids)

    def test_refund_with_restock_returns_the_goods_with_its_credit_note(self):
        order = self.delivered_order(invoiced=True)
        refund_lines = [
            refund_line("line-1", "19.90", "3.98", restock=True),
            refund_line("line-2", "12.00", "2.40"),
        ]
        event, _error = self.import_event(
            "refund.created", canonical_refund(lines=refund_lines, amount="38.28")
        )
        refund = order.retail_refund_ids
        self.assertEqual(refund.state, "credit_note")
        ret = order.retail_return_ids
        self.assertEqual(ret.external_id, "refund-1")
        self.assertEqual(ret.refund_id, refund)
        self.assertEqual(ret.credit_note_id, refund.credit_note_id)
        self.assertEqual(ret.state, "received")
        self.assertEqual(ret.line_ids.mapped("line_external_id"), ["line-1"], "restock lines only")
        move = ret.picking_ids.move_ids
        self.assertEqual((move.product_id, move.quantity, move.state), (self.tshirt, 1, "done"))
        self.assertIn("Return refund-1 received", event.state_reason)
        self.assertFalse(order.retail_hold_reason)

    def test_refund_without_restock_makes_no_return(self):
        order = self.delivered_order(invoiced=True)
        self.import_event("refund.created", canonical_refund())
        self.assertEqual(order.retail_refund_ids.state, "credit_note")
        self.assertFalse(order.retail_return_ids)

    def test_refund_restocking_an_undelivered_line_is_held(self):
        order = self.delivered_order(deliver=False)
        refund_lines = [refund_line("line-1", "19.90", "3.98", restock=True)]
        self.import_event("refund.created", canonical_refund(lines=refund_lines))
        ret = order.retail_return_ids
        self.assertEqual(ret.state, "held")
        self.assertIn("Return refund-1: 1 x", ret.hold_reason)
        self.assertIn(ret.hold_reason, order.retail_hold_reason)

    def test_return_then_its_refund_restocking_is_not_returned_twice(self):
        order = self.delivered_order(invoiced=True)
        lines = [{"line_external_id": "line-1", "quantity": 1}]
        self.import_event(
            "return.requested",
            canonical_return(
                lines=lines, refund_external_id="refund-1", received=False, received_at=None
            ),
        )
        ret = order.retail_return_ids
        self.assertEqual(ret.state, "waiting")
        refund_lines = [refund_line("line-1", "19.90", "3.98", restock=True)]
        event, _error = self.import_event("refund.created", canonical_refund(lines=refund_lines))
        self.assertEqual(len(order.retail_return_ids), 1)
        self.assertEqual(ret.refund_id, order.retail_refund_ids)
        self.assertEqual(ret.state, "received")
        self.assertEqual(ret.picking_ids.state, "done")
        self.assertIn("Refund refund-1 linked.", event.state_reason)

    def test_return_before_its_order_waits_and_is_retried(self):
        event, error = self.import_event("return.created", canonical_return())
        self.assertIsNone(error, "retried, not failed")
        self.assertEqual(event.state, "queued")
        self.assertEqual(event.error, "Order 1001 is not in Odoo yet; the return waits for it.")

    def test_invalid_return_fails_with_the_field_path(self):
        lines = [{"line_external_id": "line-1", "quantity": 0}]
        event, _error = self.import_event("return.created", canonical_return(lines=lines))
        self.assertEqual(event.state, "failed")
        self.assertIn("data.lines.0.quantity", event.error)
