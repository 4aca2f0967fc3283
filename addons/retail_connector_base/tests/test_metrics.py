import json
from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from odoo import fields
from odoo.tests import HttpCase, tagged

from ..models.retail_metric_snapshot import COUNTER_LAG
from .common import RetailCase, generic_order_payload, signed_generic_headers

TOKEN = "scrape-me-0123456789"


@tagged("post_install", "-at_install")
class TestMetrics(RetailCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Snapshot = cls.env["retail.metric.snapshot"]
        # Figures of earlier tests' data (other backends) don't matter: every
        # assertion reads this test's backend.
        cls.env["ir.config_parameter"].set_param("retail_connector_base.metrics_token", TOKEN)

    def deliver(self, payload):
        body = json.dumps(payload).encode()
        response = self.url_open(
            f"/retail/webhook/{self.backend.webhook_token}",
            data=body,
            headers=signed_generic_headers(body),
            method="POST",
        )
        self.assertEqual(response.status_code, 200, response.text)
        event = self.env["retail.event"].search(
            [("backend_id", "=", self.backend.id)], order="id desc", limit=1
        )
        self.run_event_job(event)
        return event

    def scrape(self, token=TOKEN):
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return self.url_open("/retail/metrics", headers=headers)

    def samples(self):
        """``{(sample name, frozenset of labels): value}`` of this backend."""
        response = self.scrape()
        self.assertEqual(response.status_code, 200, response.text)
        self.assertTrue(response.headers["Content-Type"].startswith("text/plain"))
        found = {}
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                labels = dict(sample.labels)
                if labels.pop("backend", self.backend.name) != self.backend.name:
                    continue
                labels.pop("channel", None)
                found[sample.name, frozenset(labels.items())] = sample.value
        return found

    def test_metrics_refuses_a_missing_or_wrong_token(self):
        self.Snapshot._cron_take_snapshot()
        self.assertEqual(self.scrape(token=None).status_code, 401)
        self.assertEqual(self.scrape(token="wrong").status_code, 401)
        self.assertEqual(self.scrape(token="").status_code, 401)
        response = self.url_open("/retail/metrics", headers={"Authorization": f"Basic {TOKEN}"})
        self.assertEqual(response.status_code, 401)
        self.env["ir.config_parameter"].set_param("retail_connector_base.metrics_token", False)
        self.assertEqual(self.scrape().status_code, 401)

    def test_metrics_match_the_database(self):
        good = self.deliver(generic_order_payload("M1")) | self.deliver(generic_order_payload("M2"))
        bad_payload = generic_order_payload("M3")
        bad_payload["data"]["lines"][0]["quantity"] = "many"
        bad = self.deliver(bad_payload)
        held_payload = generic_order_payload("M4")
        held_payload["data"]["lines"][0]["sku"] = "GHOST-1"
        held = self.deliver(held_payload)
        self.assertEqual(set(good.mapped("state")), {"done"})
        self.assertEqual(bad.state, "failed")
        orders = self.env["sale.order"].search([("retail_backend_id", "=", self.backend.id)])
        confirmed = orders.filtered("retail_confirmed_at")
        self.assertEqual(len(confirmed), 2)
        self.assertEqual(len(orders.filtered("retail_on_hold")), 1)
        # Known durations: one order confirmed 50 s after the channel's order
        # time, one 500 s after.
        now = fields.Datetime.now()
        confirmed[0].write({"date_order": now - timedelta(seconds=50), "retail_confirmed_at": now})
        confirmed[1].write({"date_order": now - timedelta(seconds=500), "retail_confirmed_at": now})
        self.env["retail.reconciliation.run"].create(
            {
                "backend_id": self.backend.id,
                "window_start": now - timedelta(hours=1),
                "window_end": now,
                "state": "done",
                "skus_compared": 40,
                "stock_differences": 3,
            }
        )
        # A second later: now() is truncated to the second, received_at is not.
        snapshot_at = fields.Datetime.now() + COUNTER_LAG + timedelta(seconds=1)
        self.Snapshot._take_snapshot(snapshot_at)
        found = self.samples()

        def value(name, **labels):
            return found[name, frozenset(labels.items())]

        events = self.env["retail.event"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(value("retail_events_received_total", source="webhook"), len(events))
        self.assertEqual(value("retail_events_processed_total", outcome="done"), 3)
        self.assertEqual(value("retail_events_processed_total", outcome="failed"), 1)
        finished = events.filtered(lambda e: e.state == "done")
        self.assertEqual(value("retail_event_processing_seconds_count"), len(finished))
        expected_sum = sum(
            max((e.processed_at - e.received_at).total_seconds(), 0) for e in finished
        )
        self.assertAlmostEqual(value("retail_event_processing_seconds_sum"), expected_sum, places=3)
        self.assertEqual(value("retail_orders_confirmed_total"), 2)
        self.assertEqual(value("retail_order_confirm_seconds_count"), 2)
        self.assertEqual(value("retail_order_confirm_seconds_bucket", le="60.0"), 1)
        self.assertEqual(value("retail_order_confirm_seconds_bucket", le="900.0"), 2)
        self.assertAlmostEqual(value("retail_order_confirm_seconds_sum"), 550, places=3)
        self.assertEqual(value("retail_order_sla_ratio", sla="confirm_2m"), 0.5)
        self.assertEqual(value("retail_order_sla_ratio", sla="confirm_15m"), 1.0)
        self.assertEqual(
            value(
                "retail_orders_on_hold",
                reason="unknown sku <n> (<value>): create the product, then retry.",
            ),
            1,
        )
        self.assertAlmostEqual(value("retail_inventory_mismatch_ratio"), 3 / 40)
        self.assertIn(held.id, events.ids)

        # Counters add the next window to the totals, never count twice.
        # The test's transaction dates every row by its start: the later
        # event is dated as it would be five minutes later.
        later = self.deliver(generic_order_payload("M5"))
        five_minutes = timedelta(minutes=5)
        self.env.cr.execute(
            "UPDATE retail_event SET received_at = received_at + %s,"
            " processed_at = processed_at + %s WHERE id = %s",
            (five_minutes, five_minutes, later.id),
        )
        self.Snapshot._take_snapshot(snapshot_at + five_minutes)
        again = self.samples()
        key = ("retail_events_received_total", frozenset({"source": "webhook"}.items()))
        self.assertEqual(again[key], len(events) + 1)
        key = ("retail_events_processed_total", frozenset({"outcome": "failed"}.items()))
        self.assertEqual(again[key], 1)

    def test_queue_depth_per_job_channel_matches_queue_job(self):
        self.store_event(generic_order_payload("Q1"))
        self.store_event(generic_order_payload("Q2"))
        self.Snapshot._cron_take_snapshot()
        response = self.scrape()
        depth = {}
        for family in text_string_to_metric_families(response.text):
            if family.name == "retail_queue_jobs":
                for sample in family.samples:
                    depth[sample.labels["job_channel"], sample.labels["state"]] = sample.value
        for channel, state, count in (
            self.env["queue.job"]
            .sudo()
            ._read_group([("state", "=", "pending")], ["channel", "state"], ["__count"])
        ):
            self.assertEqual(depth[channel, state], count)
        self.assertTrue(depth)

    def test_api_latency_and_open_breakers_are_exported(self):
        Call = self.env["retail.api.call"]
        # Ten calls of this backend answered in 10, 20... 100 ms; one call of
        # a key bound to no backend counts in the overall figures only.
        for latency in range(10, 101, 10):
            Call._record(
                {
                    "backend_id": self.backend.id,
                    "method": "POST",
                    "route": "/retail/api/v1/orders",
                    "status": 201 if latency < 100 else 422,
                    "latency_ms": latency,
                }
            )
        Call._record(
            {"method": "GET", "route": "/retail/api/v1/orders", "status": 200, "latency_ms": 5000}
        )
        breakers = self.env["retail.circuit.breaker.service"]
        for endpoint in ("http://carrier.test/labels", "http://other.test/labels"):
            breakers._allow(endpoint, label="Carrier", backend=self.backend, threshold=2)
            breakers._record_failure(endpoint, "HTTP 503")
            breakers._record_failure(endpoint, "HTTP 503")
        breakers._allow("http://closed.test/labels", backend=self.backend, threshold=2)
        self.assertEqual(
            self.env["retail.circuit.breaker"].search_count(
                [("backend_id", "=", self.backend.id), ("state", "=", "open")]
            ),
            2,
        )
        snapshot_at = fields.Datetime.now() + COUNTER_LAG + timedelta(seconds=1)
        self.Snapshot._take_snapshot(snapshot_at)
        found = self.samples()

        def value(name, **labels):
            return found[name, frozenset(labels.items())]

        # PERCENTILE_CONT interpolates: p50 of 10..100 ms is 55 ms, p95 95.5 ms.
        self.assertAlmostEqual(value("retail_api_latency_p50_seconds"), 0.055)
        self.assertAlmostEqual(value("retail_api_latency_p95_seconds"), 0.0955)
        self.assertEqual(value("retail_api_calls_total", status="2xx"), 9)
        self.assertEqual(value("retail_api_calls_total", status="4xx"), 1)
        self.assertEqual(value("retail_circuit_breakers_open", state="open"), 2)
        overall = {
            (name, labels): v
            for (name, labels), v in self._overall_samples().items()
            if name.startswith(("retail_api_latency", "retail_circuit_breakers_open"))
        }
        # Overall: the backend-less call is in it (11 calls: p50 60 ms).
        self.assertAlmostEqual(overall["retail_api_latency_p50_seconds", frozenset()], 0.06)
        self.assertGreaterEqual(
            overall["retail_circuit_breakers_open", frozenset({"state": "open"}.items())], 2
        )
        self.assertIn(
            ("retail_circuit_breakers_open", frozenset({"state": "half_open"}.items())), overall
        )

    def _overall_samples(self):
        """``{(sample name, labels): value}`` of the series of no backend."""
        found = {}
        for family in text_string_to_metric_families(self.scrape().text):
            for sample in family.samples:
                labels = dict(sample.labels)
                if labels.pop("backend", "") or labels.pop("channel", ""):
                    continue
                found[sample.name, frozenset(labels.items())] = sample.value
        return found

    def test_over_time_graph_averages_gauges_and_reads_counters_at_period_end(self):
        """The graph groups snapshots by period: twelve snapshots an hour of
        a gauge at 5 must read 5 (not 60), labels summed; a counter reads
        its total at the end of the period."""
        Series = self.env["retail.metric.series"]
        hour = fields.Datetime.now().replace(minute=0, second=0, microsecond=0)
        rows = []
        for minute in range(0, 60, 5):
            taken_at = hour + timedelta(minutes=minute)
            for reason, count in (("unknown sku", 2), ("no sales tax", 3)):
                rows.append(
                    {
                        "taken_at": taken_at,
                        "metric": "retail_orders_on_hold",
                        "kind": "gauge",
                        "backend_id": self.backend.id,
                        "labels": {"reason": reason},
                        "value": count,
                    }
                )
            rows.append(
                {
                    "taken_at": taken_at,
                    "metric": "retail_orders_confirmed_total",
                    "kind": "counter",
                    "backend_id": self.backend.id,
                    "value": 100 + minute,
                }
            )
        self.Snapshot.create(rows)
        self.env.flush_all()
        domain = [("backend_id", "=", self.backend.id), ("taken_at", ">=", hour)]
        groups = {
            metric: (level, peak)
            for metric, level, peak in Series._read_group(
                domain, ["metric"], ["level:avg", "peak:max"]
            )
        }
        self.assertEqual(groups["retail_orders_on_hold"][0], 5)
        self.assertEqual(groups["retail_orders_confirmed_total"][1], 155)
        # The graph's own query: grouped by hour, with the view's measure.
        [(_hour, level)] = Series._read_group(
            [*domain, ("metric", "=", "retail_orders_on_hold")], ["taken_at:hour"], ["level:avg"]
        )
        self.assertEqual(level, 5)
        graph = self.env.ref("retail_connector_base.retail_metric_series_view_graph")
        self.assertIn('name="level" type="measure"', graph.arch)
        self.assertEqual(Series._fields["level"].aggregator, "avg")
