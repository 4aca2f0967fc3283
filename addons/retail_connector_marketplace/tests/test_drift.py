"""Mirakl's side of a reconciliation run, plain Python (against the fake
Mirakl: tests/marketplace/test_drift_e2e.py)."""

import json
import unittest
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from odoo.addons.retail_connector_base.exceptions import PermanentError

from ..reconciliation import (
    offer_quantities,
    order_status,
    order_summary,
    stock_import_errors,
    stock_imports,
    stock_refusals,
)

SAMPLES = Path(__file__).parent / "samples"


def sample(name):
    return json.loads((SAMPLES / name).read_text())


class TestMiraklDrift(unittest.TestCase):
    def test_order_summary_has_the_imported_total(self):
        order = sample("order_shipping_tax_excluded.json")
        summary = order_summary(order)
        self.assertEqual(summary.external_id, str(order["order_id"]))
        self.assertEqual(summary.raw_status, order["order_state"])
        self.assertEqual(summary.currency, order["currency_iso_code"])
        self.assertIsInstance(summary.total, Decimal)
        self.assertEqual(summary.refunded, Decimal(0))
        self.assertEqual(
            summary.record.event_values.event_key,
            f"{order['order_id']}@{order['last_updated_date']}",
        )
        self.assertIsInstance(summary.created_at, datetime)

    def test_refunds_of_every_line_add_up(self):
        order = sample("order_closed_refunded.json")
        summary = order_summary(order)
        # Tax included: each refund's amount and shipping amount, paid or waiting.
        expected = Decimal("15.0") + Decimal("3.9")
        self.assertEqual(summary.refunded, expected)
        self.assertEqual(summary.status, "fulfilled")

    def test_unreadable_order_is_compared_without_amounts(self):
        order = sample("order_waiting_acceptance.json")
        order["order_lines"] = "not a list"
        summary = order_summary(order)
        self.assertEqual((summary.total, summary.refunded), (None, None))
        self.assertEqual(summary.status, "open")

    def test_statuses_and_offers(self):
        self.assertEqual(order_status("CANCELED"), "cancelled")
        self.assertEqual(order_status("REFUSED"), "cancelled")
        self.assertEqual(order_status("SHIPPED"), "fulfilled")
        self.assertEqual(order_status("SHIPPING"), "open")
        self.assertEqual(order_status("SOMETHING_NEW"), "open")
        offers = [
            {"shop_sku": "MUG", "quantity": 4},
            {"shop_sku": "MUG", "quantity": 9},
            {"shop_sku": "OTHER", "quantity": 1},
        ]
        self.assertEqual(offer_quantities(offers, ["MUG", "TEE"]), {"MUG": 4})

    def test_stock_imports_named_by_the_outbox_results(self):
        results = [
            "Import 12: MUG: 4, CAP: 0",
            "Sent with import 12 (message 7)",
            "Import 12: MUG: 4",
            None,
            "Import 9: BOWL: 1, SPO",  # cut short at 250 characters
        ]
        self.assertEqual(stock_imports(results), {"12": ["MUG", "CAP"], "9": ["BOWL"]})

    def test_error_report_read_in_either_layout(self):
        documented = (
            b'"error-line";"error-message";"offer-sku";"quantity"\n'
            b'"2";"The offer MUG does not exist";"MUG";"4"\n'
        )
        trailing = (
            '\ufeff"offer-sku";"quantity";"warehouse-code";"update-delete";"error-line";'
            '"error-message"\n"CAP";"-1";"";"update";"3";"quantity must be a whole number"\n'
        ).encode()
        self.assertEqual(
            stock_import_errors(documented), [("2", "MUG", "The offer MUG does not exist")]
        )
        self.assertEqual(
            stock_import_errors(trailing), [("3", "CAP", "quantity must be a whole number")]
        )
        self.assertEqual(stock_import_errors(b""), [])
        with self.assertRaisesRegex(PermanentError, "no offer-sku column"):
            stock_import_errors(b'"line";"reason"\n"2";"bad"\n')

    def test_refusals_of_an_import(self):
        errors = [("2", "MUG", "The offer MUG does not exist")]
        self.assertEqual(
            stock_refusals("12", {"status": "COMPLETE"}, errors, ["MUG", "CAP"]),
            {"MUG": "Import 12, line 2: The offer MUG does not exist"},
        )
        self.assertEqual(
            stock_refusals("13", {"import_status": "FAILED"}, [], ["MUG", "CAP"]),
            {
                "MUG": "Import 13 failed on the marketplace",
                "CAP": "Import 13 failed on the marketplace",
            },
        )
        self.assertEqual(stock_refusals("14", {"status": "COMPLETE"}, [], ["MUG"]), {})
