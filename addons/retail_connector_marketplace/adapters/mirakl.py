"""Mirakl seller accounts: the marketplace sends no webhooks, sellers poll.

Polled order versions enter the base event store with ``source='poll'``;
their key is the order id plus its ``last_updated_date``, so overlapping polls
store each version once.
"""

from odoo.addons.retail_connector_base.adapters import (
    ChannelAdapter,
    EventValues,
    register_adapter,
)
from odoo.addons.retail_connector_base.exceptions import PayloadError, SignatureError


def order_event_key(order):
    """The event key of one polled order version."""
    try:
        return f"{order['order_id']}@{order['last_updated_date']}"
    except (KeyError, TypeError):
        raise PayloadError("a Mirakl order needs order_id and last_updated_date") from None


@register_adapter
class MiraklAdapter(ChannelAdapter):
    code = "mirakl"

    def verify_webhook(self, headers, body):
        raise SignatureError("Mirakl sends no webhooks; its orders are polled")

    def extract_event_values(self, headers, payload):
        return EventValues(
            event_key=order_event_key(payload),
            topic=f"orders/{str(payload.get('order_state', 'unknown')).lower()}",
            headers={},
        )

    def to_canonical(self, topic, payload, headers):
        # Order translation comes with the marketplace mappers; until then
        # the base records these events as ignored, with the topic as reason.
        return payload
