from .test_stock_import import StockImportCase


class TestInventoryBatch(StockImportCase):
    """The job of the first queued count applies the counts queued behind it
    (retail.inventory.batch); each event keeps its own outcome."""

    def store_count(self, available, sku="TSHIRT-M", updated_at="2026-11-03T09:00:00Z"):
        data = {"sku": sku, "available": available, "updated_at": updated_at}
        return self.store_event({"type": "inventory.updated", "data": data})

    def adjustments(self, product):
        return self.env["stock.move"].search(
            [("product_id", "=", product.id), ("is_inventory", "=", True)]
        )

    def test_queued_counts_are_applied_by_one_job_each_with_its_outcome(self):
        first = self.store_count(4)
        mug = self.store_count(6, sku="MUG")
        later = self.store_count(9, updated_at="2026-11-03T09:05:00Z")
        self.assertIsNone(self.run_event_job(first))
        self.assertEqual((first | mug | later).mapped("state"), ["done"] * 3)
        self.assertIn(f"replaced by the later count of event {later.id}", first.state_reason)
        self.assertIn("counted 6 (was 0", mug.state_reason)
        self.assertIn("counted 9 (was 10", later.state_reason)
        self.assertEqual((mug.attempts, later.attempts), (1, 1))
        self.assertEqual((self.tshirt.qty_available, self.mug.qty_available), (9, 6))
        # One adjustment per product: the replaced count was never applied.
        self.assertEqual(len(self.adjustments(self.tshirt)), 1)
        # Their own jobs, still waiting, are closed: the runner never sends them.
        for event in mug | later:
            self.assertEqual(event.job_id.state, "done")
            self.assertEqual(event.job_id.result, f"Applied in the batch of event {first.id}.")
            self.assertTrue(event.job_id.date_done)
        # One the runner had taken runs and applies nothing more.
        self.assertIsNone(self.run_event_job(later))
        self.assertIn("already done", later.job_id.result)
        self.assertEqual((self.tshirt.qty_available, self.mug.qty_available), (9, 6))
        self.assertEqual(len(self.adjustments(self.mug)), 1)

    def test_a_poison_count_and_an_unknown_sku_fail_alone_in_their_own_jobs(self):
        good = self.store_count(4)
        poison = self.store_count(-3, sku="MUG")
        unknown = self.store_count(5, sku="NO-SUCH-SKU")
        other = self.store_count(2, sku="MUG", updated_at="2026-11-03T09:01:00Z")
        self.assertIsNone(self.run_event_job(good))
        self.assertEqual((good | other).mapped("state"), ["done", "done"])
        # Left out of the batch untouched: their own jobs decide.
        self.assertEqual((poison | unknown).mapped("state"), ["queued", "queued"])
        self.assertEqual((poison | unknown).mapped("attempts"), [0, 0])
        self.assertTrue(self.run_event_job(poison))
        self.assertTrue(self.run_event_job(unknown))
        self.assertEqual((poison.state, unknown.state), ("failed", "failed"))
        self.assertIn("can't be negative", poison.error)
        self.assertIn("Unknown SKU NO-SUCH-SKU", unknown.error)
        self.assertEqual((self.tshirt.qty_available, self.mug.qty_available), (4, 2))

    def test_a_failing_first_count_applies_nothing_of_the_batch(self):
        unknown = self.store_count(5, sku="NO-SUCH-SKU")
        good = self.store_count(4)
        self.assertTrue(self.run_event_job(unknown))
        self.assertEqual(unknown.state, "failed")
        self.assertIn("Unknown SKU", unknown.error)
        self.assertEqual(good.state, "queued")
        self.assertEqual(self.tshirt.qty_available, 10)
        self.assertIsNone(self.run_event_job(good))
        self.assertEqual(good.state, "done")
        self.assertEqual(self.tshirt.qty_available, 4)

    def test_an_older_count_queued_behind_a_newer_one_is_ignored(self):
        newer = self.store_count(4, updated_at="2026-11-03T09:05:00Z")
        older = self.store_count(8, updated_at="2026-11-03T09:00:00Z")
        self.assertIsNone(self.run_event_job(newer))
        self.assertEqual((newer.state, older.state), ("done", "ignored"))
        self.assertIn("older than the one applied", older.state_reason)
        self.assertEqual(self.tshirt.qty_available, 4)

    def test_a_count_waiting_for_a_retry_is_not_taken(self):
        waiting = self.store_count(8, sku="MUG")
        waiting.attempts = 1  # failed once, waiting for its retry's backoff
        first = self.store_count(4)
        self.assertIsNone(self.run_event_job(first))
        self.assertEqual((first.state, waiting.state), ("done", "queued"))
        self.assertEqual(self.mug.qty_available, 0)
