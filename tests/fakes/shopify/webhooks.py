"""Webhooks as Shopify sends them: the REST-shaped bodies of fake nodes, the signature, and
the signed deliveries to Odoo."""

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime

import requests

from .common import API_VERSIONS, numeric_id

# WebhookSubscriptionTopic enum → the X-Shopify-Topic header.
TOPICS = {
    "APP_UNINSTALLED": "app/uninstalled",
    "BULK_OPERATIONS_FINISH": "bulk_operations/finish",
    "CUSTOMERS_CREATE": "customers/create",
    "CUSTOMERS_UPDATE": "customers/update",
    "FULFILLMENTS_CREATE": "fulfillments/create",
    "FULFILLMENTS_UPDATE": "fulfillments/update",
    "INVENTORY_LEVELS_UPDATE": "inventory_levels/update",
    "ORDERS_CANCELLED": "orders/cancelled",
    "ORDERS_CREATE": "orders/create",
    "ORDERS_FULFILLED": "orders/fulfilled",
    "ORDERS_PAID": "orders/paid",
    "ORDERS_PARTIALLY_FULFILLED": "orders/partially_fulfilled",
    "ORDERS_RISK_ASSESSMENT_CHANGED": "orders/risk_assessment_changed",
    "ORDERS_UPDATED": "orders/updated",
    "PRODUCTS_UPDATE": "products/update",
    "REFUNDS_CREATE": "refunds/create",
    "RETURNS_APPROVE": "returns/approve",
}
# Configured in the app's configuration, never through webhookSubscriptionCreate.
COMPLIANCE_TOPICS = {
    "CUSTOMERS_DATA_REQUEST": "customers/data_request",
    "CUSTOMERS_REDACT": "customers/redact",
    "SHOP_REDACT": "shop/redact",
}


def sign_body(secret, body):
    """Shopify's ``X-Shopify-Hmac-Sha256``: base64 HMAC-SHA256 of the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def rest_money(bag):
    """A GraphQL MoneyBag as a webhook's ``*_set`` twin."""
    return {
        side: {"amount": bag[key]["amount"], "currency_code": bag[key]["currencyCode"]}
        for side, key in (("shop_money", "shopMoney"), ("presentment_money", "presentmentMoney"))
    }


def _rest_address(address):
    if address is None:
        return None
    names = {
        "firstName": "first_name", "lastName": "last_name", "provinceCode": "province_code",
        "countryCodeV2": "country_code",
    }  # fmt: skip
    return {names.get(key, key): value for key, value in address.items() if key != "id"}


def _rest_taxes(tax_lines):
    return [
        {
            "title": tax["title"],
            "rate": tax["rate"],
            "price": tax["priceSet"]["shopMoney"]["amount"],
            "price_set": rest_money(tax["priceSet"]),
        }
        for tax in tax_lines
    ]


def _rest_allocations(allocations):
    return [
        {
            "amount": allocation["allocatedAmountSet"]["shopMoney"]["amount"],
            "amount_set": rest_money(allocation["allocatedAmountSet"]),
            "discount_application_index": 0,
        }
        for allocation in allocations
    ]


def order_webhook_payload(order):
    """The ``orders/*`` webhook body (REST shape) of a fake order node, as Shopify would
    send it for the order in its current state."""
    fulfillment = {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial"}
    customer = order.get("customer")
    payload = {
        "id": numeric_id(order),
        "admin_graphql_api_id": order["id"],
        "name": order["name"],
        "created_at": order["createdAt"],
        "updated_at": order["updatedAt"],
        "processed_at": order.get("processedAt"),
        "closed_at": order.get("closedAt"),
        "cancelled_at": order.get("cancelledAt"),
        "cancel_reason": (order.get("cancelReason") or "").lower() or None,
        "currency": order["currencyCode"],
        "presentment_currency": order.get("presentmentCurrencyCode") or order["currencyCode"],
        "taxes_included": order.get("taxesIncluded", False),
        "financial_status": (order.get("displayFinancialStatus") or "").lower() or None,
        "fulfillment_status": fulfillment.get(order.get("displayFulfillmentStatus")),
        "email": order.get("email"),
        "phone": order.get("phone"),
        "note": order.get("note"),
        "billing_address": _rest_address(order.get("billingAddress")),
        "shipping_address": _rest_address(order.get("shippingAddress")),
        "customer": None,
        "line_items": [
            {
                "id": numeric_id(line),
                "admin_graphql_api_id": line["id"],
                "sku": line["sku"],
                "name": line.get("name") or line["title"],
                "title": line["title"],
                "quantity": line["quantity"],
                "current_quantity": line.get("currentQuantity", line["quantity"]),
                "price": line["originalUnitPriceSet"]["shopMoney"]["amount"],
                "price_set": rest_money(line["originalUnitPriceSet"]),
                "discount_allocations": _rest_allocations(line.get("discountAllocations") or []),
                "tax_lines": _rest_taxes(line.get("taxLines") or []),
            }
            for line in order["lineItems"]["nodes"]
        ],
        "shipping_lines": [
            {
                "id": numeric_id(line),
                "title": line["title"],
                "code": line.get("code"),
                "price": line["originalPriceSet"]["shopMoney"]["amount"],
                "price_set": rest_money(line["originalPriceSet"]),
                "discount_allocations": _rest_allocations(line.get("discountAllocations") or []),
                "tax_lines": _rest_taxes(line.get("taxLines") or []),
            }
            for line in (order.get("shippingLines") or {}).get("nodes", [])
        ],
    }
    for rest, graphql in (
        ("total_price", "totalPriceSet"), ("total_tax", "totalTaxSet"),
        ("subtotal_price", "subtotalPriceSet"), ("total_discounts", "totalDiscountsSet"),
        ("current_total_price", "currentTotalPriceSet"),
    ):  # fmt: skip
        if order.get(graphql):
            payload[rest] = order[graphql]["shopMoney"]["amount"]
            payload[f"{rest}_set"] = rest_money(order[graphql])
    if customer:
        email = (customer.get("defaultEmailAddress") or {}).get("emailAddress")
        phone = (customer.get("defaultPhoneNumber") or {}).get("phoneNumber")
        payload["customer"] = {
            "id": numeric_id(customer),
            "admin_graphql_api_id": customer["id"],
            "first_name": customer.get("firstName"),
            "last_name": customer.get("lastName"),
            "email": email,
            "phone": phone,
            "updated_at": customer.get("updatedAt"),
            "default_address": _rest_address(customer.get("defaultAddress")),
        }
    return payload


def customer_webhook_payload(customer):
    """The ``customers/create`` or ``customers/update`` webhook body (REST shape) of a fake
    customer node."""
    email = customer.get("defaultEmailAddress") or {}
    phone = customer.get("defaultPhoneNumber") or {}

    def consent(channel, state_key):
        if not channel:
            return None
        consent = {
            "state": (channel.get("marketingState") or "").lower() or None,
            "opt_in_level": (channel.get("marketingOptInLevel") or "").lower() or None,
            state_key: channel.get("marketingUpdatedAt"),
        }
        if "marketingCollectedFrom" in channel:
            consent["consent_collected_from"] = channel["marketingCollectedFrom"]
        return consent

    return {
        "id": numeric_id(customer),
        "admin_graphql_api_id": customer["id"],
        "email": email.get("emailAddress"),
        "phone": phone.get("phoneNumber"),
        "first_name": customer.get("firstName"),
        "last_name": customer.get("lastName"),
        "created_at": customer.get("createdAt"),
        "updated_at": customer.get("updatedAt"),
        "state": "disabled",
        "tags": "",
        "default_address": _rest_address(customer.get("defaultAddress")),
        "email_marketing_consent": consent(email, "consent_updated_at"),
        "sms_marketing_consent": consent(phone, "consent_updated_at"),
    }


class WebhookSender:
    """Signed webhook deliveries, as Shopify makes them (a part of :class:`FakeShopify`: it
    reads ``client_secret``, ``shop_domain`` and ``webhook_subscriptions`` and fills
    ``deliveries``)."""

    def deliver_webhook(
        self,
        url,
        topic,
        payload,
        *,
        secret=None,
        webhook_id=None,
        event_id=None,
        api_version=API_VERSIONS[-1],
        tamper=False,
        shop_domain=None,
        triggered_at=None,
        name=None,
        timeout=(1.0, 5.0),
    ):
        """POST a signed webhook to ``url``; returns the ``requests.Response``.

        ``topic`` is the header form (``orders/create``) or the enum (``ORDERS_CREATE``);
        ``payload`` a JSON-able object or the raw body (bytes/str). ``secret`` defaults to the
        client secret. Give the same ``webhook_id`` to simulate a redelivery; ``tamper``
        changes the body after signing. ``timeout`` is Shopify's: connect 1 s, answer 5 s.
        """
        if isinstance(payload, bytes | str):
            body = payload.encode() if isinstance(payload, str) else payload
        else:
            body = json.dumps(payload, separators=(",", ":")).encode()
        signature = sign_body(self.client_secret if secret is None else secret, body)
        if tamper:
            body = body[:-1] + b',"tampered":true}' if body.endswith(b"}") else body + b" "
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Shopify-Captain-Hook",
            "X-Shopify-Topic": TOPICS.get(topic) or COMPLIANCE_TOPICS.get(topic) or topic,
            "X-Shopify-Hmac-Sha256": signature,
            "X-Shopify-Shop-Domain": shop_domain or self.shop_domain,
            "X-Shopify-API-Version": api_version,
            "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
            "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
            "X-Shopify-Triggered-At": triggered_at
            or datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
        }
        if name:
            headers["X-Shopify-Name"] = name
        response = requests.post(url, data=body, headers=headers, timeout=timeout)
        self.deliveries.append(
            {"url": url, "headers": headers, "body": body, "status": response.status_code}
        )
        return response

    def deliver_to_subscriptions(self, topic, payload, **kwargs):
        """Deliver to every subscription of ``topic`` (enum or header form)."""
        enum = next((key for key, value in TOPICS.items() if value == topic), topic)
        return [
            self.deliver_webhook(subscription["uri"], enum, payload, **kwargs)
            for subscription in list(self.webhook_subscriptions.values())
            if subscription["topic"] == enum
        ]
