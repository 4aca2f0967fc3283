"""The order flow in plain Python: step outcomes, a step's result and the
default steps a backend starts with.

The steps a backend runs are data (``retail.order.step``); this module only
names them and says which come before the order is confirmed.
"""

from dataclasses import dataclass

PASSED = "passed"
HELD = "held"
WAITING = "waiting"
FAILED = "failed"
SKIPPED = "skipped"
RELEASED = "released"
COMPENSATED = "compensated"

OUTCOMES = [
    (PASSED, "Passed"),
    (HELD, "Held"),
    (WAITING, "Waiting for a partner"),
    (FAILED, "Failed"),
    (SKIPPED, "Skipped"),
    (RELEASED, "Released by a person"),
    (COMPENSATED, "Compensated"),
]

# A step with one of these outcomes for an order version is never run again
# for that version; held and waiting steps are evaluated again on retry.
SETTLED_OUTCOMES = (PASSED, SKIPPED, RELEASED, FAILED, COMPENSATED)
# Outcomes that stop the flow where it is.
STOPPING_OUTCOMES = (HELD, WAITING, FAILED)

# Steps run before the quotation is confirmed ("checks"); the others run on
# the confirmed order ("fulfilment").
CHECK = "check"
FULFILMENT = "fulfilment"

STEP_CODES = [
    ("customer", "Customer validation"),
    ("amount", "Amount and promotions"),
    ("tax", "Lines, taxes and totals"),
    ("channel", "Channel checks"),
    ("payment", "Payment status"),
    ("fraud", "Fraud and risk"),
    ("stock", "Stock allocation"),
    ("release", "Warehouse release"),
    ("shipment", "Shipment label"),
]

FULFILMENT_STEPS = {"stock", "release", "shipment"}

# (code, sequence, parameters): every rule is off or permissive by default,
# so a new backend's orders go through exactly as before the flow existed.
DEFAULT_STEPS = [
    (
        "customer",
        10,
        {"check_blocked": True, "check_credit_limit": True, "require_identity_decided": False},
    ),
    (
        "amount",
        20,
        {"max_discount_percent": 0, "max_discount_amount": 0, "check_promotion_codes": False},
    ),
    ("tax", 30, {}),
    ("channel", 40, {}),
    (
        "payment",
        50,
        {
            "require_payment": False,
            "accepted_states": ["authorized", "partially_paid", "paid"],
            "allow_cash_on_delivery": True,
            "cash_on_delivery_gateways": ["cash_on_delivery", "cod", "manual"],
            "allow_invoiced_customers": True,
        },
    ),
    (
        "fraud",
        60,
        {
            "amount_threshold": 0,
            "new_customer_express": False,
            "express_shipping_codes": ["express", "next_day", "overnight"],
            "address_mismatch": False,
            "channel_risk": True,
        },
    ),
    ("stock", 70, {"allow_partial": True}),
    ("release", 80, {}),
    ("shipment", 90, {"carrier_url": "", "carrier_code": ""}),
]


@dataclass
class StepResult:
    """What one step decided: an outcome, why, and who or what decided."""

    outcome: str
    reason: str = ""
    decided_by: str = ""

    @property
    def stops(self):
        return self.outcome in STOPPING_OUTCOMES


def passed(reason="", decided_by=""):
    return StepResult(PASSED, reason, decided_by)


def held(reason, decided_by=""):
    return StepResult(HELD, reason, decided_by)


def waiting(reason, decided_by=""):
    return StepResult(WAITING, reason, decided_by)


def failed(reason, decided_by=""):
    return StepResult(FAILED, reason, decided_by)


def skipped(reason="", decided_by=""):
    return StepResult(SKIPPED, reason, decided_by)
