"""Odoo's cancellations and credit notes -> the variables of Shopify's
``orderCancel`` and ``refundCreate``. Plain unit tests: the builders are
pure functions and need no database."""

import unittest

from odoo.addons.retail_connector_base.exceptions import PermanentError

from .. import refunds

ORDER = "gid://shopify/Order/5001"
MUG, TEE = "gid://shopify/LineItem/1", "gid://shopify/LineItem/2"
LOCATION = "gid://shopify/Location/1"


def payment(id_, refundable, kind="SALE", status="SUCCESS", gateway="shopify_payments"):
    return {
        "id": f"gid://shopify/OrderTransaction/{id_}",
        "kind": kind,
        "status": status,
        "gateway": gateway,
        "maximumRefundableV2": {"amount": refundable, "currencyCode": "EUR"},
    }


class TestRefunds(unittest.TestCase):
    def test_cancel_variables_refund_to_the_original_payment_and_restock(self):
        variables = refunds.cancel_variables(ORDER, notify_customer=True, staff_note="S0001")
        self.assertEqual(
            variables,
            {
                "orderId": ORDER,
                "reason": "OTHER",
                "refundMethod": {"originalPaymentMethodsRefund": True},
                "restock": True,
                "notifyCustomer": True,
                "staffNote": "S0001",
            },
        )

    def test_idempotency_key_is_stable_per_message_and_credit_note(self):
        key = refunds.refund_idempotency_key(7, 42)
        self.assertEqual(key, refunds.refund_idempotency_key(7, 42))
        self.assertNotEqual(key, refunds.refund_idempotency_key(8, 42))
        self.assertNotEqual(key, refunds.refund_idempotency_key(7, 43))
        self.assertEqual(len(key), 36)

    def test_lines_without_returned_goods_are_not_restocked(self):
        items = refunds.refund_line_items({MUG: 2.0}, {}, LOCATION)
        self.assertEqual(items, [{"lineItemId": MUG, "quantity": 2, "restockType": "NO_RESTOCK"}])

    def test_returned_units_are_restocked_the_rest_not(self):
        items = refunds.refund_line_items({MUG: 3.0, TEE: 1.0}, {MUG: 2.0, TEE: 4.0}, LOCATION)
        self.assertEqual(
            items,
            [
                {"lineItemId": MUG, "quantity": 2, "restockType": "RETURN", "locationId": LOCATION},
                {"lineItemId": MUG, "quantity": 1, "restockType": "NO_RESTOCK"},
                {"lineItemId": TEE, "quantity": 1, "restockType": "RETURN", "locationId": LOCATION},
            ],
        )

    def test_no_restock_without_a_location(self):
        items = refunds.refund_line_items({MUG: 1.0}, {MUG: 1.0}, None)
        self.assertEqual(items[0]["restockType"], "NO_RESTOCK")

    def test_fractional_quantities_are_refused(self):
        with self.assertRaisesRegex(PermanentError, "whole units"):
            refunds.refund_line_items({MUG: 1.5}, {}, LOCATION)

    def test_transactions_spread_the_amount_over_the_payments(self):
        transactions = [
            payment(1, "10.00"),
            payment(2, "0.00"),
            payment(3, "50.00", kind="AUTHORIZATION"),
            payment(4, "30.00", status="FAILURE"),
            payment(5, "30.00", kind="CAPTURE", gateway="paypal"),
        ]
        self.assertEqual(
            refunds.refund_transactions(ORDER, transactions, 25.5),
            [
                {
                    "orderId": ORDER,
                    "parentId": "gid://shopify/OrderTransaction/1",
                    "gateway": "shopify_payments",
                    "kind": "REFUND",
                    "amount": "10.00",
                },
                {
                    "orderId": ORDER,
                    "parentId": "gid://shopify/OrderTransaction/5",
                    "gateway": "paypal",
                    "kind": "REFUND",
                    "amount": "15.50",
                },
            ],
        )

    def test_more_than_the_payments_hold_is_refused(self):
        with self.assertRaisesRegex(PermanentError, r"can refund 10.00 of the 10.01 credited"):
            refunds.refund_transactions(ORDER, [payment(1, "10.00")], "10.01")
        with self.assertRaisesRegex(PermanentError, "don't cover"):
            refunds.refund_transactions(ORDER, [], "1")

    def test_refund_variables_with_and_without_shipping(self):
        lines = [{"lineItemId": MUG, "quantity": 1, "restockType": "NO_RESTOCK"}]
        variables = refunds.refund_variables(
            ORDER,
            line_items=lines,
            shipping=4.9,
            transactions=[],
            currency="EUR",
            note="RINV/1",
            key="k",
        )
        self.assertEqual(variables["idempotencyKey"], "k")
        self.assertEqual(variables["input"]["shipping"], {"amount": "4.90"})
        self.assertEqual(variables["input"]["refundLineItems"], lines)
        self.assertEqual(variables["input"]["currency"], "EUR")
        without = refunds.refund_variables(
            ORDER, line_items=[], shipping=0, transactions=[], currency="EUR", note="", key="k"
        )
        self.assertNotIn("shipping", without["input"])

    def test_summary_names_the_refund_and_its_amount(self):
        refund = {
            "id": "gid://shopify/Refund/9",
            "totalRefundedSet": {"presentmentMoney": {"amount": "24.90", "currencyCode": "EUR"}},
        }
        self.assertEqual(
            refunds.refund_summary(refund), "Refund gid://shopify/Refund/9 (24.90 EUR)"
        )
