"""Cancellations and credit notes decided in Odoo reach Shopify once; those
Shopify decided are never sent back. The store's API is one seam
(``ShopifyClient.graphql``) answered here by operation name."""

import copy
import re
from contextlib import contextmanager
from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.retail_connector_base.exceptions import TransientError

from ..client import ShopifyClient
from .test_shopify_import import ShopifyCase, _money, sample

ORDER = sample("order_create_taxes_included")
ORDER_GID = ORDER["admin_graphql_api_id"]
TEA_LINE, BOOK_LINE = (line["admin_graphql_api_id"] for line in ORDER["line_items"])
SALE = "gid://shopify/OrderTransaction/1"


@contextmanager
def shopify_api(answers):
    """Answer the client's GraphQL calls with ``answers[operation name]``
    (a dict, or a callable of the variables); yield the calls made."""
    calls = []

    def graphql(client, query, variables=None, cost=None):
        name = re.search(r"(?:query|mutation)\s+(\w+)", query)[1]
        calls.append((name, copy.deepcopy(variables)))
        answer = answers[name]
        return answer(variables) if callable(answer) else answer

    with patch.object(ShopifyClient, "graphql", graphql):
        yield calls


def transactions(refundable="78.80"):
    return {
        "order": {
            "id": ORDER_GID,
            "transactions": [
                {
                    "id": SALE,
                    "kind": "SALE",
                    "status": "SUCCESS",
                    "gateway": "shopify_payments",
                    "maximumRefundableV2": {"amount": refundable, "currencyCode": "EUR"},
                }
            ],
        }
    }


def refund_created(refund_id="gid://shopify/Refund/77", amount="29.00"):
    return {
        "refundCreate": {
            "refund": {
                "id": refund_id,
                "totalRefundedSet": {"presentmentMoney": {"amount": amount, "currencyCode": "EUR"}},
            },
            "userErrors": [],
        }
    }


@tagged("post_install", "-at_install")
class TestShopifyAfterSale(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop.shopify_access_token = "shpat_test"

    def outbox(self, kind):
        return self.env["retail.outbox"].search(
            [("backend_id", "=", self.shop.id), ("kind", "=", kind)]
        )

    def invoiced_order(self):
        self.process("orders/create", ORDER)
        order = self.shop_order(ORDER_GID)
        self.env["product.product"].search([("default_code", "like", "LH-")]).write(
            {"invoice_policy": "order"}
        )
        order.order_line._compute_qty_to_invoice()
        order._create_invoices().action_post()
        return order

    def credit_note(self, order, book=1, shipping=0.0):
        """A credit note made in Odoo: ``book`` books and ``shipping`` (tax included)."""
        book_line = order.order_line.filtered(lambda line: line.retail_line_id == BOOK_LINE)
        lines = [
            (
                0,
                0,
                {
                    "product_id": self.book.id,
                    "quantity": book,
                    "price_unit": book_line.price_unit,
                    "tax_ids": [(6, 0, book_line.tax_ids.ids)],
                    "sale_line_ids": [(6, 0, book_line.ids)],
                },
            )
        ]
        if shipping:
            shipping_line = order.order_line.filtered(lambda line: line.product_id == self.ship)
            lines.append(
                (
                    0,
                    0,
                    {
                        "product_id": self.ship.id,
                        "quantity": 1,
                        "price_unit": shipping,
                        "tax_ids": [(6, 0, shipping_line.tax_ids.ids)],
                    },
                )
            )
        return self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": order.partner_invoice_id.id,
                "currency_id": order.currency_id.id,
                "invoice_line_ids": lines,
            }
        )

    @property
    def ship(self):
        return self.env.ref("retail_connector_base.product_retail_shipping")

    def send(self, message):
        return self.run_job(message.job_id)

    def test_shopify_takes_cancellations_and_refunds(self):
        self.assertTrue(self.shop.support_cancellation_export)
        self.assertTrue(self.shop.support_refund_export)

    def test_a_cancellation_decided_in_odoo_is_sent_once(self):
        self.process("orders/create", ORDER)
        order = self.shop_order(ORDER_GID)
        order.with_context(disable_cancel_warning=True).action_cancel()
        message = self.outbox("cancellation")
        self.assertEqual(message._record(), order)
        cancelled = {"orderCancel": {"job": {"id": "gid://shopify/Job/1"}}}
        with shopify_api({"RetailOrderCancel": cancelled}) as calls:
            self.assertIsNone(self.send(message))
        [(name, variables)] = calls
        self.assertEqual(name, "RetailOrderCancel")
        self.assertEqual(variables["orderId"], ORDER_GID)
        self.assertEqual(variables["refundMethod"], {"originalPaymentMethodsRefund": True})
        self.assertTrue(variables["restock"])
        self.assertIn(order.name, variables["staffNote"])
        self.assertEqual(message.state, "done")
        self.assertIn("gid://shopify/Job/1", message.result)

    def test_an_order_shopify_already_cancelled_is_done(self):
        self.process("orders/create", ORDER)
        order = self.shop_order(ORDER_GID)
        order.with_context(disable_cancel_warning=True).action_cancel()
        message = self.outbox("cancellation")
        refused = {
            "orderCancel": {
                "job": None,
                "orderCancelUserErrors": [
                    {"field": ["orderId"], "message": "Already cancelled", "code": "INVALID"}
                ],
            }
        }
        read = {"order": {"id": ORDER_GID, "cancelledAt": "2026-11-03T13:30:00Z"}}
        with shopify_api({"RetailOrderCancel": refused, "RetailOrderCancelledAt": read}):
            self.send(message)
        self.assertEqual(message.state, "done")
        self.assertIn("already cancelled", message.result)

    def test_a_refused_cancellation_fails_with_shopifys_words(self):
        self.process("orders/create", ORDER)
        order = self.shop_order(ORDER_GID)
        order.with_context(disable_cancel_warning=True).action_cancel()
        message = self.outbox("cancellation")
        refused = {
            "orderCancel": {
                "job": None,
                "orderCancelUserErrors": [
                    {"field": ["orderId"], "message": "Order is fulfilled", "code": "INVALID"}
                ],
            }
        }
        read = {"order": {"id": ORDER_GID, "cancelledAt": None}}
        with shopify_api({"RetailOrderCancel": refused, "RetailOrderCancelledAt": read}):
            self.send(message)
        self.assertEqual(message.state, "failed")
        self.assertIn("Order is fulfilled", message.error)

    def test_a_cancellation_from_shopify_is_not_sent_back(self):
        self.process("orders/create", ORDER)
        cancelled = dict(
            copy.deepcopy(ORDER),
            updated_at="2026-11-03T14:30:00+01:00",
            cancelled_at="2026-11-03T14:30:00+01:00",
            cancel_reason="customer",
        )
        self.process("orders/cancelled", cancelled, webhook_id="wh-cancelled")
        self.assertEqual(self.shop_order(ORDER_GID).state, "cancel")
        self.assertFalse(self.outbox("cancellation"))

    def test_a_credit_note_is_sent_as_one_refund_with_its_lines_and_shipping(self):
        order = self.invoiced_order()
        credit_note = self.credit_note(order, book=1, shipping=4.90)
        credit_note.action_post()
        message = self.outbox("refund")
        self.assertEqual(message._record(), credit_note)
        answers = {
            "RetailOrderTransactions": transactions(),
            "RetailRefundCreate": refund_created(amount="33.90"),
        }
        with shopify_api(answers) as calls:
            self.assertIsNone(self.send(message))
        self.assertEqual(message.state, "done", message.error)
        [_read, (name, variables)] = calls
        self.assertEqual(name, "RetailRefundCreate")
        refund = variables["input"]
        self.assertEqual(
            refund["refundLineItems"],
            [{"lineItemId": BOOK_LINE, "quantity": 1, "restockType": "NO_RESTOCK"}],
        )
        self.assertEqual(refund["shipping"], {"amount": "4.90"})
        self.assertEqual(credit_note.amount_total, 33.90)
        self.assertEqual(
            refund["transactions"],
            [
                {
                    "orderId": ORDER_GID,
                    "parentId": SALE,
                    "gateway": "shopify_payments",
                    "kind": "REFUND",
                    "amount": "33.90",
                }
            ],
        )
        self.assertTrue(variables["idempotencyKey"])
        record = order.retail_refund_ids
        self.assertEqual(record.external_id, "gid://shopify/Refund/77")
        self.assertEqual(record.credit_note_id, credit_note)

    def test_a_retry_sends_the_same_idempotency_key(self):
        order = self.invoiced_order()
        credit_note = self.credit_note(order)
        credit_note.action_post()
        message = self.outbox("refund")

        def lost(variables):
            raise TransientError("Shopify answered 502")

        answers = {"RetailOrderTransactions": transactions(), "RetailRefundCreate": lost}
        with shopify_api(answers) as first:
            self.send(message)
        self.assertEqual((message.state, message.attempts), ("pending", 1))
        answers["RetailRefundCreate"] = refund_created()
        with shopify_api(answers) as second:
            self.send(message)
        self.assertEqual(message.state, "done", message.error)
        self.assertEqual(first[1][1]["idempotencyKey"], second[1][1]["idempotencyKey"])

    def test_a_credit_note_posted_again_is_sent_once(self):
        order = self.invoiced_order()
        credit_note = self.credit_note(order)
        credit_note.action_post()
        credit_note.button_draft()
        credit_note.action_post()
        self.assertEqual(len(self.outbox("refund")), 1)

    def test_more_than_shopify_can_refund_fails_without_a_call(self):
        order = self.invoiced_order()
        credit_note = self.credit_note(order)
        credit_note.action_post()
        message = self.outbox("refund")
        with shopify_api({"RetailOrderTransactions": transactions("10.00")}) as calls:
            self.send(message)
        self.assertEqual(message.state, "failed")
        self.assertIn("don't cover the credit note", message.error)
        self.assertEqual([name for name, _v in calls], ["RetailOrderTransactions"])

    def refund_webhook(self, refund_id, amount="29.00"):
        refund = copy.deepcopy(sample("refund_create"))
        book = ORDER["line_items"][1]
        refund.update(
            id=int(refund_id.rsplit("/", 1)[1]),
            admin_graphql_api_id=refund_id,
            order_id=ORDER["id"],
            order_adjustments=[],
        )
        refund["refund_line_items"] = [
            dict(
                refund["refund_line_items"][0],
                line_item_id=book["id"],
                line_item=dict(
                    refund["refund_line_items"][0]["line_item"],
                    id=book["id"],
                    admin_graphql_api_id=book["admin_graphql_api_id"],
                ),
                quantity=1,
                restock_type="no_restock",
                subtotal=27.10,
                total_tax=1.90,
                subtotal_set=_money("27.10"),
                total_tax_set=_money("1.90"),
            )
        ]
        refund["transactions"] = [dict(refund["transactions"][0], amount=amount, currency="EUR")]
        return refund

    def test_the_webhook_of_a_refund_sent_from_odoo_drafts_no_second_credit_note(self):
        order = self.invoiced_order()
        credit_note = self.credit_note(order)
        credit_note.action_post()
        answers = {
            "RetailOrderTransactions": transactions(),
            "RetailRefundCreate": refund_created(),
        }
        with shopify_api(answers):
            self.send(self.outbox("refund"))
        event = self.process("refunds/create", self.refund_webhook("gid://shopify/Refund/77"))
        self.assertEqual(event.state, "ignored", event.error)
        self.assertEqual(order.retail_refund_ids.credit_note_id, credit_note)
        credit_notes = order.invoice_ids.filtered(lambda m: m.move_type == "out_refund")
        self.assertEqual(credit_notes, credit_note)

    def test_a_shopify_refund_waits_while_odoos_refund_has_no_answer(self):
        order = self.invoiced_order()
        self.credit_note(order).action_post()
        message = self.outbox("refund")
        message.attempts = 1  # tried, the answer lost: Shopify may have refunded
        event = self.process("refunds/create", self.refund_webhook("gid://shopify/Refund/78"))
        self.assertEqual(event.state, "queued")
        self.assertIn("waits for the channel's answer", event.error)
        self.assertFalse(order.retail_refund_ids)

    def test_a_refund_from_shopify_is_not_sent_back(self):
        order = self.invoiced_order()
        event = self.process("refunds/create", self.refund_webhook("gid://shopify/Refund/79"))
        self.assertEqual(event.state, "done", event.error)
        order.retail_refund_ids.credit_note_id.action_post()
        self.assertEqual(order.retail_refund_ids.credit_note_id.state, "posted")
        self.assertFalse(self.outbox("refund"))
