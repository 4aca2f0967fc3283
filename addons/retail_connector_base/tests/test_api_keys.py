from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .api_common import ApiCase


@tagged("post_install", "-at_install")
class TestApiKeys(ApiCase):
    def test_new_secret_replaces_the_old_one_at_once(self):
        action = self.key.action_generate_secret()
        new_secret = action["params"]["message"]
        self.assertTrue(action["params"]["sticky"])
        self.assertNotEqual(new_secret, self.secret)
        self.assertProblem(self.call("GET", "/orders/x"), 401)
        self.assertEqual(self.call("GET", "/orders/x", secret=new_secret).status_code, 404)

    def test_rotate_action_shows_the_new_secret_once_and_keeps_the_old_for_the_overlap(self):
        action = self.key.action_rotate()
        new_key = self.key.replaced_by_id
        self.assertEqual(
            self.env["retail.api.key"]._authenticate(action["params"]["message"]),
            (new_key, "active"),
        )
        self.assertEqual(self.key.state, "active")
        self.assertAlmostEqual(
            self.key.expires_at,
            fields.Datetime.now() + timedelta(hours=24),
            delta=timedelta(minutes=1),
        )

    def test_only_active_keys_rotate(self):
        self.key.action_revoke()
        with self.assertRaises(UserError):
            self.key._rotate()

    def test_state_is_searchable(self):
        expired, _secret = self.make_key(expires_at=fields.Datetime.now() - timedelta(days=1))
        revoked, _secret = self.make_key()
        revoked.action_revoke()
        Key = self.env["retail.api.key"]
        keys = self.key | expired | revoked
        self.assertEqual(Key.search([("id", "in", keys.ids), ("state", "=", "active")]), self.key)
        self.assertEqual(Key.search([("id", "in", keys.ids), ("state", "=", "expired")]), expired)
        self.assertEqual(Key.search([("id", "in", keys.ids), ("state", "=", "revoked")]), revoked)

    def test_scopes_are_listed_in_their_names(self):
        key, _secret = self.make_key(scope_customers_write=False, scope_inventory_read=False)
        self.assertEqual(key.scopes, "orders:write orders:read customers:read")
