"""The Shopify side of the base's poll and the backfill's runtime state
(the fake Shopify and the real job runner: tests/shopify/test_reconciliation.py)."""

import unittest
from datetime import datetime, timedelta
from unittest.mock import patch

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.retail_connector_base.exceptions import PermanentError
from odoo.addons.retail_connector_base.tests.common import RetailCase

from .. import exports
from ..models.retail_backend import _BackendTokenStore
from ..reconciliation import (
    backfill_orders,
    backfill_status,
    polled_records,
    updated_since_query,
)


class TestReconciliationCore(unittest.TestCase):
    def test_nodes_become_records_keyed_by_gid_and_update(self):
        node = {"id": "gid://shopify/Order/1", "updatedAt": "2026-11-02T10:30:00+01:00"}
        [record] = polled_records([node], "orders/poll")
        self.assertEqual(record.event_values.event_key, f"{node['id']}@{node['updatedAt']}")
        self.assertEqual(record.event_values.topic, "orders/poll")
        self.assertEqual(record.updated_at, datetime(2026, 11, 2, 9, 30))
        self.assertEqual((record.res_model, record.external_id), ("sale.order", node["id"]))
        self.assertEqual(
            record.body, b'{"id":"gid://shopify/Order/1","updatedAt":"2026-11-02T10:30:00+01:00"}'
        )
        [customer] = polled_records([dict(node, id="gid://shopify/Customer/2")], "customers/poll")
        self.assertEqual(customer.res_model, "res.partner")

    def test_node_without_update_time_fails(self):
        with self.assertRaisesRegex(PermanentError, "without id or updatedAt"):
            list(polled_records([{"id": "gid://shopify/Order/1"}], "orders/poll"))
        with self.assertRaisesRegex(PermanentError, "not a Shopify timestamp"):
            list(
                polled_records(
                    [{"id": "gid://shopify/Order/1", "updatedAt": "soon"}], "orders/poll"
                )
            )

    def test_search_and_status(self):
        since = datetime(2026, 11, 2, 8, 50)
        self.assertEqual(updated_since_query(since), "updated_at:>='2026-11-02T08:50:00Z'")
        status = backfill_status("3 stored (4 exported)", "running")
        self.assertEqual(status, "orders: 3 stored (4 exported); customers: running")
        self.assertEqual(backfill_orders(status), "3 stored (4 exported)")
        self.assertEqual(backfill_orders(False), "")

    def test_allocation_fills_open_fulfillment_orders_only(self):
        def line(node_id, line_id, remaining):
            return {"id": node_id, "lineItem": {"id": line_id}, "remainingQuantity": remaining}

        fulfillment_orders = [
            {"id": "FO1", "status": "CLOSED", "lineItems": {"nodes": [line("a", "L1", 5)]}},
            {"id": "FO2", "status": "OPEN", "lineItems": {"nodes": [line("b", "L1", 1)]}},
            {
                "id": "FO3",
                "status": "IN_PROGRESS",
                "lineItems": {"nodes": [line("c", "L1", 4), line("d", "L2", 0)]},
            },
        ]
        to_ship = {"L1": 3, "L2": 2}
        calls = exports.allocate(fulfillment_orders, to_ship)
        self.assertEqual(
            calls, [("FO2", [{"id": "b", "quantity": 1}]), ("FO3", [{"id": "c", "quantity": 2}])]
        )
        self.assertEqual(to_ship, {"L1": 0, "L2": 2})
        self.assertEqual(
            exports.fulfillment_summary(["F1"], to_ship),
            "Fulfillments F1; already fulfilled or not open in Shopify: {'L2': 2}",
        )

    def test_stock_mutation_is_idempotent_per_message_item_and_quantity(self):
        first = exports.inventory_set_variables(7, "gid://shopify/InventoryItem/1", "L", 3)
        self.assertEqual(
            first, exports.inventory_set_variables(7, "gid://shopify/InventoryItem/1", "L", 3)
        )
        self.assertNotEqual(
            first["idempotencyKey"],
            exports.inventory_set_variables(7, "gid://shopify/InventoryItem/1", "L", 4)[
                "idempotencyKey"
            ],
        )
        self.assertIsNone(first["input"]["quantities"][0]["changeFromQuantity"])
        self.assertEqual(exports.tracking_info("DHL", None, ""), {"company": "DHL"})


class TestShopifyBackendRuntime(RetailCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop = cls.env["retail.backend"].create(
            {
                "name": "Shopify runtime",
                "code": "shopify",
                "state": "active",
                "shopify_shop_domain": "runtime-test.myshopify.com",
                "shopify_client_id": "client",
                "shopify_client_secret": "shpss_first",
            }
        )

    def test_shopify_polls_orders_every_5_minutes(self):
        self.assertTrue(self.shop.support_polling)
        self.assertEqual(self.shop.poll_interval_minutes, 5)
        self.assertEqual(self.shop._get_poll_label("orders"), "orders")

    def test_poll_stores_the_orders_shopify_returns(self):
        nodes = [
            {"id": "gid://shopify/Order/1", "updatedAt": "2026-11-02T09:00:00Z"},
            {"id": "gid://shopify/Order/2", "updatedAt": "2026-11-02T09:05:00Z"},
        ]
        asked = []

        def paginate(client, query, variables, connection, page_size=None):
            asked.append((variables, connection, page_size))
            yield from nodes

        with patch.object(type(self.shop._shopify_client()), "paginate", paginate):
            result = self.shop._poll()
        self.assertIn("2 orders updated since", result)
        self.assertIn("2 new events", result)
        since = self.shop.create_date - timedelta(minutes=10)
        self.assertEqual(
            asked, [({"query": f"updated_at:>='{since:%Y-%m-%dT%H:%M:%S}Z'"}, "orders", 5)]
        )
        self.assertEqual(self.shop.poll_cursor, datetime(2026, 11, 2, 9, 5))
        events = self.env["retail.event"].search([("backend_id", "=", self.shop.id)])
        self.assertEqual(
            sorted(events.mapped("event_key")), [f"{n['id']}@{n['updatedAt']}" for n in nodes]
        )
        self.assertEqual(set(events.mapped("topic")), {"orders/poll"})

    def test_granted_token_is_runtime_state_dropped_by_a_new_secret(self):
        store = _BackendTokenStore(self.shop)
        self.assertEqual(store.get(), (None, 0))
        store.save("granted", 1_900_000_000.5)
        self.assertEqual(store.get(), ("granted", 1_900_000_000.5))
        self.assertEqual(self.shop._get_runtime_value("shopify_granted_token"), "granted")
        self.shop.shopify_client_secret = "shpss_second"
        self.assertEqual(store.get(), (None, 0))

    def test_backfill_status_shows_the_runtime_value(self):
        self.shop._set_runtime_values(
            {
                "shopify_backfill_status": "orders: waiting; customers: waiting",
                "shopify_bulk_operation_id": "gid://shopify/BulkOperation/1",
            }
        )
        self.shop.invalidate_recordset()
        self.assertEqual(self.shop.shopify_backfill_status, "orders: waiting; customers: waiting")
        self.assertEqual(self.shop.shopify_bulk_operation_id, "gid://shopify/BulkOperation/1")
        # Another backfill waits for the running one.
        action = self.shop.action_shopify_backfill_orders()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("gid://shopify/BulkOperation/1", action["params"]["message"])

    def test_cron_takes_up_the_check_of_a_running_backfill(self):
        Backend = self.env["retail.backend"]
        with trap_jobs() as trapped:
            Backend._cron_poll()
        self.assertFalse(
            [j for j in trapped.enqueued_jobs if j.method_name == "_shopify_backfill_check"]
        )
        self.shop._set_runtime_values(
            {"shopify_bulk_operation_id": "gid://shopify/BulkOperation/1"}
        )
        with trap_jobs() as trapped:
            Backend._cron_poll()
        checks = [
            job for job in trapped.enqueued_jobs if job.method_name == "_shopify_backfill_check"
        ]
        self.assertEqual([job.recordset for job in checks], [self.shop])
        polls = [job for job in trapped.enqueued_jobs if job.method_name == "_poll"]
        self.assertIn(self.shop, [job.recordset for job in polls])
