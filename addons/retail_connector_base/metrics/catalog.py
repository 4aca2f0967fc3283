"""Every metric the suite exports: its Prometheus name (prefixed ``retail_``,
counters ending ``_total``, durations in seconds), its type and its help."""

from typing import NamedTuple

# Upper bounds (seconds) of the duration histograms; +Inf is implied.
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600, 14400, 86400)

# Service tiers measured: (label, seconds from the channel's order time to
# the order confirmed in Odoo).
SLA_TIERS = (("confirm_2m", 120), ("confirm_15m", 900))

METRICS = {
    # Technical
    "retail_events_received_total": ("counter", "Inbound events stored, by source."),
    "retail_events_processed_total": (
        "counter",
        "Inbound events finished, by outcome (done, ignored, failed, dead).",
    ),
    "retail_event_retries_total": ("counter", "Extra attempts spent on finished events."),
    "retail_event_processing_seconds": (
        "histogram",
        "Time from an event received to its processing finished.",
    ),
    "retail_event_latency_p50_seconds": ("gauge", "Median received-to-done time, last hour."),
    "retail_event_latency_p95_seconds": ("gauge", "95th percentile received-to-done, last hour."),
    "retail_event_backlog": ("gauge", "Events received and not processed yet."),
    "retail_event_oldest_pending_age_seconds": ("gauge", "Age of the oldest waiting event."),
    "retail_queue_jobs": ("gauge", "queue_job jobs by job channel and state (not done)."),
    "retail_outbox_messages": ("gauge", "Outbound messages pending, failed or dead."),
    "retail_outbox_oldest_pending_age_seconds": (
        "gauge",
        "Age of the oldest outbound message waiting.",
    ),
    "retail_api_calls_total": ("counter", "Channel API calls answered, by status class (2xx...)."),
    "retail_api_latency_p50_seconds": (
        "gauge",
        "Channel API calls: median time from received to answered, last hour.",
    ),
    "retail_api_latency_p95_seconds": (
        "gauge",
        "Channel API calls: 95th percentile time from received to answered, last hour.",
    ),
    "retail_circuit_breakers_open": (
        "gauge",
        "Circuit breakers of downstream endpoints not closed, by state (open, half_open).",
    ),
    # Business
    "retail_orders_confirmed_total": ("counter", "Channel orders confirmed in Odoo."),
    "retail_order_confirm_seconds": (
        "histogram",
        "Time from the channel's order time to its confirmation in Odoo.",
    ),
    "retail_order_ship_seconds": (
        "histogram",
        "Time from the channel's order time to its first delivery done.",
    ),
    "retail_order_sla_ratio": (
        "gauge",
        "Share of the orders confirmed in the last 24 h within the tier's time.",
    ),
    "retail_orders_on_hold": ("gauge", "Channel orders on hold, by reason."),
    "retail_orders_on_hold_oldest_age_seconds": ("gauge", "Age of the oldest order on hold."),
    "retail_inventory_mismatch_ratio": (
        "gauge",
        "SKUs whose quantity differs from the channel's, per SKU compared (last reconciliation).",
    ),
    "retail_refunds_total": ("counter", "Channel refunds recorded, by state."),
    "retail_refunds_on_hold": ("gauge", "Channel refunds on hold (refund exceptions)."),
    "retail_customers_total": (
        "counter",
        "Customers met by identity resolution, by outcome (created, linked, merged...).",
    ),
    "retail_exception_groups_open": ("gauge", "Open failure groups, by source."),
    "retail_exception_occurrences_open": ("gauge", "Records still failing, by source."),
}


class Sample(NamedTuple):
    """One measured value. For counters and histograms the value is what
    happened in the snapshot's window (added to the previous snapshot)."""

    metric: str
    value: float = 0.0
    backend_id: int | None = None
    labels: dict | None = None
    # Histograms: cumulative counts per DURATION_BUCKETS, then the total count.
    buckets: tuple | None = None
