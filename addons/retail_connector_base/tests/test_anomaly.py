from datetime import timedelta

from odoo import fields

from ..metrics.anomaly import detect_drop, detect_spike
from .common import RetailCase


class TestAnomalyCore(RetailCase):
    def test_drop_needs_history_and_a_real_silence(self):
        self.assertTrue(detect_drop(0, [10, 12, 9, 11]).anomalous)
        self.assertFalse(detect_drop(8, [10, 12, 9, 11]).anomalous)
        self.assertFalse(detect_drop(0, [10]).anomalous)  # one week tells nothing
        self.assertFalse(detect_drop(0, [1, 0, 2, 1]).anomalous)  # a quiet hour anyway

    def test_spike_is_far_above_the_usual(self):
        self.assertTrue(detect_spike(12, [1, 0, 2, 1]).anomalous)
        self.assertFalse(detect_spike(4, [1, 0, 2, 1]).anomalous)
        self.assertFalse(detect_spike(12, [10, 9, 11, 10]).anomalous)


class TestAnomalyAlerts(RetailCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hour = fields.Datetime.now().replace(minute=0, second=0, microsecond=0) - timedelta(
            hours=1
        )
        # The backend has four weeks of history.
        cls.env.cr.execute(
            "UPDATE retail_backend SET create_date = %s WHERE id = %s",
            (cls.hour - timedelta(weeks=5), cls.backend.id),
        )
        cls.backend.invalidate_recordset(["create_date"])
        cls.partner = cls.env["res.partner"].create({"name": "Buyer"})

    def orders_at(self, when, count):
        self.env["sale.order"].create(
            [
                {
                    "partner_id": self.partner.id,
                    "retail_backend_id": self.backend.id,
                    "date_order": when + timedelta(minutes=5 + index),
                }
                for index in range(count)
            ]
        )

    def normal_weeks(self):
        for week in range(1, 5):
            self.orders_at(self.hour - timedelta(weeks=week), 6)

    def test_a_silent_hour_raises_one_alert_with_one_activity(self):
        self.normal_weeks()
        Alert = self.env["retail.anomaly.alert"]
        alerts = Alert._detect(self.backend, self.hour)
        self.assertEqual(alerts.kind, "order_drop")
        self.assertEqual(alerts.expected, 6)
        self.assertEqual(alerts.observed, 0)
        self.assertEqual(len(alerts.activity_ids), 1)
        # The next silent hour extends the open alert: still one activity.
        again = Alert._detect(self.backend, self.hour - timedelta(hours=0))
        self.assertEqual(again, alerts)
        self.assertEqual(len(alerts.activity_ids), 1)

    def test_a_normal_hour_raises_nothing(self):
        self.normal_weeks()
        self.orders_at(self.hour, 5)
        self.assertFalse(self.env["retail.anomaly.alert"]._detect(self.backend, self.hour))
