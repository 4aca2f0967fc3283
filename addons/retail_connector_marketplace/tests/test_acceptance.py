"""Acceptance of Mirakl orders: the pure per-line decision, and an order
event going through base's importer with the marketplace's holds."""

import copy
import json
import unittest
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from unittest.mock import patch

from odoo import fields

from odoo.addons.retail_connector_base import schemas
from odoo.addons.retail_connector_base.adapters import EventValues
from odoo.addons.retail_connector_base.tests.common import RetailCase

from .. import acceptance
from ..adapters.mirakl import order_event_key

SAMPLES = Path(__file__).resolve().parent / "samples"


def sample(name):
    return json.loads((SAMPLES / f"{name}.json").read_text())


def facts(line_id="L1", sku="MUG", quantity=2, price="10", available=5, cost="4"):
    return acceptance.LineFacts(
        line_id=line_id,
        sku=sku,
        quantity=quantity,
        unit_price=Decimal(price),
        available=available,
        cost=None if cost is None else Decimal(cost),
    )


class TestDecision(unittest.TestCase):
    def test_in_stock_lines_are_accepted(self):
        [decision] = acceptance.decide([facts()], acceptance.Rules())
        self.assertEqual(decision, acceptance.Decision("L1", True, ""))

    def test_short_of_stock_is_refused_with_what_is_available(self):
        decisions = acceptance.decide(
            [facts(), facts("L2", "CAP", quantity=3, available=2)], acceptance.Rules()
        )
        self.assertEqual([d.accepted for d in decisions], [True, False])
        self.assertEqual(decisions[1].reason, "short of stock (2 available)")

    def test_lines_of_one_sku_share_its_stock(self):
        decisions = acceptance.decide(
            [facts(quantity=3, available=4), facts("L2", quantity=2, available=4)],
            acceptance.Rules(),
        )
        self.assertEqual(decisions[1].reason, "short of stock (1 available)")

    def test_stock_check_can_be_off(self):
        rules = acceptance.Rules(check_stock=False)
        self.assertTrue(acceptance.decide([facts(available=0)], rules)[0].accepted)

    def test_blocked_and_unknown_skus(self):
        rules = acceptance.Rules(blocked_skus=acceptance.blocked_skus("CAP; MUG,\nX"))
        self.assertEqual(rules.blocked_skus, {"CAP", "MUG", "X"})
        decisions = acceptance.decide([facts(), facts("L2", "NEW", available=None)], rules)
        self.assertEqual([d.reason for d in decisions], ["blocked SKU", "unknown SKU"])

    def test_minimum_margin(self):
        rules = acceptance.Rules(min_margin=Decimal(10))
        decisions = acceptance.decide([facts(price="10", cost="9.5"), facts("L2")], rules)
        self.assertEqual(decisions[0].reason, "margin 5% below 10%")
        self.assertTrue(decisions[1].accepted)

    def test_without_partial_acceptance_the_whole_order_is_refused(self):
        rules = acceptance.Rules(allow_partial=False)
        decisions = acceptance.decide([facts(), facts("L2", available=0)], rules)
        self.assertEqual([d.accepted for d in decisions], [False, False])
        self.assertIn("partial acceptance", decisions[0].reason)
        self.assertEqual(decisions[1].reason, "short of stock (0 available)")

    def test_untaxed_unit_price(self):
        line = schemas.OrderLine(
            external_id="L1",
            name="Mug",
            quantity=2,
            unit_price="13",
            tax_lines=[{"rate": "0.2", "amount": "4"}],
            extra={"price": 24.0},  # Mirakl's price, after promotions
        )
        self.assertEqual(acceptance.untaxed_unit_price(line, True), Decimal(10))
        self.assertEqual(acceptance.untaxed_unit_price(line, False), Decimal(12))
        without_price = line.model_copy(update={"extra": {}})
        self.assertEqual(acceptance.untaxed_unit_price(without_price, False), Decimal(13))

    def test_deadline_from_the_payload_else_from_the_delay(self):
        order = SimpleNamespace(
            extra={"acceptance_deadline_date": "2026-11-03T09:00:00+01:00"},
            created_at=datetime(2026, 11, 1, 8, 0, tzinfo=UTC),
        )
        self.assertEqual(acceptance.deadline(order, 72), datetime(2026, 11, 3, 8, 0))
        order.extra = {"acceptance_deadline_date": "soon"}
        self.assertEqual(acceptance.deadline(order, 72), datetime(2026, 11, 4, 8, 0))
        order.extra = {}
        self.assertEqual(acceptance.deadline(order, 24), datetime(2026, 11, 2, 8, 0))


class PolledOrders:
    """Mirakl orders stored as the poll stores them, and the sale order of one
    (``self.marketplace``: the Mirakl backend)."""

    def store(self, payload):
        values = EventValues(
            event_key=order_event_key(payload),
            topic=f"orders/{payload['order_state'].lower()}",
            headers={},
        )
        return self.env["retail.event"]._insert_idempotent(
            self.marketplace._get_settings(), values, json.dumps(payload), source="poll"
        )

    def sale_order(self, payload):
        return self.env["sale.order"].search(
            [
                ("retail_backend_id", "=", self.marketplace.id),
                ("retail_external_id", "=", payload["order_id"]),
            ]
        )


class TestMiraklOrderFlow(PolledOrders, RetailCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Product = cls.env["product.product"]
        cls.blue_mug = Product.create(
            {"name": "Blue mug", "default_code": "MUG-BLUE", "is_storable": True}
        )
        cls.teapot = Product.create(
            {"name": "Teapot", "default_code": "TEAPOT-CAST", "is_storable": True}
        )
        cls.marketplace = cls.env["retail.backend"].create(
            {
                "name": "Marketplace",
                "code": "mirakl",
                "mirakl_api_url": "http://127.0.0.1:1",
                "mirakl_api_key": "key",
                "state": "active",
            }
        )
        cls.env.ref("base.EUR").active = True
        cls.env.company.tax_calculation_rounding_method = "round_per_line"
        stock = cls.env.ref("stock.stock_location_stock")
        cls.env["stock.quant"]._update_available_quantity(cls.blue_mug, stock, 5)

    def acceptance_jobs(self):
        return self.env["queue.job"].search(
            [
                ("model_name", "=", "retail.mirakl.acceptance"),
                ("method_name", "=", "_accept_order"),
            ],
            order="id",
        )

    def test_partly_accepted_order_is_confirmed_at_shipping(self):
        """One line accepted, one refused for lack of stock: whether the
        operator recomputed total_price after the refusal or not, the order
        is checked against the line that stands and confirmed."""
        for order_id, total_price in (("PART-1", 69.8), ("PART-2", 29.9)):
            with self.subTest(total_price=total_price):
                payload = sample("order_waiting_acceptance")
                payload.update(
                    order_id=order_id,
                    order_state="SHIPPING",
                    last_updated_date="2026-11-02T10:00:00Z",
                    total_price=total_price,
                )
                accepted, refused = payload["order_lines"]
                accepted["order_line_state"] = "SHIPPING"
                refused["order_line_state"] = "REFUSED"
                event = self.store(payload)
                self.assertFalse(self.run_event_job(event))
                self.assertEqual(event.state, "done", event.state_reason or event.error)
                order = self.sale_order(payload)
                self.assertFalse(order.retail_hold_reason)
                self.assertEqual(order.state, "sale")
                self.assertEqual(order.order_line.product_id.mapped("default_code")[0], "MUG-BLUE")
                self.assertNotIn(self.teapot, order.order_line.product_id)
                # 2 x 12.50 and 4.90 shipping, 20 % included
                self.assertEqual((order.amount_total, order.amount_tax), (29.9, 4.99))

    def test_waiting_acceptance_is_held_and_accepted_once(self):
        payload = sample("order_waiting_acceptance")
        event = self.store(payload)
        self.assertFalse(self.run_event_job(event))
        self.assertEqual(event.state, "done", event.state_reason or event.error)
        order = self.sale_order(payload)
        self.assertEqual(order.state, "draft")
        self.assertIn("Waiting for acceptance on the marketplace", order.retail_hold_reason)
        self.assertEqual(order.mirakl_acceptance, "pending")
        self.assertTrue(order.mirakl_acceptance_deadline)
        calls = []
        with patch.object(
            type(self.env["retail.mirakl.acceptance"]),
            "_send_acceptance",
            lambda self, backend, order_id, decisions, line_ids: calls.append(
                (order_id, decisions)
            ),
        ):
            [job] = self.acceptance_jobs()
            self.assertFalse(self.run_job(job))
            # The same version polled again queues nothing new and sends nothing.
            again = self.store(dict(payload, last_updated_date="2026-11-02T09:20:00Z"))
            self.run_event_job(again)
            for job in self.acceptance_jobs()[1:]:
                self.run_job(job)
        self.assertEqual(
            calls,
            [("FR-2611-0042-A", {"FR-2611-0042-A-1": True, "FR-2611-0042-A-2": False})],
        )
        self.assertEqual(order.mirakl_acceptance, "partial")
        self.assertIn(
            "FR-2611-0042-A-2: refused, short of stock (0 available)", order.mirakl_acceptance_note
        )

    def test_an_acceptance_whose_answer_was_lost_is_read_back(self):
        """OR21 refused as already decided: the order shows whether it was our decision."""
        from ..client import MiraklClient, MiraklRequestError

        payload = sample("order_waiting_acceptance")
        self.run_event_job(self.store(payload))
        order = self.sale_order(payload)
        refused = MiraklRequestError("PUT", "/accept", 400, "ORDER_NOT_WAITING_ACCEPTANCE")

        def marketplace(line_states):
            current = copy.deepcopy(payload)
            current["order_state"] = "WAITING_DEBIT"
            for line, state in zip(current["order_lines"], line_states, strict=True):
                line["order_line_state"] = state
            return patch.object(MiraklClient, "orders", side_effect=lambda *a, **k: iter([current]))

        Acceptance = self.env["retail.mirakl.acceptance"]
        send = patch.object(type(Acceptance), "_send_acceptance", side_effect=refused)
        with send, marketplace(["WAITING_DEBIT", "REFUSED"]):
            [job] = self.acceptance_jobs()
            self.assertFalse(self.run_job(job))
        self.assertEqual(order.mirakl_acceptance, "partial", "our decision, read back")

        order.mirakl_acceptance = "pending"
        with send, marketplace(["WAITING_DEBIT", "WAITING_DEBIT"]):
            Acceptance._accept_order(*job.args)
        self.assertEqual(order.mirakl_acceptance, "error", "not what we decided")
        self.assertIn("ORDER_NOT_WAITING_ACCEPTANCE", order.mirakl_acceptance_note)

    def test_debit_then_shipping_confirms_with_addresses(self):
        payload = sample("order_waiting_acceptance")
        self.run_event_job(self.store(payload))
        order = self.sale_order(payload)
        debit = copy.deepcopy(payload)
        debit.update(order_state="WAITING_DEBIT", last_updated_date="2026-11-02T10:00:00Z")
        self.run_event_job(self.store(debit))
        self.assertEqual(order.state, "draft")
        self.assertIn("waiting for the marketplace to debit", order.retail_hold_reason)
        shipping = copy.deepcopy(debit)
        address = {
            "firstname": "Camille",
            "lastname": "Durand",
            "street_1": "3 quai des Chartrons",
            "zip_code": "33000",
            "city": "Bordeaux",
            "country_iso_code": "FRA",
        }
        shipping["customer"].update(billing_address=address, shipping_address=address)
        shipping.update(order_state="SHIPPING", last_updated_date="2026-11-02T11:00:00Z")
        for line in shipping["order_lines"]:
            line["order_line_state"] = "SHIPPING"
        event = self.store(shipping)
        self.run_event_job(event)
        self.assertFalse(order.retail_hold_reason)
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.partner_shipping_id.city, "Bordeaux")
        self.assertEqual(order.retail_channel_status, "shipping")

    def test_refused_without_decision_is_recorded(self):
        payload = sample("order_waiting_acceptance")
        self.run_event_job(self.store(payload))
        order = self.sale_order(payload)
        refused = copy.deepcopy(payload)
        refused.update(
            order_state="REFUSED",
            last_updated_date="2026-11-05T09:15:00Z",
            order_state_reason_code="ACCEPTANCE_DEADLINE_EXPIRED",
            order_state_reason_label="Not accepted before the deadline",
        )
        for line in refused["order_lines"]:
            line["order_line_state"] = "REFUSED"
        event = self.store(refused)
        self.run_event_job(event)
        self.assertEqual(order.state, "cancel")
        self.assertEqual(order.mirakl_acceptance, "auto_refused")
        self.assertIn("Not accepted before the deadline", order.mirakl_acceptance_note)
        self.assertIn("deadline was missed", event.state_reason)

    def test_operator_refunds_are_recorded_once(self):
        payload = sample("order_closed_refunded")
        event = self.store(payload)
        self.run_event_job(event)
        self.assertEqual(event.state, "done", event.error)
        order = self.sale_order(payload)
        Refund = self.env["retail.order.refund"]
        self.assertEqual(Refund.search_count([("order_id", "=", order.id)]), 2)
        again = self.store(dict(payload, last_updated_date="2026-12-01T00:00:00Z"))
        self.run_event_job(again)
        self.assertEqual(Refund.search_count([("order_id", "=", order.id)]), 2)

    def test_line_incident_holds_the_order(self):
        payload = sample("order_closed_refunded")
        payload["order_lines"][0]["order_line_state"] = "INCIDENT_OPEN"
        self.run_event_job(self.store(payload))
        order = self.sale_order(payload)
        self.assertIn("incident", order.retail_hold_reason)

    def test_deadline_warning_once(self):
        payload = sample("order_waiting_acceptance")
        self.run_event_job(self.store(payload))
        order = self.sale_order(payload)
        order.mirakl_acceptance_deadline = fields.Datetime.now() + timedelta(hours=3)
        Acceptance = self.env["retail.mirakl.acceptance"]
        Acceptance._cron_deadline_warnings()
        Acceptance._cron_deadline_warnings()
        self.assertEqual(len(order.activity_ids), 1)
        self.assertTrue(order.mirakl_deadline_warned)

    def test_poll_cron_respects_the_interval(self):
        self.assertTrue(self.marketplace.support_polling)
        cursor = self.env["retail.poll.cursor"]._get(self.marketplace, "orders")
        cursor.last_run_at = fields.Datetime.now()
        before = self.poll_jobs()
        self.env["retail.backend"]._cron_poll()
        self.assertEqual(self.poll_jobs(), before)
        cursor.last_run_at = fields.Datetime.now() - timedelta(minutes=6)
        self.env["retail.backend"]._cron_poll()
        self.assertEqual(self.poll_jobs(), before + 1, "polled again after its 5 minutes")

    def poll_jobs(self):
        return self.env["queue.job"].search_count(
            [("model_name", "=", "retail.backend"), ("method_name", "=", "_poll")]
        )
