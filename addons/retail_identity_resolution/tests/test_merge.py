from datetime import datetime

from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import new_test_user
from odoo.tools import SQL

from odoo.addons.retail_connector_base.tests.common import (
    GENERIC_SECRET,
    RetailCase,
    canonical_order,
)


class MergeCase(RetailCase):
    """Two channels that met the same person: a web shop and a marketplace."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Merge = cls.env["retail.identity.merge"]
        cls.Binding = cls.env["retail.binding"]
        cls.backend.identity_priority = 10
        cls.marketplace = cls.env["retail.backend"].create(
            {
                "name": "Marketplace (generic)",
                "code": "generic",
                "webhook_secret": GENERIC_SECRET,
                "state": "active",
                "identity_priority": 20,
            }
        )

    def partner(self, name, **values):
        return self.env["res.partner"].create(dict(values, name=name))

    def order(self, partner, shipping=None):
        return self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "partner_shipping_id": (shipping or partner).id,
                "order_line": [Command.create({"product_id": self.tshirt.id})],
            }
        )

    def invoice(self, partner):
        return self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_line_ids": [
                    Command.create({"product_id": self.mug.id, "price_unit": 12, "tax_ids": []})
                ],
            }
        )

    def set_updated(self, partner, when):
        """Pretend ``partner`` was last written at ``when``."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL("UPDATE res_partner SET write_date = %s WHERE id = %s", when, partner.id)
        )
        partner.invalidate_recordset(["write_date"])


class TestMergeAndUndo(MergeCase):
    def setUp(self):
        super().setUp()
        # Ada bought on the web shop under her work address...
        self.ada = self.partner(
            "Ada Lovelace", email="ada@analytical.example", phone="+44 20 7946 0001"
        )
        self.ada_binding = self.Binding._bind(self.backend, self.ada, "web-ada")
        self.ada_order = self.order(self.ada)
        # ... and on the marketplace, as a separate customer with a delivery address.
        self.ada2 = self.partner("Ada King Lovelace", email="ada.king@mail.example")
        self.ada2_binding = self.Binding._bind(self.marketplace, self.ada2, "mkp-77")
        self.ada2_home = self.partner(
            "Ada King Lovelace",
            parent_id=self.ada2.id,
            type="delivery",
            street="1 Babbage Lane",
            city="Cambridge",
        )
        self.ada2_order = self.order(self.ada2, shipping=self.ada2_home)
        self.ada2_invoice = self.invoice(self.ada2)
        self.ada2_note = self.ada2.message_post(body="Prefers evening delivery")
        # both follow the same order: that follower row cannot move, and must not break the merge
        self.ada_order.message_subscribe(partner_ids=(self.ada | self.ada2).ids)

    def test_merge_repoints_bindings_orders_invoices_and_addresses(self):
        merge = self.Merge._merge_partners(self.ada, self.ada2, reason="Same person")

        self.assertEqual(merge.state, "done")
        self.assertFalse(self.ada2.active, "the merged customer is archived, not deleted")
        self.assertEqual(self.ada2_binding._record(), self.ada)
        self.assertEqual(self.ada.retail_binding_ids, self.ada_binding | self.ada2_binding)
        self.assertEqual(self.ada2_order.partner_id, self.ada)
        self.assertEqual(self.ada2_order.partner_shipping_id, self.ada2_home)
        self.assertEqual(self.ada2_home.parent_id, self.ada)
        self.assertEqual(self.ada2_home.commercial_partner_id, self.ada)
        self.assertEqual(self.ada2_invoice.partner_id, self.ada)
        self.assertEqual(self.ada2_invoice.commercial_partner_id, self.ada)
        self.assertEqual(self.ada2_note.res_id, self.ada.id)
        self.assertEqual(self.ada_order.partner_id, self.ada, "dst's own order untouched")
        followers = self.env["mail.followers"].search(
            [("res_model", "=", "sale.order"), ("res_id", "=", self.ada_order.id)]
        )
        self.assertEqual(
            followers.partner_id & (self.ada | self.ada2),
            self.ada | self.ada2,
            "a follower row that would collide stays with the merged customer",
        )

        moved = {(line.table_name, line.column_name): line.record_ids for line in merge.line_ids}
        self.assertEqual(moved[("sale_order", "partner_id")], [self.ada2_order.id])
        self.assertEqual(moved[("res_partner", "parent_id")], [self.ada2_home.id])
        self.assertEqual(moved[("retail_binding", "res_id")], [self.ada2_binding.id])
        self.assertIn(self.ada2_invoice.id, moved[("account_move", "partner_id")])
        self.assertIn(self.ada2_note.id, moved[("mail_message", "res_id")])
        self.assertEqual(merge.moved_count, sum(len(ids) for ids in moved.values()))
        self.assertEqual(self.ada.action_view_retail_merges()["res_model"], merge._name)
        self.assertEqual(self.ada.retail_merge_count, 1)

    def test_undo_restores_rows_values_and_the_merged_customer(self):
        self.ada.email = False  # filled from the merged customer
        merge = self.Merge._merge_partners(self.ada, self.ada2)
        self.assertEqual(self.ada.email, "ada.king@mail.example")
        self.assertIn("ada.king@mail.example", merge.value_changes)

        merge.action_undo()

        self.assertEqual(merge.state, "undone")
        self.assertEqual(merge.undo_user_id, self.env.user)
        self.assertTrue(self.ada2.active)
        self.assertFalse(self.ada.email, "the kept customer's values are restored")
        self.assertEqual(self.ada2_binding._record(), self.ada2)
        self.assertEqual(self.ada.retail_binding_ids, self.ada_binding)
        self.assertEqual(self.ada2_order.partner_id, self.ada2)
        self.assertEqual(self.ada2_home.parent_id, self.ada2)
        self.assertEqual(self.ada2_home.commercial_partner_id, self.ada2)
        self.assertEqual(self.ada2_invoice.partner_id, self.ada2)
        self.assertEqual(self.ada2_invoice.commercial_partner_id, self.ada2)
        self.assertEqual(self.ada2_note.res_id, self.ada2.id)
        self.assertEqual(self.ada_order.partner_id, self.ada)
        with self.assertRaisesRegex(UserError, "already undone"):
            merge.action_undo()
        # and the pair can be merged again
        self.assertEqual(self.Merge._merge_partners(self.ada, self.ada2).state, "done")

    def test_the_channel_customer_of_the_merged_partner_resolves_to_the_kept_one(self):
        self.Merge._merge_partners(self.ada, self.ada2)
        event = self.store_event(
            {
                "type": "order.created",
                "data": canonical_order(
                    "mkp-order-1",
                    customer={"external_id": "mkp-77", "email": "ada.king@mail.example"},
                ),
            },
            backend=self.marketplace,
        )
        self.run_event_job(event)
        self.assertEqual(event.state, "done", event.error)
        order = self.env["sale.order"].search([("retail_external_id", "=", "mkp-order-1")])
        self.assertEqual(order.partner_id, self.ada)

    def test_undo_is_refused_once_something_new_is_attached(self):
        merge = self.Merge._merge_partners(self.ada, self.ada2)
        self.ada.message_post(body="Chatter does not count")
        new_order = self.order(self.ada)

        with self.assertRaisesRegex(UserError, "Cannot undo.*Sales Order"):
            merge.action_undo()
        self.assertEqual(merge.state, "done")
        self.assertFalse(self.ada2.active)

        # once the new order is gone, undo is possible again
        new_order.unlink()
        merge.action_undo()
        self.assertEqual(self.ada2_order.partner_id, self.ada2)

    def test_undo_is_refused_after_a_new_address(self):
        merge = self.Merge._merge_partners(self.ada, self.ada2)
        self.partner("Ada Lovelace", parent_id=self.ada.id, type="invoice", city="London")
        with self.assertRaisesRegex(UserError, "Cannot undo.*Contact"):
            merge.action_undo()

    def test_a_later_merge_must_be_undone_first(self):
        first = self.Merge._merge_partners(self.ada, self.ada2)
        other = self.partner("A. Lovelace", email="a.lovelace@example.org")
        second = self.Merge._merge_partners(self.ada, other)
        with self.assertRaisesRegex(UserError, "later merge"):
            first.action_undo()
        second.action_undo()
        first.action_undo()
        self.assertTrue(self.ada2.active and other.active)

    def test_a_back_office_user_merges_and_undoes(self):
        clerk = new_test_user(
            self.env,
            "identity-clerk",
            groups="base.group_user,sales_team.group_sale_salesman,"
            "retail_connector_base.group_retail_connect_user",
        )
        merge = self.Merge.with_user(clerk)._merge_partners(
            self.ada.with_user(clerk), self.ada2.with_user(clerk)
        )
        self.assertEqual(merge.user_id, clerk)
        merge.action_undo()
        self.assertEqual(merge.undo_user_id, clerk)
        self.assertEqual(self.ada2_order.partner_id, self.ada2)

        outsider = new_test_user(self.env, "identity-outsider", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.Merge.with_user(outsider)._merge_partners(self.ada, self.ada2)

    def test_merge_refuses_a_company_and_a_person(self):
        company = self.partner("Analytical Engines Ltd", is_company=True)
        with self.assertRaisesRegex(UserError, "company and a person"):
            self.Merge._merge_partners(company, self.ada)
        with self.assertRaisesRegex(UserError, "parent"):
            self.Merge._merge_partners(self.ada2, self.ada2_home)
        with self.assertRaisesRegex(UserError, "itself"):
            self.Merge._merge_partners(self.ada, self.ada)
        with self.assertRaisesRegex(UserError, "company of this database"):
            self.Merge._merge_partners(company, self.env.company.partner_id)
        self.Merge._merge_partners(self.ada, self.ada2)
        with self.assertRaisesRegex(UserError, "archived"):
            self.Merge._merge_partners(self.ada2, self.partner("Ada L."))


class TestSurvivorship(MergeCase):
    def test_channel_priority_decides_the_name(self):
        web = self.partner("ada lovelace")
        self.Binding._bind(self.backend, web, "web-1")  # priority 10
        marketplace = self.partner("Ada Lovelace")
        self.Binding._bind(self.marketplace, marketplace, "mkp-1")  # priority 20
        self.Merge._merge_partners(web, marketplace)
        self.assertEqual(web.name, "Ada Lovelace")

        self.marketplace.identity_priority = 5
        web2 = self.partner("grace hopper")
        self.Binding._bind(self.backend, web2, "web-2")
        marketplace2 = self.partner("Grace Hopper")
        self.Binding._bind(self.marketplace, marketplace2, "mkp-2")
        self.Merge._merge_partners(web2, marketplace2)
        self.assertEqual(web2.name, "grace hopper", "the kept customer's channel ranks higher")

    def test_the_most_recent_address_wins_as_a_whole(self):
        old = self.partner(
            "Ada Lovelace", street="12 St James's Square", street2="Floor 2", city="London"
        )
        new = self.partner(
            "Ada Lovelace",
            street="1 Babbage Lane",
            city="Cambridge",
            email="ada@new.example",
        )
        self.set_updated(old, datetime(2026, 1, 5))
        self.set_updated(new, datetime(2026, 6, 1))
        merge = self.Merge._merge_partners(old, new)
        self.assertEqual(
            (old.street, old.street2, old.city),
            ("1 Babbage Lane", False, "Cambridge"),
            "never a street from one address and a floor from the other",
        )
        self.assertEqual(old.email, "ada@new.example")

        merge.action_undo()
        self.assertEqual(
            (old.street, old.street2, old.city), ("12 St James's Square", "Floor 2", "London")
        )
        self.assertFalse(old.email)

    def test_an_older_address_does_not_replace_a_newer_one(self):
        kept = self.partner("Ada Lovelace", city="Cambridge")
        merged = self.partner("Ada Lovelace", city="London")
        self.set_updated(kept, datetime(2026, 6, 1))
        self.set_updated(merged, datetime(2026, 1, 5))
        self.Merge._merge_partners(kept, merged)
        self.assertEqual(kept.city, "Cambridge")

    def test_a_channel_update_counts_as_recent(self):
        kept = self.partner("Ada Lovelace", phone="+44 20 7946 0001")
        merged = self.partner("Ada Lovelace", phone="+44 7700 900123")
        self.set_updated(kept, datetime(2026, 3, 1))
        self.set_updated(merged, datetime(2026, 1, 1))
        binding = self.Binding._bind(self.marketplace, merged, "mkp-9")
        binding.external_updated_at = datetime(2026, 5, 1)
        self.Merge._merge_partners(kept, merged)
        self.assertEqual(kept.phone, "+44 7700 900123")

    def test_odoo_is_master_of_the_tax_id(self):
        from_channel = self.partner("Ada Lovelace", vat="GB000000001", ref="WEB-1")
        self.Binding._bind(self.backend, from_channel, "web-3")
        entered_in_odoo = self.partner("Ada Lovelace", vat="GB123456789")
        self.Merge._merge_partners(from_channel, entered_in_odoo)
        self.assertEqual(from_channel.vat, "GB123456789")
        self.assertEqual(from_channel.ref, "WEB-1", "a blank does not win")

        kept_in_odoo = self.partner("Grace Hopper", vat="US111")
        channel = self.partner("Grace Hopper", vat="US222")
        self.Binding._bind(self.backend, channel, "web-4")
        self.Merge._merge_partners(kept_in_odoo, channel)
        self.assertEqual(kept_in_odoo.vat, "US111")

    def test_fields_without_a_rule_only_fill_blanks(self):
        kept = self.partner("Ada Lovelace", function="Analyst")
        merged = self.partner("Ada Lovelace", function="Poet", website="https://ada.example")
        self.set_updated(merged, datetime(2030, 1, 1))
        self.Merge._merge_partners(kept, merged)
        self.assertEqual(kept.function, "Analyst")
        self.assertEqual(kept.website, "https://ada.example")

    def test_rules_are_data(self):
        rule = self.env.ref("retail_identity_resolution.survivorship_rule_name")
        rule.strategy = "recent"
        kept = self.partner("ada lovelace")
        merged = self.partner("Ada Lovelace")
        self.set_updated(kept, datetime(2026, 1, 1))
        self.set_updated(merged, datetime(2026, 2, 1))
        self.Merge._merge_partners(kept, merged)
        self.assertEqual(kept.name, "Ada Lovelace")

    def test_a_relay_email_never_replaces_a_customer_own_email(self):
        if "retail_email_relay" not in self.env["res.partner"]._fields:
            self.skipTest("no relay email flag")
        own = self.partner("Ada Lovelace", email="ada@analytical.example")
        relay = self.partner(
            "Ada Lovelace", email="x9k2@relay.marketplace.example", retail_email_relay=True
        )
        self.set_updated(own, datetime(2026, 1, 1))
        self.set_updated(relay, datetime(2026, 6, 1))
        self.Merge._merge_partners(own, relay)
        self.assertEqual((own.email, own.retail_email_relay), ("ada@analytical.example", False))

        relay2 = self.partner(
            "Grace Hopper", email="q7@relay.marketplace.example", retail_email_relay=True
        )
        own2 = self.partner("Grace Hopper", email="grace@navy.example")
        self.set_updated(relay2, datetime(2026, 6, 1))
        self.set_updated(own2, datetime(2026, 1, 1))
        merge = self.Merge._merge_partners(relay2, own2)
        self.assertEqual((relay2.email, relay2.retail_email_relay), ("grace@navy.example", False))
        merge.action_undo()
        self.assertEqual(
            (relay2.email, relay2.retail_email_relay), ("q7@relay.marketplace.example", True)
        )
