from odoo import api, fields, models, tools
from odoo.tools import SQL

from ..metrics import METRICS


class RetailMetricSeries(models.Model):
    """The figures over time, one row per snapshot, metric and backend (the
    labels summed: orders on hold of every reason), for the "Health over
    time" graph. The graph groups rows by period: a gauge measured twelve
    times an hour must be averaged, not summed, and a counter read at the
    end of the period; so the measures are ``level`` (average) and ``peak``
    (highest: a gauge's peak, a counter's total at the period's end)."""

    _name = "retail.metric.series"
    _description = "Retail Metrics Over Time"
    _auto = False
    _order = "taken_at desc, metric"
    _rec_name = "metric"

    taken_at = fields.Datetime(readonly=True)
    metric = fields.Selection(selection="_selection_metric", readonly=True)
    kind = fields.Selection(
        [("gauge", "Gauge"), ("counter", "Counter"), ("histogram", "Histogram")], readonly=True
    )
    backend_id = fields.Many2one("retail.backend", readonly=True)
    channel_code = fields.Selection(related="backend_id.code", string="Channel")
    company_id = fields.Many2one("res.company", readonly=True)
    level = fields.Float(
        string="Level (average)",
        readonly=True,
        aggregator="avg",
        help="Gauges and counters: the value (labels summed); histograms: the mean duration. "
        "Averaged over the period.",
    )
    peak = fields.Float(
        string="Highest (counters: total at period end)",
        readonly=True,
        aggregator="max",
        help="The highest value in the period: a gauge's peak; a counter's total at the end "
        "of the period (counters only grow).",
    )

    @api.model
    def _selection_metric(self):
        return [(name, name) for name in METRICS]

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        level = SQL(
            "CASE WHEN s.kind = 'histogram' THEN SUM(s.value) / NULLIF(SUM(s.count), 0)"
            " ELSE SUM(s.value) END"
        )
        self.env.cr.execute(
            SQL(
                """CREATE VIEW %s AS
                   SELECT MIN(s.id) AS id, s.taken_at, s.metric, s.kind, s.backend_id,
                          s.company_id, %s AS level, %s AS peak
                     FROM retail_metric_snapshot s
                    GROUP BY s.taken_at, s.metric, s.kind, s.backend_id, s.company_id""",
                SQL.identifier(self._table),
                level,
                level,
            )
        )
