"""Test helpers of the Channel API: a key to the test backend and calls
over real HTTP."""

import json
import uuid

from odoo.tests import HttpCase

from .common import RetailCase, canonical_order

API = "/retail/api/v1"
ALL_SCOPES = {
    "scope_orders_write": True,
    "scope_orders_read": True,
    "scope_customers_read": True,
    "scope_customers_write": True,
    "scope_inventory_read": True,
}


class ApiCase(RetailCase, HttpCase):
    """The generic backend of :class:`RetailCase` with an API key holding
    every scope (``self.secret``)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key, cls.secret = cls.make_key()

    @classmethod
    def make_key(cls, backend=None, **values):
        return cls.env["retail.api.key"]._create_with_secret(
            {
                "name": "POS of store 12",
                "backend_id": (backend or cls.backend).id,
                "rate_limit_per_minute": 6000,
                "rate_limit_burst": 1000,
                **ALL_SCOPES,
                **values,
            }
        )

    def call(self, method, path, body=None, secret=None, headers=None, idempotency_key=None, **kw):
        """One API call; a dict ``body`` is sent as JSON, with a fresh
        Idempotency-Key on writes unless one is given."""
        headers = dict(headers or {})
        if secret is not False:
            headers.setdefault("Authorization", f"Bearer {secret or self.secret}")
        if method in ("POST", "PATCH"):
            headers.setdefault("Idempotency-Key", idempotency_key or str(uuid.uuid4()))
            headers.setdefault("Content-Type", "application/json")
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        return self.url_open(f"{API}{path}", data=data, headers=headers, method=method, **kw)

    def submit(self, order=None, **kw):
        return self.call("POST", "/orders", order or canonical_order(), **kw)

    def assertProblem(self, response, status, slug=None):
        self.assertEqual(response.status_code, status, response.text)
        self.assertEqual(response.headers["Content-Type"], "application/problem+json")
        problem = response.json()
        self.assertEqual(problem["status"], status)
        self.assertTrue(problem["title"])
        if slug:
            self.assertEqual(problem["type"], f"urn:retail-connect:problem:{slug}")
        return problem
