import json
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import GENERIC_SECRET, RetailCase, generic_order_payload, signed_generic_headers


@tagged("post_install", "-at_install")
class TestWebhookController(RetailCase, HttpCase):
    def post(self, body, headers=None, token=None):
        token = token or self.backend.webhook_token
        return self.url_open(
            f"/retail/webhook/{token}", data=body, headers=headers or {}, method="POST"
        )

    def signed_body(self, payload=None):
        body = json.dumps(payload or generic_order_payload()).encode()
        return body, signed_generic_headers(body)

    def events(self):
        return self.env["retail.event"].search([("backend_id", "=", self.backend.id)])

    def test_webhook_accepts_a_signed_delivery_and_stores_it_exactly(self):
        body, headers = self.signed_body()
        response = self.post(body, headers)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"status": "accepted"})
        event = self.events()
        self.assertEqual(len(event), 1)
        self.assertEqual(event.body.encode(), body)
        self.assertEqual(event.body_size, len(body))
        self.assertEqual(event.event_key, headers["webhook-id"])
        self.assertEqual(event.topic, "order.created")
        self.assertEqual(event.source, "webhook")
        self.assertEqual(event.headers["webhook-id"], headers["webhook-id"])
        self.assertNotIn("webhook-signature", event.headers)
        self.assertEqual(event.state, "queued")
        self.assertEqual(event.job_id.state, "pending")

    def test_webhook_rejects_bad_signature(self):
        body, headers = self.signed_body()
        headers["webhook-signature"] = signed_generic_headers(
            body + b"tampered", msg_id=headers["webhook-id"]
        )["webhook-signature"]
        response = self.post(body, headers)
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json()["error"], "no webhook-signature matches")
        self.assertFalse(self.events())

    def test_webhook_signed_with_the_previous_secret_is_accepted_during_the_grace(self):
        body, old_signed = self.signed_body()
        self.backend.action_generate_webhook_secret()
        self.assertEqual(self.backend.webhook_previous_secret, GENERIC_SECRET)
        self.assertTrue(self.backend.webhook_secret_rotated_at)
        self.assertEqual(self.post(body, old_signed).status_code, 200)
        body, new_signed = self.signed_body()
        new_signed = signed_generic_headers(body, secret=self.backend.webhook_secret)
        self.assertEqual(self.post(body, new_signed).status_code, 200)
        # Past the grace, the previous secret no longer signs anything.
        self.backend.webhook_secret_rotated_at = fields.Datetime.now() - timedelta(hours=2)
        body, old_signed = self.signed_body()
        self.assertEqual(self.post(body, old_signed).status_code, 401)
        self.assertEqual(len(self.events()), 2)

    def test_webhook_rejects_missing_signature(self):
        body, headers = self.signed_body()
        del headers["webhook-signature"]
        response = self.post(body, headers)
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self.events())

    def test_webhook_same_delivery_three_times_stores_one_event_and_one_job(self):
        jobs_before = self.env["queue.job"].search_count([])
        body, headers = self.signed_body()
        answers = [self.post(body, headers).json()["status"] for _i in range(3)]
        self.assertEqual(answers, ["accepted", "duplicate", "duplicate"])
        self.assertEqual(len(self.events()), 1)
        self.assertEqual(self.env["queue.job"].search_count([]), jobs_before + 1)

    def test_webhook_unknown_backend_is_404(self):
        body, headers = self.signed_body()
        response = self.post(body, headers, token="no-such-backend")
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json(), {"status": "error", "error": "unknown webhook endpoint"})
        response = self.post(body, headers, token=str(self.backend.id))
        self.assertEqual(response.status_code, 404, "the database id is no identifier")

    def test_webhook_paused_backend_stores_and_processes_on_resume(self):
        self.backend.action_pause()
        body, headers = self.signed_body()
        response = self.post(body, headers)
        self.assertEqual(response.json(), {"status": "accepted"})
        event = self.events()
        self.assertEqual(event.state, "received")
        self.assertFalse(event.job_id)
        self.backend.action_activate()
        self.assertEqual(event.state, "queued")
        self.assertTrue(event.job_id)

    def test_webhook_oversize_body_is_413_before_reading(self):
        self.backend.webhook_max_body_bytes = 1000
        body, headers = self.signed_body()
        self.assertGreater(len(body), 1000)
        response = self.post(body, headers)
        self.assertEqual(response.status_code, 413)
        self.assertIn("larger than 1000 bytes", response.json()["error"])
        self.assertFalse(self.events())

    def test_webhook_oversize_chunked_body_is_413(self):
        self.backend.webhook_max_body_bytes = 1000
        body, headers = self.signed_body()
        response = self.post(iter([body[:500], body[500:]]), headers)
        self.assertEqual(response.status_code, 413)
        self.assertFalse(self.events())

    def test_webhook_malformed_json_is_400(self):
        body = b'{"type": "order.created", "data": {'
        response = self.post(body, signed_generic_headers(body))
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["error"], "body is not valid JSON")
        self.assertFalse(self.events())

    def test_webhook_body_that_is_not_utf8_is_400(self):
        # json.loads() of bytes would accept UTF-16; RFC 8259 asks for UTF-8.
        body = json.dumps(generic_order_payload()).encode("utf-16")
        response = self.post(body, signed_generic_headers(body))
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["error"], "body is not UTF-8 (RFC 8259)")
        self.assertFalse(self.events())

    def test_webhook_body_nested_too_deeply_is_400(self):
        body = b'{"type": "order.created", "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        response = self.post(body, signed_generic_headers(body))
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["error"], "body is nested too deeply")
        self.assertFalse(self.events())

    def test_webhook_declared_type_other_than_json_is_415(self):
        body, headers = self.signed_body()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        response = self.post(body, headers)
        self.assertEqual(response.status_code, 415)
        self.assertFalse(self.events())
        headers["Content-Type"] = "application/cloudevents+json; charset=utf-8"
        self.assertEqual(self.post(body, headers).status_code, 200)

    def test_webhook_body_without_topic_is_400(self):
        body, headers = self.signed_body({"data": {}})
        response = self.post(body, headers)
        self.assertEqual(response.status_code, 400)
        self.assertIn("'type'", response.json()["error"])
        self.assertFalse(self.events())

    def test_webhook_get_is_not_allowed(self):
        response = self.url_open(f"/retail/webhook/{self.backend.webhook_token}")
        self.assertEqual(response.status_code, 405)
