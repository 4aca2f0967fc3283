"""Adapters are plain Python: tested without a database."""

import base64
import json
import time
import unittest
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pydantic
import standardwebhooks

from .. import schemas
from ..adapters import get_adapter_class, standard_webhooks
from ..exceptions import PayloadError, PermanentError, SignatureError
from .common import GENERIC_SECRET, canonical_order, signed_generic_headers


def lower(headers):
    return {k.lower(): v for k, v in headers.items()}


class TestStandardWebhooks(unittest.TestCase):
    body = b'{"type": "order.created", "data": {"id": "1"}}'

    def test_our_signature_verifies_with_the_reference_library(self):
        headers = signed_generic_headers(self.body, msg_id="msg_1")
        reference = standardwebhooks.Webhook(GENERIC_SECRET)
        self.assertEqual(reference.verify(self.body, headers), json.loads(self.body))

    def test_reference_signature_verifies_with_ours(self):
        reference = standardwebhooks.Webhook(GENERIC_SECRET)
        now = int(time.time())
        signature = reference.sign("msg_2", _datetime(now), self.body.decode())
        headers = {
            "webhook-id": "msg_2",
            "webhook-timestamp": str(now),
            "webhook-signature": signature,
        }
        standard_webhooks.verify(GENERIC_SECRET, headers, self.body)

    def test_any_of_several_signatures_may_match(self):
        headers = lower(signed_generic_headers(self.body))
        headers["webhook-signature"] = "v1,Zm9vYmFy " + headers["webhook-signature"]
        standard_webhooks.verify(GENERIC_SECRET, headers, self.body)

    def test_tampered_body_is_rejected(self):
        headers = lower(signed_generic_headers(self.body))
        with self.assertRaisesRegex(SignatureError, "no webhook-signature matches"):
            standard_webhooks.verify(GENERIC_SECRET, headers, self.body + b" ")

    def test_other_secret_is_rejected(self):
        other = "whsec_" + "b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA=="
        headers = lower(signed_generic_headers(self.body, secret=other))
        with self.assertRaises(SignatureError):
            standard_webhooks.verify(GENERIC_SECRET, headers, self.body)

    def test_timestamp_outside_five_minutes_is_rejected(self):
        for skew in (-301, 301):
            headers = lower(signed_generic_headers(self.body, timestamp=int(time.time()) + skew))
            with self.assertRaisesRegex(SignatureError, "outside the tolerated window"):
                standard_webhooks.verify(GENERIC_SECRET, headers, self.body)
        headers = lower(signed_generic_headers(self.body, timestamp=int(time.time()) - 290))
        standard_webhooks.verify(GENERIC_SECRET, headers, self.body)

    def test_missing_headers_and_secret_are_rejected(self):
        with self.assertRaisesRegex(SignatureError, "missing"):
            standard_webhooks.verify(GENERIC_SECRET, {}, self.body)
        headers = lower(signed_generic_headers(self.body))
        with self.assertRaisesRegex(SignatureError, "no webhook secret"):
            standard_webhooks.verify(False, headers, self.body)
        headers["webhook-timestamp"] = "yesterday"
        with self.assertRaisesRegex(SignatureError, "Unix timestamp"):
            standard_webhooks.verify(GENERIC_SECRET, headers, self.body)


def generic_settings(**values):
    """A stand-in for a generic backend's settings (what the adapter reads)."""
    return SimpleNamespace(
        **{
            "webhook_secret": GENERIC_SECRET,
            "webhook_previous_secret": None,
            "webhook_secret_rotated_at": None,
            "webhook_previous_secret_hours": 1.0,
            **values,
        }
    )


class TestGenericAdapter(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.adapter = get_adapter_class("generic")(generic_settings())

    def test_inventory_topics_go_to_the_batch_tier_the_others_to_realtime(self):
        self.assertEqual(self.adapter.job_tier("inventory.updated"), "batch")
        self.assertEqual(self.adapter.job_tier("inventory"), "batch")
        for topic in ("order.created", "customer.updated", "refund.created", "inventorying"):
            self.assertEqual(self.adapter.job_tier(topic), "realtime", topic)

    def test_previous_secret_is_accepted_during_the_grace_period_only(self):
        new_secret = "whsec_" + base64.b64encode(b"the-new-secret-of-32-bytes-long!").decode()
        body = b'{"type": "order.created", "data": {}}'
        old_signed = lower(signed_generic_headers(body, secret=GENERIC_SECRET))
        rotated_at = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=30)
        adapter = get_adapter_class("generic")(
            generic_settings(
                webhook_secret=new_secret,
                webhook_previous_secret=GENERIC_SECRET,
                webhook_secret_rotated_at=rotated_at,
            )
        )
        adapter.verify_webhook(old_signed, body)
        adapter.verify_webhook(lower(signed_generic_headers(body, secret=new_secret)), body)
        adapter.backend.webhook_previous_secret_hours = 0.25
        with self.assertRaisesRegex(SignatureError, "no webhook-signature matches"):
            adapter.verify_webhook(old_signed, body)

    def test_without_rotation_only_the_secret_verifies(self):
        other = "whsec_" + base64.b64encode(b"some-other-secret-of-32-bytes!!!").decode()
        body = b"{}"
        with self.assertRaises(SignatureError):
            self.adapter.verify_webhook(lower(signed_generic_headers(body, secret=other)), body)

    def test_event_values_come_from_webhook_id_and_type(self):
        headers = lower(signed_generic_headers(b"{}", msg_id="msg_9"))
        values = self.adapter.extract_event_values(headers, {"type": "customer.updated"})
        self.assertEqual(values.event_key, "msg_9")
        self.assertEqual(values.topic, "customer.updated")
        self.assertEqual(set(values.headers), {"webhook-id", "webhook-timestamp"})
        self.assertNotIn("webhook-signature", values.headers)

    def test_payload_without_type_is_refused(self):
        for payload in ({"data": {}}, [], {"type": ""}):
            with self.assertRaises(PayloadError):
                self.adapter.extract_event_values({"webhook-id": "x"}, payload)

    def test_to_canonical_names_the_invalid_field(self):
        with self.assertRaises(PermanentError) as caught:
            self.adapter.to_canonical("t", {"type": "t", "data": "not an object"}, {})
        self.assertEqual(caught.exception.path, "data")
        envelope = self.adapter.to_canonical("t", {"type": "t", "data": {"id": 1}}, {})
        self.assertEqual(envelope.data, {"id": 1})

    def test_an_order_with_more_lines_than_an_import_can_take_is_refused(self):
        data = canonical_order("big")
        line = data["lines"][0]
        data["lines"] = [dict(line, external_id=str(n)) for n in range(schemas.MAX_ORDER_LINES + 1)]
        with self.assertRaises(PermanentError) as caught:
            self.adapter.to_canonical("order.created", {"type": "order.created", "data": data}, {})
        self.assertEqual(caught.exception.path, "data.lines")
        self.assertIn(f"at most {schemas.MAX_ORDER_LINES} items", str(caught.exception))
        data["lines"] = data["lines"][: schemas.MAX_ORDER_LINES]
        order = self.adapter.to_canonical(
            "order.created", {"type": "order.created", "data": data}, {}
        )
        self.assertEqual(len(order.lines), schemas.MAX_ORDER_LINES)

    def test_no_channel_backend_authenticates_nothing(self):
        adapter = get_adapter_class("none")(SimpleNamespace())
        with self.assertRaises(SignatureError):
            adapter.verify_webhook({}, b"{}")

    def test_unknown_channel_has_no_adapter(self):
        with self.assertRaises(LookupError):
            get_adapter_class("myspace")


def _datetime(timestamp):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(timestamp, tz=UTC)


class TestCanonicalAddress(unittest.TestCase):
    def test_address_without_country_code_is_valid(self):
        for missing in (None, "", "  "):
            address = schemas.Address(city="Lyon", country_code=missing)
            self.assertIsNone(address.country_code)

    def test_country_code_is_upper_cased_and_checked(self):
        self.assertEqual(schemas.Address(country_code=" fr ").country_code, "FR")
        with self.assertRaises(pydantic.ValidationError):
            schemas.Address(country_code="FRA")
