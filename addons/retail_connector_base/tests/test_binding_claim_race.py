import time
from datetime import UTC, datetime

from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged

from ..schemas import InventoryLevel

SKU = "RACE-COUNT-1"


@tagged("post_install", "-at_install")
class TestBindingClaimRace(TransactionCase):
    """Two workers apply the first count of one SKU at once, in two real
    transactions: the second one's snapshot was taken before the first one
    committed (what two batch slots, or a shared channel, do at a peak).

    With an advisory lock then a lookup, the second one did not see the
    first one's binding, created its own and failed on the unique key (a
    ``bad query`` in Odoo's log). Claimed bindings make it a serialization
    failure, which the event's processing retries, and nothing is logged.
    """

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            backend = env["retail.backend"].create({"name": "Claim race", "code": "none"})
            product = env["product.product"].create(
                {"name": "Race count", "default_code": SKU, "is_storable": True}
            )
            events = env["retail.event"].create(
                [
                    {
                        "backend_id": backend.id,
                        "source": "api",
                        "topic": "inventory.counted",
                        "event_key": f"claim-race-{n}",
                        "state": "received",
                    }
                    for n in range(3)
                ]
            )
            self.backend_id, self.product_id, self.event_ids = backend.id, product.id, events.ids
        self.addCleanup(self._drop_committed_rows)

    def _drop_committed_rows(self):
        for attempt in range(5):
            try:
                with self.registry.cursor() as cr:
                    product, backend = (self.product_id,), (self.backend_id,)
                    cr.execute("DELETE FROM stock_move_line WHERE product_id = %s", product)
                    cr.execute("DELETE FROM stock_move WHERE product_id = %s", product)
                    cr.execute("DELETE FROM stock_quant WHERE product_id = %s", product)
                    cr.execute("DELETE FROM retail_binding WHERE backend_id = %s", backend)
                    cr.execute("DELETE FROM retail_event WHERE backend_id = %s", backend)
                    cr.execute("DELETE FROM retail_backend WHERE id = %s", backend)
                    cr.execute(
                        "DELETE FROM product_template WHERE id IN "
                        "(SELECT product_tmpl_id FROM product_product WHERE id = %s)",
                        product,
                    )
                return
            except SerializationFailure:
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))

    def _count(self, cr, n, available, minute):
        env = api.Environment(cr, SUPERUSER_ID, {})
        event = env["retail.event"].browse(self.event_ids[n])
        level = InventoryLevel(
            sku=SKU, available=available, updated_at=datetime(2026, 12, 1, 9, minute, tzinfo=UTC)
        )
        outcome = env["retail.inventory.importer"]._import(event, level)
        env.flush_all()
        return outcome

    def _bindings(self, cr):
        cr.execute(
            "SELECT count(*), min(res_id), min(external_updated_at) FROM retail_binding"
            " WHERE backend_id = %s",
            (self.backend_id,),
        )
        return cr.fetchone()

    def test_a_late_first_count_is_retried_without_a_unique_violation_or_bad_query(self):
        with self.registry.cursor() as late_cr:
            late_cr.execute("SELECT 1")  # the late worker's snapshot starts here
            with self.registry.cursor() as early_cr:
                self.assertEqual(self._count(early_cr, 0, 7, 0)[0], "done")
            with (
                self.assertNoLogs("odoo.sql_db", "ERROR"),
                self.assertRaises(SerializationFailure),
            ):
                self._count(late_cr, 1, 5, 1)
            late_cr.rollback()
        # The retry: a new snapshot sees the first binding and applies the later count.
        with self.registry.cursor() as retry_cr:
            self.assertEqual(self._count(retry_cr, 1, 5, 1)[0], "done")
            count, res_id, updated_at = self._bindings(retry_cr)
            self.assertEqual((count, res_id), (1, self.product_id))
            self.assertEqual(updated_at, datetime(2026, 12, 1, 9, 1))
            product = api.Environment(retry_cr, SUPERUSER_ID, {})["product.product"]
            self.assertEqual(product.browse(self.product_id).qty_available, 5)

    def test_the_claim_of_a_failed_import_leaves_no_binding(self):
        # The first worker claims a new binding and fails (rolled back): the
        # second one claims it afresh, still without a record.
        with self.registry.cursor() as first_cr, self.registry.cursor() as second_cr:
            second_cr.execute("SELECT 1")
            env = api.Environment(first_cr, SUPERUSER_ID, {})
            backend = env["retail.backend"].browse(self.backend_id)
            claim = env["retail.binding"]._claim(backend, "product.product", "claim/probe")
            self.assertFalse(claim._record())
            first_cr.rollback()
            second_env = api.Environment(second_cr, SUPERUSER_ID, {})
            second_backend = second_env["retail.backend"].browse(self.backend_id)
            again = second_env["retail.binding"]._claim(
                second_backend, "product.product", "claim/probe"
            )
            self.assertTrue(again)
            self.assertEqual(again.res_id, 0)
            second_cr.rollback()
        with self.registry.cursor() as cr:
            self.assertEqual(self._bindings(cr)[0], 0)
