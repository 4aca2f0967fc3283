"""Customer validation waits for an identity review when the backend asks."""

import json

from odoo.addons.retail_connector_base.tests.common import RetailCase, canonical_order


class TestIdentityDecidedStep(RetailCase):
    def import_order(self, external_id):
        event = self.store_event({"type": "order.created", "data": canonical_order(external_id)})
        self.run_event_job(event)
        self.assertEqual(event.state, "done", event.error)
        return self.env["sale.order"].search(
            [("retail_backend_id", "=", self.backend.id), ("retail_external_id", "=", external_id)]
        )

    def test_customer_in_review_is_held_until_the_review_is_decided(self):
        first = self.import_order("1001")
        customer = first.partner_id
        lookalike = self.env["res.partner"].create({"name": "Ada Lovelace", "city": "London"})
        suggestion = self.env["retail.identity.suggestion"].create(
            {"partner_a_id": customer.id, "partner_b_id": lookalike.id, "score": 12.0}
        )
        step = self.backend.flow_step_ids.filtered(lambda s: s.code == "customer")
        step.parameters = json.dumps({"require_identity_decided": True})
        order = self.import_order("1002")
        self.assertEqual(order.state, "draft")
        self.assertIn("may be the same person as another customer", order.retail_hold_reason)
        run = order.retail_step_run_ids.filtered(lambda r: r.code == "customer")
        self.assertEqual((run.outcome, run.decided_by), ("held", "identity resolution"))
        suggestion.state = "rejected"
        run.action_retry()
        self.assertEqual(order.state, "sale")
        self.assertEqual(run.outcome, "passed")

    def test_identity_review_is_ignored_by_the_default_flow(self):
        first = self.import_order("1001")
        lookalike = self.env["res.partner"].create({"name": "Ada Lovelace"})
        self.env["retail.identity.suggestion"].create(
            {"partner_a_id": first.partner_id.id, "partner_b_id": lookalike.id, "score": 12.0}
        )
        self.assertEqual(self.import_order("1002").state, "sale")
