import math
from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.retail_connector_base.tests.common import RetailCase

from ..dedup_matcher import DedupMatcher

LOGGER = "odoo.addons.retail_identity_resolution.models.retail_identity_dedup_run"


@tagged("post_install", "-at_install")
class TestDedupRun(RetailCase):
    """A batch deduplication of the existing customers: block by block, in
    jobs, resumable, suggesting for review unless told to merge."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        france = cls.env.ref("base.fr").id
        lyon = {"zip": "69002", "city": "Lyon", "country_id": france}
        bordeaux = {"zip": "33000", "city": "Bordeaux", "country_id": france}
        # The same customer from the web shop and, later, the marketplace.
        cls.marie = Partner.create(
            {
                "name": "Marie Dubois",
                "email": "marie.dubois@gmail.com",
                "phone": "+33 6 12 34 56 78",
                "street": "12 rue de la République",
                **lyon,
            }
        )
        cls.marie_again = Partner.create(
            {
                "name": "DUBOIS Marie",
                "email": "Marie.Dubois+boutique@gmail.com",
                "phone": "06 12 34 56 78",
                "street": "12 rue de la Republique",
                **lyon,
            }
        )
        # Maybe the same man: name and address agree, the emails don't.
        cls.luc = Partner.create(
            {
                "name": "Luc Martin",
                "email": "luc.martin@orange.fr",
                "street": "3 chemin des Vignes",
                **bordeaux,
            }
        )
        cls.luc_maybe = Partner.create(
            {
                "name": "Luc Martin",
                "email": "lmartin33@free.fr",
                "street": "3 chemin des Vignes",
                **bordeaux,
            }
        )
        cls.sophie = Partner.create(
            {
                "name": "Sophie Bernard",
                "email": "sophie.bernard@laposte.net",
                "street": "8 boulevard Voltaire",
                "zip": "75011",
                "city": "Paris",
                "country_id": france,
            }
        )

    def new_run(self, **values):
        return self.env["retail.identity.dedup.run"].create(
            {"name": "Test run", "block_size": 3, **values}
        )

    def run_jobs(self, run, limit=1000):
        """Run the run's jobs one after the other as the job runner would;
        return how many ran."""
        count = 0
        while run.state == "running" and count < limit:
            failure = self.run_job(run.job_id)
            self.assertFalse(failure, "a block job must record its failure on the run")
            count += 1
        return count

    def suggestions(self, a, b):
        return (
            self.env["retail.identity.suggestion"]
            .with_context(active_test=False)
            .search([("partner_a_id", "=", a.id), ("partner_b_id", "=", b.id)])
        )

    def test_blocks_are_processed_by_chained_jobs(self):
        run = self.new_run(dry_run=False)
        run.action_start()
        self.assertEqual(run.state, "running")
        self.assertTrue(run.job_id, "the first block is queued")
        self.assertEqual(run.job_id.channel, "root.retail.batch")
        jobs = self.run_jobs(run)
        self.assertEqual(run.state, "done", run.error)
        blocks = math.ceil(run.partner_total / run.block_size)
        self.assertEqual(run.block_count, blocks)
        self.assertIn(jobs, (blocks, blocks + 1), "one job per block (and one finding none)")
        self.assertEqual(run.partner_done, run.partner_total)
        self.assertEqual(run.last_partner_id, run.max_partner_id)
        self.assertEqual(run.progress, 100.0)
        self.assertTrue(run.duration >= 0)
        suggestion = self.suggestions(self.marie, self.marie_again)
        self.assertEqual(len(suggestion), 1)
        self.assertEqual(suggestion.source, "batch")
        self.assertEqual(suggestion.state, "open")
        self.assertTrue(suggestion.explanation)
        self.assertEqual(len(self.suggestions(self.luc, self.luc_maybe)), 1)
        self.assertFalse(self.suggestions(self.marie, self.sophie))

    def test_a_failed_run_resumes_after_its_last_committed_block(self):
        run = self.new_run(dry_run=False, block_size=2)
        run.action_start()
        self.run_job(run.job_id)
        self.assertEqual(run.block_count, 1)
        first_block_end = run.last_partner_id
        with (
            patch.object(DedupMatcher, "block_pairs", side_effect=RuntimeError("worker lost")),
            self.assertLogs(LOGGER, "ERROR"),
        ):
            self.run_job(run.job_id)
        self.assertEqual(run.state, "failed")
        self.assertIn("worker lost", run.error)
        self.assertEqual(run.last_partner_id, first_block_end, "the failed block left no trace")
        self.assertEqual(run.block_count, 1)

        run.action_resume()
        self.assertEqual(run.state, "running")
        self.assertFalse(run.error)
        self.run_jobs(run)
        self.assertEqual(run.state, "done", run.error)
        self.assertEqual(run.partner_done, run.partner_total, "every partner scanned once")
        self.assertEqual(len(self.suggestions(self.marie, self.marie_again)), 1)
        self.assertEqual(len(self.suggestions(self.luc, self.luc_maybe)), 1)

    def test_a_stopped_run_resumes_and_old_jobs_do_nothing(self):
        run = self.new_run(dry_run=False, block_size=2)
        run.action_start()
        self.run_job(run.job_id)
        done = run.partner_done
        run.action_cancel()
        self.assertEqual(run.state, "cancelled")
        self.run_job(run.job_id)  # queued before the stop
        self.assertEqual(run.partner_done, done, "a stopped run scans nothing more")

        run.action_resume()
        stale = run.last_partner_id - 1
        self.run_jobs(run)
        self.assertEqual(run.state, "done", run.error)
        self.assertEqual(run.partner_done, run.partner_total)
        counts = (run.pair_count, run.suggestion_count, run.block_count)
        run.write({"state": "running"})
        run._process_block(stale)  # a job requeued after its block was committed
        self.assertEqual((run.pair_count, run.suggestion_count, run.block_count), counts)

    def test_dry_run_reports_without_writing_suggestions(self):
        run = self.new_run()
        self.assertTrue(run.dry_run, "a new run is a dry run")
        run.action_start()
        self.run_jobs(run)
        self.assertEqual(run.state, "done", run.error)
        self.assertFalse(self.suggestions(self.marie, self.marie_again))
        self.assertFalse(self.suggestions(self.luc, self.luc_maybe))
        self.assertGreaterEqual(run.suggestion_count, 2, "what a live run would suggest")
        self.assertEqual(run.merge_count, 0)
        self.assertEqual(run.pair_count, run.link_count + run.review_count + run.new_count)
        samples = [sample for bucket in run.report["samples"].values() for sample in bucket]
        marie = next(s for s in samples if s["partner_ids"] == [self.marie.id, self.marie_again.id])
        self.assertIn("email", {row["field"] for row in marie["explanation"]})
        self.assertIn("Marie Dubois", run.report_html)
        self.assertIn("Luc Martin", run.report_html)

    def test_a_rejected_pair_is_not_proposed_again(self):
        rejected = self.env["retail.identity.suggestion"].create(
            {
                "partner_a_id": self.luc.id,
                "partner_b_id": self.luc_maybe.id,
                "score": 10.0,
                "source": "import",
            }
        )
        rejected.action_reject()
        self.assertEqual(rejected.state, "rejected")
        run = self.new_run(dry_run=False, auto_link=True)
        run.action_start()
        self.run_jobs(run)
        self.assertEqual(run.state, "done", run.error)
        self.assertEqual(self.suggestions(self.luc, self.luc_maybe), rejected)
        self.assertEqual(rejected.state, "rejected")
        self.assertTrue(self.luc_maybe.active)
        self.assertGreaterEqual(run.known_count, 1)

    def test_auto_link_is_off_by_default(self):
        run = self.new_run(dry_run=False)
        self.assertFalse(run.auto_link)
        run.action_start()
        self.run_jobs(run)
        self.assertEqual(run.state, "done", run.error)
        self.assertGreaterEqual(run.link_count, 1, "the Marie pair scores above auto-link")
        self.assertEqual(run.merge_count, 0)
        self.assertTrue(self.marie_again.active, "nobody merged without auto-link")
        self.assertEqual(len(self.suggestions(self.marie, self.marie_again)), 1)

    def test_auto_link_merges_above_the_threshold_only(self):
        run = self.new_run(dry_run=False, auto_link=True)
        run.action_start()
        self.run_jobs(run)
        self.assertEqual(run.state, "done", run.error)
        self.assertFalse(self.marie_again.active, "merged into the older customer")
        self.assertTrue(self.marie.active)
        merge = self.env["retail.identity.merge"].search(
            [("src_partner_id", "=", self.marie_again.id)]
        )
        self.assertEqual(merge.dst_partner_id, self.marie)
        self.assertTrue(merge.auto)
        self.assertEqual(run.merge_count, 1)
        self.assertTrue(self.luc_maybe.active, "a review pair is only suggested")
        self.assertEqual(len(self.suggestions(self.luc, self.luc_maybe)), 1)
