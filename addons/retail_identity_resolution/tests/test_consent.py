from datetime import datetime

from odoo.addons.retail_connector_base.schemas import Customer
from odoo.addons.retail_connector_base.tests.common import GENERIC_SECRET, RetailCase

from ..consent import OPT_IN, OPT_OUT, ConsentState, apply_statement, merge_consent

JAN = datetime(2026, 1, 10)
MAR = datetime(2026, 3, 10)
JUN = datetime(2026, 6, 10)


def test_opt_out_from_another_source_is_not_lifted_by_an_opt_in():
    current = ConsentState(OPT_OUT, 1, JAN)
    assert apply_statement(current, ConsentState(OPT_IN, 2, JUN)) is None
    assert apply_statement(current, ConsentState(OPT_IN, None, JUN)) is None


def test_the_source_of_an_opt_out_lifts_it_with_a_newer_opt_in():
    current = ConsentState(OPT_OUT, 1, MAR)
    assert apply_statement(current, ConsentState(OPT_IN, 1, JAN)) is None
    assert apply_statement(current, ConsentState(OPT_IN, 1, JUN)) == ConsentState(OPT_IN, 1, JUN)


def test_an_opt_out_replaces_an_opt_in_and_keeps_its_first_date():
    opted_in = ConsentState(OPT_IN, 1, MAR)
    assert apply_statement(opted_in, ConsentState(OPT_OUT, 2, JAN)) == ConsentState(OPT_OUT, 2, JAN)
    assert apply_statement(opted_in, ConsentState(OPT_OUT, 1, JAN)) is None, "stale"
    assert apply_statement(ConsentState(OPT_OUT, 2, JAN), ConsentState(OPT_OUT, 1, JUN)) is None
    assert apply_statement(ConsentState(), ConsentState(OPT_IN, 1, JAN)) == ConsentState(
        OPT_IN, 1, JAN
    )
    assert apply_statement(opted_in, ConsentState(None, 2, JUN)) is None


def test_merge_keeps_any_opt_out_with_its_source_and_date():
    opt_in, opt_out = ConsentState(OPT_IN, 1, JUN), ConsentState(OPT_OUT, 2, JAN)
    assert merge_consent(opt_in, opt_out) == opt_out
    assert merge_consent(opt_out, opt_in) == opt_out
    earlier = ConsentState(OPT_OUT, 3, MAR)
    assert merge_consent(ConsentState(OPT_OUT, 3, JUN), earlier) == earlier
    assert merge_consent(ConsentState(OPT_IN, 1, JAN), ConsentState(OPT_IN, 2, MAR)).source == 2
    assert merge_consent(ConsentState(), ConsentState()) == ConsentState()


class TestConsent(RetailCase):
    """Marketing consent from the channels, and through merges."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Resolver = cls.env["retail.partner.resolver"]
        cls.Merge = cls.env["retail.identity.merge"]
        cls.newsletter_shop = cls.env["retail.backend"].create(
            {
                "name": "Newsletter shop (generic)",
                "code": "generic",
                "webhook_secret": GENERIC_SECRET,
                "state": "active",
            }
        )

    def resolve(self, backend, external_id, email_marketing=None, sms_marketing=None, at=JAN):
        customer = Customer.model_validate(
            {
                "external_id": external_id,
                "email": "ada@analytical.example",
                "first_name": "Ada",
                "last_name": "Lovelace",
                "consent": {
                    "email_marketing": email_marketing,
                    "sms_marketing": sms_marketing,
                    "updated_at": at.isoformat() + "Z",
                },
            }
        )
        return self.Resolver._resolve(backend, customer)

    def assertConsent(self, partner, channel, value, backend, date):
        self.assertEqual(
            (
                partner[f"retail_{channel}_consent"],
                partner[f"retail_{channel}_consent_backend_id"],
                partner[f"retail_{channel}_consent_date"],
            ),
            (value, backend, date),
        )

    def test_consent_is_recorded_at_import_with_its_source_and_date(self):
        event = self.store_event(
            {
                "type": "customer.updated",
                "data": {
                    "external_id": "cust-grace",
                    "email": "grace@navy.example",
                    "first_name": "Grace",
                    "last_name": "Hopper",
                    "consent": {
                        "email_marketing": False,
                        "sms_marketing": True,
                        "updated_at": "2026-03-10T00:00:00Z",
                    },
                },
            }
        )
        self.run_event_job(event)
        self.assertEqual(event.state, "done", event.error)
        grace = self.env["res.partner"].search([("email", "=", "grace@navy.example")])
        self.assertConsent(grace, "email", "opt_out", self.backend, MAR)
        self.assertConsent(grace, "sms", "opt_in", self.backend, MAR)
        self.assertTrue(grace.is_blacklisted, "Odoo's own mailings honour the opt-out too")

    def test_an_opt_out_is_not_lifted_by_another_channel(self):
        ada = self.resolve(self.backend, "web-ada", email_marketing=False, at=JAN)
        self.assertConsent(ada, "email", "opt_out", self.backend, JAN)
        same = self.resolve(self.newsletter_shop, "nl-ada", email_marketing=True, at=JUN)
        self.assertEqual(same, ada)
        self.assertConsent(ada, "email", "opt_out", self.backend, JAN)
        # the channel that recorded the opt-out may lift it
        self.resolve(self.backend, "web-ada", email_marketing=True, at=JUN)
        self.assertConsent(ada, "email", "opt_in", self.backend, JUN)

    def test_consent_set_by_hand_is_dated_and_from_odoo(self):
        ada = self.resolve(self.backend, "web-ada", sms_marketing=True, at=JAN)
        ada.retail_sms_consent = "opt_out"
        self.assertFalse(ada.retail_sms_consent_backend_id)
        self.assertGreater(ada.retail_sms_consent_date, JUN)

    def test_opt_out_of_the_merged_customer_survives_the_merge(self):
        kept = self.env["res.partner"].create(
            {
                "name": "Ada Lovelace",
                "retail_email_consent": "opt_in",
                "retail_email_consent_backend_id": self.newsletter_shop.id,
                "retail_email_consent_date": JUN,
            }
        )
        merged = self.env["res.partner"].create(
            {
                "name": "Ada Lovelace",
                "retail_email_consent": "opt_out",
                "retail_email_consent_backend_id": self.backend.id,
                "retail_email_consent_date": JAN,
                "retail_sms_consent": "opt_in",
                "retail_sms_consent_backend_id": self.backend.id,
                "retail_sms_consent_date": JAN,
            }
        )
        merge = self.Merge._merge_partners(kept, merged)
        self.assertConsent(kept, "email", "opt_out", self.backend, JAN)
        self.assertConsent(kept, "sms", "opt_in", self.backend, JAN)

        merge.action_undo()
        self.assertConsent(kept, "email", "opt_in", self.newsletter_shop, JUN)
        self.assertConsent(kept, "sms", False, self.env["retail.backend"], False)

    def test_opt_out_of_the_kept_customer_survives_the_merge(self):
        kept = self.env["res.partner"].create(
            {
                "name": "Ada Lovelace",
                "retail_email_consent": "opt_out",
                "retail_email_consent_date": MAR,
            }
        )
        merged = self.env["res.partner"].create(
            {
                "name": "Ada Lovelace",
                "retail_email_consent": "opt_in",
                "retail_email_consent_backend_id": self.backend.id,
                "retail_email_consent_date": JUN,
            }
        )
        self.Merge._merge_partners(kept, merged)
        self.assertConsent(kept, "email", "opt_out", self.env["retail.backend"], MAR)
