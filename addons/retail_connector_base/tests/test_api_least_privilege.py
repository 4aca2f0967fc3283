"""Each API key acts as its own technical user, with the rights of the
group ``group_retail_api_client`` and its backend's record rules only:
what that user can and cannot reach through the ORM, that the API's calls
really run as it, and that a revoked key's user is left with nothing."""

from odoo.exceptions import AccessDenied, AccessError
from odoo.modules.neutralize import get_neutralization_queries
from odoo.tests import tagged

from .api_common import ApiCase
from .common import canonical_order

GROUP = "retail_connector_base.group_retail_api_client"


@tagged("post_install", "-at_install")
class TestApiLeastPrivilege(ApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = cls.key.user_id
        cls.other_backend = cls.backend.copy({"name": "Other store", "state": "active"})
        cls.company_b = cls.env["res.company"].create({"name": "Company B"})

    def place(self, external_id="lp-1", secret=None):
        response = self.submit(canonical_order(external_id), secret=secret)
        self.assertIn(response.status_code, (200, 201), response.text)
        return self.env["sale.order"].search([("retail_external_id", "=", external_id)])

    def bound_partner(self, backend, external_id, **values):
        partner = self.env["res.partner"].create({"name": external_id, **values})
        self.env["retail.binding"].create(
            {
                "backend_id": backend.id,
                "res_model": "res.partner",
                "res_id": partner.id,
                "external_id": external_id,
            }
        )
        return partner

    def as_user(self, model):
        return self.env[model].with_user(self.user)

    # What the ORM lets the key's user reach

    def test_reads_its_own_channel_customers_only(self):
        own = self.bound_partner(self.backend, "own")
        other_backend = self.bound_partner(self.other_backend, "other-backend")
        # Even bound to the key's own backend: another company's contact.
        other_company = self.bound_partner(self.backend, "company-b", company_id=self.company_b.id)
        walk_in = self.env["res.partner"].create({"name": "walk-in"})
        Partner = self.as_user("res.partner")
        candidates = own | other_backend | other_company | walk_in
        self.assertEqual(Partner.search([("id", "in", candidates.ids)]), own)
        self.assertEqual(Partner.browse(own.id).read(["name"])[0]["name"], "own")
        for partner in (other_backend, other_company, walk_in):
            with self.assertRaises(AccessError, msg=partner.name):
                Partner.browse(partner.id).read(["name"])
            with self.assertRaises(AccessError, msg=partner.name):
                Partner.browse(partner.id).write({"name": "taken over"})
        with self.assertRaises(AccessError):
            Partner.create({"name": "new contact"})

    def test_reads_its_own_channel_orders_only(self):
        own = self.place("lp-own")
        _other_key, other_secret = self.make_key(backend=self.other_backend)
        other = self.place("lp-other", secret=other_secret)
        Order = self.as_user("sale.order")
        self.assertEqual(Order.search([("id", "in", (own | other).ids)]), own)
        with self.assertRaises(AccessError):
            Order.browse(other.id).read(["name"])
        with self.assertRaises(AccessError):
            Order.browse(own.id).write({"note": "changed"})
        with self.assertRaises(AccessError):
            Order.create({"partner_id": own.partner_id.id})

    def test_cannot_write_or_create_products(self):
        with self.assertRaises(AccessError):
            self.tshirt.with_user(self.user).write({"list_price": 0.01})
        with self.assertRaises(AccessError):
            self.as_user("product.product").create({"name": "free lunch"})
        self.assertNotEqual(self.tshirt.list_price, 0.01)

    def test_cannot_read_keys_calls_or_idempotency_records(self):
        self.assertEqual(self.call("GET", "/orders/x").status_code, 404)
        for model in (
            "retail.api.key",
            "retail.api.call",
            "retail.api.idempotency",
            "retail.api.rate.bucket",
            "queue.job",
            "res.users",
        ):
            with self.assertRaises(AccessError, msg=model):
                self.as_user(model).search([])
        with self.assertRaises(AccessError):
            self.key.with_user(self.user).read(["name"])

    def test_cannot_read_other_backends_or_companies(self):
        Backend = self.as_user("retail.backend")
        self.assertEqual(Backend.search([]), self.backend)
        with self.assertRaises(AccessError):
            Backend.browse(self.other_backend.id).read(["name"])
        with self.assertRaises(AccessError):
            self.company_b.with_user(self.user).read(["name"])

    # The user is a machine

    def test_cannot_log_in_even_with_a_password(self):
        self.user.sudo().password = "a-password-someone-gave-it"
        credential = {
            "type": "password",
            "login": self.user.login,
            "password": "a-password-someone-gave-it",
        }
        with self.assertRaises(AccessDenied):
            self.env["res.users"].authenticate(credential, {"interactive": False})
        Apikeys = self.env["res.users.apikeys"]
        user_key = Apikeys.with_user(self.user).sudo()._generate(None, "rpc", None)
        self.assertFalse(Apikeys._check_credentials(scope="rpc", key=user_key))
        self.assertFalse(self.user.has_group("base.group_user"))
        self.assertFalse(self.user.has_group("base.group_portal"))

    # The API's calls run as the key's user

    def test_what_the_api_creates_names_the_keys_user(self):
        order = self.place("lp-attributed")
        self.assertEqual(order.create_uid, self.user)
        self.assertEqual(order.order_line.create_uid, self.user)
        self.assertEqual(order.partner_id.create_uid, self.user)
        event = self.env["retail.event"].search([("api_external_id", "=", "lp-attributed")])
        self.assertEqual(event.create_uid, self.user)
        self.assertEqual(event.api_key_id, self.key)
        call = self.env["retail.api.call"].search(
            [("key_id", "=", self.key.id), ("route", "=", "/retail/api/v1/orders")], limit=1
        )
        self.assertEqual(call.status, 201)

    def test_a_queued_order_is_imported_by_a_job_of_the_keys_user(self):
        response = self.submit(canonical_order("lp-queued"), headers={"Prefer": "respond-async"})
        self.assertEqual(response.status_code, 202, response.text)
        event = self.env["retail.event"].search([("api_external_id", "=", "lp-queued")])
        self.assertEqual(event.job_id.user_id, self.user)
        self.assertIsNone(self.run_event_job(event))
        order = self.env["sale.order"].search([("retail_external_id", "=", "lp-queued")])
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.create_uid, self.user)

    def test_a_customer_update_names_the_keys_user(self):
        ada = self.place("lp-ada").partner_id
        response = self.call("PATCH", f"/customers/{ada.id}", {"phone": "+44 20 7946 0123"})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(ada.write_uid, self.user)

    def test_a_cancel_names_the_keys_user(self):
        order = self.place("lp-cancel")
        response = self.call("POST", "/orders/lp-cancel/cancel", {"reason": "changed mind"})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(order.state, "cancel")
        note = order.message_ids.filtered(lambda m: "changed mind" in (m.body or ""))
        self.assertEqual(note.author_id, self.user.partner_id)

    def test_the_api_reaches_only_what_the_rules_let_it(self):
        """No scoping in the services' code: the record rules are what keep
        another company's contact away, even one bound to the key's backend."""
        other_company = self.bound_partner(
            self.backend, "cust-b", company_id=self.company_b.id, email="b@example.com"
        )
        own = self.bound_partner(self.backend, "cust-a", email="a@example.com")
        self.assertEqual(
            self.call("GET", "/customers?external_id=cust-b").json(), {"customers": []}
        )
        [found] = self.call("GET", "/customers?external_id=cust-a").json()["customers"]
        self.assertEqual(found["id"], own.id)
        self.assertProblem(
            self.call("PATCH", f"/customers/{other_company.id}", {"phone": "+1"}), 404
        )
        self.assertFalse(other_company.phone)

    # Revoked

    def test_a_revoked_keys_user_can_do_nothing(self):
        order = self.place("lp-revoked")
        self.key.action_revoke()
        self.assertFalse(self.user.active)
        self.assertFalse(self.user.all_group_ids)
        self.assertProblem(self.call("GET", "/orders/lp-revoked"), 401, "unauthorized")
        with self.assertRaises(AccessError):
            order.with_user(self.user).read(["name"])
        with self.assertRaises(AccessError):
            order.partner_id.with_user(self.user).read(["name"])
        with self.assertRaises(AccessError):
            self.as_user("retail.backend").search([])

    def test_expired_keys_users_are_retired_by_the_daily_purge(self):
        key, _secret = self.make_key()
        key.expires_at = "2020-01-01 00:00:00"
        self.env["retail.api.call"]._cron_purge()
        self.assertFalse(key.user_id.active)
        self.assertFalse(key.user_id.all_group_ids)
        self.assertTrue(self.user.active)
        self.assertIn(self.env.ref(GROUP), self.user.all_group_ids)

    def test_a_neutralized_copy_leaves_the_keys_users_nothing(self):
        order = self.place("lp-neutralized")
        installed = self.env["ir.module.module"].search([("state", "=", "installed")])
        for query in get_neutralization_queries(installed.mapped("name")):
            self.env.cr.execute(query)
        self.env.invalidate_all()
        self.env.registry.clear_cache()
        self.assertEqual(self.key.state, "revoked")
        self.assertFalse(self.user.active)
        self.assertFalse(self.user.all_group_ids)
        with self.assertRaises(AccessError):
            order.with_user(self.user).read(["name"])
