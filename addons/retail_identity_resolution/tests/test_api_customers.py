from odoo.tests import tagged

from odoo.addons.retail_connector_base.tests.api_common import ApiCase
from odoo.addons.retail_connector_base.tests.common import canonical_order


@tagged("post_install", "-at_install")
class TestApiCustomerLookup(ApiCase):
    """The Channel API finds customers by identity resolution's keys and
    records their consent by its rules."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.identity_default_country_id = cls.env.ref("base.uk")

    def grace(self):
        customer = {
            "external_id": "cust-grace",
            "email": "grace.hopper@gmail.com",
            "phone": "+44 20 7946 0002",
            "first_name": "Grace",
            "last_name": "Hopper",
        }
        self.assertEqual(self.submit(canonical_order("id-1", customer=customer)).status_code, 201)
        return self.env["sale.order"].search([("retail_external_id", "=", "id-1")]).partner_id

    def found(self, **params):
        response = self.call("GET", "/customers", params=params)
        self.assertEqual(response.status_code, 200, response.text)
        return [customer["id"] for customer in response.json()["customers"]]

    def test_email_and_phone_are_matched_by_their_keys(self):
        grace = self.grace()
        self.assertEqual(self.found(email="GraceHopper+shop@googlemail.com"), [grace.id])
        # A national number, read with the backend's default country.
        self.assertEqual(self.found(phone="020 7946 0002"), [grace.id])
        self.assertEqual(self.found(email="grace@example.com"), [])
        self.assertEqual(self.found(email="not an email"), [])

    def test_consent_is_answered_and_an_opt_out_wins(self):
        grace = self.grace()
        body = {"consent": {"email_marketing": True, "sms_marketing": False}}
        response = self.call("PATCH", f"/customers/{grace.id}", body)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(
            {k: v for k, v in response.json()["consent"].items() if k != "updated_at"},
            {"email_marketing": True, "sms_marketing": False, "extra": {}},
        )
        self.assertEqual(grace.retail_email_consent, "opt_in")
        self.assertEqual(grace.retail_sms_consent, "opt_out")
