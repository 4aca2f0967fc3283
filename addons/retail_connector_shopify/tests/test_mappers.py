"""Shopify webhook payloads -> canonical objects, field by field.

Plain unit tests: the mappers are pure functions and need no database. The
samples in ``samples/`` are webhook bodies with Shopify's field names and
types (REST shape, amounts as strings with ``*_set`` twins, refund line
amounts as numbers, 64-bit ids, offset timestamps, explicit nulls).
"""

import copy
import json
import unittest
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

from odoo.addons.retail_connector_base import schemas
from odoo.addons.retail_connector_base.exceptions import PermanentError

from .. import mappers

SAMPLES = Path(__file__).resolve().parent / "samples"
ORDER_SAMPLES = (
    "order_create_taxes_excluded",
    "order_create_taxes_included",
    "order_guest_no_customer",
    "order_protected_data",
    "order_cancelled",
)
CENT = Decimal("0.01")


@cache
def _read(name):
    return json.loads((SAMPLES / f"{name}.json").read_text())


def sample(name):
    """A fresh copy of a sample payload, free to modify."""
    return copy.deepcopy(_read(name))


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def drop_sets(data):
    """Remove every ``*_set`` twin, as in payloads without them."""
    if isinstance(data, dict):
        return {k: drop_sets(v) for k, v in data.items() if not k.endswith("_set")}
    if isinstance(data, list):
        return [drop_sets(v) for v in data]
    return data


class TestShopifyOrderMapper(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.payload = sample("order_create_taxes_excluded")

    def map(self, payload=None, **kwargs):
        return mappers.order_to_canonical(payload or self.payload, **kwargs)

    # ---------------------------------------------------------- identity

    def test_external_ids_are_admin_graphql_gids(self):
        order = self.map()
        self.assertIsInstance(order, schemas.Order)
        self.assertEqual(order.external_id, "gid://shopify/Order/6523147829473")
        self.assertEqual(order.name, "#1042")
        self.assertEqual(
            [line.external_id for line in order.lines],
            [
                "gid://shopify/LineItem/16012345678901",
                "gid://shopify/LineItem/16012345678902",
                "gid://shopify/LineItem/16012345678903",
            ],
        )
        self.assertEqual(order.customer.external_id, "gid://shopify/Customer/7123456789012")

    def test_gids_are_built_from_ids_when_missing(self):
        del self.payload["admin_graphql_api_id"]
        del self.payload["line_items"][0]["admin_graphql_api_id"]
        del self.payload["customer"]["admin_graphql_api_id"]
        order = self.map()
        self.assertEqual(order.external_id, "gid://shopify/Order/6523147829473")
        self.assertEqual(order.lines[0].external_id, "gid://shopify/LineItem/16012345678901")
        self.assertEqual(order.customer.external_id, "gid://shopify/Customer/7123456789012")

    def test_timestamps_with_offsets_are_normalised_to_utc(self):
        order = self.map()
        self.assertEqual(order.created_at, utc(2026, 11, 2, 18, 15, 42))
        self.assertEqual(order.updated_at, utc(2026, 11, 2, 18, 15, 44))
        self.assertEqual(order.created_at.utcoffset().total_seconds(), 0)
        cancelled = self.map(sample("order_cancelled"))
        self.assertEqual(cancelled.cancelled_at, utc(2026, 11, 4, 8, 12, 30))

    # ---------------------------------------------------------- money

    def test_presentment_money_is_the_default(self):
        order = self.map()
        self.assertEqual(order.currency, "CAD")
        self.assertEqual(order.lines[0].unit_price, Decimal("34.00"))
        self.assertEqual(order.totals.total, Decimal("142.14"))
        self.assertEqual(order.extra["money"], "presentment_money")

    def test_shop_money_gives_shop_currency_and_amounts(self):
        order = self.map(money="shop_money")
        self.assertEqual(order.currency, "USD")
        self.assertEqual(
            [line.unit_price for line in order.lines],
            [Decimal("24.31"), Decimal("13.23"), Decimal("3.58")],
        )
        self.assertEqual(
            [line.discount for line in order.lines],
            [Decimal("4.86"), Decimal("3.97"), Decimal("0.36")],
        )
        self.assertEqual(order.shipping_lines[0].price, Decimal("8.58"))
        self.assertEqual(order.lines[0].tax_lines[0].amount, Decimal("2.19"))
        self.assertEqual(order.totals.total, Decimal("101.64"))
        self.assertEqual(order.totals.tax, Decimal("10.36"))
        self.assertEqual(order.extra["money"], "shop_money")

    def test_amounts_are_decimals_from_strings_and_numbers(self):
        line = self.payload["line_items"][1]
        line["price_set"]["presentment_money"]["amount"] = 18.5  # a JSON number
        line["discount_allocations"][0]["amount_set"]["presentment_money"]["amount"] = 5.55
        self.payload["total_price_set"]["presentment_money"]["amount"] = 142.14
        order = self.map()
        self.assertEqual(order.lines[1].unit_price, Decimal("18.5"))
        self.assertEqual(order.lines[1].discount, Decimal("5.55"))  # not 5.5499999...
        self.assertEqual(order.totals.total, Decimal("142.14"))
        for amount in (order.lines[1].unit_price, order.totals.tax, order.totals.untaxed):
            self.assertIsInstance(amount, Decimal)

    def test_plain_fields_are_used_without_sets(self):
        payload = drop_sets(sample("order_create_taxes_included"))
        order = self.map(payload)
        self.assertEqual(order.currency, "EUR")
        self.assertEqual(order.lines[0].unit_price, Decimal("24.90"))
        self.assertEqual(order.shipping_lines[0].discount, Decimal("4.90"))
        self.assertEqual(order.totals.total, Decimal("78.80"))

    def test_plain_fields_are_refused_for_another_presentment_currency(self):
        # The plain fields are in USD: they can't stand in for CAD amounts.
        del self.payload["line_items"][0]["price_set"]
        with self.assertRaises(PermanentError) as caught:
            self.map()
        self.assertEqual(caught.exception.path, "line_items.0.price_set")
        self.assertEqual(self.map(money="shop_money").lines[0].unit_price, Decimal("24.31"))

    def test_set_in_another_currency_is_refused(self):
        self.payload["total_tax_set"]["presentment_money"]["currency_code"] = "EUR"
        with self.assertRaisesRegex(PermanentError, "amount in EUR, expected CAD") as caught:
            self.map()
        self.assertEqual(caught.exception.path, "total_tax_set.presentment_money.currency_code")

    def test_unknown_money_side_is_a_programming_error(self):
        with self.assertRaises(ValueError):
            self.map(money="usd")

    # ---------------------------------------------------------- lines

    def test_line_fields(self):
        beanie, socks, wrap = self.map().lines
        self.assertEqual(beanie.sku, "NW-BEANIE-CHR")
        self.assertEqual(beanie.name, "Merino Wool Beanie - Charcoal")
        self.assertEqual(beanie.quantity, Decimal(2))
        self.assertEqual(beanie.unit_price, Decimal("34.00"))  # before discounts
        self.assertEqual(beanie.discount, Decimal("6.80"))
        self.assertEqual(socks.quantity, Decimal(3))
        self.assertEqual(socks.discount, Decimal("5.55"))
        self.assertEqual(beanie.extra["variant_id"], 49012345678901)
        self.assertEqual(beanie.extra["current_quantity"], 2)
        self.assertEqual(wrap.extra["properties"], [{"name": "Paper", "value": "Kraft"}])

    def test_line_without_sku_keeps_sku_none(self):
        wrap = self.map().lines[2]
        self.assertIsNone(wrap.sku)
        self.assertEqual(wrap.name, "Gift wrapping")
        self.payload["line_items"][0]["sku"] = ""
        self.assertIsNone(self.map().lines[0].sku)

    def test_line_name_falls_back_to_title(self):
        self.payload["line_items"][0]["name"] = None
        self.assertEqual(self.map().lines[0].name, "Merino Wool Beanie")

    def test_quantity_is_the_ordered_one_current_quantity_goes_to_extra(self):
        line = self.map(sample("order_cancelled")).lines[0]
        self.assertEqual(line.quantity, Decimal(1))
        self.assertEqual(line.extra["current_quantity"], 0)

    def test_discount_allocations_are_summed_per_line(self):
        allocations = self.payload["line_items"][0]["discount_allocations"]
        second = copy.deepcopy(allocations[0])
        second["amount_set"]["presentment_money"]["amount"] = "3.40"
        second["discount_application_index"] = 1
        allocations.append(second)
        order = self.map()
        self.assertEqual(order.lines[0].discount, Decimal("10.20"))
        self.assertEqual(order.lines[1].discount, Decimal("5.55"))

    def test_line_without_discount_allocations_has_no_discount(self):
        order = self.map(sample("order_create_taxes_included"))
        self.assertEqual([line.discount for line in order.lines], [Decimal(0), Decimal(0)])

    def test_tax_lines(self):
        beanie = self.map().lines[0]
        self.assertEqual(
            [(tax.title, tax.rate, tax.amount) for tax in beanie.tax_lines],
            [
                ("GST", Decimal("0.05"), Decimal("3.06")),
                ("BC PST", Decimal("0.07"), Decimal("4.28")),
            ],
        )
        book = self.map(sample("order_create_taxes_included")).lines[1]
        self.assertEqual(
            [(tax.title, tax.rate, tax.amount) for tax in book.tax_lines],
            [("DE MwSt", Decimal("0.07"), Decimal("1.90"))],
        )

    # ---------------------------------------------------------- shipping

    def test_paid_shipping_line(self):
        (shipping,) = self.map().shipping_lines
        self.assertEqual(shipping.title, "Standard Shipping")
        self.assertEqual(shipping.code, "Standard")
        self.assertEqual(shipping.price, Decimal("12.00"))
        self.assertEqual(shipping.discount, Decimal(0))
        self.assertEqual(
            [(tax.title, tax.rate, tax.amount) for tax in shipping.tax_lines],
            [("GST", Decimal("0.05"), Decimal("0.60"))],
        )
        self.assertEqual(shipping.extra["id"], 5012345678901)

    def test_free_shipping_is_a_discount_allocated_to_the_shipping_line(self):
        (shipping,) = self.map(sample("order_create_taxes_included")).shipping_lines
        self.assertEqual(shipping.title, "DHL Paket")
        self.assertEqual(shipping.price, Decimal("4.90"))
        self.assertEqual(shipping.discount, Decimal("4.90"))
        self.assertEqual(shipping.tax_lines[0].amount, Decimal("0.00"))

    def test_shipping_discount_allocations_are_summed(self):
        payload = sample("order_create_taxes_included")
        allocations = payload["shipping_lines"][0]["discount_allocations"]
        allocations[0]["amount_set"]["presentment_money"]["amount"] = "3.00"
        allocations.append(copy.deepcopy(allocations[0]))
        allocations[1]["amount_set"]["presentment_money"]["amount"] = "1.90"
        self.assertEqual(self.map(payload).shipping_lines[0].discount, Decimal("4.90"))

    def test_shipping_title_falls_back_to_code(self):
        self.payload["shipping_lines"][0]["title"] = None
        self.assertEqual(self.map().shipping_lines[0].title, "Standard")

    # ---------------------------------------------------------- discounts, totals

    def test_order_discounts_stay_on_the_lines_and_in_extra(self):
        order = self.map()
        self.assertEqual(order.discount_lines, [])
        self.assertEqual(order.extra["discount_codes"][0]["code"], "WELCOME10")
        self.assertEqual(order.extra["discount_applications"][0]["value_type"], "percentage")
        self.assertEqual(sum(line.discount for line in order.lines), Decimal("12.85"))
        self.assertEqual(order.extra["total_discounts"], "12.85")

    def test_totals_are_shopifys_original_figures(self):
        totals = self.map().totals
        self.assertEqual(totals.total, Decimal("142.14"))
        self.assertEqual(totals.tax, Decimal("14.49"))
        self.assertEqual(totals.untaxed, Decimal("127.65"))

    def test_current_totals_go_to_extra_not_to_the_totals(self):
        order = self.map(sample("order_cancelled"))
        self.assertEqual(order.totals.total, Decimal("83.95"))
        self.assertEqual(order.totals.tax, Decimal("14.57"))
        self.assertEqual(order.totals.untaxed, Decimal("69.38"))
        self.assertEqual(order.extra["current_total_price"], "0.00")
        self.assertEqual(order.extra["current_total_tax"], "0.00")
        self.assertEqual(order.extra["current_subtotal_price"], "0.00")

    def test_taxes_included(self):
        self.assertFalse(self.map().taxes_included)
        order = self.map(sample("order_create_taxes_included"))
        self.assertTrue(order.taxes_included)
        self.assertEqual(order.totals.total, Decimal("78.80"))
        self.assertEqual(order.totals.untaxed, Decimal("68.95"))

    def test_sample_totals_are_consistent(self):
        """What the importer will check: lines - discounts + shipping (+ tax
        when excluded) = total_price, and each tax line is its rate applied
        to its line, rounded per line."""
        for name in ORDER_SAMPLES:
            for money in mappers.MONEY_SIDES:
                with self.subTest(sample=name, money=money):
                    payload = sample(name)
                    order = self.map(payload, money=money)
                    lines = sum(
                        (line.unit_price * line.quantity - line.discount for line in order.lines),
                        Decimal(0),
                    )
                    shipping = sum(
                        (line.price - line.discount for line in order.shipping_lines), Decimal(0)
                    )
                    taxed = [*order.lines, *order.shipping_lines]
                    tax = sum((tax.amount for line in taxed for tax in line.tax_lines), Decimal(0))
                    self.assertEqual(tax, order.totals.tax)
                    expected = lines + shipping + (0 if order.taxes_included else tax)
                    self.assertEqual(expected, order.totals.total)
                    self.assertEqual(order.totals.untaxed, order.totals.total - order.totals.tax)
                    # Shopify's own subtotals agree with the lines.
                    self.assertEqual(Decimal(order.extra["subtotal_price"]), lines)
                    self.assertEqual(
                        Decimal(order.extra["total_line_items_price"]),
                        sum((li.unit_price * li.quantity for li in order.lines), Decimal(0)),
                    )
                    for line in taxed:
                        if isinstance(line, schemas.OrderLine):
                            base = line.unit_price * line.quantity - line.discount
                        else:
                            base = line.price - line.discount
                        for tax_line in line.tax_lines:
                            rate = tax_line.rate
                            raw = base * rate / (1 + rate) if order.taxes_included else base * rate
                            self.assertEqual(
                                raw.quantize(CENT, ROUND_HALF_UP), tax_line.amount, line.extra
                            )

    # ---------------------------------------------------------- statuses

    def test_payment_state_from_financial_status(self):
        expected = {
            "pending": "pending",
            "authorized": "authorized",
            "partially_paid": "partially_paid",
            "paid": "paid",
            "partially_refunded": "partially_refunded",
            "refunded": "refunded",
            "voided": "voided",
            "expired": "voided",
            None: "pending",
            "PAID": "paid",
            "some_new_status": "pending",
        }
        for status, state in expected.items():
            with self.subTest(financial_status=status):
                self.payload["financial_status"] = status
                order = self.map()
                self.assertEqual(order.payment_state, schemas.PaymentState(state))
                self.assertEqual(order.extra["financial_status"], status)

    def test_payment_state_of_the_samples(self):
        self.assertEqual(self.map().payment_state, schemas.PaymentState.PAID)
        states = {
            "order_guest_no_customer": schemas.PaymentState.PENDING,
            "order_protected_data": schemas.PaymentState.AUTHORIZED,
            "order_cancelled": schemas.PaymentState.REFUNDED,
        }
        for name, state in states.items():
            with self.subTest(sample=name):
                self.assertEqual(self.map(sample(name)).payment_state, state)

    def test_channel_status(self):
        cases = [
            ({}, "open"),
            ({"fulfillment_status": "partial"}, "partially fulfilled"),
            ({"fulfillment_status": "fulfilled"}, "fulfilled"),
            ({"fulfillment_status": "restocked"}, "restocked"),
            ({"closed_at": "2026-11-12T09:00:00-08:00"}, "closed"),
            (
                {"fulfillment_status": "fulfilled", "closed_at": "2026-11-12T09:00:00-08:00"},
                "fulfilled",
            ),
            (
                {"cancelled_at": "2026-11-03T08:00:00-08:00", "fulfillment_status": "partial"},
                "cancelled",
            ),
        ]
        for changes, status in cases:
            with self.subTest(**changes):
                payload = sample("order_create_taxes_excluded")
                payload.update(changes)
                self.assertEqual(self.map(payload).channel_status, status)

    def test_cancelled_order(self):
        order = self.map(sample("order_cancelled"))
        self.assertEqual(order.channel_status, "cancelled")
        self.assertEqual(order.cancel_reason, "customer")
        self.assertEqual(order.cancelled_at, utc(2026, 11, 4, 8, 12, 30))
        self.assertEqual(order.extra["closed_at"], "2026-11-04T09:12:31+01:00")
        self.assertIsNone(self.map().cancelled_at)
        self.assertIsNone(self.map().cancel_reason)

    # ---------------------------------------------------------- customer, addresses

    def test_customer_contact_and_note(self):
        order = self.map()
        self.assertEqual(order.email, "maya.chen@example.com")
        self.assertEqual(order.phone, "+16045550142")
        self.assertEqual(order.note, "Please leave the parcel with the concierge.")
        customer = order.customer
        self.assertEqual((customer.first_name, customer.last_name), ("Maya", "Chen"))
        self.assertEqual(customer.email, "maya.chen@example.com")
        self.assertEqual(customer.default_address.street, "1200 Burrard Street")
        # Customers embedded in orders carry no consent since API 2025-01.
        self.assertIsNone(customer.consent)

    def test_order_email_falls_back_to_contact_email(self):
        self.payload["email"] = ""
        self.payload["contact_email"] = "contact@example.com"
        self.assertEqual(self.map().email, "contact@example.com")

    def test_billing_and_shipping_addresses(self):
        order = self.map()
        billing, shipping = order.billing_address, order.shipping_address
        self.assertEqual(
            billing.model_dump(exclude={"extra"}),
            {
                "first_name": "Maya",
                "last_name": "Chen",
                "company": None,
                "street": "1200 Burrard Street",
                "street2": "Unit 804",
                "city": "Vancouver",
                "state_code": "BC",
                "zip": "V6Z 2C7",
                "country_code": "CA",
                "phone": "+16045550142",
                "email": None,
            },
        )
        self.assertEqual(shipping.company, "Chen Design Studio")
        self.assertEqual(shipping.street, "455 Granville Street")
        self.assertEqual(shipping.street2, "Suite 300")
        self.assertEqual(shipping.zip, "V6C 1T1")
        self.assertEqual(shipping.extra["province"], "British Columbia")

    def test_address_without_province_code(self):
        address = self.map(sample("order_create_taxes_included")).shipping_address
        self.assertIsNone(address.state_code)
        self.assertIsNone(address.street2)
        self.assertEqual(address.street, "Schönhauser Allee 112")
        self.assertEqual(address.country_code, "DE")

    def test_guest_checkout_has_no_customer(self):
        order = self.map(sample("order_guest_no_customer"))
        self.assertIsNone(order.customer)
        self.assertEqual(order.email, "jordan.alvarez@example.net")
        self.assertIsNone(order.phone)
        self.assertEqual(order.billing_address.name, "Jordan Alvarez")
        self.assertEqual(order.shipping_address.street2, "Apt 3R")
        self.assertEqual(order.shipping_address.state_code, "NY")
        self.assertEqual(order.extra["total_outstanding"], "53.11")

    def test_protected_customer_data_arrives_as_nulls(self):
        order = self.map(sample("order_protected_data"))
        customer = order.customer
        self.assertEqual(customer.external_id, "gid://shopify/Customer/7345678901234")
        for field in ("email", "phone", "first_name", "last_name", "default_address"):
            self.assertIsNone(getattr(customer, field), field)
        self.assertIsNone(order.email)
        self.assertIsNone(order.phone)
        self.assertIsNone(order.billing_address)  # null
        self.assertIsNone(order.shipping_address)  # every field null
        self.assertEqual(len(order.lines), 1)

    def test_blank_address_fields_count_as_null(self):
        address = self.payload["shipping_address"]
        for key in address:
            address[key] = "" if key in ("address1", "city") else None
        self.assertIsNone(self.map().shipping_address)

    # ---------------------------------------------------------- extra

    def test_extra_keeps_reference_fields(self):
        extra = self.map().extra
        self.assertEqual(extra["id"], 6523147829473)
        self.assertEqual(extra["order_number"], 1042)
        self.assertEqual(extra["tags"], "first-order, newsletter")
        self.assertEqual(extra["source_name"], "web")
        self.assertEqual(extra["currency"], "USD")
        self.assertEqual(extra["presentment_currency"], "CAD")
        self.assertIsNone(extra["fulfillment_status"])
        self.assertEqual(extra["current_total_price"], "142.14")
        # total_outstanding has no *_set twin: the shop's figure, named so.
        self.assertEqual(extra["total_outstanding_shop_money"], "0.00")
        self.assertNotIn("risk", extra)
        self.payload["risk"] = {"recommendation": "INVESTIGATE"}
        self.assertEqual(self.map().extra["risk"], {"recommendation": "INVESTIGATE"})

    def test_everything_is_json_serialisable(self):
        for name in ORDER_SAMPLES:
            with self.subTest(sample=name):
                order = self.map(sample(name))
                json.dumps(order.extra)
                json.dumps(order.model_dump(mode="json"))
                for line in order.lines:
                    json.dumps(line.extra)

    # ---------------------------------------------------------- errors

    def test_missing_ids_name_their_path(self):
        del self.payload["admin_graphql_api_id"]
        del self.payload["id"]
        with self.assertRaises(PermanentError) as caught:
            self.map()
        self.assertEqual(caught.exception.path, "admin_graphql_api_id")

        payload = sample("order_create_taxes_excluded")
        payload["line_items"][1]["admin_graphql_api_id"] = None
        payload["line_items"][1]["id"] = None
        with self.assertRaises(PermanentError) as caught:
            self.map(payload)
        self.assertEqual(caught.exception.path, "line_items.1.admin_graphql_api_id")

    def test_invalid_quantity_names_the_canonical_field(self):
        self.payload["line_items"][0]["quantity"] = "abc"
        with self.assertRaises(PermanentError) as caught:
            self.map()
        self.assertEqual(caught.exception.path, "lines.0.quantity")
        self.assertIn("lines.0.quantity", str(caught.exception))

    def test_invalid_amount_names_the_shopify_field(self):
        allocation = self.payload["line_items"][2]["discount_allocations"][0]
        allocation["amount_set"]["presentment_money"]["amount"] = "12,50"
        with self.assertRaisesRegex(PermanentError, "not an amount") as caught:
            self.map()
        self.assertEqual(
            caught.exception.path,
            "line_items.2.discount_allocations.0.amount_set.presentment_money.amount",
        )
        payload = sample("order_create_taxes_excluded")
        payload["total_price_set"]["presentment_money"]["amount"] = "NaN"
        with self.assertRaises(PermanentError) as caught:
            self.map(payload)
        self.assertEqual(caught.exception.path, "total_price_set.presentment_money.amount")

    def test_schema_errors_name_the_canonical_field(self):
        cases = [
            ("created_at", "2026-11-02T10:15:42", "created_at"),  # no UTC offset
            ("taxes_included", None, "taxes_included"),
            ("line_items", [], "lines"),
        ]
        for field, value, path in cases:
            with self.subTest(field=field):
                payload = sample("order_create_taxes_excluded")
                payload[field] = value
                with self.assertRaises(PermanentError) as caught:
                    self.map(payload)
                self.assertEqual(caught.exception.path, path)
        payload = sample("order_create_taxes_excluded")
        payload["line_items"][0]["tax_lines"][0]["rate"] = 5.0  # a percentage, not a rate
        with self.assertRaises(PermanentError) as caught:
            self.map(payload)
        self.assertEqual(caught.exception.path, "lines.0.tax_lines.0.rate")

    def test_malformed_structures_name_their_path(self):
        with self.assertRaises(PermanentError):
            self.map(["not", "an", "object"])
        self.payload["line_items"] = {"id": 1}
        with self.assertRaises(PermanentError) as caught:
            self.map()
        self.assertEqual(caught.exception.path, "line_items")


class TestShopifyCustomerMapper(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.payload = sample("customer_create")

    def test_customer_fields(self):
        customer = mappers.customer_to_canonical(self.payload)
        self.assertIsInstance(customer, schemas.Customer)
        self.assertEqual(customer.external_id, "gid://shopify/Customer/7123456789012")
        self.assertEqual(customer.email, "maya.chen@example.com")
        self.assertEqual(customer.phone, "+16045550142")
        self.assertEqual((customer.first_name, customer.last_name), ("Maya", "Chen"))
        self.assertEqual(customer.updated_at, utc(2026, 11, 2, 18, 15, 43))
        address = customer.default_address
        self.assertEqual(
            (address.street, address.city, address.state_code, address.zip, address.country_code),
            ("1200 Burrard Street", "Vancouver", "BC", "V6Z 2C7", "CA"),
        )

    def test_tags_state_and_verified_email_go_to_extra(self):
        extra = mappers.customer_to_canonical(self.payload).extra
        self.assertEqual(extra["tags"], "newsletter, first-order")
        self.assertEqual(extra["state"], "disabled")
        self.assertIs(extra["verified_email"], True)
        self.assertEqual(extra["id"], 7123456789012)
        json.dumps(extra)

    def test_consent(self):
        consent = mappers.customer_to_canonical(self.payload).consent
        self.assertIs(consent.email_marketing, True)
        self.assertIs(consent.sms_marketing, False)
        self.assertEqual(consent.updated_at, utc(2026, 11, 2, 18, 15, 40))
        self.assertEqual(consent.extra["email_opt_in_level"], "single_opt_in")

    def test_consent_states(self):
        expected = {
            "subscribed": True,
            "not_subscribed": False,
            "unsubscribed": False,
            "pending": None,
            "redacted": None,
            "SUBSCRIBED": True,
        }
        for state, value in expected.items():
            with self.subTest(state=state):
                payload = sample("customer_create")
                payload["email_marketing_consent"]["state"] = state
                consent = mappers.customer_to_canonical(payload).consent
                self.assertIs(consent.email_marketing, value)

    def test_missing_consent(self):
        del self.payload["sms_marketing_consent"]
        consent = mappers.customer_to_canonical(self.payload).consent
        self.assertIs(consent.email_marketing, True)
        self.assertIsNone(consent.sms_marketing)
        self.payload["email_marketing_consent"] = None
        self.assertIsNone(mappers.customer_to_canonical(self.payload).consent)

    def test_consent_updated_at_is_the_latest(self):
        self.payload["sms_marketing_consent"]["state"] = "subscribed"
        self.payload["sms_marketing_consent"]["consent_updated_at"] = "2026-11-05T09:00:00+01:00"
        consent = mappers.customer_to_canonical(self.payload).consent
        self.assertIs(consent.sms_marketing, True)
        self.assertEqual(consent.updated_at, utc(2026, 11, 5, 8, 0, 0))

    def test_gid_is_built_from_the_id(self):
        del self.payload["admin_graphql_api_id"]
        customer = mappers.customer_to_canonical(self.payload)
        self.assertEqual(customer.external_id, "gid://shopify/Customer/7123456789012")
        del self.payload["id"]
        with self.assertRaises(PermanentError) as caught:
            mappers.customer_to_canonical(self.payload)
        self.assertEqual(caught.exception.path, "admin_graphql_api_id")

    def test_bad_consent_timestamp_names_its_path(self):
        self.payload["email_marketing_consent"]["consent_updated_at"] = "yesterday"
        with self.assertRaises(PermanentError) as caught:
            mappers.customer_to_canonical(self.payload)
        self.assertEqual(caught.exception.path, "email_marketing_consent.consent_updated_at")

    def test_embedded_customer_errors_are_prefixed(self):
        payload = sample("order_create_taxes_excluded")
        del payload["customer"]["admin_graphql_api_id"]
        del payload["customer"]["id"]
        with self.assertRaises(PermanentError) as caught:
            mappers.order_to_canonical(payload)
        self.assertEqual(caught.exception.path, "customer.admin_graphql_api_id")
        payload = sample("order_create_taxes_excluded")
        payload["customer"]["updated_at"] = "not a date"
        with self.assertRaises(PermanentError) as caught:
            mappers.order_to_canonical(payload)
        self.assertEqual(caught.exception.path, "customer.updated_at")


class TestShopifyRefundMapper(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.payload = sample("refund_create")

    def map(self, payload=None, **kwargs):
        return mappers.refund_to_canonical(payload or self.payload, **kwargs)

    def test_refund_ids_and_dates(self):
        refund = self.map()
        self.assertIsInstance(refund, schemas.Refund)
        self.assertEqual(refund.external_id, "gid://shopify/Refund/1004567890123")
        self.assertEqual(refund.order_external_id, "gid://shopify/Order/6523147829473")
        self.assertEqual(refund.created_at, utc(2026, 11, 10, 0, 20, 11))
        self.assertEqual(refund.reason, self.payload["note"])
        json.dumps(refund.model_dump(mode="json"))

    def test_refund_gid_is_built_from_the_id(self):
        del self.payload["admin_graphql_api_id"]
        self.assertEqual(self.map().external_id, "gid://shopify/Refund/1004567890123")
        del self.payload["id"]
        with self.assertRaises(PermanentError) as caught:
            self.map()
        self.assertEqual(caught.exception.path, "admin_graphql_api_id")

    def test_same_line_cancelled_and_returned_gives_two_lines(self):
        returned, cancelled = self.map().lines
        for line in (returned, cancelled):
            self.assertEqual(line.line_external_id, "gid://shopify/LineItem/16012345678902")
            self.assertEqual(line.quantity, Decimal(1))
            self.assertEqual(line.subtotal, Decimal("16.65"))
            self.assertEqual(line.tax, Decimal("2.00"))
        self.assertTrue(returned.restock, "returned goods come back to stock")
        self.assertFalse(cancelled.restock, "cancelled goods never left")
        self.assertEqual(returned.extra["restock_type"], "return")
        self.assertEqual(cancelled.extra["restock_type"], "cancel")

    def test_restock_types(self):
        expected = {
            "return": True,
            "cancel": False,
            "legacy_restock": True,
            "no_restock": False,
            None: False,
        }
        for restock_type, restock in expected.items():
            with self.subTest(restock_type=restock_type):
                self.payload["refund_line_items"][0]["restock_type"] = restock_type
                self.assertIs(self.map().lines[0].restock, restock)

    def test_line_id_is_built_from_line_item_id(self):
        item = self.payload["refund_line_items"][0]
        del item["line_item"]
        self.assertEqual(
            self.map().lines[0].line_external_id, "gid://shopify/LineItem/16012345678902"
        )
        del item["line_item_id"]
        with self.assertRaises(PermanentError) as caught:
            self.map()
        self.assertEqual(caught.exception.path, "refund_line_items.0.line_item_id")

    def test_refund_line_numbers_are_read_as_decimals(self):
        # Without the *_set twins only the plain JSON numbers remain.
        payload = drop_sets(self.payload)
        self.assertIsInstance(payload["refund_line_items"][0]["subtotal"], float)
        refund = self.map(payload)
        self.assertEqual(refund.lines[0].subtotal, Decimal("11.91"))
        self.assertEqual(refund.lines[0].tax, Decimal("1.43"))
        payload["refund_line_items"][0]["subtotal"] = 0.1
        payload["refund_line_items"][0]["total_tax"] = 2
        line = self.map(payload).lines[0]
        self.assertEqual(line.subtotal, Decimal("0.1"))
        self.assertEqual(line.tax, Decimal(2))

    def test_shipping_refund_is_positive(self):
        refund = self.map()
        self.assertEqual(refund.shipping, Decimal("12.00"))
        self.assertEqual(refund.extra["shipping_tax"], "0.60")
        self.assertEqual(self.map(money="shop_money").shipping, Decimal("8.58"))

    def test_refund_without_shipping_adjustment(self):
        self.payload["order_adjustments"][0]["kind"] = "refund_discrepancy"
        refund = self.map()
        self.assertEqual(refund.shipping, Decimal(0))
        self.assertEqual(refund.extra["order_adjustments"][0]["kind"], "refund_discrepancy")

    def test_amount_is_the_sum_of_successful_refund_transactions(self):
        refund = self.map()
        self.assertEqual(refund.amount, Decimal("49.90"))
        self.assertEqual(refund.extra["amount_source"], "transactions")
        transactions = self.payload["transactions"]
        failed = dict(transactions[0], id=7301234567891, status="failure")
        capture = dict(transactions[0], id=7301234567892, kind="capture")
        second = dict(transactions[0], id=7301234567893, amount="5.00")
        transactions.extend([failed, capture, second])
        self.assertEqual(self.map().amount, Decimal("54.90"))
        self.assertEqual(len(self.map().extra["transactions"]), 4)

    def test_shop_money_amount_comes_from_the_refund_figures(self):
        # The transactions are in the presentment currency (CAD) only.
        refund = self.map(money="shop_money")
        self.assertEqual([line.subtotal for line in refund.lines], [Decimal("11.91")] * 2)
        self.assertEqual(refund.amount, Decimal("35.69"))  # 2 x (11.91 + 1.43) + 8.58 + 0.43
        self.assertEqual(refund.extra["amount_source"], "lines")
        self.assertEqual(refund.extra["currency"], "USD")

    def test_presentment_amount_matches_the_refund_figures(self):
        refund = self.map()
        figures = sum((line.subtotal + line.tax for line in refund.lines), Decimal(0))
        figures += refund.shipping + Decimal(refund.extra["shipping_tax"])
        self.assertEqual(figures, refund.amount)

    def test_errors_name_their_path(self):
        del self.payload["order_id"]
        with self.assertRaises(PermanentError) as caught:
            self.map()
        self.assertEqual(caught.exception.path, "order_id")
        payload = sample("refund_create")
        payload["refund_line_items"][1]["quantity"] = 0
        with self.assertRaises(PermanentError) as caught:
            self.map(payload)
        self.assertEqual(caught.exception.path, "lines.1.quantity")
        payload = sample("refund_create")
        payload["order_adjustments"][0]["amount_set"]["presentment_money"]["amount"] = None
        with self.assertRaises(PermanentError) as caught:
            self.map(payload)
        self.assertEqual(caught.exception.path, "order_adjustments.0.amount_set.presentment_money")
