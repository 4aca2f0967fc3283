from datetime import timedelta

from odoo import fields

from .common_identity import IdentityCase


class TestIdentityMetrics(IdentityCase):
    """Duplicate customers prevented and created reach the metrics snapshot."""

    def customers_total(self, snapshot):
        return {
            row.labels["outcome"]: row.value
            for row in snapshot
            if row.metric == "retail_customers_total" and row.backend_id == self.backend
        }

    def test_snapshot_counts_prevented_and_created_customers(self):
        Snapshot = self.env["retail.metric.snapshot"]
        address = {"street": "12 rue de la Paix", "zip": "75002", "city": "Paris"}
        customer = {
            "email": "marie.dubois@example.fr",
            "first_name": "Marie",
            "last_name": "Dubois",
            "default_address": dict(address, country_code="FR"),
        }
        self.resolve(**customer)
        self.resolve(**dict(customer, external_id="shop-501"))
        self.resolve(email="other@example.fr", first_name="Paul", last_name="Durand")
        decisions = self.env["retail.identity.decision"].search(
            [("backend_id", "=", self.backend.id)]
        )
        self.assertEqual(sorted(decisions.mapped("decision")), ["link", "new", "new"])
        now = fields.Datetime.now() + timedelta(minutes=2)
        totals = self.customers_total(Snapshot._take_snapshot(now))
        self.assertEqual(totals, {"prevented": 1, "created": 2})
        # The next window adds nothing that was counted already.
        totals = self.customers_total(Snapshot._take_snapshot(now + timedelta(minutes=5)))
        self.assertEqual(totals, {"prevented": 1, "created": 2})
