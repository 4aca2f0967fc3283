"""Shopify webhooks: authenticity, delivery identity and topic.

Shopify signs each webhook with the base64 HMAC-SHA256 of the raw body, keyed
with the app's client secret, in ``X-Shopify-Hmac-Sha256``.
"""

import base64
import hashlib
import hmac

from odoo.addons.retail_connector_base.adapters import (
    ChannelAdapter,
    EventValues,
    register_adapter,
)
from odoo.addons.retail_connector_base.exceptions import PayloadError, SignatureError
from odoo.addons.retail_connector_base.schemas import utcnow

from .. import compliance, mappers, returns

ORDER_TOPICS = frozenset(
    {
        "orders/create",
        "orders/updated",
        "orders/paid",
        "orders/cancelled",
        "orders/fulfilled",
        "orders/partially_fulfilled",
    }
)
CUSTOMER_TOPICS = frozenset({"customers/create", "customers/update"})
# Orders read from the GraphQL API by the reconciliation poll and the bulk
# backfill (our own topic: the event's body is the order node).
POLL_ORDER_TOPIC = "orders/poll"
# Customers read by the bulk backfill (the event's body is the customer node).
POLL_CUSTOMER_TOPIC = "customers/poll"


def sign_body(secret, body):
    """Return Shopify's ``X-Shopify-Hmac-Sha256`` value for ``body``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@register_adapter
class ShopifyAdapter(ChannelAdapter):
    """Reads from its backend: ``shopify_shop_domain``,
    ``shopify_client_secret``, ``shopify_previous_client_secret``,
    ``shopify_secret_rotated_at``, ``shopify_previous_secret_hours`` and
    ``shopify_money_side`` (a stand-in backend in a test needs them all)."""

    code = "shopify"
    kept_headers = (
        "x-shopify-topic",
        "x-shopify-shop-domain",
        "x-shopify-api-version",
        "x-shopify-webhook-id",
        "x-shopify-event-id",
        "x-shopify-triggered-at",
        "x-shopify-name",
    )

    def verify_webhook(self, headers, body):
        secrets = self._valid_secrets()
        if not secrets:
            raise SignatureError("no Shopify client secret is configured")
        received = headers.get("x-shopify-hmac-sha256")
        if not received:
            raise SignatureError("missing X-Shopify-Hmac-Sha256 header")
        if not any(
            hmac.compare_digest(received.encode(), sign_body(secret, body).encode())
            for secret in secrets
        ):
            raise SignatureError("X-Shopify-Hmac-Sha256 does not match the body")
        shop_domain = (headers.get("x-shopify-shop-domain") or "").lower()
        if shop_domain != (self.backend.shopify_shop_domain or "").lower():
            raise SignatureError(f"delivery is for shop {shop_domain!r}, not this backend's")

    def _valid_secrets(self, now=None):
        """The client secret, and the previous one during the grace period
        after a rotation (Shopify keeps signing with it for a while)."""
        backend = self.backend
        return self._secrets_in_grace(
            backend.shopify_client_secret,
            backend.shopify_previous_client_secret,
            backend.shopify_secret_rotated_at,
            backend.shopify_previous_secret_hours,
            now=now,
        )

    def extract_event_values(self, headers, payload):
        webhook_id = headers.get("x-shopify-webhook-id")
        topic = headers.get("x-shopify-topic")
        if not webhook_id or not topic:
            raise PayloadError("missing X-Shopify-Webhook-Id or X-Shopify-Topic header")
        return EventValues(
            event_key=webhook_id,
            topic=topic,
            headers=self._kept_headers(headers),
            always_process=self.always_processed(topic),
        )

    def always_processed(self, topic):
        """Compliance requests are honoured even when the backend is paused:
        shop/redact arrives 48 hours after the app is uninstalled."""
        return topic in compliance.TOPIC_KIND_MAPPING

    def to_canonical(self, topic, payload, headers):
        """Orders, customers, refunds and approved returns become canonical objects, the
        compliance topics :class:`~..compliance.ComplianceRequest` objects
        (applied by this module's ``retail.event``); other topics are returned
        as they are (the base ignores them)."""
        if topic in ORDER_TOPICS:
            return mappers.order_to_canonical(payload, money=self._money_side())
        if topic == POLL_ORDER_TOPIC:
            return mappers.order_node_to_canonical(payload, money=self._money_side())
        if topic in CUSTOMER_TOPICS:
            return mappers.customer_to_canonical(payload)
        if topic == POLL_CUSTOMER_TOPIC:
            return mappers.customer_node_to_canonical(payload)
        if topic == "refunds/create":
            return mappers.refund_to_canonical(payload, money=self._money_side())
        if topic in returns.RETURN_TOPICS:
            return returns.return_to_canonical(
                payload, created_at=headers.get("x-shopify-triggered-at") or utcnow()
            )
        if topic in compliance.TOPIC_KIND_MAPPING:
            return compliance.ComplianceRequest.from_webhook(topic, payload)
        return payload

    def _money_side(self):
        """The side of Shopify's money sets amounts are imported from."""
        return self.backend.shopify_money_side or mappers.PRESENTMENT_MONEY
