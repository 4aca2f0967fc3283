"""Metrics, plain Python: the catalog of what is measured and the Prometheus
collector over snapshot rows. No ORM import."""

from .catalog import DURATION_BUCKETS, METRICS, SLA_TIERS, Sample
from .collector import SnapshotCollector, render
