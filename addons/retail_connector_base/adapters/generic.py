"""The ``generic`` channel: our canonical JSON signed the Standard Webhooks way.

A custom storefront or a POS integrates without Python: it POSTs
``{"type": "order.created", "timestamp": "...", "data": {<canonical Order>}}``
(see docs/schemas/) to the backend's
webhook URL with ``webhook-id``, ``webhook-timestamp`` and
``webhook-signature`` headers.
"""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from .. import schemas
from ..exceptions import PayloadError, SignatureError
from ..utils import permanent_error_from_pydantic
from . import standard_webhooks
from .base import ChannelAdapter, EventValues, register_adapter

# The first part of a topic names the canonical object in ``data``.
CANONICAL_TOPICS = {
    "order": schemas.Order,
    "customer": schemas.Customer,
    "refund": schemas.Refund,
    "shipment": schemas.Shipment,
    "inventory": schemas.InventoryLevel,
    "return": schemas.Return,
}
# Topics (first part) processed in the batch tier.
BATCH_TOPICS = frozenset({"inventory"})


class GenericEnvelope(BaseModel):
    """The envelope every generic delivery carries."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(min_length=1, max_length=128)
    timestamp: datetime | None = None
    data: dict[str, Any]


@register_adapter
class GenericAdapter(ChannelAdapter):
    code = "generic"
    kept_headers = ("webhook-id", "webhook-timestamp", "user-agent")

    def verify_webhook(self, headers, body):
        """The current secret, or the previous one during the grace period
        after a rotation (the channel may still sign with it for a while)."""
        backend = self.backend
        secrets = self._secrets_in_grace(
            backend.webhook_secret,
            backend.webhook_previous_secret,
            backend.webhook_secret_rotated_at,
            backend.webhook_previous_secret_hours,
        )
        if not secrets:
            raise SignatureError("no webhook secret is configured")
        for secret in secrets[:-1]:
            try:
                return standard_webhooks.verify(secret, headers, body)
            except SignatureError:
                continue
        return standard_webhooks.verify(secrets[-1], headers, body)

    def extract_event_values(self, headers, payload):
        topic = payload.get("type") if isinstance(payload, dict) else None
        if not isinstance(topic, str) or not topic:
            raise PayloadError("the body has no 'type' (the event topic)")
        return EventValues(
            event_key=headers["webhook-id"],
            topic=topic,
            headers=self._kept_headers(headers),
        )

    def job_tier(self, topic):
        """Inventory counts go to the batch tier: a burst of them must never
        hold up the orders arriving at the same time."""
        return "batch" if topic.split(".", 1)[0] in BATCH_TOPICS else "realtime"

    def to_canonical(self, topic, payload, headers):
        """``order.*`` topics carry an Order, ``customer.*`` a Customer...;
        other topics are returned as their envelope."""
        try:
            envelope = GenericEnvelope.model_validate(payload)
        except PydanticValidationError as exc:
            raise permanent_error_from_pydantic(exc) from None
        model = CANONICAL_TOPICS.get(envelope.type.split(".", 1)[0])
        if model is None:
            return envelope
        try:
            return model.model_validate(envelope.data)
        except PydanticValidationError as exc:
            raise permanent_error_from_pydantic(exc, prefix=("data",)) from None
