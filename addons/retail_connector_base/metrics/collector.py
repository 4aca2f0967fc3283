"""A Prometheus collector over the rows of the latest metrics snapshot: the
figures live in the database, so every worker answers the same."""

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

from .catalog import DURATION_BUCKETS, METRICS


def _family(name, kind, help_text, label_names):
    if kind == "counter":
        return CounterMetricFamily(name.removesuffix("_total"), help_text, labels=label_names)
    if kind == "histogram":
        return HistogramMetricFamily(name, help_text, labels=label_names)
    return GaugeMetricFamily(name, help_text, labels=label_names)


class SnapshotCollector:
    """Yields metric families from snapshot rows.

    :param rows: dicts with ``metric``, ``labels`` (dict of str, including
        ``backend`` and ``channel``), ``value``, ``buckets``
    :param taken_at: the snapshot's time (a POSIX timestamp) or ``None``
    """

    def __init__(self, rows, taken_at=None):
        self.rows = rows
        self.taken_at = taken_at

    def collect(self):
        by_metric = {}
        for row in self.rows:
            if row["metric"] in METRICS:
                by_metric.setdefault(row["metric"], []).append(row)
        for name, rows in sorted(by_metric.items()):
            kind, help_text = METRICS[name]
            label_names = sorted({key for row in rows for key in row["labels"]})
            family = _family(name, kind, help_text, label_names)
            for row in rows:
                values = [str(row["labels"].get(key, "")) for key in label_names]
                if kind == "histogram":
                    counts = list(row["buckets"] or [0] * len(DURATION_BUCKETS))
                    buckets = [
                        (_le(bound), c) for bound, c in zip(DURATION_BUCKETS, counts, strict=False)
                    ]
                    buckets.append(("+Inf", row["count"]))
                    family.add_metric(values, buckets, row["value"])
                else:
                    family.add_metric(values, row["value"])
            yield family
        if self.taken_at is not None:
            age = GaugeMetricFamily(
                "retail_metrics_snapshot_timestamp_seconds",
                "When the figures exported were measured (POSIX time).",
            )
            age.add_metric([], self.taken_at)
            yield age


def _le(bound):
    return str(float(bound))


def render(collector):
    """The Prometheus text exposition of ``collector``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return generate_latest(registry)
