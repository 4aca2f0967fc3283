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

from ..mappers import order_to_canonical

# Line states of lines that are no longer part of the order (refused at
# acceptance): Mirakl's totals leave them out, so does the sale order.
DROPPED_LINE_STATES = frozenset({"REFUSED"})


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
        """Every polled order version (whatever its state) is a canonical
        order; lines refused at acceptance are left out unless every line
        was (a refused order is cancelled with its lines)."""
        return order_to_canonical(without_refused_lines(payload))


def without_refused_lines(payload):
    """``payload`` without the lines refused at acceptance, when some remain."""
    lines = payload.get("order_lines") if isinstance(payload, dict) else None
    if not isinstance(lines, list):
        return payload
    kept = [
        line
        for line in lines
        if not (isinstance(line, dict) and line.get("order_line_state") in DROPPED_LINE_STATES)
    ]
    if not kept or len(kept) == len(lines):
        return payload
    return dict(payload, order_lines=kept)
