from .common import RetailCase, canonical_order


def line(external_id, sku, quantity, price, rate, tax):
    return {
        "external_id": external_id,
        "sku": sku,
        "name": sku,
        "quantity": quantity,
        "unit_price": price,
        "tax_lines": [{"title": "VAT", "rate": rate, "amount": tax}],
    }


def shipping(price, rate, tax):
    return {
        "title": "Standard shipping",
        "price": price,
        "tax_lines": [{"title": "VAT", "rate": rate, "amount": tax}],
    }


class TestOrderRounding(RetailCase):
    """Orders whose tax the channel rounded per line, Odoo per line or globally."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        tax_values = {
            "amount": 5.5,
            "amount_type": "percent",
            "type_tax_use": "sale",
            "sequence": 0,
            "tax_group_id": cls.tax_20.tax_group_id.id,
            "country_id": cls.tax_20.country_id.id,
        }
        cls.tax_5_5 = cls.env["account.tax"].create(dict(tax_values, name="Test VAT 5.5%"))
        cls.tax_5_5_included = cls.env["account.tax"].create(
            dict(tax_values, name="Test VAT 5.5% incl.", price_include_override="tax_included")
        )
        cls.book = cls.env["product.product"].create(
            {"name": "Book", "default_code": "BOOK", "type": "consu", "invoice_policy": "order"}
        )
        cls.tshirt.invoice_policy = "order"
        cls.env.ref("base.EUR").active = True

    def import_order(self, order_data):
        event = self.store_event({"type": "order.created", "data": order_data})
        self.assertIsNone(self.run_event_job(event), event.error)
        return self.env["sale.order"].search(
            [
                ("retail_backend_id", "=", self.backend.id),
                ("retail_external_id", "=", order_data["external_id"]),
            ]
        )

    def set_rounding(self, method):
        self.env.company.tax_calculation_rounding_method = method

    def assert_amounts(self, record, untaxed, tax, total):
        self.assertEqual(
            (record.amount_untaxed, record.amount_tax, record.amount_total), (untaxed, tax, total)
        )

    def assert_invoice_shows(self, order, untaxed, tax, total):
        """Invoice the whole order: the posted invoice carries these amounts
        and balances."""
        invoice = order._create_invoices()
        self.assert_amounts(invoice, untaxed, tax, total)
        invoice.action_post()
        self.assertEqual(invoice.state, "posted")
        self.assert_amounts(invoice, untaxed, tax, total)
        self.assertAlmostEqual(sum(invoice.line_ids.mapped("balance")), 0.0, places=6)
        tax_lines = invoice.line_ids.filtered("tax_line_id")
        self.assertAlmostEqual(-sum(tax_lines.mapped("balance")), tax, places=2)
        return invoice

    # Shopify's example: 2 x 20.00 and 4.90 shipping, 20 % included
    def shopify_example(self):
        return canonical_order(
            currency="EUR",
            taxes_included=True,
            lines=[line("line-1", "TSHIRT-M", 2, "20.00", "0.2", "6.67")],
            shipping_lines=[shipping("4.90", "0.2", "0.82")],
            totals={"untaxed": "37.41", "tax": "7.49", "total": "44.90"},
        )

    def test_rounding_difference_goes_through_when_odoo_rounds_globally(self):
        self.set_rounding("round_globally")
        order = self.import_order(self.shopify_example())
        self.assertEqual(order.state, "sale", order.retail_hold_reason)
        self.assertFalse(order.retail_hold_reason)
        self.assert_amounts(order, 37.41, 7.49, 44.90)
        self.assertEqual(
            order.retail_rounding_note,
            "Rounding difference (EUR): untaxed: channel 37.41, Odoo 37.42; "
            "tax: channel 7.49, Odoo 7.48. Odoo's company rounds tax globally; "
            "the order and its invoice carry the tax the channel charged.",
        )
        self.assertIn(
            "Rounding difference (EUR)",
            order.message_ids.filtered(lambda m: m.subtype_id.internal).mapped("body")[0],
        )
        self.assert_invoice_shows(order, 37.41, 7.49, 44.90)

    def test_same_rounding_goes_through_without_a_note_when_odoo_rounds_per_line(self):
        self.set_rounding("round_per_line")
        order = self.import_order(self.shopify_example())
        self.assertEqual(order.state, "sale", order.retail_hold_reason)
        self.assertFalse(order.retail_rounding_note)
        self.assert_amounts(order, 37.41, 7.49, 44.90)
        self.assertFalse(order.order_line.filtered("extra_tax_data"))
        self.assert_invoice_shows(order, 37.41, 7.49, 44.90)

    def several_rates(self, taxes_included, external_id="1001"):
        """Two books at 5.5 %, a T-shirt and shipping at 20 %: each tax's
        per-line rounding adds a cent over its global rounding."""
        if taxes_included:
            # 10.30 incl. 5.5 %: 0.5370 -> 0.54 (x2: 1.08, sum 1.0739 -> 1.07);
            # 10.13 / 4.13 incl. 20 %: 1.6883 -> 1.69, 0.6883 -> 0.69 (sum 2.3767 -> 2.38)
            taxes = ("0.54", "0.54", "1.69", "0.69")
            totals = {"untaxed": "31.40", "tax": "3.46", "total": "34.86"}
        else:
            # 10.30 at 5.5 %: 0.5665 -> 0.57 (x2: 1.14, sum 1.133 -> 1.13);
            # 10.13 / 4.13 at 20 %: 2.026 -> 2.03, 0.826 -> 0.83 (sum 2.852 -> 2.85)
            taxes = ("0.57", "0.57", "2.03", "0.83")
            totals = {"untaxed": "34.86", "tax": "4.00", "total": "38.86"}
        return canonical_order(
            external_id,
            currency="EUR",
            taxes_included=taxes_included,
            lines=[
                line("line-1", "BOOK", 1, "10.30", "0.055", taxes[0]),
                line("line-2", "BOOK", 1, "10.30", "0.055", taxes[1]),
                line("line-3", "TSHIRT-M", 1, "10.13", "0.2", taxes[2]),
            ],
            shipping_lines=[shipping("4.13", "0.2", taxes[3])],
            totals=totals,
        )

    def test_several_rates_taxes_excluded_take_the_channels_tax(self):
        self.set_rounding("round_globally")
        order = self.import_order(self.several_rates(taxes_included=False))
        self.assertEqual(order.state, "sale", order.retail_hold_reason)
        self.assertIn("tax: channel 4.00, Odoo 3.98", order.retail_rounding_note)
        self.assertIn("total: channel 38.86, Odoo 38.84", order.retail_rounding_note)
        self.assert_amounts(order, 34.86, 4.00, 38.86)
        invoice = self.assert_invoice_shows(order, 34.86, 4.00, 38.86)
        by_tax = {
            tax_line.tax_line_id: -tax_line.balance
            for tax_line in invoice.line_ids.filtered("tax_line_id")
        }
        self.assertEqual(by_tax, {self.tax_5_5: 1.14, self.tax_20: 2.86})

    def test_several_rates_taxes_included_take_the_channels_split(self):
        self.set_rounding("round_globally")
        order = self.import_order(self.several_rates(taxes_included=True))
        self.assertEqual(order.state, "sale", order.retail_hold_reason)
        self.assertIn("tax: channel 3.46, Odoo 3.45", order.retail_rounding_note)
        self.assert_amounts(order, 31.40, 3.46, 34.86)
        invoice = self.assert_invoice_shows(order, 31.40, 3.46, 34.86)
        by_tax = {
            tax_line.tax_line_id: -tax_line.balance
            for tax_line in invoice.line_ids.filtered("tax_line_id")
        }
        self.assertEqual(by_tax, {self.tax_5_5_included: 1.08, self.tax_20_included: 2.38})

    def test_several_rates_round_per_line_need_no_adjustment(self):
        self.set_rounding("round_per_line")
        cases = ((False, (34.86, 4.00, 38.86)), (True, (31.40, 3.46, 34.86)))
        for taxes_included, amounts in cases:
            with self.subTest(taxes_included=taxes_included):
                order = self.import_order(
                    self.several_rates(taxes_included, external_id=f"incl-{taxes_included}")
                )
                self.assertEqual(order.state, "sale", order.retail_hold_reason)
                self.assertFalse(order.retail_rounding_note)
                self.assert_amounts(order, *amounts)

    def test_difference_beyond_rounding_holds(self):
        self.set_rounding("round_globally")
        order_data = self.shopify_example()
        # Two cents on one line and shipping at one rate: rounding explains one.
        order_data["lines"][0]["tax_lines"][0]["amount"] = "6.68"
        order_data["totals"] = {"untaxed": "37.40", "tax": "7.50", "total": "44.90"}
        order = self.import_order(order_data)
        self.assertEqual(order.state, "draft")
        self.assertFalse(order.retail_rounding_note)
        self.assertEqual(
            order.retail_hold_reason,
            "Odoo's amounts differ from the channel's (EUR): untaxed: channel 37.40, Odoo 37.42 "
            "(difference 0.02); tax: channel 7.50, Odoo 7.48 (difference -0.02). "
            "Check the taxes and discounts, then retry.",
        )
        self.assertFalse(order.order_line.filtered("extra_tax_data"))

    def test_line_taxes_that_dont_make_the_channels_total_hold(self):
        self.set_rounding("round_globally")
        order_data = self.shopify_example()
        # A cent from Odoo's, but the lines' own taxes (7.49) don't make it.
        order_data["totals"] = {"untaxed": "37.43", "tax": "7.47", "total": "44.90"}
        order = self.import_order(order_data)
        self.assertEqual(order.state, "draft")
        self.assertFalse(order.retail_rounding_note)
        self.assertIn("tax: channel 7.47, Odoo 7.48", order.retail_hold_reason)
        self.assertFalse(order.order_line.filtered("extra_tax_data"))
