from datetime import timedelta

from odoo import api, models
from odoo.tools import SQL

from ..const import PENDING_EVENT_STATES
from ..metrics import DURATION_BUCKETS, SLA_TIERS, Sample
from ..triage import normalize_message

HOLD_REASON_LABEL_LENGTH = 60


def _window(column, start, end):
    """``column`` in ``(start, end]``; all history up to ``end`` without a start."""
    if start is None:
        return SQL("%s <= %s", column, end)
    return SQL("%s > %s AND %s <= %s", column, start, column, end)


def _histogram_columns(duration):
    """SQL columns: the sum of ``duration``, its count per bucket, its count."""
    return SQL(", ").join(
        [
            SQL("COALESCE(SUM(%s), 0)", duration),
            *(
                SQL("COUNT(*) FILTER (WHERE %s <= %s)", duration, bound)
                for bound in DURATION_BUCKETS
            ),
            SQL("COUNT(*)"),
        ]
    )


def _seconds(later, earlier):
    """Seconds from ``earlier`` to ``later``, never negative: ``received_at``
    keeps microseconds (SQL ``now()``) but ``processed_at`` and the ORM's
    datetimes are truncated to the second, so a fast event may seem to finish
    before it arrived; durations are exact to the second."""
    return SQL("GREATEST(EXTRACT(EPOCH FROM (%s - %s)), 0)", later, earlier)


class RetailMetricSnapshot(models.Model):
    """The metric sources of the base: SQL aggregates bounded by the
    snapshot's window or by indexed states, never a scan of all history
    (but for the very first snapshot)."""

    _inherit = "retail.metric.snapshot"

    def _query(self, query):
        self.env.flush_all()
        self.env.cr.execute(query)
        return self.env.cr.fetchall()

    def _histograms(self, metric, query):
        """Samples from rows ``(backend_id, sum, bucket counts..., count)``."""
        return [
            Sample(metric, float(row[1]), row[0], None, tuple(row[2:]))
            for row in self._query(query)
            if row[-1]
        ]

    @api.model
    def _metric_source_events(self, start, end, now):
        samples = [
            Sample("retail_events_received_total", count, backend_id, {"source": source})
            for backend_id, source, count in self._query(
                SQL(
                    "SELECT backend_id, source, COUNT(*) FROM retail_event WHERE %s GROUP BY 1, 2",
                    _window(SQL("received_at"), start, end),
                )
            )
        ]
        finished = SQL(
            "processed_at IS NOT NULL AND %s AND state IN ('done', 'ignored', 'failed', 'dead')",
            _window(SQL("processed_at"), start, end),
        )
        for backend_id, state, count, retries in self._query(
            SQL(
                """SELECT backend_id, state, COUNT(*), SUM(GREATEST(attempts - 1, 0))
                     FROM retail_event WHERE %s GROUP BY 1, 2""",
                finished,
            )
        ):
            samples.append(
                Sample("retail_events_processed_total", count, backend_id, {"outcome": state})
            )
            samples.append(Sample("retail_event_retries_total", retries or 0, backend_id))
        samples += self._histograms(
            "retail_event_processing_seconds",
            SQL(
                "SELECT backend_id, %s FROM retail_event WHERE %s AND state IN ('done', 'ignored')"
                " GROUP BY 1",
                _histogram_columns(_seconds(SQL("processed_at"), SQL("received_at"))),
                finished,
            ),
        )
        for backend_id, p50, p95 in self._query(
            SQL(
                """SELECT backend_id,
                          PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY %(d)s),
                          PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY %(d)s)
                     FROM retail_event
                    WHERE processed_at > %(since)s AND state IN ('done', 'ignored')
                    GROUP BY ROLLUP (backend_id)""",
                d=_seconds(SQL("processed_at"), SQL("received_at")),
                since=now - timedelta(hours=1),
            )
        ):
            if p50 is None:
                continue
            samples.append(Sample("retail_event_latency_p50_seconds", p50, backend_id))
            samples.append(Sample("retail_event_latency_p95_seconds", p95, backend_id))
        for backend_id, count, oldest in self._query(
            SQL(
                "SELECT backend_id, COUNT(*), MIN(received_at) FROM retail_event"
                " WHERE state IN %s GROUP BY 1",
                PENDING_EVENT_STATES,
            )
        ):
            samples.append(Sample("retail_event_backlog", count, backend_id))
            samples.append(
                Sample(
                    "retail_event_oldest_pending_age_seconds",
                    max((now - oldest).total_seconds(), 0),
                    backend_id,
                )
            )
        return samples

    @api.model
    def _metric_source_jobs(self, start, end, now):
        return [
            Sample("retail_queue_jobs", count, None, {"job_channel": channel or "", "state": state})
            for channel, state, count in self._query(
                SQL(
                    "SELECT channel, state, COUNT(*) FROM queue_job"
                    " WHERE state IN ('wait_dependencies', 'pending', 'enqueued', 'started',"
                    " 'failed') GROUP BY 1, 2"
                )
            )
        ]

    @api.model
    def _metric_source_outbox(self, start, end, now):
        samples = []
        for backend_id, state, count, oldest in self._query(
            SQL(
                "SELECT backend_id, state, COUNT(*), MIN(create_date) FROM retail_outbox"
                " WHERE state IN ('pending', 'failed', 'dead') GROUP BY 1, 2"
            )
        ):
            samples.append(Sample("retail_outbox_messages", count, backend_id, {"state": state}))
            if state == "pending":
                samples.append(
                    Sample(
                        "retail_outbox_oldest_pending_age_seconds",
                        max((now - oldest).total_seconds(), 0),
                        backend_id,
                    )
                )
        return samples

    @api.model
    def _metric_source_orders(self, start, end, now):
        confirmed = SQL(
            "retail_backend_id IS NOT NULL AND retail_confirmed_at IS NOT NULL AND %s",
            _window(SQL("retail_confirmed_at"), start, end),
        )
        samples = [
            Sample("retail_orders_confirmed_total", count, backend_id)
            for backend_id, count in self._query(
                SQL(
                    "SELECT retail_backend_id, COUNT(*) FROM sale_order WHERE %s GROUP BY 1",
                    confirmed,
                )
            )
        ]
        samples += self._histograms(
            "retail_order_confirm_seconds",
            SQL(
                "SELECT retail_backend_id, %s FROM sale_order WHERE %s GROUP BY 1",
                _histogram_columns(_seconds(SQL("retail_confirmed_at"), SQL("date_order"))),
                confirmed,
            ),
        )
        # The first delivery of an order done in the window ships it.
        samples += self._histograms(
            "retail_order_ship_seconds",
            SQL(
                """SELECT o.retail_backend_id, %s
                     FROM sale_order o
                     JOIN (SELECT p.sale_id, MIN(p.date_done) AS shipped_at
                             FROM stock_picking p
                             JOIN stock_picking_type t ON t.id = p.picking_type_id
                            WHERE p.state = 'done' AND t.code = 'outgoing' AND p.sale_id IS NOT NULL
                            GROUP BY p.sale_id) s ON s.sale_id = o.id
                    WHERE o.retail_backend_id IS NOT NULL AND %s
                    GROUP BY 1""",
                _histogram_columns(_seconds(SQL("s.shipped_at"), SQL("o.date_order"))),
                _window(SQL("s.shipped_at"), start, end),
            ),
        )
        day = now - timedelta(days=1)
        for name, seconds in SLA_TIERS:
            for backend_id, ratio in self._query(
                SQL(
                    """SELECT retail_backend_id,
                              AVG(CASE WHEN %s <= %s THEN 1.0 ELSE 0.0 END)
                         FROM sale_order
                        WHERE retail_backend_id IS NOT NULL AND retail_confirmed_at > %s
                        GROUP BY ROLLUP (retail_backend_id)""",
                    _seconds(SQL("retail_confirmed_at"), SQL("date_order")),
                    seconds,
                    day,
                )
            ):
                if ratio is not None:
                    samples.append(
                        Sample("retail_order_sla_ratio", float(ratio), backend_id, {"sla": name})
                    )
        held = {}
        oldest_by_backend = {}
        for backend_id, reason, since in self._query(
            SQL(
                "SELECT retail_backend_id, retail_hold_reason, create_date FROM sale_order"
                " WHERE retail_on_hold AND retail_backend_id IS NOT NULL"
            )
        ):
            first = (reason or "").split("\n", 1)[0]
            label = normalize_message(first)[:HOLD_REASON_LABEL_LENGTH]
            held[backend_id, label] = held.get((backend_id, label), 0) + 1
            oldest_by_backend[backend_id] = min(oldest_by_backend.get(backend_id, since), since)
        samples += [
            Sample("retail_orders_on_hold", count, backend_id, {"reason": reason})
            for (backend_id, reason), count in held.items()
        ]
        samples += [
            Sample("retail_orders_on_hold_oldest_age_seconds", (now - since).total_seconds(), b)
            for b, since in oldest_by_backend.items()
        ]
        return samples

    @api.model
    def _metric_source_reconciliation(self, start, end, now):
        return [
            Sample("retail_inventory_mismatch_ratio", differences / compared, backend_id)
            for backend_id, differences, compared in self._query(
                SQL(
                    """SELECT DISTINCT ON (backend_id) backend_id, stock_differences, skus_compared
                         FROM retail_reconciliation_run
                        WHERE state = 'done' AND skus_compared > 0
                        ORDER BY backend_id, started_at DESC, id DESC"""
                )
            )
        ]

    @api.model
    def _metric_source_refunds(self, start, end, now):
        samples = [
            Sample("retail_refunds_total", count, backend_id, {"state": state})
            for backend_id, state, count in self._query(
                SQL(
                    "SELECT backend_id, state, COUNT(*) FROM retail_order_refund WHERE %s"
                    " GROUP BY 1, 2",
                    _window(SQL("create_date"), start, end),
                )
            )
        ]
        samples += [
            Sample("retail_refunds_on_hold", count, backend_id)
            for backend_id, count in self._query(
                SQL(
                    "SELECT backend_id, COUNT(*) FROM retail_order_refund WHERE state = 'held'"
                    " GROUP BY 1"
                )
            )
        ]
        return samples

    @api.model
    def _metric_source_identity(self, start, end, now):
        """Hook: ``retail_customers_total`` samples (outcome label: created,
        linked, prevented, merged...) in the window; identity resolution
        overrides it. The base knows no more than the partners it created."""
        return []

    @api.model
    def _metric_source_triage(self, start, end, now):
        Group = self.env["retail.exception.group"].sudo()
        samples = [
            Sample("retail_exception_groups_open", count, None, {"source": source})
            for source, count in Group._read_group(
                [("state", "=", "open")], ["source"], ["__count"]
            )
        ]
        samples += [
            Sample("retail_exception_occurrences_open", count, None, {"source": source})
            for source, count in self.env["retail.exception.occurrence"]
            .sudo()
            ._read_group([("state", "=", "open")], ["source"], ["__count"])
        ]
        return samples
