from datetime import datetime

from .common import BILLING, SHIPPING, RetailCase, canonical_order


class TestOrderImport(RetailCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shipping_product = cls.env.ref("retail_connector_base.product_retail_shipping")
        cls.discount_product = cls.env.ref("retail_connector_base.product_retail_discount")

    def import_order(self, order=None, topic="order.created", key=None):
        event = self.store_event({"type": topic, "data": order or canonical_order()}, key=key)
        error = self.run_event_job(event)
        self.assertIsNone(error, event.error)
        return event

    def sale_order(self, external_id="1001"):
        return self.env["sale.order"].search(
            [("retail_backend_id", "=", self.backend.id), ("retail_external_id", "=", external_id)]
        )

    def assert_amounts(self, order, untaxed, tax, total):
        self.assertEqual(
            (order.amount_untaxed, order.amount_tax, order.amount_total), (untaxed, tax, total)
        )

    def assert_line(self, line, product, qty, price, discount, taxes, name=None):
        self.assertEqual(line.product_id, product)
        self.assertEqual(line.product_uom_qty, qty)
        self.assertEqual(line.price_unit, price)
        self.assertAlmostEqual(line.discount, discount, places=2)
        self.assertEqual(line.tax_ids, taxes)
        if name:
            self.assertEqual(line.name, name)

    def test_order_with_taxes_excluded_is_created_and_confirmed(self):
        event = self.import_order()
        order = self.sale_order()
        self.assertEqual(event.state, "done")
        self.assertEqual(event.state_reason, f"Order {order.name} created.")
        self.assertEqual(order.state, "sale")
        self.assertFalse(order.retail_hold_reason)
        self.assertEqual(order.client_order_ref, "#1001")
        self.assertEqual(order.date_order, datetime(2026, 11, 2, 9, 0, 0))
        self.assertEqual(order.currency_id.name, "USD")
        self.assertEqual(order.retail_payment_state, "paid")
        self.assertEqual(order.retail_channel_status, "open")
        self.assertEqual(order.retail_last_event_id, event)
        self.assertIn("Leave at the door.", str(order.note))
        # customer, billing = the customer's own address, separate shipping address
        partner = order.partner_id
        self.assertEqual(partner.name, "Ada Lovelace")
        self.assertEqual(partner.email, "Ada.Lovelace@Example.com")
        self.assertEqual(partner.phone, "+44 20 7946 0001")
        self.assertEqual(
            (partner.street, partner.city, partner.zip, partner.country_id.code),
            ("12 St James's Square", "London", "SW1Y 4JH", "GB"),
        )
        self.assertEqual(order.partner_invoice_id, partner)
        shipping = order.partner_shipping_id
        self.assertEqual(shipping.parent_id, partner)
        self.assertEqual(shipping.type, "delivery")
        self.assertEqual(
            (shipping.name, shipping.street, shipping.street2, shipping.city, shipping.zip),
            ("Ada Lovelace", "1 Babbage Lane", "Floor 2", "Cambridge", "CB2 1TN"),
        )
        # lines at the channel's prices
        tshirt_line, shipping_line = order.order_line
        self.assert_line(tshirt_line, self.tshirt, 2, 19.90, 0, self.tax_20, "T-shirt, size M")
        self.assertEqual(tshirt_line.retail_line_id, "line-1")
        self.assert_line(
            shipping_line, self.shipping_product, 1, 4.90, 0, self.tax_20, "Standard shipping"
        )
        self.assert_amounts(order, 44.70, 8.94, 53.64)
        self.assertEqual(order.picking_ids.move_ids.product_id, self.tshirt)
        # bindings
        order_binding = order.retail_binding_ids
        self.assertEqual(order_binding.external_id, "1001")
        self.assertEqual(order_binding.external_updated_at, datetime(2026, 11, 2, 9, 0, 0))
        self.assertEqual(partner.retail_binding_ids.external_id, "cust-ada")

    def test_taxes_included_with_percent_and_fixed_discounts_and_free_shipping(self):
        order_data = canonical_order(
            taxes_included=True,
            lines=[
                {
                    "external_id": "line-1",
                    "sku": "TSHIRT-M",
                    "name": "T-shirt, size M",
                    "quantity": 2,
                    "unit_price": "19.90",
                    "discount": "3.98",  # 10 %
                    "tax_lines": [{"rate": "0.2", "amount": "5.97"}],
                },
                {
                    "external_id": "line-2",
                    "sku": "4006381333931",  # the mug's barcode
                    "name": "Mug",
                    "quantity": 1,
                    "unit_price": "12.00",
                    "discount": "2.00",  # fixed amount
                    "tax_lines": [{"rate": "0.2", "amount": "1.67"}],
                },
            ],
            shipping_lines=[{"title": "Free shipping", "price": "0.00"}],
            totals={"untaxed": "38.18", "tax": "7.64", "total": "45.82"},
        )
        self.import_order(order_data)
        order = self.sale_order()
        self.assertEqual(order.state, "sale", order.retail_hold_reason)
        tshirt_line, mug_line, shipping_line = order.order_line
        self.assert_line(tshirt_line, self.tshirt, 2, 19.90, 10.0, self.tax_20_included)
        self.assert_line(mug_line, self.mug, 1, 12.0, 16.67, self.tax_20_included)
        self.assert_line(shipping_line, self.shipping_product, 1, 0.0, 0, self.env["account.tax"])
        self.assert_amounts(order, 38.18, 7.64, 45.82)

    def test_order_level_discount_becomes_a_discount_line(self):
        order_data = canonical_order(
            discount_lines=[
                {
                    "title": "WELCOME5",
                    "amount": "5.00",
                    "tax_lines": [{"rate": "0.2", "amount": "1.00"}],
                }
            ],
            totals={"untaxed": "39.70", "tax": "7.94", "total": "47.64"},
        )
        self.import_order(order_data)
        order = self.sale_order()
        self.assertEqual(order.state, "sale", order.retail_hold_reason)
        discount_line = order.order_line[-1]
        self.assert_line(discount_line, self.discount_product, 1, -5.0, 0, self.tax_20, "WELCOME5")
        self.assert_amounts(order, 39.70, 7.94, 47.64)

    def test_order_in_a_second_currency_gets_a_pricelist_in_it(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.import_order(canonical_order(currency="EUR"))
        order = self.sale_order()
        self.assertEqual(order.currency_id, eur)
        self.assertEqual(order.pricelist_id.currency_id, eur)
        self.assertEqual(order.order_line[0].price_unit, 19.90, "no conversion: channel price")
        self.assert_amounts(order, 44.70, 8.94, 53.64)
        self.assertEqual(order.state, "sale")

    def test_inactive_currency_holds_the_order(self):
        self.env.ref("base.JPY").active = False
        self.import_order(canonical_order(currency="JPY"))
        order = self.sale_order()
        self.assertEqual(order.state, "draft")
        self.assertIn("Currency JPY is not active in Odoo", order.retail_hold_reason)

    def test_same_addresses_twice_stay_one_contact_each(self):
        self.import_order(canonical_order("1001"))
        self.import_order(canonical_order("1002"))
        first, second = self.sale_order("1001"), self.sale_order("1002")
        self.assertEqual(first.partner_id, second.partner_id)
        self.assertEqual(first.partner_shipping_id, second.partner_shipping_id)
        partner = first.partner_id
        self.assertEqual(len(partner.child_ids), 1)
        self.assertEqual(
            self.env["res.partner"].search_count([("email", "=ilike", "ada.lovelace@example.com")]),
            1,
        )

    def test_guest_checkout_without_email_uses_the_billing_address(self):
        guest = dict(BILLING, first_name="Grace", last_name="Hopper")
        self.import_order(
            canonical_order(
                customer=None, email=None, billing_address=guest, shipping_address=guest
            )
        )
        order = self.sale_order()
        partner = order.partner_id
        self.assertEqual(partner.name, "Grace Hopper")
        self.assertFalse(partner.email)
        self.assertEqual(partner.street, "12 St James's Square")
        self.assertEqual(order.partner_shipping_id, partner)
        self.assertFalse(partner.retail_binding_ids, "a guest has no channel id")
        self.assertEqual(order.state, "sale")

    def test_guest_with_email_is_found_again_by_email(self):
        guest = dict(BILLING, first_name="Grace", last_name="Hopper")
        for external_id in ("2001", "2002"):
            self.import_order(
                canonical_order(
                    external_id, customer=None, email="grace@navy.example", billing_address=guest
                )
            )
        self.assertEqual(self.sale_order("2001").partner_id, self.sale_order("2002").partner_id)

    def test_unknown_sku_holds_until_the_product_exists(self):
        order_data = canonical_order()
        order_data["lines"].append(
            {
                "external_id": "line-2",
                "sku": "POSTER-A2",
                "name": "Poster A2",
                "quantity": 1,
                "unit_price": "10.00",
                "tax_lines": [{"rate": "0.2", "amount": "2.00"}],
            }
        )
        order_data["totals"] = {"untaxed": "54.70", "tax": "10.94", "total": "65.64"}
        event = self.import_order(order_data)
        order = self.sale_order()
        self.assertEqual(event.state, "done")
        self.assertEqual(order.state, "draft")
        self.assertTrue(order.retail_on_hold)
        self.assertIn(
            "Unknown SKU POSTER-A2 (Poster A2): create the product, then retry.",
            order.retail_hold_reason,
        )
        note = order.order_line.filtered("display_type")
        self.assertEqual(note.name, "Unknown SKU POSTER-A2: 1 x Poster A2 at 10.00")
        self.assertIn(order, self.env["sale.order"].search([("retail_on_hold", "=", True)]))

        poster = self.env["product.product"].create(
            {"name": "Poster A2", "default_code": "POSTER-A2", "type": "consu"}
        )
        order.action_retail_retry()
        self.assertEqual(order.state, "sale", order.retail_hold_reason)
        self.assertFalse(order.retail_hold_reason)
        self.assertEqual(order.order_line.product_id, self.tshirt | poster | self.shipping_product)
        self.assert_amounts(order, 54.70, 10.94, 65.64)

    def test_unknown_sku_creates_a_placeholder_when_the_backend_allows(self):
        self.backend.create_missing_products = True
        order_data = canonical_order()
        order_data["lines"][0]["sku"] = "NEW-SKU"
        self.import_order(order_data)
        order = self.sale_order()
        self.assertEqual(order.state, "sale")
        product = order.order_line[0].product_id
        self.assertEqual((product.default_code, product.name), ("NEW-SKU", "T-shirt, size M"))

    def test_totals_that_differ_from_the_channel_hold_with_both_figures(self):
        self.import_order(canonical_order(totals={"tax": "8.95", "total": "53.65"}))
        order = self.sale_order()
        self.assertEqual(order.state, "draft")
        self.assertEqual(
            order.retail_hold_reason,
            "Odoo's amounts differ from the channel's (USD): tax: channel 8.95, Odoo 8.94 "
            "(difference -0.01); total: channel 53.65, Odoo 53.64 (difference -0.01). "
            "Check the taxes and discounts, then retry.",
        )

    def test_missing_tax_holds_the_order(self):
        order_data = canonical_order()
        order_data["lines"][0]["tax_lines"] = [{"rate": "0.07", "amount": "2.79"}]
        self.import_order(order_data)
        order = self.sale_order()
        self.assertEqual(order.state, "draft")
        self.assertIn(
            "No sales tax of 7 % (excluded) in company My Company: create it, then retry.",
            order.retail_hold_reason,
        )

    def test_update_after_confirmation_applies_addresses_and_holds_line_changes(self):
        self.import_order()
        order = self.sale_order()
        updated = canonical_order(
            updated_at="2026-11-02T12:00:00+01:00",
            payment_state="partially_refunded",
            channel_status="open",
            shipping_address=dict(SHIPPING, street="2 Babbage Lane"),
        )
        updated["lines"][0]["quantity"] = 3
        event = self.import_order(updated, topic="order.updated")
        self.assertEqual(event.state, "done")
        self.assertEqual(order.retail_payment_state, "partially_refunded")
        self.assertEqual(order.partner_shipping_id.street, "2 Babbage Lane")
        self.assertEqual(order.picking_ids.partner_id, order.partner_shipping_id)
        self.assertEqual(order.order_line[0].product_uom_qty, 2, "lines are not rewritten")
        self.assertIn("changed the lines after confirmation", order.retail_hold_reason)

    def test_units_cancelled_on_the_channel_before_shipping_shrink_the_order(self):
        self.import_order()
        order = self.sale_order()
        updated = canonical_order(updated_at="2026-11-02T12:00:00+01:00")
        updated["lines"][0]["quantity"] = 1
        updated["lines"][0]["tax_lines"][0]["amount"] = "3.98"
        event = self.import_order(updated, topic="order.updated")
        self.assertEqual(event.state, "done")
        self.assertIn("Units cancelled on the channel taken off", event.state_reason)
        self.assertFalse(order.retail_hold_reason)
        self.assertEqual(order.order_line[0].product_uom_qty, 1)
        moves = order.picking_ids.move_ids.filtered(lambda m: m.state != "cancel")
        self.assertEqual(order.picking_ids.picking_type_code, "outgoing")
        self.assertEqual(sum(moves.mapped("product_uom_qty")), 1)
        # the same version again is nothing new
        again = self.import_order(
            canonical_order(updated_at="2026-11-02T12:30:00+01:00") | {"lines": updated["lines"]},
            topic="order.updated",
        )
        self.assertNotIn("Units cancelled", again.state_reason)
        self.assertFalse(order.retail_hold_reason)

    def test_a_line_added_after_confirmation_is_held(self):
        self.import_order()
        order = self.sale_order()
        updated = canonical_order(updated_at="2026-11-02T12:00:00+01:00")
        updated["lines"].append(dict(updated["lines"][0], external_id="line-2", quantity=1))
        # a new line after confirmation is for a person
        self.import_order(updated, topic="order.updated")
        self.assertIn("changed the lines after confirmation", order.retail_hold_reason)

    def test_a_discount_given_after_confirmation_is_held(self):
        self.import_order()
        order = self.sale_order()
        updated = canonical_order(updated_at="2026-11-02T12:00:00+01:00")
        updated["lines"][0]["discount"] = "4.00"
        self.import_order(updated, topic="order.updated")
        self.assertEqual(order.order_line[0].discount, 0)
        self.assertIn("changed the lines after confirmation", order.retail_hold_reason)

    def test_cancelling_units_already_delivered_is_held(self):
        self.import_order()
        order = self.sale_order()
        self.ship(order)
        updated = canonical_order(updated_at="2026-11-02T12:00:00+01:00")
        updated["lines"][0]["quantity"] = 1
        self.import_order(updated, topic="order.updated")
        self.assertEqual(order.order_line[0].product_uom_qty, 2)
        self.assertIn("changed the lines after confirmation", order.retail_hold_reason)

    def test_address_change_after_shipping_is_not_applied(self):
        self.import_order()
        order = self.sale_order()
        self.ship(order)
        shipping = order.partner_shipping_id
        updated = canonical_order(
            updated_at="2026-11-02T12:00:00+01:00",
            shipping_address=dict(SHIPPING, street="2 Babbage Lane"),
        )
        event = self.import_order(updated, topic="order.updated")
        self.assertEqual(order.partner_shipping_id, shipping)
        self.assertIn("Address change not applied: the order has shipped.", event.state_reason)

    def test_cancellation_before_shipping_cancels_the_order(self):
        self.import_order()
        order = self.sale_order()
        self.import_order(
            canonical_order(
                updated_at="2026-11-02T12:00:00+01:00",
                cancelled_at="2026-11-02T12:00:00+01:00",
                cancel_reason="customer",
                channel_status="cancelled",
            ),
            topic="order.cancelled",
        )
        self.assertEqual(order.state, "cancel")
        self.assertEqual(order.retail_channel_status, "cancelled")
        self.assertEqual(set(order.picking_ids.mapped("state")), {"cancel"})

    def test_cancellation_after_shipping_holds_the_order(self):
        self.import_order()
        order = self.sale_order()
        self.ship(order)
        self.import_order(
            canonical_order(
                updated_at="2026-11-02T12:00:00+01:00",
                cancelled_at="2026-11-02T12:00:00+01:00",
                cancel_reason="customer",
            ),
            topic="order.cancelled",
        )
        self.assertEqual(order.state, "sale")
        self.assertEqual(
            order.retail_hold_reason,
            "Cancelled on the channel (customer) after shipping: arrange the return or refund.",
        )

    def test_cancelled_new_order_is_created_cancelled(self):
        self.import_order(
            canonical_order(cancelled_at="2026-11-02T10:30:00Z", cancel_reason="fraud")
        )
        self.assertEqual(self.sale_order().state, "cancel")

    def test_stale_and_repeated_updates_are_ignored(self):
        self.import_order(canonical_order(updated_at="2026-11-02T10:00:00Z"))
        order = self.sale_order()
        older = canonical_order(updated_at="2026-11-02T09:59:59Z", payment_state="voided")
        event = self.import_order(older, topic="order.updated")
        self.assertEqual(event.state, "ignored")
        self.assertTrue(event.state_reason.startswith("Stale:"), event.state_reason)
        self.assertEqual(order.retail_payment_state, "paid")
        same = canonical_order(updated_at="2026-11-02T11:00:00+01:00", payment_state="voided")
        event = self.import_order(same, topic="order.paid")
        self.assertEqual(event.state, "ignored")
        self.assertEqual(event.state_reason, "Already applied: same channel update time.")
        self.assertEqual(order.retail_payment_state, "paid")
        self.assertEqual(order.retail_binding_ids.external_updated_at, datetime(2026, 11, 2, 10))

    def test_out_of_order_update_before_create_creates_then_ignores_the_older(self):
        newer = canonical_order(updated_at="2026-11-02T12:00:00Z", payment_state="paid")
        self.import_order(newer, topic="order.updated")
        older = canonical_order(updated_at="2026-11-02T10:00:00Z", payment_state="pending")
        event = self.import_order(older, topic="order.created")
        self.assertEqual(event.state, "ignored")
        self.assertEqual(len(self.sale_order()), 1)
        self.assertEqual(self.sale_order().retail_payment_state, "paid")

    def test_existing_customer_keeps_what_odoo_owns(self):
        payment_term = self.env.ref("account.account_payment_term_30days")
        existing = self.env["res.partner"].create(
            {
                "name": "Lovelace, Ada",
                "email": "ada.lovelace@example.com",
                "phone": "+44 20 0000 0000",
                "property_payment_term_id": payment_term.id,
                "comment": "VIP",
            }
        )
        self.import_order()
        order = self.sale_order()
        self.assertEqual(order.partner_id, existing, "matched by normalized email")
        self.assertEqual(existing.phone, "+44 20 7946 0001", "the channel owns the phone")
        self.assertEqual(existing.name, "Ada Lovelace")
        self.assertEqual(existing.property_payment_term_id, payment_term)
        self.assertEqual(str(existing.comment), "<p>VIP</p>")

        self.backend.write({"partner_sync_contact": False, "partner_sync_name": False})
        customer = dict(canonical_order()["customer"], phone="+44 20 1111 1111")
        customer["first_name"] = "Augusta Ada"
        customer["updated_at"] = "2026-11-03T08:00:00Z"
        self.import_order(customer, topic="customer.updated")
        self.assertEqual(existing.phone, "+44 20 7946 0001", "Odoo now owns the phone")
        self.assertEqual(existing.name, "Ada Lovelace")

    def test_customer_events_create_update_and_ignore_stale(self):
        customer = {
            "external_id": "cust-9",
            "email": "mary@example.com",
            "first_name": "Mary",
            "last_name": "Somerville",
            "updated_at": "2026-11-02T10:00:00Z",
        }
        event = self.import_order(customer, topic="customer.created")
        partner = self.env["retail.binding"]._find(self.backend, "res.partner", "cust-9")._record()
        self.assertEqual(event.state_reason, "Customer Mary Somerville.")
        self.assertEqual(partner.email, "mary@example.com")
        newer = dict(customer, phone="+33 6 12 34 56 78", updated_at="2026-11-02T11:00:00Z")
        self.import_order(newer, topic="customer.updated")
        self.assertEqual(partner.phone, "+33 6 12 34 56 78")
        older = dict(customer, phone="+33 6 00 00 00 00", updated_at="2026-11-02T10:30:00Z")
        event = self.import_order(older, topic="customer.updated")
        self.assertEqual(event.state, "ignored")
        self.assertEqual(partner.phone, "+33 6 12 34 56 78")

    def test_invalid_order_fails_with_the_field_path_and_writes_nothing(self):
        order_data = canonical_order()
        order_data["lines"][0]["quantity"] = 0
        event = self.store_event({"type": "order.created", "data": order_data})
        self.run_event_job(event)
        self.assertEqual(event.state, "failed")
        self.assertEqual(event.error, "data.lines.0.quantity: Input should be greater than 0")
        self.assertFalse(self.sale_order())
        self.assertFalse(
            self.env["res.partner"].search([("email", "=", "Ada.Lovelace@Example.com")])
        )

    def ship(self, order):
        picking = order.picking_ids
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        picking._action_done()
        self.assertEqual(picking.state, "done")
