from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .api_common import ApiCase
from .common import canonical_order


@tagged("post_install", "-at_install")
class TestApiAuthentication(ApiCase):
    def test_missing_key_is_401_with_a_bearer_challenge(self):
        response = self.call("GET", "/orders/x", secret=False)
        self.assertProblem(response, 401, "unauthorized")
        self.assertEqual(response.headers["WWW-Authenticate"], 'Bearer realm="retail-api"')

    def test_unknown_key_is_401(self):
        response = self.call("GET", "/orders/x", secret="rck_not-a-key")
        problem = self.assertProblem(response, 401, "unauthorized")
        self.assertEqual(problem["detail"], "Unknown API key.")
        self.assertIn('error="invalid_token"', response.headers["WWW-Authenticate"])

    def test_key_is_stored_hashed_and_never_readable(self):
        self.assertTrue(self.secret.startswith("rck_"))
        stored = self.key.sudo().read(["key_hash", "key_prefix"])[0]
        self.assertNotIn(self.secret, str(stored))
        self.assertEqual(stored["key_prefix"], self.secret[:10])
        self.assertEqual(len(stored["key_hash"]), 64)

    def test_expired_key_is_refused(self):
        self.key.expires_at = fields.Datetime.now() - timedelta(seconds=1)
        self.assertEqual(self.key.state, "expired")
        problem = self.assertProblem(self.call("GET", "/orders/x"), 401, "unauthorized")
        self.assertEqual(problem["detail"], "This API key is expired.")

    def test_revoked_key_is_refused_at_once(self):
        self.assertEqual(self.call("GET", "/orders/x").status_code, 404)
        self.key.action_revoke()
        self.assertEqual(self.key.state, "revoked")
        self.assertFalse(self.key.user_id.active)
        problem = self.assertProblem(self.call("GET", "/orders/x"), 401, "unauthorized")
        self.assertEqual(problem["detail"], "This API key is revoked.")

    def test_rotated_key_works_during_the_overlap_then_stops(self):
        new_key, new_secret = self.key._rotate(overlap_hours=1)
        self.assertEqual(self.key.replaced_by_id, new_key)
        self.assertEqual(new_key.backend_id, self.backend)
        self.assertEqual(new_key._get_scopes(), self.key._get_scopes())
        self.assertNotEqual(new_key.user_id, self.key.user_id)
        self.assertEqual(self.call("GET", "/orders/x").status_code, 404)
        self.assertEqual(self.call("GET", "/orders/x", secret=new_secret).status_code, 404)
        self.key.expires_at = fields.Datetime.now() - timedelta(seconds=1)
        self.assertProblem(self.call("GET", "/orders/x"), 401)
        self.assertEqual(self.call("GET", "/orders/x", secret=new_secret).status_code, 404)

    def test_key_of_an_archived_backend_is_refused(self):
        self.backend.active = False
        self.assertProblem(self.call("GET", "/orders/x"), 401, "unauthorized")

    def test_technical_user_is_in_the_api_client_group_only(self):
        user = self.key.user_id
        self.assertTrue(user)
        self.assertEqual(
            user.all_group_ids, self.env.ref("retail_connector_base.group_retail_api_client")
        )
        self.assertEqual(user.retail_api_backend_id, self.backend)
        self.assertTrue(user.share)

    def test_missing_scope_is_403(self):
        _key, secret = self.make_key(scope_orders_write=False, scope_customers_read=False)
        response = self.submit(secret=secret)
        self.assertProblem(response, 403, "insufficient-scope")
        self.assertIn('scope="orders:write"', response.headers["WWW-Authenticate"])
        self.assertProblem(self.call("GET", "/customers?email=a@b.c", secret=secret), 403)
        self.assertEqual(self.call("GET", "/orders/x", secret=secret).status_code, 404)

    def test_wrong_method_and_unknown_route_are_problems(self):
        response = self.call("DELETE", "/orders/x")
        self.assertProblem(response, 405, "method-not-allowed")
        self.assertEqual(response.headers["Allow"], "GET")
        self.assertProblem(self.call("GET", "/nothing/here"), 404, "not-found")


@tagged("post_install", "-at_install")
class TestApiIdempotency(ApiCase):
    def test_same_key_and_body_replays_the_first_answer(self):
        first = self.submit(canonical_order("idem-1"), idempotency_key="k-1")
        self.assertEqual(first.status_code, 201)
        second = self.submit(canonical_order("idem-1"), idempotency_key="k-1")
        self.assertEqual(second.status_code, 201)
        self.assertEqual(second.json(), first.json())
        self.assertEqual(second.headers["Idempotent-Replayed"], "true")
        self.assertEqual(
            self.env["sale.order"].search_count([("retail_external_id", "=", "idem-1")]), 1
        )
        self.assertEqual(
            self.env["retail.event"].search_count([("api_external_id", "=", "idem-1")]), 1
        )

    def test_same_key_with_another_body_is_422(self):
        self.submit(canonical_order("idem-2"), idempotency_key="k-2")
        response = self.submit(canonical_order("idem-3"), idempotency_key="k-2")
        self.assertProblem(response, 422, "idempotency-key-reused")
        self.assertFalse(self.env["sale.order"].search([("retail_external_id", "=", "idem-3")]))

    def test_a_refused_request_is_replayed_as_refused(self):
        bad = canonical_order("idem-4", currency="usd")
        first = self.submit(bad, idempotency_key="k-4")
        self.assertProblem(first, 422, "validation")
        second = self.submit(bad, idempotency_key="k-4")
        self.assertEqual(second.json(), first.json())
        self.assertEqual(second.headers["Idempotent-Replayed"], "true")

    def test_writes_need_an_idempotency_key(self):
        response = self.submit(headers={"Idempotency-Key": ""})
        self.assertProblem(response, 400, "idempotency-key-missing")
        response = self.submit(idempotency_key="x" * 256)
        self.assertProblem(response, 400, "idempotency-key-invalid")

    def test_idempotency_records_are_purged_after_their_time_only(self):
        self.submit(canonical_order("idem-5"), idempotency_key="k-5")
        record = self.env["retail.api.idempotency"].search([("idempotency_key", "=", "k-5")])
        record.created_at = fields.Datetime.now() - timedelta(hours=23)
        self.env["retail.api.call"]._cron_purge()
        self.assertTrue(record.exists())
        record.created_at = fields.Datetime.now() - timedelta(hours=25)
        self.env["retail.api.call"]._cron_purge()
        self.assertFalse(record.exists())


@tagged("post_install", "-at_install")
class TestApiRateLimit(ApiCase):
    def test_burst_then_429_with_retry_after(self):
        _key, secret = self.make_key(rate_limit_per_minute=1, rate_limit_burst=3)
        answers = [self.call("GET", "/orders/x", secret=secret) for _i in range(4)]
        self.assertEqual([a.status_code for a in answers], [404, 404, 404, 429])
        self.assertEqual([a.headers["RateLimit-Remaining"] for a in answers], ["2", "1", "0", "0"])
        self.assertEqual(answers[0].headers["RateLimit-Limit"], "3")
        limited = answers[-1]
        self.assertProblem(limited, 429, "rate-limited")
        self.assertGreaterEqual(int(limited.headers["Retry-After"]), 55)
        self.assertLessEqual(int(limited.headers["Retry-After"]), 60)

    def test_each_key_has_its_own_bucket(self):
        _key, secret = self.make_key(rate_limit_per_minute=1, rate_limit_burst=1)
        self.assertEqual(self.call("GET", "/orders/x", secret=secret).status_code, 404)
        self.assertEqual(self.call("GET", "/orders/x", secret=secret).status_code, 429)
        self.assertEqual(self.call("GET", "/orders/x").status_code, 404)

    def test_tokens_flow_back_with_time(self):
        key, secret = self.make_key(rate_limit_per_minute=60, rate_limit_burst=1)
        self.assertEqual(self.call("GET", "/orders/x", secret=secret).status_code, 404)
        self.assertEqual(self.call("GET", "/orders/x", secret=secret).status_code, 429)
        # Two seconds of refill at one request per second.
        self.env.cr.execute(
            "UPDATE retail_api_rate_bucket SET refilled_at = refilled_at - interval '2 seconds'"
            " WHERE key_id = %s",
            [key.id],
        )
        self.assertEqual(self.call("GET", "/orders/x", secret=secret).status_code, 404)


@tagged("post_install", "-at_install")
class TestApiCallLog(ApiCase):
    def test_every_call_is_recorded_without_its_body(self):
        self.submit(canonical_order("log-1"), idempotency_key="log-key")
        self.call("GET", "/orders/log-1")
        self.call("GET", "/orders/x", secret="rck_wrong")
        calls = self.env["retail.api.call"].search([], order="id")
        self.assertEqual(
            [(c.method, c.route, c.status, c.key_id) for c in calls[-3:]],
            [
                ("POST", "/retail/api/v1/orders", 201, self.key),
                ("GET", "/retail/api/v1/orders/log-1", 200, self.key),
                ("GET", "/retail/api/v1/orders/x", 401, self.env["retail.api.key"]),
            ],
        )
        post = calls[-3]
        self.assertEqual(post.idempotency_key, "log-key")
        self.assertGreater(post.request_bytes, 100)
        self.assertGreater(post.response_bytes, 10)
        self.assertGreaterEqual(post.latency_ms, 0)
        self.assertEqual(self.key.call_count, 2)
        self.assertTrue(self.key.last_used_at)

    def test_old_calls_are_purged(self):
        self.call("GET", "/orders/x")
        call = self.env["retail.api.call"].search([("key_id", "=", self.key.id)])
        call.called_at = fields.Datetime.now() - timedelta(days=91)
        self.env["retail.api.call"]._cron_purge()
        self.assertFalse(call.exists())
