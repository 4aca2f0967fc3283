from odoo.exceptions import AccessError
from odoo.modules.neutralize import get_neutralization_queries
from odoo.tests import new_test_user
from odoo.tools import SQL

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


class TestNeutralization(RetailCase):
    """A neutralized copy (staging, a restored backup) must hold no channel
    credential and send nothing, whichever channel modules are installed."""

    def credential_fields(self):
        """Every stored text field of a backend that holds a secret: its
        name says so (the webhook token is the public id of its URL)."""
        return [
            name
            for name, field in self.env["retail.backend"]._fields.items()
            if field.store
            and field.type == "char"
            and name != "webhook_token"
            and any(word in name for word in ("secret", "token", "api_key", "password"))
        ]

    def neutralize(self):
        installed = self.env["ir.module.module"].search([("state", "=", "installed")])
        for query in get_neutralization_queries(installed.mapped("name")):
            self.env.cr.execute(query)
        self.env.invalidate_all()

    def test_neutralized_database_holds_no_channel_credential(self):
        names = self.credential_fields()
        self.assertIn("webhook_secret", names)
        for name in names:
            self.env.cr.execute(
                SQL(
                    "UPDATE retail_backend SET %s = 'credential-of-production' WHERE id = %s",
                    SQL.identifier(name),
                    self.backend.id,
                )
            )
        self.neutralize()
        self.env.cr.execute(
            SQL(
                "SELECT %s FROM retail_backend WHERE id = %s",
                SQL(", ").join(SQL.identifier(name) for name in names),
                self.backend.id,
            )
        )
        left = dict(zip(names, self.env.cr.fetchone(), strict=True))
        self.assertEqual({name: value for name, value in left.items() if value}, {})
        self.assertEqual(self.backend.state, "paused")
