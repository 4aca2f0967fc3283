from odoo.tests import tagged

from .api_common import ApiCase
from .common import canonical_order


@tagged("post_install", "-at_install")
class TestApiCustomers(ApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_backend = cls.backend.copy({"name": "Other store"})
        _key, cls.other_secret = cls.make_key(backend=cls.other_backend)

    def ada(self):
        self.assertEqual(self.submit(canonical_order("cust-1")).status_code, 201)
        return self.env["sale.order"].search([("retail_external_id", "=", "cust-1")]).partner_id

    def test_find_by_channel_id_email_and_phone(self):
        ada = self.ada()
        for query in (
            "external_id=cust-ada",
            "email=ada.lovelace@example.com",
            "email=Ada.Lovelace@Example.com&external_id=cust-ada",
        ):
            response = self.call("GET", f"/customers?{query}")
            self.assertEqual(response.status_code, 200, response.text)
            [customer] = response.json()["customers"]
            self.assertEqual(customer["id"], ada.id, query)
            self.assertEqual(customer["external_id"], "cust-ada")
            self.assertEqual(customer["email"], ada.email)
            self.assertEqual(customer["default_address"]["country_code"], "GB")
        by_phone = self.call("GET", "/customers", params={"phone": ada.phone}).json()
        self.assertEqual([c["id"] for c in by_phone["customers"]], [ada.id])

    def test_no_match_is_an_empty_list(self):
        self.ada()
        response = self.call("GET", "/customers?email=nobody@example.com")
        self.assertEqual(response.json(), {"customers": []})
        response = self.call("GET", "/customers?external_id=nope")
        self.assertEqual(response.json(), {"customers": []})

    def test_never_returns_customers_of_another_backend(self):
        ada = self.ada()
        response = self.call(
            "GET", "/customers?email=ada.lovelace@example.com", secret=self.other_secret
        )
        self.assertEqual(response.json(), {"customers": []})
        # A contact of nobody's channel is nobody's to see either.
        self.env["res.partner"].create({"name": "Walk-in", "email": "walkin@example.com"})
        self.assertEqual(
            self.call("GET", "/customers?email=walkin@example.com").json(), {"customers": []}
        )
        patch = self.call(
            "PATCH", f"/customers/{ada.id}", {"phone": "+1"}, secret=self.other_secret
        )
        self.assertProblem(patch, 404, "not-found")

    def test_criteria_are_required(self):
        self.assertProblem(self.call("GET", "/customers"), 400, "missing-criteria")

    def test_patch_updates_what_the_channel_owns(self):
        ada = self.ada()
        body = {
            "first_name": "Augusta Ada",
            "last_name": "King",
            "phone": "+44 20 7946 0999",
            "default_address": {"street": "10 Downing St", "city": "London", "country_code": "GB"},
        }
        response = self.call("PATCH", f"/customers/{ada.id}", body)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(ada.name, "Augusta Ada King")
        self.assertEqual(ada.street, "10 Downing St")
        self.assertEqual(response.json()["phone"], ada.phone)
        self.assertIn("0999", ada.phone)

    def test_patch_refuses_fields_odoo_owns_for_this_channel(self):
        ada = self.ada()
        self.backend.partner_sync_contact = False
        response = self.call("PATCH", f"/customers/{ada.id}", {"email": "new@example.com"})
        problem = self.assertProblem(response, 403, "not-writable")
        self.assertEqual([e["field"] for e in problem["errors"]], ["email"])
        self.assertNotEqual(ada.email, "new@example.com")

    def test_patch_refuses_read_only_and_unknown_fields(self):
        ada = self.ada()
        response = self.call("PATCH", f"/customers/{ada.id}", {"external_id": "x"})
        self.assertProblem(response, 422, "not-writable")
        response = self.call("PATCH", f"/customers/{ada.id}", {"credit_limit": 10})
        problem = self.assertProblem(response, 422, "validation")
        self.assertEqual(problem["errors"][0]["field"], "credit_limit")

    def test_patch_of_an_unknown_customer_is_not_found(self):
        self.assertProblem(self.call("PATCH", "/customers/999999999", {"phone": "1"}), 404)
