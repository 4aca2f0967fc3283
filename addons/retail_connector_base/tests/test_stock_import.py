from .common import RetailCase, canonical_order


def canonical_shipment(external_id="ship-1", quantity=1, **overrides):
    shipment = {
        "external_id": external_id,
        "order_external_id": "1001",
        "carrier": "Pony Express",
        "tracking_number": "PX-42",
        "tracking_url": "https://pony.example/PX-42",
        "lines": [{"line_external_id": "line-1", "quantity": quantity}],
        "shipped_at": "2026-11-03T09:00:00Z",
    }
    shipment.update(overrides)
    return shipment


class StockImportCase(RetailCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.stock_location = cls.warehouse.lot_stock_id
        (cls.tshirt | cls.mug).is_storable = True
        cls.env["stock.quant"]._update_available_quantity(cls.tshirt, cls.stock_location, 10)

    def import_event(self, topic, data):
        event = self.store_event({"type": topic, "data": data})
        return event, self.run_event_job(event)

    def imported_order(self):
        self.import_event("order.created", canonical_order())
        order = self.env["sale.order"].search([("retail_external_id", "=", "1001")])
        self.assertEqual(order.state, "sale")
        return order


class TestShipmentImport(StockImportCase):
    """A 3PL's shipment validates the delivery of the channel order."""

    def test_partial_shipment_validates_with_tracking_and_a_backorder(self):
        order = self.imported_order()
        [picking] = order.picking_ids
        event, error = self.import_event("shipment.created", canonical_shipment(quantity=1))
        self.assertIsNone(error)
        self.assertEqual(event.state, "done", event.error)
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.move_ids.quantity, 1)
        self.assertEqual(picking.carrier_tracking_ref, "PX-42")
        self.assertIn("Shipped by Pony Express", str(picking.note))
        backorder = order.picking_ids - picking
        self.assertEqual(backorder.backorder_id, picking)
        self.assertEqual(backorder.move_ids.product_uom_qty, 1)
        self.assertIn(backorder.name, event.state_reason)
        self.assertEqual(self.tshirt.qty_available, 9)

    def test_the_same_shipment_twice_is_applied_once(self):
        order = self.imported_order()
        self.import_event("shipment.created", canonical_shipment(quantity=1))
        event, _error = self.import_event("shipment.updated", canonical_shipment(quantity=1))
        self.assertEqual(event.state, "ignored")
        self.assertIn("already applied", event.state_reason)
        self.assertEqual(self.tshirt.qty_available, 9)
        self.assertEqual(len(order.picking_ids.filtered(lambda p: p.state == "done")), 1)

    def test_second_shipment_ships_the_backorder(self):
        order = self.imported_order()
        self.import_event("shipment.created", canonical_shipment(quantity=1))
        event, _error = self.import_event(
            "shipment.created", canonical_shipment("ship-2", quantity=1)
        )
        self.assertEqual(event.state, "done", event.error)
        self.assertEqual(set(order.picking_ids.mapped("state")), {"done"})
        self.assertEqual(self.tshirt.qty_available, 8)

    def test_shipment_before_its_order_waits_and_is_retried(self):
        event, error = self.import_event("shipment.created", canonical_shipment())
        self.assertIsNone(error, "retried, not failed")
        self.assertEqual(event.state, "queued")
        self.assertEqual(event.error, "Order 1001 is not in Odoo yet; the shipment waits for it.")
        order = self.imported_order()
        self.run_event_job(event)
        self.assertEqual(event.state, "done")
        self.assertEqual(order.picking_ids.filtered(lambda p: not p.backorder_id).state, "done")

    def test_a_line_not_on_the_order_fails_with_its_reason(self):
        order = self.imported_order()
        lines = [{"line_external_id": "line-9", "quantity": 1}]
        event, _error = self.import_event("shipment.created", canonical_shipment(lines=lines))
        self.assertEqual(event.state, "failed")
        self.assertIn("Shipped line line-9 is not on order", event.error)
        self.assertEqual(order.picking_ids.state, "assigned")

    def test_more_than_ordered_fails_with_its_reason(self):
        order = self.imported_order()
        event, _error = self.import_event("shipment.created", canonical_shipment(quantity=3))
        self.assertEqual(event.state, "failed")
        self.assertIn("3 shipped, but only 2.0 left to ship", event.error)
        self.assertEqual(order.picking_ids.state, "assigned")
        self.assertEqual(self.tshirt.qty_available, 10)


class TestInventoryImport(StockImportCase):
    """A warehouse system's counts become inventory adjustments."""

    def count(self, available, updated_at="2026-11-03T09:00:00Z", sku="TSHIRT-M", **extra):
        data = {"sku": sku, "available": available, "updated_at": updated_at, **extra}
        event, _error = self.import_event("inventory.updated", data)
        return event

    def test_count_is_applied_as_an_inventory_adjustment(self):
        event = self.count(7)
        self.assertEqual(event.state, "done", event.error)
        self.assertEqual(self.tshirt.qty_available, 7)
        move = self.env["stock.move"].search(
            [("product_id", "=", self.tshirt.id), ("is_inventory", "=", True)]
        )
        self.assertEqual(move.quantity, 3)
        self.assertIn("counted 7 (was 10", event.state_reason)

    def location_row(self):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT last_inventory_date, write_date FROM stock_location WHERE id = %s",
            [self.stock_location.id],
        )
        return self.env.cr.fetchone()

    def test_channel_counts_leave_the_location_row_alone(self):
        """Every count used to update the warehouse's stock location row
        (last_inventory_date): two counts of any products applied at once
        conflicted (40001); one SKU's count is no inventory of the location."""
        self.env.cr.execute(
            "UPDATE stock_location SET last_inventory_date = NULL,"
            " write_date = '2020-01-01' WHERE id = %s",
            [self.stock_location.id],
        )
        self.stock_location.invalidate_recordset()
        for available, at in ((7, "2026-11-03T09:00:00Z"), (4, "2026-11-03T10:00:00Z")):
            event = self.count(available, at)
            self.assertEqual(event.state, "done", event.error)
            self.assertEqual(self.tshirt.qty_available, available)
            last_inventory_date, write_date = self.location_row()
            self.assertIsNone(last_inventory_date)
            self.assertEqual(str(write_date)[:4], "2020")

    def test_other_inventory_applications_still_write_the_location(self):
        self.env.cr.execute(
            "UPDATE stock_location SET write_date = '2020-01-01',"
            " last_inventory_date = CURRENT_DATE WHERE id = %s",
            [self.stock_location.id],
        )
        self.stock_location.invalidate_recordset()
        quant = self.env["stock.quant"].with_context(inventory_mode=True).create(
            {"product_id": self.mug.id, "location_id": self.stock_location.id,
             "inventory_quantity": 3}
        )  # fmt: skip
        quant.action_apply_inventory()
        self.assertNotEqual(str(self.location_row()[1])[:4], "2020")

    def test_an_older_count_is_ignored(self):
        self.count(7, "2026-11-03T09:00:00Z")
        event = self.count(20, "2026-11-03T08:00:00Z")
        self.assertEqual(event.state, "ignored")
        self.assertIn("older than the one applied", event.state_reason)
        self.assertEqual(self.tshirt.qty_available, 7)
        self.assertEqual(self.count(8, "2026-11-03T10:00:00Z").state, "done")
        self.assertEqual(self.tshirt.qty_available, 8)

    def test_location_code_matches_a_location_barcode(self):
        shelf = self.env["stock.location"].create(
            {"name": "Shelf A", "barcode": "SHELF-A", "location_id": self.stock_location.id}
        )
        event = self.count(4, location_code="SHELF-A")
        self.assertEqual(event.state, "done", event.error)
        self.assertEqual(
            self.env["stock.quant"]._get_available_quantity(self.tshirt, shelf, strict=True), 4
        )
        self.assertEqual(self.tshirt.qty_available, 14)

    def test_unknown_sku_or_location_fails_with_its_reason(self):
        event = self.count(3, sku="NOPE")
        self.assertEqual(event.state, "failed")
        self.assertEqual(event.error, "data.sku: Unknown SKU NOPE.")
        event = self.count(3, location_code="NOWHERE")
        self.assertEqual(event.state, "failed")
        self.assertEqual(event.error, "data.location_code: Unknown location NOWHERE.")
