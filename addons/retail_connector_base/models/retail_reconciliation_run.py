from odoo import api, fields, models

from ..reconciliation import KINDS, per_thousand

RUN_STATES = [("running", "Running"), ("done", "Done"), ("failed", "Failed")]
LINE_STATES = [
    ("open", "Open"),
    ("repaired", "Repaired"),
    ("resolved", "Resolved"),
    ("ignored", "Ignored"),
]


class RetailReconciliationRun(models.Model):
    """One comparison of a backend's channel with Odoo over a window: its
    figures (kept, so the drift rate shows over time) and its lines."""

    _name = "retail.reconciliation.run"
    _description = "Retail Reconciliation Run"
    _order = "started_at desc, id desc"
    _rec_name = "started_at"

    backend_id = fields.Many2one(
        "retail.backend", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    window_start = fields.Datetime(required=True, readonly=True)
    window_end = fields.Datetime(required=True, readonly=True)
    state = fields.Selection(RUN_STATES, required=True, default="running", readonly=True)
    started_at = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True)
    finished_at = fields.Datetime(readonly=True)
    error = fields.Text(readonly=True)
    summary = fields.Char(readonly=True)

    orders_compared = fields.Integer(readonly=True)
    orders_drifted = fields.Integer(
        string="Orders that differ", readonly=True, help="Orders with at least one difference."
    )
    orders_missing_in_odoo = fields.Integer(string="Missing in Odoo", readonly=True)
    orders_missing_in_channel = fields.Integer(string="Missing in the channel", readonly=True)
    status_mismatches = fields.Integer(readonly=True)
    total_mismatches = fields.Integer(readonly=True)
    refund_mismatches = fields.Integer(readonly=True)
    skus_compared = fields.Integer(string="SKUs compared", readonly=True)
    stock_differences = fields.Integer(readonly=True)
    stock_refusals = fields.Integer(
        string="Stock updates refused",
        readonly=True,
        help="SKUs whose stock update the channel refused in the window (its import reports).",
    )
    repaired_count = fields.Integer(string="Repaired", readonly=True)
    open_count = fields.Integer(
        string="Left for a person", readonly=True, help="Differences the run could not repair."
    )
    order_drift_rate = fields.Float(
        string="Order drift (‰)",
        compute="_compute_drift_rates",
        store=True,
        aggregator="avg",
        help="Orders that differ per 1,000 orders compared.",
    )
    stock_drift_rate = fields.Float(
        string="Stock drift (‰)",
        compute="_compute_drift_rates",
        store=True,
        aggregator="avg",
        help="SKUs whose quantity differs per 1,000 SKUs compared.",
    )
    line_ids = fields.One2many("retail.reconciliation.line", "run_id", string="Differences")

    @api.depends("orders_drifted", "orders_compared", "stock_differences", "skus_compared")
    def _compute_drift_rates(self):
        for run in self:
            run.order_drift_rate = per_thousand(run.orders_drifted, run.orders_compared)
            run.stock_drift_rate = per_thousand(run.stock_differences, run.skus_compared)

    @api.depends("backend_id", "started_at")
    def _compute_display_name(self):
        for run in self:
            run.display_name = f"{run.backend_id.name}: {run.started_at or ''}"

    def action_view_lines(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "retail_connector_base.retail_reconciliation_line_action"
        )
        action["domain"] = [("run_id", "=", self.id)]
        action["context"] = {}
        return action


class RetailReconciliationLine(models.Model):
    """One difference a reconciliation found: repaired by the run, or left
    for a person to resolve or ignore."""

    _name = "retail.reconciliation.line"
    _description = "Retail Reconciliation Difference"
    _order = "id desc"
    _rec_name = "key"

    run_id = fields.Many2one(
        "retail.reconciliation.run", required=True, ondelete="cascade", index=True, readonly=True
    )
    backend_id = fields.Many2one(related="run_id.backend_id", store=True, index=True)
    company_id = fields.Many2one(related="run_id.company_id", store=True, index=True)
    kind = fields.Selection(KINDS, required=True, readonly=True)
    key = fields.Char(
        string="Channel id or SKU", required=True, readonly=True, help="The order's or the SKU's."
    )
    order_id = fields.Many2one("sale.order", readonly=True, ondelete="set null")
    product_id = fields.Many2one("product.product", readonly=True, ondelete="set null")
    channel_value = fields.Char(string="Channel says", readonly=True)
    odoo_value = fields.Char(string="Odoo has", readonly=True)
    state = fields.Selection(LINE_STATES, required=True, default="open", index=True)
    repair = fields.Char(string="Repair", readonly=True, help="What the run did about it.")
    event_id = fields.Many2one("retail.event", string="Event stored", readonly=True)
    outbox_id = fields.Many2one("retail.outbox", string="Message queued", readonly=True)
    note = fields.Text()
    resolved_by_id = fields.Many2one("res.users", string="Resolved by", readonly=True)
    resolved_at = fields.Datetime(readonly=True)

    def _set_state(self, state):
        self.write(
            {
                "state": state,
                "resolved_by_id": self.env.uid if state in ("resolved", "ignored") else False,
                "resolved_at": fields.Datetime.now() if state in ("resolved", "ignored") else False,
            }
        )

    def action_resolve(self):
        """A person fixed it (say how in the note)."""
        self.filtered(lambda line: line.state == "open")._set_state("resolved")

    def action_ignore(self):
        """Not worth fixing (say why in the note)."""
        self.filtered(lambda line: line.state == "open")._set_state("ignored")

    def action_reopen(self):
        self.filtered(lambda line: line.state in ("resolved", "ignored"))._set_state("open")
