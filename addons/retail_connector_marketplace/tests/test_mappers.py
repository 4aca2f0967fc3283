"""Mirakl OR11 orders -> canonical objects, field by field.

Plain unit tests: the mappers are pure functions and need no database. The
samples in ``samples/`` are OR11 orders with Mirakl's field names and types
(JSON numbers, ``Z`` dates, alpha-3 countries, ``null`` addresses before
SHIPPING, fields this connector does not know).
"""

import copy
import json
import unittest
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from odoo.addons.retail_connector_base import schemas
from odoo.addons.retail_connector_base.exceptions import PermanentError

from .. import mappers, refund_mappers

SAMPLES = Path(__file__).resolve().parent / "samples"
ORDER_SAMPLES = (
    "order_waiting_acceptance",
    "order_shipping_tax_excluded",
    "order_closed_refunded",
    "order_canceled",
)
PaymentState = schemas.PaymentState


@cache
def _read(name):
    return json.loads((SAMPLES / f"{name}.json").read_text())


def sample(name):
    """A fresh copy of a sample payload, free to modify."""
    return copy.deepcopy(_read(name))


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def D(value):
    return Decimal(value)


class TestMiraklOrderMapper(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.payload = sample("order_waiting_acceptance")

    def map(self, payload=None):
        return mappers.order_to_canonical(payload or self.payload)

    def assertPermanentError(self, payload, path, message=None):
        with self.assertRaises(PermanentError) as caught:
            self.map(payload)
        self.assertEqual(caught.exception.path, path)
        if message:
            self.assertIn(message, str(caught.exception))
        return caught.exception

    # ---------------------------------------------------------- identity

    def test_every_sample_maps(self):
        for name in ORDER_SAMPLES:
            with self.subTest(name):
                order = self.map(sample(name))
                self.assertIsInstance(order, schemas.Order)
                self.assertEqual(order.extra["order_state"], _read(name)["order_state"])

    def test_order_ids_names_and_dates(self):
        order = self.map()
        self.assertEqual(order.external_id, "FR-2611-0042-A")
        self.assertEqual(order.name, "FR-2611-0042")
        self.assertEqual(order.created_at, utc(2026, 11, 2, 9, 12, 41))
        self.assertEqual(order.updated_at, utc(2026, 11, 2, 9, 15))
        self.assertEqual(order.currency, "EUR")
        self.assertEqual(
            [line.external_id for line in order.lines], ["FR-2611-0042-A-1", "FR-2611-0042-A-2"]
        )

    def test_name_falls_back_to_order_id(self):
        del self.payload["commercial_id"]
        self.assertEqual(self.map().name, "FR-2611-0042-A")

    def test_millisecond_dates_are_read(self):
        order = self.map(sample("order_shipping_tax_excluded"))
        self.assertEqual(order.created_at, utc(2026, 11, 2, 8, 30, 5, 120000))

    def test_date_without_zone_names_the_canonical_field(self):
        self.payload["created_date"] = "2026-11-02T09:12:41"
        self.assertPermanentError(self.payload, "created_at")

    def test_missing_order_id_names_the_field(self):
        del self.payload["order_id"]
        self.assertPermanentError(self.payload, "order_id")

    # ---------------------------------------------------------- customer

    def test_customer_before_shipping_has_no_address(self):
        order = self.map()
        self.assertIsNone(order.billing_address)
        self.assertIsNone(order.shipping_address)
        customer = order.customer
        self.assertEqual(customer.external_id, "c-78211")
        self.assertEqual((customer.first_name, customer.last_name), ("Camille", "Durand"))
        self.assertEqual(customer.lang, "fr_FR")
        self.assertIsNone(customer.default_address)
        self.assertEqual(customer.extra["civility"], "MRS")

    def test_relay_email_is_on_the_order_and_marked_on_the_customer(self):
        order = self.map()
        self.assertEqual(order.email, "a1b2c3d4e5@relay.marketplace.example")
        self.assertIsNone(order.customer.email)
        self.assertIs(order.customer.extra[mappers.RELAY_EMAIL_KEY], True)
        self.assertEqual(
            order.customer.extra["relay_email"], "a1b2c3d4e5@relay.marketplace.example"
        )

    def test_no_relay_email_no_mark(self):
        order = self.map(sample("order_canceled"))
        self.assertIsNone(order.email)
        self.assertNotIn(mappers.RELAY_EMAIL_KEY, order.customer.extra)

    def test_addresses_at_shipping_with_alpha2_countries(self):
        order = self.map(sample("order_shipping_tax_excluded"))
        billing, shipping = order.billing_address, order.shipping_address
        self.assertEqual(billing.country_code, "FR")
        self.assertEqual(billing.company, "Atelier Moreau SARL")
        self.assertEqual(billing.street, "12 rue de la République")
        self.assertIsNone(billing.street2)
        self.assertEqual((billing.zip, billing.city), ("69002", "Lyon"))
        self.assertEqual(shipping.country_code, "BE")
        self.assertEqual((shipping.first_name, shipping.last_name), ("Julien", "Moreau"))
        self.assertEqual(shipping.street2, "Boîte 7")
        self.assertEqual(shipping.phone, "+32 2 555 01 02")
        self.assertEqual(shipping.extra["additional_info"], "Code porte 4512")
        self.assertEqual(shipping.extra["country"], "Belgique")
        self.assertEqual(order.customer.default_address, billing)

    def test_countries_beyond_europe(self):
        payload = sample("order_shipping_tax_excluded")
        for alpha3, alpha2 in (("GBR", "GB"), ("USA", "US"), ("CHE", "CH"), ("NOR", "NO")):
            payload["customer"]["shipping_address"]["country_iso_code"] = alpha3
            with self.subTest(alpha3):
                self.assertEqual(self.map(payload).shipping_address.country_code, alpha2)

    def test_unknown_country_names_the_field(self):
        payload = sample("order_shipping_tax_excluded")
        payload["customer"]["shipping_address"]["country_iso_code"] = "XXX"
        self.assertPermanentError(payload, "customer.shipping_address.country_iso_code", "'XXX'")

    def test_blank_address_is_none(self):
        payload = sample("order_shipping_tax_excluded")
        payload["customer"]["billing_address"] = {
            "city": None,
            "country_iso_code": "",
            "street_1": " ",
        }
        order = self.map(payload)
        self.assertIsNone(order.billing_address)
        self.assertEqual(order.customer.default_address, order.shipping_address)

    def test_order_without_customer(self):
        self.payload["customer"] = None
        order = self.map()
        self.assertIsNone(order.customer)
        self.assertEqual(order.email, "a1b2c3d4e5@relay.marketplace.example")

    # ---------------------------------------------------------- lines

    def test_lines_sku_name_quantity_price_taxes(self):
        mug, teapot = self.map().lines
        self.assertEqual((mug.sku, mug.name), ("MUG-BLUE", "Blue stoneware mug"))
        self.assertEqual(mug.quantity, D(2))
        self.assertEqual(mug.unit_price, D("12.5"))
        self.assertEqual(mug.discount, D(0))
        [tax] = mug.tax_lines
        self.assertEqual((tax.title, tax.rate, tax.amount), ("TVA_FR_20", D("0.2"), D("4.17")))
        self.assertEqual(teapot.unit_price, D("39.9"))
        self.assertEqual(teapot.tax_lines[0].amount, D("6.65"))

    def test_line_extra_keeps_state_commission_and_unknown_fields(self):
        mug = self.map().lines[0]
        self.assertEqual(mug.extra["order_line_state"], "WAITING_ACCEPTANCE")
        self.assertEqual(mug.extra["commission_fee"], 3.0)
        self.assertEqual(mug.extra["product_sku"], "P-0098341")
        self.assertEqual(mug.extra["offer_state_code"], "11")
        self.assertNotIn("refunds", mug.extra)
        self.assertNotIn("product_medias", mug.extra)

    def test_refused_and_cancelled_lines_are_mapped_with_their_state(self):
        self.payload["order_lines"][1]["order_line_state"] = "REFUSED"
        order = self.map()
        self.assertEqual(len(order.lines), 2)
        self.assertEqual(order.lines[1].extra["order_line_state"], "REFUSED")

    def test_promotion_is_the_line_discount(self):
        [lamp] = self.map(sample("order_shipping_tax_excluded")).lines
        self.assertEqual(lamp.unit_price, D(20))
        self.assertEqual(lamp.quantity, D(3))
        self.assertEqual(lamp.discount, D(6))

    def test_tax_without_rate_gets_a_derived_one(self):
        del self.payload["order_lines"][1]["taxes"][0]["rate"]
        [tax] = self.map().lines[1].tax_lines
        # 6.65 on 39.90 taxes included: 6.65 / 33.25
        self.assertEqual(tax.rate, D("0.2"))
        self.assertIs(tax.extra["rate_derived"], True)

    def test_bad_amount_names_the_mirakl_field(self):
        self.payload["order_lines"][0]["taxes"][0]["amount"] = "four"
        self.assertPermanentError(self.payload, "order_lines.0.taxes.0.amount", "'four'")

    def test_missing_unit_price_names_the_mirakl_field(self):
        del self.payload["order_lines"][1]["price_unit"]
        self.assertPermanentError(self.payload, "order_lines.1.price_unit")

    def test_zero_quantity_names_the_canonical_field(self):
        self.payload["order_lines"][0]["quantity"] = 0
        self.assertPermanentError(self.payload, "lines.0.quantity")

    def test_rate_over_100_percent_names_the_canonical_field(self):
        self.payload["order_lines"][0]["taxes"][0]["rate"] = 120.0
        self.assertPermanentError(self.payload, "lines.0.tax_lines.0.rate")

    def test_float_amounts_keep_their_decimal_spelling(self):
        self.payload["order_lines"][0]["price_unit"] = 19.99  # 19.989999999999998... in binary
        self.assertEqual(str(self.map().lines[0].unit_price), "19.99")

    # ---------------------------------------------------------- shipping, totals

    def test_shipping_is_one_line_with_its_taxes(self):
        [shipping] = self.map().shipping_lines
        self.assertEqual(shipping.title, "Standard delivery")
        self.assertEqual(shipping.code, "STD")
        self.assertEqual(shipping.price, D("4.9"))
        [tax] = shipping.tax_lines
        self.assertEqual((tax.title, tax.rate, tax.amount), ("TVA_FR_20", D("0.2"), D("0.82")))

    def test_shipping_taxes_of_several_lines_add_up(self):
        line = self.payload["order_lines"][1]
        line["shipping_price"] = 1.1
        line["shipping_taxes"] = [{"amount": 0.18, "code": "TVA_FR_20", "rate": 20.0}]
        [shipping] = self.map().shipping_lines
        self.assertEqual(shipping.price, D("6.0"))
        self.assertEqual([t.amount for t in shipping.tax_lines], [D("1.00")])

    def test_shipping_title_defaults(self):
        del self.payload["shipping_type_label"]
        self.assertEqual(self.map().shipping_lines[0].title, "Shipping")

    def test_free_shipping_has_no_shipping_line(self):
        for line in self.payload["order_lines"]:
            line["shipping_price"] = 0.0
            line["shipping_taxes"] = []
        self.assertEqual(self.map().shipping_lines, [])

    def test_totals_taxes_included(self):
        order = self.map()
        self.assertTrue(order.taxes_included)
        # 4.17 + 6.65 on the lines, 0.82 on the shipping
        self.assertEqual(order.totals.tax, D("11.64"))
        self.assertEqual(order.totals.total, D("69.8"))
        self.assertEqual(order.totals.untaxed, D("58.16"))

    def test_totals_taxes_excluded_come_on_top(self):
        order = self.map(sample("order_shipping_tax_excluded"))
        self.assertFalse(order.taxes_included)
        self.assertEqual(order.totals.untaxed, D("60.0"))
        self.assertEqual(order.totals.tax, D("12.0"))
        self.assertEqual(order.totals.total, D("72.0"))
        self.assertEqual(order.shipping_lines[0].title, "Express")

    def test_totals_are_the_lines_not_a_stale_total_price(self):
        # total_price still counting a line the adapter left out (refused)
        payload = sample("order_shipping_tax_excluded")
        payload["total_price"] = 99.9
        order = self.map(payload)
        self.assertEqual((order.totals.untaxed, order.totals.total), (D("60.0"), D("72.0")))
        self.assertEqual(order.extra["total_price"], 99.9)
        payload["total_price"] = "sixty"
        self.assertPermanentError(payload, "total_price")

    def test_tax_mode_is_needed_when_there_are_taxes(self):
        del self.payload["order_tax_mode"]
        self.assertPermanentError(self.payload, "order_tax_mode")
        self.payload["order_tax_mode"] = "TAX_SOMETIMES"
        self.assertPermanentError(self.payload, "order_tax_mode", "TAX_SOMETIMES")

    def test_tax_mode_may_be_missing_without_taxes(self):
        del self.payload["order_tax_mode"]
        for line in self.payload["order_lines"]:
            line["taxes"] = line["shipping_taxes"] = []
        order = self.map()
        self.assertFalse(order.taxes_included)
        self.assertEqual(order.totals.tax, D(0))

    # ---------------------------------------------------------- states

    def test_status_mapping(self):
        expected = {
            "STAGING": (PaymentState.PENDING, "staging"),
            "WAITING_ACCEPTANCE": (PaymentState.PENDING, "waiting acceptance"),
            "WAITING_DEBIT": (PaymentState.PENDING, "waiting debit"),
            "WAITING_DEBIT_PAYMENT": (PaymentState.PENDING, "waiting debit payment"),
            "SHIPPING": (PaymentState.PAID, "shipping"),
            "SHIPPED": (PaymentState.PAID, "shipped"),
            "TO_COLLECT": (PaymentState.PAID, "to collect"),
            "RECEIVED": (PaymentState.PAID, "received"),
            "CLOSED": (PaymentState.PAID, "closed"),
            "REFUSED": (PaymentState.VOIDED, "refused"),
            "CANCELED": (PaymentState.VOIDED, "canceled"),
        }
        self.assertEqual(mappers.ORDER_STATE_MAPPING, expected)
        for state, (payment_state, status) in expected.items():
            self.payload["order_state"] = state
            with self.subTest(state):
                order = self.map()
                self.assertEqual(order.payment_state, payment_state)
                self.assertEqual(order.channel_status, status)
                self.assertEqual(order.cancelled_at is not None, state in ("REFUSED", "CANCELED"))

    def test_unknown_state_is_pending_with_its_words(self):
        self.payload["order_state"] = "WAITING_SCORING"
        order = self.map()
        self.assertEqual(order.payment_state, PaymentState.PENDING)
        self.assertEqual(order.channel_status, "waiting scoring")

    def test_missing_state_names_the_field(self):
        del self.payload["order_state"]
        self.assertPermanentError(self.payload, "order_state")

    def test_cancelled_order_reason_from_the_cancelations(self):
        order = self.map(sample("order_canceled"))
        self.assertEqual(order.cancelled_at, utc(2026, 11, 4, 7, 45, 10))
        self.assertEqual(order.cancel_reason, "PAYMENT_FAILED")
        self.assertEqual(order.payment_state, PaymentState.VOIDED)
        self.assertEqual(order.currency, "GBP")

    def test_cancel_reason_prefers_the_order_state_reason(self):
        payload = sample("order_canceled")
        payload["order_state_reason_code"] = "CUSTOMER_REQUEST"
        self.assertEqual(self.map(payload).cancel_reason, "CUSTOMER_REQUEST")

    def test_refused_order_is_cancelled(self):
        self.payload["order_state"] = "REFUSED"
        order = self.map()
        self.assertEqual(order.cancelled_at, utc(2026, 11, 2, 9, 15))
        self.assertEqual(order.cancel_reason, "refused")

    def test_paid_order_with_refunds_paid_back_is_partially_refunded(self):
        payload = sample("order_closed_refunded")
        self.assertEqual(self.map(payload).payment_state, PaymentState.PARTIALLY_REFUNDED)
        payload["fully_refunded"] = True
        self.assertEqual(self.map(payload).payment_state, PaymentState.REFUNDED)
        payload["fully_refunded"] = False
        payload["order_lines"][0]["refunds"][0]["state"] = "WAITING_REFUND"
        self.assertEqual(self.map(payload).payment_state, PaymentState.PAID)

    # ---------------------------------------------------------- extra

    def test_order_extra_keeps_commission_and_unknown_fields(self):
        self.payload["brand_new_field_2027"] = {"kept": True}
        extra = self.map().extra
        self.assertEqual(extra["total_commission"], 9.35)
        self.assertEqual(extra["brand_new_field_2027"], {"kept": True})
        self.assertEqual(extra["payment_workflow"], "PAY_ON_ACCEPTANCE")
        self.assertEqual(extra["channel"], {"code": "FR", "label": "France"})
        self.assertNotIn("order_lines", extra)
        self.assertNotIn("customer", extra)


class TestMiraklRefundMapper(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.payload = sample("order_closed_refunded")

    def test_every_line_refund_becomes_a_refund(self):
        refunds = refund_mappers.refunds_to_canonical(self.payload)
        self.assertEqual([r.external_id for r in refunds], ["4711", "4790"])
        self.assertTrue(all(r.order_external_id == "DE-5501-A" for r in refunds))

    def test_refund_of_a_unit_taxes_included(self):
        refund = refund_mappers.refunds_to_canonical(self.payload)[0]
        self.assertEqual(refund.created_at, utc(2026, 10, 28, 11, 30))
        self.assertEqual(refund.reason, "DAMAGED")
        [line] = refund.lines
        self.assertEqual(line.line_external_id, "DE-5501-A-1")
        self.assertEqual(line.quantity, D(1))
        self.assertEqual(line.subtotal, D("12.61"))
        self.assertEqual(line.tax, D("2.39"))
        self.assertEqual(refund.shipping, D(0))
        self.assertEqual(refund.amount, D("15.0"))
        self.assertEqual(refund.extra["state"], "REFUNDED")
        self.assertEqual(refund.extra["order_refund_id"], "RG-4711")
        self.assertEqual(refund.extra["commission_amount"], 1.8)

    def test_shipping_only_refund_has_no_line(self):
        refund = refund_mappers.refunds_to_canonical(self.payload)[1]
        self.assertEqual(refund.lines, [])
        self.assertEqual(refund.shipping, D("3.28"))
        self.assertEqual(refund.extra["shipping_tax"], "0.62")
        self.assertEqual(refund.amount, D("3.90"))
        self.assertEqual(refund.extra["order_line_id"], "DE-5501-A-2")

    def test_refund_taxes_excluded_adds_the_taxes(self):
        self.payload["order_tax_mode"] = "TAX_EXCLUDED"
        refund = refund_mappers.refunds_to_canonical(self.payload)[0]
        self.assertEqual(refund.lines[0].subtotal, D("15.0"))
        self.assertEqual(refund.amount, D("17.39"))

    def test_refund_for_returned_goods_restocks_its_line(self):
        refund = refund_mappers.refunds_to_canonical(self.payload)[0]
        self.assertFalse(refund.lines[0].restock, "no return reason configured")
        refunds = refund_mappers.refunds_to_canonical(
            self.payload, frozenset({"DAMAGED", "RETURN"})
        )
        self.assertTrue(refunds[0].lines[0].restock, "DAMAGED: the goods came back")
        self.assertEqual(refunds[1].lines, [], "a shipping refund returns nothing")
        refund = refund_mappers.refunds_to_canonical(self.payload, frozenset({"RETURN"}))[0]
        self.assertFalse(refund.lines[0].restock)

    def test_one_refund_alone(self):
        line = self.payload["order_lines"][0]
        refund = refund_mappers.refund_to_canonical(self.payload, line["refunds"][0], line)
        self.assertEqual(refund.external_id, "4711")

    def test_refund_without_id_names_the_field(self):
        del self.payload["order_lines"][1]["refunds"][0]["id"]
        with self.assertRaises(PermanentError) as caught:
            refund_mappers.refunds_to_canonical(self.payload)
        self.assertEqual(caught.exception.path, "order_lines.1.refunds.0.id")

    def test_order_without_refunds(self):
        self.assertEqual(
            refund_mappers.refunds_to_canonical(sample("order_waiting_acceptance")), []
        )
