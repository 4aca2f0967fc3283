"""The catalogue of business events: type, schema version, the object its
sequence counts over, and which types a channel's own backend hears."""

from fnmatch import fnmatchcase

# type -> (schema version, subject kind, what it means)
EVENT_TYPES = {
    "customer.created": (1, "customer", "A customer was created in Odoo."),
    "customer.updated": (1, "customer", "A customer's name, contact, address or language changed."),
    "customer.merged": (1, "customer", "Duplicate customers were merged into this one."),
    "order.confirmed": (1, "order", "A sale order was confirmed."),
    "order.held": (1, "order", "A channel order was put on hold; data.hold_reason says why."),
    "order.released": (1, "order", "A held channel order left its hold."),
    "order.cancelled": (1, "order", "A sale order was cancelled."),
    "shipment.dispatched": (1, "order", "A delivery of the order left the warehouse."),
    "shipment.delivered": (1, "order", "A delivery of the order reached the customer."),
    "inventory.adjusted": (1, "inventory", "An inventory count changed a product's stock."),
    "refund.created": (1, "order", "A refund was recorded on the order."),
    "return.received": (1, "order", "Returned goods of the order arrived back."),
}

# What a generic channel's backend hears about its own orders and its stock.
BACKEND_EVENT_TYPES = (
    "order.confirmed",
    "order.held",
    "order.cancelled",
    "shipment.dispatched",
    "shipment.delivered",
    "refund.created",
    "return.received",
    "inventory.adjusted",
)


def schema_version(event_type):
    return EVENT_TYPES[event_type][0]


def subject_kind(event_type):
    return EVENT_TYPES[event_type][1]


def parse_patterns(text):
    """The type patterns of a subscription: separated by commas, spaces or
    new lines; ``*`` matches any part (``order.*``, ``*``)."""
    return [part for part in (text or "").replace(",", " ").split() if part]


def matches(patterns, event_type):
    """Whether ``event_type`` is one of ``patterns`` (wildcards allowed)."""
    return any(fnmatchcase(event_type, pattern) for pattern in patterns)


def unknown_patterns(patterns):
    """The patterns that match no type of the catalogue (a typo)."""
    return [p for p in patterns if not any(fnmatchcase(t, p) for t in EVENT_TYPES)]
