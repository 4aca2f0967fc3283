"""A generic channel's side of the webhook protocol, for end-to-end tests: signed
Standard Webhooks deliveries and canonical order payloads."""

import json
import uuid
from datetime import UTC, datetime

import standardwebhooks


def signed_delivery(payload, secret, msg_id=None, timestamp=None, body=None):
    """``(body, headers)`` of a delivery of ``payload`` signed with ``secret``;
    ``body`` (bytes) replaces the JSON of ``payload`` when given."""
    body = body if body is not None else json.dumps(payload).encode()
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    when = timestamp or datetime.now(tz=UTC)
    signature = standardwebhooks.Webhook(secret).sign(msg_id, when, body)
    headers = {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
    }
    return body, headers


def order_payload(
    external_id=None,
    topic="order.created",
    updated_at="2026-11-02T10:00:00Z",
    email=None,
    first_name="Alan",
    last_name="Turing",
    **data,
):
    """A canonical order: one mug (SKU E2E-MUG) at 10.00 + 20 % tax, a new customer."""
    external_id = external_id or uuid.uuid4().hex[:12]
    return {
        "type": topic,
        "data": {
            "external_id": external_id,
            "name": f"#{external_id}",
            "created_at": "2026-11-02T10:00:00Z",
            "updated_at": updated_at,
            "currency": "USD",
            "taxes_included": False,
            "customer": {
                "external_id": f"cust-{external_id}",
                "email": email or f"buyer-{external_id}@example.com",
                "first_name": first_name,
                "last_name": last_name,
            },
            "billing_address": {
                "first_name": first_name,
                "last_name": last_name,
                "city": "Wilmslow",
            },
            "lines": [
                {
                    "external_id": "1",
                    "sku": "E2E-MUG",
                    "name": "Mug",
                    "quantity": 1,
                    "unit_price": "10.00",
                    "tax_lines": [{"rate": "0.2", "amount": "2.00"}],
                }
            ],
            "totals": {"tax": "2.00", "total": "12.00"},
            "payment_state": "paid",
            **data,
        },
    }
