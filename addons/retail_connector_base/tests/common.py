"""Test helpers that read like the domain: a channel backend, signed
deliveries, and jobs run the way queue_job's runner runs them."""

import base64
import json
import time
import uuid
from contextlib import contextmanager
from unittest.mock import patch

from odoo.tests.common import TransactionCase

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job

from ..adapters import EventValues, standard_webhooks

GENERIC_SECRET = "whsec_" + base64.b64encode(b"retail-connect-test-secret-key!!").decode()


def canonical_order(external_id="1001", **overrides):
    """A canonical order as a channel mapper produces it: two T-shirts at
    19.90 and paid shipping, 20 % tax on top, a customer with separate
    billing and shipping addresses."""
    order = {
        "external_id": external_id,
        "name": f"#{external_id}",
        "created_at": "2026-11-02T10:00:00+01:00",
        "updated_at": "2026-11-02T10:00:00+01:00",
        "currency": "USD",
        "taxes_included": False,
        "customer": {
            "external_id": "cust-ada",
            "email": "Ada.Lovelace@Example.com",
            "phone": "+44 20 7946 0001",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "default_address": BILLING,
            "updated_at": "2026-11-01T08:00:00Z",
        },
        "billing_address": BILLING,
        "shipping_address": SHIPPING,
        "lines": [
            {
                "external_id": "line-1",
                "sku": "TSHIRT-M",
                "name": "T-shirt, size M",
                "quantity": 2,
                "unit_price": "19.90",
                "tax_lines": [{"title": "VAT", "rate": "0.2", "amount": "7.96"}],
            }
        ],
        "shipping_lines": [
            {
                "title": "Standard shipping",
                "price": "4.90",
                "tax_lines": [{"title": "VAT", "rate": "0.2", "amount": "0.98"}],
            }
        ],
        "totals": {"untaxed": "44.70", "tax": "8.94", "total": "53.64"},
        "payment_state": "paid",
        "channel_status": "open",
        "note": "Leave at the door.",
    }
    order.update(overrides)
    return order


BILLING = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "street": "12 St James's Square",
    "city": "London",
    "zip": "SW1Y 4JH",
    "country_code": "GB",
    "phone": "+44 20 7946 0001",
}
SHIPPING = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "company": "Analytical Engines Ltd",
    "street": "1 Babbage Lane",
    "street2": "Floor 2",
    "city": "Cambridge",
    "zip": "CB2 1TN",
    "country_code": "GB",
}


def generic_order_payload(order_id="1001", **order_overrides):
    """A generic-channel delivery: a canonical order in its envelope."""
    return {
        "type": "order.created",
        "timestamp": "2026-11-02T10:00:05Z",
        "data": canonical_order(order_id, **order_overrides),
    }


def signed_generic_headers(body, msg_id=None, timestamp=None, secret=GENERIC_SECRET):
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_webhooks.sign(secret, msg_id, timestamp, body),
    }


class RetailCase(TransactionCase):
    """A company with an active generic backend."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        Tax = cls.env["account.tax"]
        tax_values = {
            "amount": 20,
            "amount_type": "percent",
            "type_tax_use": "sale",
            "sequence": 0,
            "tax_group_id": cls.env["account.tax.group"].create({"name": "Test VAT"}).id,
            "country_id": (cls.env.company.account_fiscal_country_id or cls.env.ref("base.us")).id,
        }
        cls.tax_20 = Tax.create(dict(tax_values, name="Test sales tax 20%"))
        cls.tax_20_included = Tax.create(
            dict(
                tax_values,
                name="Test sales tax 20% incl.",
                price_include_override="tax_included",
            )
        )
        Product = cls.env["product.product"]
        cls.tshirt = Product.create(
            {"name": "T-shirt M", "default_code": "TSHIRT-M", "type": "consu", "list_price": 25}
        )
        cls.mug = Product.create(
            {
                "name": "Mug",
                "default_code": "MUG",
                "barcode": "4006381333931",
                "type": "consu",
                "list_price": 12,
            }
        )
        cls.backend = cls.env["retail.backend"].create(
            {
                "name": "POS (generic)",
                "code": "generic",
                "webhook_secret": GENERIC_SECRET,
                "state": "active",
                "max_attempts": 3,
            }
        )

    def store_event(self, payload=None, key=None, topic=None, backend=None):
        """Store a delivery as the webhook controller does; return the event."""
        payload = payload if payload is not None else generic_order_payload()
        body = json.dumps(payload).encode()
        values = EventValues(
            event_key=key or f"msg_{uuid.uuid4().hex}",
            topic=topic or payload.get("type", "order.created"),
            headers={"webhook-id": key or "test"},
        )
        return self.env["retail.event"]._insert_idempotent(
            (backend or self.backend)._get_settings(), values, body
        )

    def run_job(self, job_record):
        """Run one stored job as queue_job's runner does.

        The runner wraps the job in a savepoint of its own; here, the test
        cursor is shared with the "other" cursors a job opens, so that outer
        savepoint would also undo what those cursors wrote. The job's own
        savepoint already undoes its work on failure.
        Returns the exception that failed the job, if any.
        """
        job = Job.load(self.env, job_record.uuid)
        job.set_started()
        job.store()
        failure = None
        with self.enter_registry_test_mode():
            try:
                job.perform()
            except RetryableJobError as exc:
                job.postpone(result=str(exc), seconds=exc.seconds)
                job.set_pending(reset_retry=False)
            except Exception as exc:  # noqa: BLE001 - the caller asserts on it
                failure = exc
                job.set_failed(exc_name=type(exc).__name__, exc_message=str(exc))
            else:
                job.set_done()
            job.store()
        self.env.invalidate_all()
        return failure

    def run_event_job(self, event):
        """Run the current processing job of ``event``."""
        return self.run_job(event.job_id)

    @contextmanager
    def apply_raising(self, exception_factory):
        """Make the importer seam raise ``exception_factory()`` on each call."""
        calls = []

        def _apply_canonical(event_self, canonical):
            calls.append(event_self.id)
            raise exception_factory()

        with patch.object(type(self.env["retail.event"]), "_apply_canonical", _apply_canonical):
            yield calls
