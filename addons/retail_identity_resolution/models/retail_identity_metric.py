from odoo import fields, models, tools
from odoo.tools import SQL


class RetailIdentityMetric(models.Model):
    """How identity resolution is doing, for a back-office lead: duplicates
    it prevented, the review queue, and auto-links people had to undo (the
    sign of false merges). One row per decision, suggestion or merge, dated
    by its creation; the pivot sums them."""

    _name = "retail.identity.metric"
    _description = "Customer identity metrics"
    _auto = False
    _order = "date desc"

    date = fields.Date(readonly=True)
    backend_id = fields.Many2one("retail.backend", string="Channel", readonly=True)
    kind = fields.Selection(
        [("decision", "Decision"), ("suggestion", "Suggestion"), ("merge", "Merge")],
        readonly=True,
    )
    import_count = fields.Integer(string="Customers imported", readonly=True)
    prevented_count = fields.Integer(
        string="Duplicates prevented",
        readonly=True,
        help="Incoming customers linked to the existing one instead of created again "
        "(at import, or merged automatically when the channel sent more of them).",
    )
    suggestion_count = fields.Integer(string="Pairs suggested", readonly=True)
    open_count = fields.Integer(string="To review", readonly=True)
    deferred_count = fields.Integer(string="Later", readonly=True)
    confirmed_count = fields.Integer(string="Merged after review", readonly=True)
    rejected_count = fields.Integer(string="Not the same person", readonly=True)
    auto_merge_count = fields.Integer(string="Auto-merges", readonly=True)
    auto_undone_count = fields.Integer(
        string="Auto-merges undone",
        readonly=True,
        help="Automatic merges a person undid: each one is a false merge.",
    )

    def _query(self):
        return SQL(
            """
            SELECT d.id * 3 AS id, d.create_date::date AS date, d.backend_id,
                   'decision' AS kind,
                   (d.stage = 'import')::int AS import_count,
                   (d.decision = 'link')::int AS prevented_count,
                   0 AS suggestion_count, 0 AS open_count, 0 AS deferred_count,
                   0 AS confirmed_count, 0 AS rejected_count,
                   0 AS auto_merge_count, 0 AS auto_undone_count
              FROM retail_identity_decision d
            UNION ALL
            SELECT s.id * 3 + 1, s.create_date::date, s.backend_id, 'suggestion',
                   0, 0, 1,
                   (s.state = 'open')::int, (s.state = 'deferred')::int,
                   (s.state = 'confirmed')::int, (s.state = 'rejected')::int,
                   0, 0
              FROM retail_identity_suggestion s
            UNION ALL
            SELECT m.id * 3 + 2, m.create_date::date, d.backend_id, 'merge',
                   0, 0, 0, 0, 0, 0, 0,
                   1, (m.state = 'undone')::int
              FROM retail_identity_merge m
              LEFT JOIN LATERAL (
                    SELECT backend_id FROM retail_identity_decision
                     WHERE merge_id = m.id LIMIT 1
              ) d ON TRUE
             WHERE m.auto
            """
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL("CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(self._table), self._query())
        )
