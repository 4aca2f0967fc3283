"""Which runbook page (``docs/runbooks/``) explains a hold reason, an alert
or a failure group. Hold reasons are sentences written for people; the
patterns below recognise each kind the suite (and its channel modules)
writes. ``tests/test_repo_checks.py`` checks every kind has its page."""

import re

RUNBOOK_BASE_URL_PARAM = "retail_connector_base.runbook_base_url"
DEFAULT_RUNBOOK_BASE_URL = (
    "https://github.com/retail-connect/retail-connect/blob/main/docs/runbooks"
)

# (code, title, pattern searched case-insensitively in one hold reason)
HOLD_REASONS = (
    ("unknown_sku", "Unknown SKU", r"^unknown sku"),
    ("missing_tax", "No matching sales tax", r"^no sales tax of"),
    ("inactive_currency", "Currency not active", r"^currency \S+ is not active"),
    ("totals_mismatch", "Amounts differ from the channel's", r"amounts differ from the channel"),
    ("lines_changed", "Lines changed after confirmation", r"changed the lines after confirmation"),
    ("cancelled_after_shipping", "Cancelled after shipping", r"^cancelled on the channel"),
    ("blocked_customer", "Blocked customer", r"is blocked for channel orders"),
    ("identity_review", "Customer identity under review", r"may be the same person"),
    ("credit_limit", "Credit limit exceeded", r"^credit limit of"),
    ("discount_limit", "Discount above the allowed maximum", r"% discount, more than"),
    ("unknown_promotion", "Unknown discount code", r"match no promotion program"),
    ("fraud_review", "Fraud review", r"^fraud review:|\(fraud risk\)|fraud analysis"),
    ("payment_pending", "Waiting for the payment", r"^waiting for the payment"),
    (
        "marketplace_acceptance",
        "Waiting for the marketplace",
        r"acceptance on the marketplace|marketplace to debit",
    ),
    ("marketplace_incident", "Marketplace incident", r"opened an incident on the marketplace"),
    ("incomplete_stock", "Not enough stock for a complete order", r"ships complete orders"),
    ("return_mismatch", "Return does not match the order", r"^return \S+:"),
    (
        "refund_mismatch",
        "Refund differs from the credit note",
        r"^refund \S+: the channel refunded",
    ),
)
OTHER_HOLD = "other"
_COMPILED = tuple(
    (code, re.compile(pattern, re.IGNORECASE)) for code, _title, pattern in HOLD_REASONS
)


def hold_reason_code(reason):
    """The code of the first hold reason in ``reason`` (several reasons
    are one per line), ``other`` when no pattern knows it."""
    first = next((line.strip() for line in (reason or "").splitlines() if line.strip()), "")
    for code, regex in _COMPILED:
        if regex.search(first):
            return code
    return OTHER_HOLD


def hold_page(reason):
    return f"holds/{hold_reason_code(reason)}.md"


def alert_page(kind):
    return f"alerts/{kind}.md"


def failure_page(source):
    """The page of failures from ``source`` (event, job, outbox...)."""
    return f"failures/{source}.md"


def runbook_url(base_url, page):
    return f"{(base_url or DEFAULT_RUNBOOK_BASE_URL).rstrip('/')}/{page}"
