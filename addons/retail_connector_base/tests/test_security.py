from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from .common import GENERIC_SECRET, RetailCase


class TestSecurity(RetailCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Shop B"})
        cls.user_a = new_test_user(
            cls.env,
            login="retail_user_a",
            groups="retail_connector_base.group_retail_connect_user",
        )
        cls.user_b = new_test_user(
            cls.env,
            login="retail_user_b",
            groups="retail_connector_base.group_retail_connect_manager",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )

    def test_other_company_user_sees_no_backend_nor_event(self):
        event = self.store_event()
        Backend = self.env["retail.backend"].with_user(self.user_b)
        Event = self.env["retail.event"].with_user(self.user_b)
        self.assertFalse(Backend.search([]))
        self.assertFalse(Event.search([]))
        with self.assertRaises(AccessError):
            self.backend.with_user(self.user_b).read(["name"])
        with self.assertRaises(AccessError):
            event.with_user(self.user_b).read(["topic"])
        own = Backend.create({"name": "B store", "company_id": self.company_b.id})
        self.assertEqual(Backend.search([]), own)

    def test_same_company_user_sees_backends_and_events(self):
        event = self.store_event()
        self.assertIn(self.backend, self.env["retail.backend"].with_user(self.user_a).search([]))
        self.assertIn(event, self.env["retail.event"].with_user(self.user_a).search([]))

    def test_user_cannot_read_secrets_nor_change_backends(self):
        backend = self.backend.with_user(self.user_a)
        self.assertEqual(backend.name, "POS (generic)")
        with self.assertRaises(AccessError):
            backend.read(["webhook_secret"])
        with self.assertRaises(AccessError):
            backend.write({"name": "renamed"})
        with self.assertRaises(AccessError):
            self.store_event().with_user(self.user_a).write({"state": "done"})

    def test_manager_reads_secrets(self):
        manager = new_test_user(
            self.env,
            login="retail_manager_a",
            groups="retail_connector_base.group_retail_connect_manager",
        )
        self.assertEqual(self.backend.with_user(manager).webhook_secret, GENERIC_SECRET)
