import json
import logging
from datetime import UTC, timedelta

from odoo import api, fields, models

from ..metrics import DURATION_BUCKETS, METRICS

_logger = logging.getLogger(__name__)

# Counters and histograms count up to this long before the snapshot: a row
# dated by its transaction's start (received_at = now() in SQL) commits a
# little later, and must not fall behind a window already counted.
COUNTER_LAG = timedelta(seconds=60)
# Snapshots kept for the dashboard's curves; the latest one always stays.
SNAPSHOT_RETENTION_DAYS = 35


def _label_key(metric, backend_id, labels):
    return (metric, backend_id or False, json.dumps(labels or {}, sort_keys=True))


class RetailMetricSnapshot(models.Model):
    """One figure of one periodic measurement: the dashboard's graphs and
    pivots read these rows, and so does the Prometheus endpoint, so neither
    ever scans the event or order tables when it is opened or scraped.

    Counters and histograms are cumulative: each snapshot adds what happened
    since the previous one (its window) to the previous snapshot's totals.
    """

    _name = "retail.metric.snapshot"
    _description = "Retail Metrics Snapshot"
    _order = "taken_at desc, metric, id"
    _rec_name = "metric"

    taken_at = fields.Datetime(required=True, readonly=True, index=True)
    window_end = fields.Datetime(
        readonly=True, help="Counters and histograms hold what happened until then."
    )
    is_latest = fields.Boolean(readonly=True, index=True)
    metric = fields.Selection(selection="_selection_metric", required=True, readonly=True)
    kind = fields.Selection(
        [("gauge", "Gauge"), ("counter", "Counter"), ("histogram", "Histogram")], readonly=True
    )
    backend_id = fields.Many2one("retail.backend", ondelete="cascade", readonly=True, index=True)
    channel_code = fields.Selection(related="backend_id.code", string="Channel", store=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    labels = fields.Json(readonly=True)
    label = fields.Char(
        string="Detail", readonly=True, help="The labels beyond the backend, as text."
    )
    value = fields.Float(readonly=True, aggregator="sum", help="Histograms: the sum of durations.")
    count = fields.Float(readonly=True, aggregator="sum", help="Histograms: the observations.")
    average = fields.Float(readonly=True, aggregator="avg", help="Histograms: the mean duration.")
    buckets = fields.Json(readonly=True)

    @api.model
    def _selection_metric(self):
        return [(name, name) for name in METRICS]

    # Measuring

    @api.model
    def _cron_take_snapshot(self):
        """Measure every metric source and store the figures."""
        return self._take_snapshot(fields.Datetime.now())

    @api.model
    def _take_snapshot(self, now):
        previous = self.search([("is_latest", "=", True)])
        window_start = max(previous.mapped("window_end")) if previous else None
        window_end = now - COUNTER_LAG
        if window_start and window_end < window_start:
            window_end = window_start
        samples = []
        for method in self._get_metric_sources():
            samples += getattr(self, method)(window_start, window_end, now)
        rows = self._accumulate(samples, previous)
        previous.write({"is_latest": False})
        snapshot = self.create(
            [dict(row, taken_at=now, window_end=window_end, is_latest=True) for row in rows]
        )
        self.search([("taken_at", "<", now - timedelta(days=SNAPSHOT_RETENTION_DAYS))]).unlink()
        _logger.info("Metrics snapshot: %s figures", len(snapshot))
        return snapshot

    @api.model
    def _get_metric_sources(self):
        """Methods ``(window_start, window_end, now) -> [Sample]`` measuring
        the figures; a module adds its own by extending this list. Counter
        and histogram samples hold what happened in the window (``window_start``
        is ``None`` on the first snapshot: all history); gauges are measured
        at ``now``."""
        return [
            "_metric_source_events",
            "_metric_source_jobs",
            "_metric_source_outbox",
            "_metric_source_orders",
            "_metric_source_reconciliation",
            "_metric_source_refunds",
            "_metric_source_identity",
            "_metric_source_triage",
            "_metric_source_api",
            "_metric_source_breakers",
        ]

    @api.model
    def _accumulate(self, samples, previous):
        """Snapshot rows: gauges as measured, counters and histograms added
        to the previous totals (series not seen in the window carry on)."""
        rows = {}
        for row in previous.filtered(lambda r: r.kind in ("counter", "histogram")):
            rows[_label_key(row.metric, row.backend_id.id, row.labels)] = {
                "metric": row.metric,
                "kind": row.kind,
                "backend_id": row.backend_id.id,
                "labels": row.labels or {},
                "value": row.value,
                "count": row.count,
                "buckets": list(row.buckets or [0] * len(DURATION_BUCKETS)),
            }
        for sample in samples:
            kind = METRICS[sample.metric][0]
            key = _label_key(sample.metric, sample.backend_id, sample.labels)
            row = rows.get(key)
            if row is None or kind == "gauge":
                row = rows[key] = {
                    "metric": sample.metric,
                    "kind": kind,
                    "backend_id": sample.backend_id or False,
                    "labels": sample.labels or {},
                    "value": 0.0,
                    "count": 0.0,
                    "buckets": [0] * len(DURATION_BUCKETS) if kind == "histogram" else None,
                }
            if kind == "gauge":
                row["value"] = sample.value
            elif kind == "counter":
                row["value"] += sample.value
            else:
                row["value"] += sample.value
                row["count"] += sample.buckets[-1]
                row["buckets"] = [
                    a + b for a, b in zip(row["buckets"], sample.buckets[:-1], strict=False)
                ]
        for row in rows.values():
            row["label"] = ", ".join(f"{k}={v}" for k, v in sorted(row["labels"].items())) or False
            row["average"] = row["value"] / row["count"] if row["count"] else 0.0
        return list(rows.values())

    # Reading

    @api.model
    def _get_latest_rows(self):
        """The latest snapshot as collector rows, with backend and channel
        labels; and its time."""
        latest = self.sudo().search([("is_latest", "=", True)])
        rows = []
        for row in latest:
            labels = dict(row.labels or {})
            labels["backend"] = row.backend_id.name or ""
            labels["channel"] = row.backend_id.code or ""
            rows.append(
                {
                    "metric": row.metric,
                    "labels": labels,
                    "value": row.value,
                    "count": row.count,
                    "buckets": row.buckets,
                }
            )
        taken_at = (
            max(latest.mapped("taken_at")).replace(tzinfo=UTC).timestamp() if latest else None
        )
        return rows, taken_at
