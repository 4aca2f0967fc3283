"""Helpers of the identity tests: channels that meet the same people, and
customers sent the way channel mappers build them."""

from odoo.addons.retail_connector_base.schemas import Customer
from odoo.addons.retail_connector_base.tests.common import GENERIC_SECRET, RetailCase

RELAY = "a1b2c3d4e5@relay.marketplace.example"
OBERKAMPF = {
    "street": "8 rue Oberkampf",
    "zip": "75011",
    "city": "Paris",
    "country_code": "FR",
}


def relay_extra(relay=RELAY):
    """Customer.extra as the Mirakl mapper marks a relay address."""
    return {"email_relay": True, "relay_email": relay}


class IdentityCase(RetailCase):
    """A web shop (the base's generic backend) and a marketplace, both in
    France."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.france = cls.env.ref("base.fr")
        cls.backend.identity_default_country_id = cls.france
        cls.marketplace = cls.env["retail.backend"].create(
            {
                "name": "Marketplace (generic)",
                "code": "generic",
                "webhook_secret": GENERIC_SECRET,
                "state": "active",
                "identity_default_country_id": cls.france.id,
            }
        )
        cls.Decision = cls.env["retail.identity.decision"]
        cls.Suggestion = cls.env["retail.identity.suggestion"]

    def partner(self, name, country="FR", **values):
        """An existing customer."""
        country_id = self.env.ref(f"base.{country.lower()}").id if country else False
        return self.env["res.partner"].create(dict(values, name=name, country_id=country_id))

    def resolve(self, backend=None, **customer):
        """Send ``customer`` (canonical values) through the resolver as an import
        does; return the partner it is."""
        return self.env["retail.partner.resolver"]._resolve(
            backend or self.backend, Customer(**customer)
        )

    def last_decision(self):
        return self.Decision.search([], order="id desc", limit=1)

    def bound_partner(self, backend, external_id):
        binding = self.env["retail.binding"]._find(backend, "res.partner", external_id)
        return binding._record()

    def pair(self, partner, other):
        return self.Suggestion._find_pair(partner, other)
