from odoo.tests import tagged

from ..triage import HOLD_REASONS
from ..triage.runbooks import DEFAULT_RUNBOOK_BASE_URL, RUNBOOK_BASE_URL_PARAM, hold_reason_code
from .common import RetailCase, generic_order_payload

# Hold reasons as the suite writes them (one per kind), and their code.
WRITTEN_REASONS = {
    "Unknown SKU MUG-1 (Mug): create the product, then retry.": "unknown_sku",
    "No sales tax of 7 % (excluded) in company ACME: create it, then retry.": "missing_tax",
    "Currency XAU is not active in Odoo: activate it, then retry.": "inactive_currency",
    "Odoo's amounts differ from the channel's (EUR): total 10.00 against 10.50. Check the "
    "taxes and discounts, then retry.": "totals_mismatch",
    "The channel changed the lines after confirmation: review the order against the channel, "
    "then retry or adjust it by hand.": "lines_changed",
    "Cancelled on the channel (customer) after shipping: arrange the return or refund.": (
        "cancelled_after_shipping"
    ),
    "Customer Ada is blocked for channel orders: unblock them, then release or cancel the "
    "order.": "blocked_customer",
    "Customer Ada may be the same person as another customer: decide the identity review "
    "(Customer identity > Review queue), then retry or release the order.": "identity_review",
    "Credit limit of Ada exceeded: 1200.00 owed with this order, limit 1000.00.": "credit_limit",
    "The channel granted 35.0 % discount, more than the 20 % allowed: check it, then release "
    "or cancel the order.": "discount_limit",
    "Discount code(s) SUMMER match no promotion program in Odoo.": "unknown_promotion",
    "Fraud review: billing and shipping addresses differ. Check the order, then release or "
    "cancel it.": "fraud_review",
    "Shopify recommends cancelling this order (fraud risk): check it, then confirm or cancel "
    "it by hand.": "fraud_review",
    "Waiting for Shopify's fraud analysis; the order is checked again every few minutes.": (
        "fraud_review"
    ),
    "Waiting for the payment (pending on the channel).": "payment_pending",
    "Waiting for acceptance on the marketplace": "marketplace_acceptance",
    "Accepted: waiting for the marketplace to debit the customer": "marketplace_acceptance",
    "The customer opened an incident on the marketplace (line 2): answer it there.": (
        "marketplace_incident"
    ),
    "Only 1 of 2 units in stock and this channel ships complete orders: retry when the stock "
    "is in, or release or cancel.": "incomplete_stock",
    "Return R-1: line L-9 is not on the order.": "return_mismatch",
    "Refund F-1: the channel refunded 10.00, Odoo's credit note comes to 12.00 (difference "
    "2.00).": "refund_mismatch",
    "Something no rule knows.": "other",
}


@tagged("post_install", "-at_install")
class TestRunbooks(RetailCase):
    def test_every_written_hold_reason_has_its_kind(self):
        for reason, code in WRITTEN_REASONS.items():
            self.assertEqual(hold_reason_code(reason), code, reason)
        self.assertEqual(
            {code for code, _t, _p in HOLD_REASONS} - set(WRITTEN_REASONS.values()), set()
        )
        # Several reasons: the first one names the page.
        self.assertEqual(
            hold_reason_code("\nNo sales tax of 7 % (excluded) in company A\nUnknown SKU X"),
            "missing_tax",
        )

    def test_orders_groups_and_alerts_link_to_their_runbook(self):
        payload = generic_order_payload("RB1")
        payload["data"]["lines"][0]["sku"] = "GHOST-9"
        event = self.store_event(payload)
        self.run_event_job(event)
        order = self.env["sale.order"].search([("retail_external_id", "=", "RB1")])
        self.assertEqual(
            order.retail_hold_runbook_url, f"{DEFAULT_RUNBOOK_BASE_URL}/holds/unknown_sku.md"
        )
        Group = self.env["retail.exception.group"]
        Group._cron_triage()
        group = (
            self.env["retail.exception.occurrence"]
            .search([("res_model", "=", "sale.order"), ("res_id", "=", order.id)])
            .group_id
        )
        self.assertEqual(group.runbook_url, order.retail_hold_runbook_url)
        alert = self.env["retail.anomaly.alert"].create(
            {
                "backend_id": self.backend.id,
                "kind": "failure_spike",
                "hour_start": "2026-11-02 10:00:00",
            }
        )
        self.assertEqual(alert.runbook_url, f"{DEFAULT_RUNBOOK_BASE_URL}/alerts/failure_spike.md")
        # The docs' address is a setting (a company's own copy).
        self.env["res.config.settings"].create(
            {"retail_runbook_base_url": "https://wiki.example.com/runbooks/"}
        ).execute()
        self.assertEqual(
            self.env["ir.config_parameter"].get_param(RUNBOOK_BASE_URL_PARAM),
            "https://wiki.example.com/runbooks/",
        )
        self.env.invalidate_all()
        self.assertEqual(
            alert.runbook_url, "https://wiki.example.com/runbooks/alerts/failure_spike.md"
        )
        self.assertEqual(
            order.retail_hold_runbook_url, "https://wiki.example.com/runbooks/holds/unknown_sku.md"
        )
        # Failed events link to the page of their source.
        bad = generic_order_payload("RB2")
        bad["data"]["lines"][0]["quantity"] = "lots"
        failed = self.store_event(bad)
        self.run_event_job(failed)
        Group._cron_triage()
        event_group = (
            self.env["retail.exception.occurrence"]
            .search([("res_model", "=", "retail.event"), ("res_id", "=", failed.id)])
            .group_id
        )
        self.assertEqual(
            event_group.runbook_url, "https://wiki.example.com/runbooks/failures/event.md"
        )
