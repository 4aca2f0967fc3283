"""The comparison core of reconciliations, plain Python (no database)."""

import unittest
from datetime import datetime
from decimal import Decimal

from ..reconciliation import (
    CANCELLED,
    FULFILLED,
    MISSING_IN_CHANNEL,
    MISSING_IN_ODOO,
    OPEN,
    REFUND,
    STATUS,
    STOCK,
    TOTAL,
    OrderSummary,
    compare_orders,
    compare_stock,
    in_window,
    per_thousand,
    round_amount,
)

SINCE = datetime(2026, 11, 1)
UNTIL = datetime(2026, 11, 8)
DAY = datetime(2026, 11, 3, 12)


def summary(external_id, status=OPEN, total="10.00", currency="EUR", refunded="0", **kw):
    return OrderSummary(
        external_id=external_id,
        status=status,
        total=Decimal(total) if total is not None else None,
        currency=currency,
        refunded=Decimal(refunded) if refunded is not None else None,
        created_at=kw.pop("created_at", DAY),
        **kw,
    )


def kinds(result):
    return [(difference.kind, difference.key) for difference in result.differences]


class TestReconciliationCore(unittest.TestCase):
    def test_identical_sides_have_no_difference(self):
        orders = [summary("A"), summary("B", status=FULFILLED, total="99.90")]
        result = compare_orders(orders, list(orders), SINCE, UNTIL)
        self.assertEqual((result.compared, result.drifted, result.differences), (2, 0, []))

    def test_order_missing_on_either_side(self):
        result = compare_orders(
            [summary("A"), summary("B")], [summary("B"), summary("C")], SINCE, UNTIL
        )
        self.assertEqual(kinds(result), [(MISSING_IN_ODOO, "A"), (MISSING_IN_CHANNEL, "C")])
        self.assertEqual((result.compared, result.drifted), (3, 2))
        missing = result.differences[0]
        self.assertEqual(missing.channel_value, "open, 10.00 EUR, created 2026-11-03 12:00:00")
        self.assertIsNone(missing.odoo_value)
        self.assertEqual(missing.channel.external_id, "A")

    def test_status_total_and_refund_mismatches(self):
        channel = [
            summary("A", status=CANCELLED, raw_status="CANCELED"),
            summary("B", total="12.00"),
            summary("C", refunded="5.00"),
            summary("D", status=CANCELLED, total="1.00", refunded="1.00"),
        ]
        odoo = [summary("A"), summary("B"), summary("C"), summary("D")]
        result = compare_orders(channel, odoo, SINCE, UNTIL)
        self.assertEqual(
            kinds(result),
            [
                (STATUS, "A"),
                (TOTAL, "B"),
                (REFUND, "C"),
                (STATUS, "D"),
                (TOTAL, "D"),
                (REFUND, "D"),
            ],
        )
        self.assertEqual(result.drifted, 4, "an order with three differences drifts once")
        status, total, refund = result.differences[:3]
        self.assertEqual(
            (status.channel_value, status.odoo_value), ("cancelled (CANCELED)", "open")
        )
        self.assertEqual((total.channel_value, total.odoo_value), ("12.00 EUR", "10.00 EUR"))
        self.assertEqual((refund.channel_value, refund.odoo_value), ("5.00 EUR", "0.00 EUR"))

    def test_status_of_an_order_in_flight_is_not_compared(self):
        channel = [summary("A", status=OPEN)]
        odoo = [summary("A", status=FULFILLED, in_flight=True)]
        self.assertEqual(compare_orders(channel, odoo, SINCE, UNTIL).differences, [])
        odoo = [summary("A", status=FULFILLED, total="11.00", in_flight=True)]
        self.assertEqual(kinds(compare_orders(channel, odoo, SINCE, UNTIL)), [(TOTAL, "A")])

    def test_amounts_compare_at_the_currency_precision(self):
        channel = [
            summary("A", total="10.004"),
            summary("B", total="10.005"),
            summary("C", total="1000.4", currency="JPY", refunded="0.4"),
        ]
        odoo = [
            summary("A", total="10.00"),
            summary("B", total="10.00"),
            summary("C", total="1000", currency="JPY", refunded="0"),
        ]
        result = compare_orders(channel, odoo, SINCE, UNTIL, decimals={"EUR": 2, "JPY": 0})
        self.assertEqual(kinds(result), [(TOTAL, "B")])
        self.assertEqual(result.differences[0].channel_value, "10.01 EUR")

    def test_another_currency_is_a_total_mismatch(self):
        result = compare_orders([summary("A", currency="USD")], [summary("A")], SINCE, UNTIL)
        self.assertEqual(kinds(result), [(TOTAL, "A")])

    def test_unknown_amounts_are_not_compared(self):
        channel = [summary("A", total=None, refunded=None)]
        odoo = [summary("A", total="10.00", refunded="3.00")]
        self.assertEqual(compare_orders(channel, odoo, SINCE, UNTIL).differences, [])

    def test_window_is_half_open_and_one_side_in_it_is_enough(self):
        channel = [
            summary("start", created_at=SINCE),
            summary("end", created_at=UNTIL),
            summary("before", created_at=datetime(2026, 10, 31, 23, 59, 59)),
            summary("late-copy", created_at=datetime(2026, 10, 31, 23)),
            summary("undated", created_at=None),
        ]
        odoo = [summary("late-copy", created_at=SINCE, total="20.00")]
        result = compare_orders(channel, odoo, SINCE, UNTIL)
        self.assertEqual(kinds(result), [(TOTAL, "late-copy"), (MISSING_IN_ODOO, "start")])
        self.assertEqual(result.compared, 2)
        self.assertTrue(in_window(SINCE, SINCE, UNTIL))
        self.assertFalse(in_window(UNTIL, SINCE, UNTIL))
        self.assertFalse(in_window(None, SINCE, UNTIL))

    def test_stock_differences_skip_unknown_and_in_flight_skus(self):
        channel = {"MUG": 5, "TEE": 3, "CAP": 0, "ONLY-CHANNEL": 9, "BUSY": 1}
        odoo = {"MUG": 5, "TEE": 4, "CAP": Decimal("2"), "ONLY-ODOO": 1, "BUSY": 7}
        result = compare_stock(channel, odoo, in_flight={"BUSY"})
        self.assertEqual(result.compared, 3)
        self.assertEqual(
            [(d.kind, d.key, d.channel_value, d.odoo_value) for d in result.differences],
            [(STOCK, "CAP", "0", "2"), (STOCK, "TEE", "3", "4")],
        )

    def test_rates_and_rounding(self):
        self.assertEqual(per_thousand(2, 10), 200.0)
        self.assertEqual(per_thousand(1, 3), 333.33)
        self.assertEqual(per_thousand(5, 0), 0.0)
        self.assertEqual(round_amount("2.675", "EUR"), Decimal("2.68"))
        self.assertEqual(round_amount(2.5, "JPY", {"JPY": 0}), Decimal("3"))
        self.assertIsNone(round_amount(None, "EUR"))
        with self.assertRaisesRegex(ValueError, "not an amount"):
            round_amount("ten", "EUR")
