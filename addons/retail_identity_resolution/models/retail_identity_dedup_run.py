import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..dedup_block import DedupBlock
from ..dedup_matcher import DedupMatcher
from ..dedup_report import render_report

_logger = logging.getLogger(__name__)

BATCH_CHANNEL_XMLID = "retail_connector_base.queue_job_channel_retail_batch"


class RetailIdentityDedupRun(models.Model):
    """A batch deduplication of the existing partners.

    The partners are scanned by blocks of ids in ascending order, one
    queue_job job per block; each job commits the block's results together
    with the run's progress (the last partner id processed and the counts),
    so a run that is stopped, fails or loses its worker resumes after the
    last committed block. Each partner is resolved, when its turn comes,
    against its older candidates as the import path resolves an incoming
    customer (``matching.resolve``, see ``dedup_matcher``): a pair is never
    linked alone, so partners told apart are not joined through a third
    one. A dry run writes nothing but its report. What a job does with its
    block is in ``dedup_block``.
    """

    _name = "retail.identity.dedup.run"
    _description = "Customer deduplication run"
    _order = "id desc"

    name = fields.Char(
        required=True, default=lambda self: self.env._("Deduplication %s", fields.Date.today())
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("running", "Running"),
            ("done", "Done"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        index=True,
    )
    dry_run = fields.Boolean(
        string="Dry run",
        default=True,
        help="Score every pair and report what a live run would do, without writing "
        "suggestions or merging anyone.",
    )
    auto_link = fields.Boolean(
        string="Merge above the auto-link threshold",
        help="Merge each customer into the older one it is, as an import would link it: "
        "above the auto-link threshold, not blocked by conflicting identifiers, and not "
        "linkable to several customers told apart (those are suggested for review).",
    )
    backend_id = fields.Many2one(
        "retail.backend",
        string="Thresholds of",
        help="The backend whose thresholds and job channel the run uses.",
    )
    auto_threshold = fields.Float(
        string="Auto-link from (match probability)",
        digits=(6, 4),
        compute="_compute_thresholds",
        store=True,
        readonly=False,
        precompute=True,
    )
    review_threshold = fields.Float(
        string="Suggest from (match probability)",
        digits=(6, 4),
        compute="_compute_thresholds",
        store=True,
        readonly=False,
        precompute=True,
    )
    block_size = fields.Integer(
        string="Block size", default=1000, required=True, help="Partners per job."
    )

    # Progress, written by each block's job with the block's results.
    last_partner_id = fields.Integer(
        string="Done up to partner id",
        readonly=True,
        copy=False,
        help="The partners up to this id are done.",
    )
    max_partner_id = fields.Integer(
        readonly=True, copy=False, help="The run covers the partners up to this id."
    )
    partner_total = fields.Integer(string="Partners to scan", readonly=True, copy=False)
    partner_done = fields.Integer(string="Partners scanned", readonly=True, copy=False)
    progress = fields.Float(compute="_compute_progress")
    block_count = fields.Integer(string="Blocks done", readonly=True, copy=False)
    pair_count = fields.Integer(string="Pairs scored", readonly=True, copy=False)
    link_count = fields.Integer(string="Auto-link pairs", readonly=True, copy=False)
    review_count = fields.Integer(string="Review pairs", readonly=True, copy=False)
    new_count = fields.Integer(string="Distinct pairs", readonly=True, copy=False)
    known_count = fields.Integer(
        string="Known pairs",
        readonly=True,
        copy=False,
        help="Pairs already proposed, deferred, merged or rejected: not proposed again.",
    )
    suggestion_count = fields.Integer(string="Suggestions created", readonly=True, copy=False)
    merge_count = fields.Integer(string="Merges", readonly=True, copy=False)
    started_at = fields.Datetime(string="Started", readonly=True, copy=False)
    finished_at = fields.Datetime(string="Finished", readonly=True, copy=False)
    duration = fields.Float(string="Duration (s)", readonly=True, copy=False)
    error = fields.Text(readonly=True, copy=False)
    job_id = fields.Many2one(
        "queue.job", string="Current job", readonly=True, copy=False, index="btree_not_null"
    )
    report = fields.Json(
        string="Sample pairs", readonly=True, copy=False, help="Sample pairs by decision."
    )
    report_html = fields.Html(string="Report", compute="_compute_report_html", sanitize=False)

    _block_size_positive = models.Constraint(
        "CHECK(block_size > 0)", "The block size must be positive."
    )

    @api.depends("backend_id")
    def _compute_thresholds(self):
        for run in self:
            auto, review = run._get_default_thresholds()
            run.auto_threshold = auto
            run.review_threshold = review

    def _get_default_thresholds(self):
        """(auto-link, review) thresholds: the backend's, else the defaults of
        the backend model's fields."""
        Backend = self.env["retail.backend"]
        fields_ = ("identity_auto_threshold", "identity_review_threshold")
        if self.backend_id:
            return tuple(self.backend_id[name] for name in fields_)
        defaults = Backend.default_get(list(fields_))
        return tuple(defaults.get(name) or 0.0 for name in fields_)

    @api.depends("partner_done", "partner_total", "state")
    def _compute_progress(self):
        for run in self:
            if run.state == "done":
                run.progress = 100.0
            else:
                run.progress = (
                    100.0 * run.partner_done / run.partner_total if run.partner_total else 0.0
                )

    @api.depends("report", "pair_count")
    def _compute_report_html(self):
        for run in self:
            run.report_html = run._render_report()

    @api.ondelete(at_uninstall=False)
    def _unlink_except_running(self):
        if any(run.state == "running" for run in self):
            raise UserError(self.env._("Stop a running deduplication before deleting it."))

    # Actions

    def action_start(self):
        """Count the partners to scan and queue the first block."""
        for run in self:
            if run.state != "draft":
                raise UserError(self.env._("Only a draft run can be started."))
            if run.review_threshold > run.auto_threshold:
                raise UserError(
                    self.env._("The review threshold can't be above the auto-link threshold.")
                )
            scope = self.env["res.partner"].search(
                run._get_partner_domain(), order="id desc", limit=1
            )
            run.write(
                {
                    "state": "running",
                    "max_partner_id": scope.id,
                    "partner_total": self.env["res.partner"].search_count(
                        run._get_partner_domain()
                    ),
                    "started_at": fields.Datetime.now(),
                    "report": {"samples": {}},
                }
            )
            run._enqueue_block()
        return True

    def action_resume(self):
        """Continue a stopped or failed run after its last committed block."""
        for run in self:
            if run.state not in ("failed", "cancelled"):
                raise UserError(self.env._("Only a failed or cancelled run can be resumed."))
            run.write({"state": "running", "error": False, "finished_at": False})
            run._enqueue_block()
        return True

    def action_cancel(self):
        """Stop after the block in progress: the next job finds the run cancelled."""
        running = self.filtered(lambda run: run.state in ("draft", "running"))
        running.write({"state": "cancelled", "finished_at": fields.Datetime.now()})
        return True

    def action_reset_to_draft(self):
        """A run that never scanned anything can be edited and started again."""
        for run in self:
            if run.state != "cancelled" or run.partner_done:
                raise UserError(
                    self.env._("Only a cancelled run that scanned nothing can be reset.")
                )
        self.write({"state": "draft", "finished_at": False})
        return True

    # Jobs

    def _enqueue_block(self):
        self.ensure_one()
        job = self.with_delay(
            channel=self._get_job_channel(),
            description=self.env._(
                "Deduplication %(run)s after partner %(id)s",
                run=self.name,
                id=self.last_partner_id,
            ),
        )._process_block(self.last_partner_id)
        self.job_id = job.db_record()

    def _get_job_channel(self):
        if self.backend_id:
            return self.backend_id._get_job_channel("batch")
        channel = self.env.ref(BATCH_CHANNEL_XMLID, raise_if_not_found=False)
        return channel.complete_name if channel else "root"

    def _process_block(self, after_id):
        """Job: deduplicate the next block of partners after ``after_id``,
        then queue the next block or finish the run.

        The run's row is locked so two jobs never process it at once; a job
        whose ``after_id`` is not the run's progress any more (an old job
        requeued after its block was committed) does nothing. A failure is
        recorded on the run, which can then be resumed.
        """
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                "SELECT state, last_partner_id FROM retail_identity_dedup_run"
                " WHERE id = %s FOR NO KEY UPDATE",
                self.id,
            )
        )
        row = self.env.cr.fetchone()
        if not row:
            return "Nothing to do: the run was deleted."
        state, last_id = row
        self.invalidate_recordset()
        if state != "running" or (last_id or 0) != after_id:
            return f"Nothing to do: run {state}, progress {last_id}, job for {after_id}."
        try:
            with self.env.cr.savepoint():
                more = self._run_block(after_id)
        except Exception as exc:  # the run records it and can be resumed
            _logger.exception("Deduplication run %s failed after partner %s", self.id, after_id)
            self.write(
                {
                    "state": "failed",
                    "error": f"{type(exc).__name__}: {exc}",
                    "finished_at": fields.Datetime.now(),
                }
            )
            return self.error
        if more:
            self._enqueue_block()
        else:
            self._set_done()
        return f"Partners after {after_id} up to {self.last_partner_id} done."

    def _set_done(self):
        now = fields.Datetime.now()
        self.write(
            {
                "state": "done",
                "finished_at": now,
                "duration": (now - self.started_at).total_seconds() if self.started_at else 0.0,
            }
        )

    def _get_partner_domain(self):
        """The partners a run deduplicates: customers and companies, not their
        contacts or addresses, nor the partners of users."""
        return [("parent_id", "=", False), ("user_ids", "=", False)]

    def _run_block(self, after_id):
        """Process the partners of the block after ``after_id`` (see
        ``dedup_block``); return whether partners remain."""
        return DedupBlock(self).process(after_id)

    def _get_matcher(self):
        """The pair finder and scorer of this run (see ``dedup_matcher``)."""
        return DedupMatcher(self.env, self.auto_threshold, self.review_threshold)

    # Report

    def _render_report(self):
        rows = [
            (self.env._("Pairs scored"), self.pair_count),
            (self.env._("Above the auto-link threshold"), self.link_count),
            (self.env._("In the review band"), self.review_count),
            (self.env._("Below the review threshold"), self.new_count),
            (self.env._("Already proposed or decided (not proposed again)"), self.known_count),
            (
                self.env._("Suggestions that would be created")
                if self.dry_run
                else self.env._("Suggestions created"),
                self.suggestion_count,
            ),
            (
                self.env._("Merges that would be done") if self.dry_run else self.env._("Merges"),
                self.merge_count,
            ),
        ]
        samples = (self.report or {}).get("samples", {})
        titles = {
            "link": self.env._("Sample pairs above the auto-link threshold"),
            "review": self.env._("Sample pairs in the review band"),
        }
        headers = (
            self.env._("Partner"),
            self.env._("Partner"),
            self.env._("Score"),
            self.env._("Why"),
        )
        return render_report(rows, samples, titles, headers)
