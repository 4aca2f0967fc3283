from datetime import timedelta

from odoo import api, models
from odoo.tools import SQL

from ..metrics import Sample
from ..services.circuit_breaker import HALF_OPEN, OPEN
from .retail_metric_sources import _window

NOT_CLOSED = (OPEN, HALF_OPEN)


class RetailMetricSnapshot(models.Model):
    """Metric sources of the calls Odoo answers and makes: the Channel API's
    calls (``retail.api.call``) and the circuit breakers of the endpoints it
    calls (``retail.circuit.breaker``)."""

    _inherit = "retail.metric.snapshot"

    @api.model
    def _metric_source_api(self, start, end, now):
        samples = [
            Sample("retail_api_calls_total", count, backend_id, {"status": f"{status_class}xx"})
            for backend_id, status_class, count in self._query(
                SQL(
                    "SELECT backend_id, status / 100, COUNT(*) FROM retail_api_call"
                    " WHERE %s GROUP BY 1, 2",
                    _window(SQL("called_at"), start, end),
                )
            )
        ]
        # Per backend, and overall (GROUPING = 1): calls of a key bound to
        # no backend count in the overall figures only.
        for backend_id, overall, p50, p95 in self._query(
            SQL(
                """SELECT backend_id, GROUPING(backend_id),
                          PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY latency_ms),
                          PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY latency_ms)
                     FROM retail_api_call
                    WHERE called_at > %s AND latency_ms IS NOT NULL
                    GROUP BY ROLLUP (backend_id)""",
                now - timedelta(hours=1),
            )
        ):
            if p50 is None or (backend_id is None and not overall):
                continue
            samples.append(Sample("retail_api_latency_p50_seconds", p50 / 1000.0, backend_id))
            samples.append(Sample("retail_api_latency_p95_seconds", p95 / 1000.0, backend_id))
        return samples

    @api.model
    def _metric_source_breakers(self, start, end, now):
        """Breakers not closed per backend, and overall (always, 0 included:
        an alert rule needs the series to exist)."""
        overall = dict.fromkeys(NOT_CLOSED, 0)
        samples = []
        for backend_id, state, count in self._query(
            SQL(
                "SELECT backend_id, state, COUNT(*) FROM retail_circuit_breaker"
                " WHERE state IN %s GROUP BY 1, 2",
                NOT_CLOSED,
            )
        ):
            overall[state] += count
            if backend_id:
                samples.append(
                    Sample("retail_circuit_breakers_open", count, backend_id, {"state": state})
                )
        samples += [
            Sample("retail_circuit_breakers_open", count, None, {"state": state})
            for state, count in overall.items()
        ]
        return samples
