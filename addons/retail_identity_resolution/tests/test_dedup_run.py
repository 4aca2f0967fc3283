import math
from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.retail_connector_base.tests.common import RetailCase

from ..dedup_matcher import DedupMatcher
from ..matching import record_from_values

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
            patch.object(DedupMatcher, "resolve_block", side_effect=RuntimeError("worker lost")),
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

    def camille(self, **values):
        """A customer at one address in Nantes, as a channel sent her."""
        return self.env["res.partner"].create(
            {
                "name": "Camille Petit",
                "street": "27 rue des Olivettes",
                "zip": "44000",
                "city": "Nantes",
                "country_id": self.env.ref("base.fr").id,
                **values,
            }
        )

    def test_auto_link_does_not_chain_customers_told_apart(self):
        # Two customers of one name at one address, told apart by their
        # emails and phones (a mother and daughter)...
        mother = self.camille(email="camille.petit@gmail.com", phone="+33 6 11 22 33 44")
        daughter = self.camille(email="cpetit44@free.fr", phone="+33 6 55 66 77 88")
        # ...then a record with the mother's email and the daughter's phone:
        # it links to each of them alone (mother~record, record~daughter),
        # but it can't be both.
        record = self.camille(email="camille.petit@gmail.com", phone="06 55 66 77 88")
        run = self.new_run(dry_run=False, auto_link=True)
        run.action_start()
        self.run_jobs(run)
        self.assertEqual(run.state, "done", run.error)
        self.assertTrue(mother.active and daughter.active and record.active, "nobody merged")
        Merge = self.env["retail.identity.merge"]
        self.assertFalse(Merge.search([("src_partner_id", "in", (mother | daughter | record).ids)]))
        for older in (mother, daughter):
            suggestion = self.suggestions(older, record)
            self.assertEqual(len(suggestion), 1, "both pairs go to the review queue")
            self.assertEqual(suggestion.state, "open")
        self.assertEqual(
            len(self.suggestions(mother, daughter)), 1, "told apart: at most suggested"
        )
        # The Marie pair, elsewhere in the base, is still merged.
        self.assertFalse(self.marie_again.active)

    def test_auto_link_merges_the_customers_a_record_bridges(self):
        # The web shop knows her email, the shop her phone; a record with
        # both proves they are one customer.
        web = self.camille(email="camille.petit@gmail.com")
        shop = self.camille(phone="+33 6 11 22 33 44")
        record = self.camille(email="camille.petit@gmail.com", phone="06 11 22 33 44")
        run = self.new_run(dry_run=False, auto_link=True)
        run.action_start()
        self.run_jobs(run)
        self.assertEqual(run.state, "done", run.error)
        survivors = (web | shop | record).filtered("active")
        self.assertEqual(len(survivors), 1, "the three are one customer")
        self.assertEqual(run.merge_count, 3, "Marie, and the two Camille merged into one")

    def test_dry_run_reports_the_merges_of_a_live_run(self):
        self.camille(email="camille.petit@gmail.com", phone="+33 6 11 22 33 44")
        self.camille(email="cpetit44@free.fr", phone="+33 6 55 66 77 88")
        self.camille(email="camille.petit@gmail.com", phone="06 55 66 77 88")
        runs = {}
        for dry_run in (True, False):
            run = runs[dry_run] = self.new_run(dry_run=dry_run, auto_link=True)
            run.action_start()
            self.run_jobs(run)
            self.assertEqual(run.state, "done", run.error)
        self.assertEqual(runs[True].merge_count, runs[False].merge_count)
        self.assertEqual(runs[True].suggestion_count, runs[False].suggestion_count)

    def test_a_partner_sees_the_merges_made_before_it_in_its_block(self):
        web = self.camille(email="camille.petit@gmail.com")
        # Her account again, with her phone: merged into the web customer,
        # who then has the phone too.
        account = self.camille(email="camille.petit@gmail.com", phone="+33 6 11 22 33 44")
        # A shop ticket with her name and phone only: found by the phone the
        # web customer got from the merge, in the same block or the next one.
        for block_size in (100, 1):
            with self.subTest(block_size=block_size), self.env.cr.savepoint() as savepoint:
                ticket = self.env["res.partner"].create(
                    {"name": "Camille Petit", "phone": "+33 6 11 22 33 44"}
                )
                run = self.new_run(dry_run=False, auto_link=True, block_size=block_size)
                run.action_start()
                self.run_jobs(run)
                self.assertEqual(run.state, "done", run.error)
                self.assertTrue(web.active)
                self.assertFalse(account.active)
                self.assertFalse(ticket.active, "merged into the web customer")
                merge = self.env["retail.identity.merge"].search(
                    [("src_partner_id", "=", ticket.id)]
                )
                self.assertEqual(merge.dst_partner_id, web)
                savepoint.rollback()

    def test_candidates_are_found_by_every_identity_key(self):
        # The shop's customer: her name and phone on the form, and the email
        # a channel sent with her kept as an identity key only...
        shop = self.env["res.partner"].create(
            {"name": "Camille Petit", "phone": "+33 6 11 22 33 44"}
        )
        web_values = {"name": "Camille Petit", "email": "camille.petit@gmail.com"}
        shop._retail_add_identity_keys(record_from_values(**web_values, default_country="FR"))
        self.assertFalse(shop.email, "the form is left as it was")
        # ...then the web shop's customer with that email: the run finds her
        # by the key the form does not show, as the resolver does.
        web = self.env["res.partner"].create(web_values)
        run = self.new_run(dry_run=False, auto_link=True)
        run.action_start()
        self.run_jobs(run)
        self.assertEqual(run.state, "done", run.error)
        self.assertTrue(shop.active)
        self.assertFalse(web.active, "merged into the shop's customer")
