from odoo.addons.retail_connector_base.tests.events_common import assert_valid_event

from .test_merge import MergeCase


class TestMergeBusinessEvent(MergeCase):
    def test_merge_emits_customer_merged_about_the_survivor(self):
        self.env["retail.business.event.subscription"].create(
            {"name": "CRM", "url": "https://crm.example.com/in", "event_types": "customer.*"}
        )
        ada = self.partner("Ada Lovelace", email="ada@example.com")
        ada2 = self.partner("Ada King", email="ada@example.com")
        merge = self.Merge._merge_partners(ada, ada2)
        events = self.env["retail.business.event"].search([("event_type", "=", "customer.merged")])
        self.assertEqual(len(events), 1)
        payload = assert_valid_event(events.payload)
        self.assertEqual(payload["subject"], {"kind": "customer", "id": str(ada.id)})
        self.assertEqual(payload["data"]["merged_customer_ids"], [str(ada2.id)])
        self.assertEqual(payload["data"]["merge_id"], str(merge.id))
        self.assertEqual(payload["data"]["customer"]["email"], "ada@example.com")
        self.assertEqual(events.delivery_ids.event_id, events)
