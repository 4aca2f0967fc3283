"""Likely causes of failures, from rules on their fingerprint and topic,
computed here: nothing is sent anywhere."""

import re

# (rule name, pattern on "kind: pattern topic", likely cause and fix).
# The first matching rule wins; most specific first.
CAUSE_RULES = (
    (
        "unknown_product",
        r"unknown sku|product not found|no product",
        "A product of the order is not in Odoo (or its SKU/barcode differs): create or "
        "map the product, then use Retry import.",
    ),
    (
        "missing_tax",
        r"\btax",
        "A channel tax has no matching Odoo tax: create the tax (same rate, price "
        "included or not) or map it on the backend, then Retry import.",
    ),
    (
        "totals",
        r"total|amount differs|rounding",
        "The channel's totals differ from Odoo's: check discounts, shipping and tax "
        "inclusion on the backend, then Retry import.",
    ),
    (
        "payload_schema",
        r"validation error|field required|input should be|is not valid|not json|"
        r"missing|extra inputs",
        "The channel sent a payload that does not match the canonical schema: fix the "
        "sender's mapping, or correct the payload (Edit and replay) and replay it.",
    ),
    (
        "channel_unreachable",
        r"unreachable|timed? ?out|connection|5\d\d|service unavailable|bad gateway",
        "The channel's API was unreachable: check its status page and credentials, then "
        "Replay once it answers.",
    ),
    (
        "auth",
        r"unauthori[sz]ed|forbidden|401|403|access token|api key|signature",
        "The channel refused our credentials: renew the access token or API key on the "
        "backend, then Replay.",
    ),
    (
        "throttled",
        r"429|throttl|rate limit|too many requests",
        "The channel throttled our calls: lower the batch size or wait; Replay later.",
    ),
    (
        "contention",
        r"database contention|serializ|deadlock|lock",
        "Two workers touched the same record: usually passes on its own; Replay.",
    ),
    (
        "payment",
        r"payment|refund|paid",
        "The payment or refund state does not allow the step: check the order's "
        "payment on the channel before releasing it.",
    ),
)
_COMPILED = tuple(
    (name, re.compile(regex, re.IGNORECASE), cause) for name, regex, cause in CAUSE_RULES
)


def suggest_cause(kind, pattern, topic=None):
    """``(rule name, likely cause)`` for a fingerprint, or ``(None, None)``
    when no rule knows it."""
    text = f"{kind}: {pattern} {topic or ''}"
    for name, regex, cause in _COMPILED:
        if regex.search(text):
            return name, cause
    return None, None
