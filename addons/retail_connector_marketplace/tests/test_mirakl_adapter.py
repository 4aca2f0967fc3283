import json
import unittest
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from unittest.mock import patch

from odoo.tests import TransactionCase

from odoo.addons.retail_connector_base.adapters import get_adapter_class
from odoo.addons.retail_connector_base.adapters.base import EventValues
from odoo.addons.retail_connector_base.exceptions import (
    PayloadError,
    PermanentError,
    SignatureError,
)

from ..adapters.mirakl import REFUNDS_KEY, polled_order
from ..client import MiraklClient
from ..refund_mappers import refunds_to_canonical

SAMPLES = Path(__file__).resolve().parent / "samples"

ORDER = {
    "order_id": "A0001-A",
    "order_state": "WAITING_ACCEPTANCE",
    "last_updated_date": "2026-11-02T09:15:00Z",
    "currency_iso_code": "EUR",
    "customer": {"customer_id": "c-1", "billing_address": None, "shipping_address": None},
}


class TestMiraklAdapter(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.adapter = get_adapter_class("mirakl")(SimpleNamespace())

    def test_marketplace_sends_no_webhooks(self):
        with self.assertRaisesRegex(SignatureError, "polled"):
            self.adapter.verify_webhook({}, b"{}")

    def test_each_order_version_has_its_own_key(self):
        values = self.adapter.extract_event_values({}, ORDER)
        self.assertEqual(values.event_key, "A0001-A@2026-11-02T09:15:00Z")
        self.assertEqual(values.topic, "orders/waiting_acceptance")
        later = dict(ORDER, last_updated_date="2026-11-02T10:00:00Z", order_state="SHIPPING")
        self.assertNotEqual(
            self.adapter.extract_event_values({}, later).event_key, values.event_key
        )

    def test_order_without_id_or_date_is_refused(self):
        with self.assertRaises(PayloadError):
            self.adapter.extract_event_values({}, {"order_id": "A0001-A"})
        with self.assertRaises(PayloadError):
            polled_order({"order_id": "A0001-A"})

    def test_a_polled_order_is_one_version_of_the_order(self):
        record = polled_order(ORDER)
        self.assertEqual(record.event_values, self.adapter.extract_event_values({}, ORDER))
        self.assertEqual(record.updated_at, datetime(2026, 11, 2, 9, 15))
        self.assertEqual(json.loads(record.body), ORDER)
        with self.assertRaisesRegex(PermanentError, "not a Mirakl date"):
            polled_order(dict(ORDER, last_updated_date="yesterday"))

    def test_the_canonical_order_carries_the_refunds_of_its_lines(self):
        payload = json.loads((SAMPLES / "order_closed_refunded.json").read_text())
        order = self.adapter.to_canonical("orders/closed", payload, {})
        refunds = order.extra[REFUNDS_KEY]
        self.assertEqual(len(refunds), 2)
        self.assertEqual(refunds, refunds_to_canonical(payload))

    def test_refunds_with_a_return_reason_code_restock_their_units(self):
        payload = json.loads((SAMPLES / "order_closed_refunded.json").read_text())
        adapter = get_adapter_class("mirakl")(
            SimpleNamespace(mirakl_return_reason_codes=" DAMAGED , RETURNED")
        )
        refunds = adapter.to_canonical("orders/closed", payload, {}).extra[REFUNDS_KEY]
        self.assertTrue(refunds[0].lines[0].restock)


class TestMiraklPolledEvents(TransactionCase):
    def test_the_poll_stores_the_order_versions_updated_since_the_cursor(self):
        backend = self.env["retail.backend"].create(
            {
                "name": "Marketplace",
                "code": "mirakl",
                "mirakl_api_url": "http://127.0.0.1:1",
                "mirakl_api_key": "key",
                "state": "active",
            }
        )
        self.assertTrue(backend.support_polling)
        asked = []

        def orders(client, **kwargs):
            asked.append(kwargs)
            return iter([ORDER])

        with patch.object(MiraklClient, "orders", orders):
            result = backend._poll(force=True)
            again = backend._poll(force=True)
        self.assertTrue(result.startswith("1 order versions updated since"), result)
        self.assertTrue(result.endswith(", 1 new events."), result)
        self.assertTrue(again.endswith(", 0 new events."), again)
        self.assertEqual(asked[0]["page_size"], 100)
        self.assertEqual(
            asked[0]["start_update_date"].replace(tzinfo=UTC),
            (backend.create_date - timedelta(minutes=10)).replace(tzinfo=UTC),
        )
        self.assertEqual(backend.poll_cursor, datetime(2026, 11, 2, 9, 15))
        event = self.env["retail.event"].search([("backend_id", "=", backend.id)])
        self.assertEqual(
            (event.event_key, event.topic, event.source),
            ("A0001-A@2026-11-02T09:15:00Z", "orders/waiting_acceptance", "poll"),
        )

    def test_overlapping_polls_store_each_version_once(self):
        backend = self.env["retail.backend"].create(
            {"name": "Marketplace", "code": "mirakl", "mirakl_api_url": "http://127.0.0.1:1"}
        )
        adapter = backend._get_adapter()
        Event = self.env["retail.event"]
        for _poll in range(2):
            values = adapter.extract_event_values({}, ORDER)
            Event._insert_idempotent(
                backend._get_settings(), values, b'{"order_id": "A0001-A"}', source="poll"
            )
        events = Event.search([("backend_id", "=", backend.id)])
        self.assertEqual(len(events), 1)
        self.assertEqual(events.source, "poll")
        self.assertEqual(events.state, "received", "a draft backend stores, it does not process")
        self.assertIsInstance(values, EventValues)

    def test_marketplace_backend_shows_no_webhook_settings(self):
        backend = self.env["retail.backend"].create({"name": "Marketplace", "code": "mirakl"})
        self.assertFalse(backend.support_webhooks)
        generic = self.env["retail.backend"].create({"name": "POS", "code": "generic"})
        self.assertTrue(generic.support_webhooks)


def _line(line_id, quantity, price, cancelled=()):
    return {
        "order_line_id": line_id,
        "order_line_state": "SHIPPING",
        "quantity": quantity,
        "price": price,
        "shipping_price": 4.0,
        "total_price": price + 4.0,
        "taxes": [{"code": "TVA", "amount": round(price / 6, 2), "rate": 20}],
        "cancelations": [
            {
                "quantity": q,
                "amount": a,
                "shipping_amount": 0,
                "taxes": [{"code": "TVA", "amount": t}],
            }
            for q, a, t in cancelled
        ],
    }


class TestCancelledUnits(unittest.TestCase):
    """Line cancellations (OR30, the operator's) come off what Odoo sells."""

    def net(self, *lines, state="SHIPPING"):
        from ..adapters.mirakl import without_cancelled_units

        return without_cancelled_units(dict(ORDER, order_state=state, order_lines=list(lines)))

    def test_cancelled_units_come_off_quantity_amounts_and_taxes(self):
        payload = self.net(_line("A-1", 3, 30.0, cancelled=[(1, 10.0, 1.67)]), _line("A-2", 1, 6.0))
        first, second = payload["order_lines"]
        self.assertEqual(
            (first["quantity"], first["price"], first["total_price"], first["taxes"][0]["amount"]),
            (2, 20.0, 24.0, 3.33),
        )
        self.assertEqual(second, _line("A-2", 1, 6.0), "a line without cancellation is as sent")
        self.assertEqual(len(first["cancelations"]), 1, "kept for the record")

    def test_a_line_cancelled_whole_is_left_out(self):
        payload = self.net(
            _line("A-1", 2, 20.0, cancelled=[(1, 10, 1.67), (1, 10, 1.67)]), _line("A-2", 1, 6.0)
        )
        self.assertEqual([line["order_line_id"] for line in payload["order_lines"]], ["A-2"])

    def test_a_cancelled_order_keeps_its_lines(self):
        line = _line("A-1", 1, 10.0, cancelled=[(1, 10, 1.67)])
        payload = self.net(line, state="CANCELED")
        self.assertEqual(payload["order_lines"], [line])

    def test_unreadable_cancellations_are_left_to_the_mapper(self):
        line = _line("A-1", 2, 20.0, cancelled=[(1, "ten", 1.67)])
        self.assertEqual(self.net(line)["order_lines"], [line])
