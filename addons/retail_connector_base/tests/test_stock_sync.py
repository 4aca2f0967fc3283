from unittest.mock import patch

from ..exceptions import PermanentError
from .common import RetailCase


class StockCase(RetailCase):
    """A backend exporting stock, the channel's stock hooks recording what
    they are asked to send, and a warehouse with stock."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.export_stock = True
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.stock_location = cls.warehouse.lot_stock_id
        cls.customers = cls.env.ref("stock.stock_location_customers")
        (cls.tshirt | cls.mug).is_storable = True
        cls.cap = cls.env["product.product"].create(
            {"name": "Cap", "default_code": "CAP", "is_storable": True}
        )
        cls.no_sku = cls.env["product.product"].create({"name": "Box", "is_storable": True})
        Quant = cls.env["stock.quant"]
        for product in cls.tshirt | cls.mug | cls.cap | cls.no_sku:
            Quant._update_available_quantity(product, cls.stock_location, 10)

    def setUp(self):
        super().setUp()
        self.sent = []
        Backend = type(self.env["retail.backend"])

        def flags(backends):
            for backend in backends:
                backend.support_webhooks = backend.support_webhook_secret = True
                backend.support_stock_export = True

        def export_stock_levels(backend, levels, message):
            self.sent.append([(level["sku"], level["quantity"]) for level in levels])
            return f"{len(levels)} set"

        for patcher in (
            patch.object(Backend, "_compute_feature_support", flags),
            patch.object(Backend, "_export_stock_levels", export_stock_levels),
        ):
            patcher.start()
            self.addCleanup(patcher.stop)
        self.backend.invalidate_recordset(["support_stock_export"])
        self.settle()

    def settle(self):
        """Commit-time work done (the outbox written), and what was owed so
        far sent: the next assertions see only what comes next."""
        self.env.cr.flush()
        self.env["retail.outbox"].search([("state", "=", "pending")]).write({"state": "done"})

    def pushed(self):
        """The products a stock message is now owed for (as at commit)."""
        self.env.cr.flush()
        messages = self.env["retail.outbox"].search(
            [
                ("backend_id", "=", self.backend.id),
                ("kind", "=", "stock"),
                ("state", "=", "pending"),
            ]
        )
        return self.env["product.product"].browse(messages.mapped("res_id"))

    def delivery(self, *quantities):
        """A confirmed, reserved delivery of ``(product, quantity)``."""
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.out_type_id.id,
                "location_id": self.stock_location.id,
                "location_dest_id": self.customers.id,
                "move_ids": [
                    (
                        0,
                        0,
                        {
                            "product_id": product.id,
                            "product_uom_qty": quantity,
                            "location_id": self.stock_location.id,
                            "location_dest_id": self.customers.id,
                        },
                    )
                    for product, quantity in quantities
                ],
            }
        )
        picking.action_confirm()
        picking.action_assign()
        return picking


class TestStockChangeNotifier(StockCase):
    """Every change of what is available to sell is owed to the channel."""

    def test_reservation_pushed_once_per_product(self):
        self.delivery((self.tshirt, 2), (self.tshirt, 1), (self.mug, 1))
        self.assertEqual(self.pushed(), self.tshirt | self.mug)
        messages = self.env["retail.outbox"].search(
            [("kind", "=", "stock"), ("state", "=", "pending")]
        )
        self.assertEqual(len(messages), 2)
        self.assertEqual(messages.job_id.mapped("channel"), ["root.retail.batch"] * 2)

    def test_unreserve_pushed(self):
        picking = self.delivery((self.tshirt, 2))
        self.settle()
        picking.do_unreserve()
        self.assertEqual(self.pushed(), self.tshirt)

    def test_cancel_pushed(self):
        picking = self.delivery((self.tshirt, 2), (self.mug, 3))
        self.settle()
        picking.action_cancel()
        self.assertEqual(self.pushed(), self.tshirt | self.mug)

    def test_inventory_adjustment_applied_pushed(self):
        quant = (
            self.env["stock.quant"]
            .with_context(inventory_mode=True)
            .create(
                {
                    "product_id": self.cap.id,
                    "location_id": self.stock_location.id,
                    "inventory_quantity": 4,
                }
            )
        )
        self.assertFalse(self.pushed(), "counted, not applied yet")
        quant.action_apply_inventory()
        self.assertEqual(self.pushed(), self.cap)
        self.assertEqual(self.cap.qty_available, 4)

    def test_scrap_pushed(self):
        scrap = self.env["stock.scrap"].create(
            {
                "product_id": self.mug.id,
                "scrap_qty": 2,
                "location_id": self.stock_location.id,
            }
        )
        scrap.action_validate()
        self.assertEqual(self.pushed(), self.mug)

    def test_done_delivery_pushed(self):
        picking = self.delivery((self.cap, 3))
        self.settle()
        picking.move_ids.picked = True
        picking._action_done()
        self.assertEqual(self.pushed(), self.cap)
        self.assertEqual(self.cap.free_qty, 7)

    def test_a_thousand_lines_cost_one_enqueue_per_product(self):
        Outbox = type(self.env["retail.outbox"])
        enqueue = Outbox._enqueue
        calls = []

        def counting_enqueue(outbox, backend, kind, record, **kwargs):
            calls.append((backend, kind, record))
            return enqueue(outbox, backend, kind, record, **kwargs)

        with patch.object(Outbox, "_enqueue", counting_enqueue):
            Quant = self.env["stock.quant"]
            for _i in range(500):
                Quant._update_available_quantity(self.tshirt, self.stock_location, 1)
                Quant._update_reserved_quantity(self.mug, self.stock_location, 0.01)
            self.assertEqual(self.pushed(), self.tshirt | self.mug)
        self.assertEqual(len(calls), 2)

    def test_products_without_sku_or_outside_the_warehouse_are_not_pushed(self):
        Quant = self.env["stock.quant"]
        Quant._update_available_quantity(self.no_sku, self.stock_location, 1)
        Quant._update_available_quantity(self.tshirt, self.customers, 1)
        consumable = self.env["product.product"].create(
            {"name": "Sticker", "default_code": "STICKER", "is_storable": False}
        )
        self.delivery((consumable, 1))
        self.assertFalse(self.pushed())

    def test_other_warehouse_of_the_backend_not_pushed(self):
        other = self.env["stock.warehouse"].create({"name": "Second", "code": "WH2"})
        self.backend.warehouse_id = other
        self.env["stock.quant"]._update_available_quantity(self.tshirt, self.stock_location, 1)
        self.assertFalse(self.pushed())
        self.env["stock.quant"]._update_available_quantity(self.tshirt, other.lot_stock_id, 1)
        self.assertEqual(self.pushed(), self.tshirt)

    def test_no_push_without_the_backend_option(self):
        self.backend.export_stock = False
        self.delivery((self.tshirt, 1))
        self.assertFalse(self.pushed())

    def test_a_rolled_back_savepoint_owes_nothing(self):
        try:
            with self.env.cr.savepoint():
                self.env["stock.quant"]._update_available_quantity(
                    self.tshirt, self.stock_location, 1
                )
                raise ValueError("undone")
        except ValueError:
            pass
        self.assertFalse(self.pushed())


class TestStockResync(StockCase):
    """A full resync sets every product the channel sells, by chunks,
    through the outbox."""

    def setUp(self):
        super().setUp()
        Backend = type(self.env["retail.backend"])
        patcher = patch.object(Backend, "_get_stock_resync_chunk_size", lambda backend: 2)
        patcher.start()
        self.addCleanup(patcher.stop)
        # The channel sold the T-shirt and the mug; the cap is bound to it.
        self.env["sale.order"].create(
            {
                "partner_id": self.env["res.partner"].create({"name": "Buyer"}).id,
                "retail_backend_id": self.backend.id,
                "order_line": [
                    (0, 0, {"product_id": self.tshirt.id, "product_uom_qty": 1}),
                    (0, 0, {"product_id": self.mug.id, "product_uom_qty": 1}),
                    (0, 0, {"product_id": self.no_sku.id, "product_uom_qty": 1}),
                ],
            }
        )
        self.env["retail.binding"].create(
            {
                "backend_id": self.backend.id,
                "res_model": "product.product",
                "res_id": self.cap.id,
                "external_id": "cap-1",
            }
        )
        self.settle()

    def resync_messages(self):
        return self.env["retail.outbox"].search(
            [("backend_id", "=", self.backend.id), ("kind", "=", "stock_resync")], order="id"
        )

    def run_resync(self):
        before = self.resync_messages()
        self.backend.action_stock_resync()
        plan = self.resync_messages() - before
        self.assertEqual(len(plan), 1)
        self.assertEqual(plan.job_id.channel, "root.retail.batch")
        self.run_job(plan.job_id)
        return plan, self.resync_messages() - before - plan

    def test_resync_sends_every_sold_or_bound_product_by_chunks(self):
        self.delivery((self.tshirt, 3))  # 7 free
        plan, chunks = self.run_resync()
        self.assertEqual(plan.state, "done")
        self.assertEqual(plan.result, "3 products in 2 chunk(s) of at most 2")
        self.assertEqual(len(chunks), 2)
        self.assertEqual(
            [c.payload["products"] for c in chunks],
            [[[self.tshirt.id, None], [self.mug.id, None]], [[self.cap.id, None]]],
        )
        for chunk in chunks:
            self.run_job(chunk.job_id)
        self.assertEqual(self.sent, [[("TSHIRT-M", 7), ("MUG", 10)], [("CAP", 10)]])
        self.assertEqual(chunks.mapped("state"), ["done", "done"])
        self.assertEqual(chunks[0].result, "Chunk 1/2: 2 SKUs set. 2 set")
        self.assertEqual(chunks[1].payload["sent"], {"CAP": 10})
        self.backend.invalidate_recordset(["stock_resync_status"])
        self.assertIn(
            "2 chunk(s), 2 sent, 0 pending, 0 failed; 3 SKUs set",
            (self.backend.stock_resync_status),
        )

    def test_chunk_sends_the_quantity_of_the_moment_it_runs(self):
        _plan, chunks = self.run_resync()
        self.env["stock.quant"]._update_available_quantity(self.cap, self.stock_location, 5)
        self.run_job(chunks[1].job_id)
        self.assertEqual(self.sent, [[("CAP", 15)]])

    def test_paused_backend_resync_waits_for_activation(self):
        self.backend.action_pause()
        self.backend.action_stock_resync()
        plan = self.resync_messages()
        self.run_job(plan.job_id)
        self.assertEqual(plan.state, "pending")
        self.assertEqual(len(self.resync_messages()), 1, "nothing planned while paused")
        self.assertEqual(self.sent, [])
        self.backend.action_activate()
        self.run_job(plan.job_id)
        chunks = self.resync_messages() - plan
        self.assertEqual(len(chunks), 2)
        self.backend.action_pause()
        for chunk in chunks:
            self.run_job(chunk.job_id)
        self.assertEqual(chunks.mapped("state"), ["pending", "pending"])
        self.assertEqual(self.sent, [])

    def test_a_second_request_while_one_is_pending_is_the_same_resync(self):
        self.backend.action_stock_resync()
        self.backend.action_stock_resync()
        self.assertEqual(len(self.resync_messages()), 1)

    def test_a_new_resync_supersedes_the_pending_chunks_of_the_last(self):
        _plan, chunks = self.run_resync()
        _plan2, chunks2 = self.run_resync()
        self.assertEqual(chunks.mapped("state"), ["done", "done"])
        self.assertTrue(chunks[0].result.startswith("Superseded by resync"))
        self.assertEqual(chunks2.mapped("state"), ["pending", "pending"])
        self.assertEqual(self.sent, [])

    def test_cron_queues_a_resync_once_per_interval(self):
        Backend = self.env["retail.backend"]
        Backend._cron_stock_resync()
        plan = self.resync_messages()
        self.assertEqual(len(plan), 1)
        self.run_job(plan.job_id)
        count = len(self.resync_messages())
        Backend._cron_stock_resync()
        self.assertEqual(len(self.resync_messages()), count, "interval not passed")
        self.backend._set_runtime_values({"stock_resync_queued_at": "2020-01-01 00:00:00"})
        Backend._cron_stock_resync()
        self.assertEqual(len(self.resync_messages()), count + 1)
        self.backend.stock_resync_interval_hours = 0
        self.backend._set_runtime_values({"stock_resync_queued_at": "2020-01-01 00:00:00"})
        self.run_job(self.resync_messages()[-1:].job_id)
        count = len(self.resync_messages())
        Backend._cron_stock_resync()
        self.assertEqual(len(self.resync_messages()), count, "0: button only")

    def test_a_channel_refusing_a_chunk_fails_it_alone(self):
        _plan, chunks = self.run_resync()
        self.run_job(chunks[0].job_id)
        Backend = type(self.env["retail.backend"])

        def refuse(backend, levels, message):
            raise PermanentError("unknown offer CAP")

        with patch.object(Backend, "_export_stock_levels", refuse):
            self.run_job(chunks[1].job_id)
        self.assertEqual(chunks.mapped("state"), ["done", "failed"])
        self.assertEqual(chunks[1].error, "unknown offer CAP")
        self.assertNotIn("sent", chunks[1].payload)
