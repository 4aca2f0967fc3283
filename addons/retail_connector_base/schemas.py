"""Canonical business objects: what every channel's data becomes before it
reaches Odoo.

Money is ``Decimal`` (from a string or a number, never through a float) in
the order's ISO 4217 currency; timestamps are timezone-aware and normalised to
UTC; external ids are strings; channel extras stay in ``extra``. Unknown
fields are refused, so a typo in a channel mapper is an error with its field
path rather than silently lost data.
"""

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)


def _to_decimal(value):
    if isinstance(value, float):
        # repr() of a float is the shortest string that reads back the same:
        # 19.9 -> "19.9", not 19.89999999999999857891452847979962825775146484375
        return Decimal(repr(value))
    return value


def _to_utc(value):
    return value.astimezone(UTC)


def _strip_or_none(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _external_id(value):
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


Amount = Annotated[
    Decimal,
    BeforeValidator(_to_decimal),
    Field(max_digits=20, decimal_places=6, allow_inf_nan=False),
]
Quantity = Annotated[
    Decimal, BeforeValidator(_to_decimal), Field(gt=0, max_digits=20, decimal_places=6)
]
Rate = Annotated[
    Decimal, BeforeValidator(_to_decimal), Field(ge=0, le=1, max_digits=12, decimal_places=8)
]
Timestamp = Annotated[AwareDatetime, AfterValidator(_to_utc)]
ExternalId = Annotated[str, BeforeValidator(_external_id), Field(min_length=1, max_length=255)]
OptionalText = Annotated[str | None, BeforeValidator(_strip_or_none)]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


def _upper_or_none(value):
    value = _strip_or_none(value)
    return value.upper() if isinstance(value, str) else value


# The pattern applies to the string only: on ``str | None`` pydantic raises a
# TypeError (not a validation error) for a null or blank code.
CountryCode = Annotated[
    Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None, BeforeValidator(_upper_or_none)
]


class CanonicalModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    extra: dict[str, Any] = Field(
        default_factory=dict, description="Channel data kept as is, for reference."
    )


class PaymentState(StrEnum):
    PENDING = "pending"
    AUTHORIZED = "authorized"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"


class Address(CanonicalModel):
    first_name: OptionalText = None
    last_name: OptionalText = None
    company: OptionalText = None
    street: OptionalText = None
    street2: OptionalText = None
    city: OptionalText = None
    state_code: OptionalText = None
    zip: OptionalText = None
    country_code: CountryCode = Field(None, description="ISO 3166-1 alpha-2")
    phone: OptionalText = None
    email: OptionalText = None

    @property
    def name(self):
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.company


class Consent(CanonicalModel):
    email_marketing: bool | None = None
    sms_marketing: bool | None = None
    updated_at: Timestamp | None = None


class Customer(CanonicalModel):
    external_id: ExternalId | None = Field(
        None, description="The channel's customer id; none for a guest checkout."
    )
    email: OptionalText = None
    phone: OptionalText = None
    first_name: OptionalText = None
    last_name: OptionalText = None
    company_name: OptionalText = None
    is_company: bool = False
    lang: OptionalText = None
    default_address: Address | None = None
    consent: Consent | None = None
    updated_at: Timestamp | None = None

    @property
    def name(self):
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.company_name


class TaxLine(CanonicalModel):
    title: OptionalText = None
    rate: Rate = Field(description="0.2 for 20 %")
    amount: Amount


class OrderLine(CanonicalModel):
    external_id: ExternalId
    sku: OptionalText = None
    barcode: OptionalText = None
    name: str = Field(min_length=1)
    quantity: Quantity
    unit_price: Amount = Field(description="Per unit, before discounts.")
    discount: Amount = Field(
        Decimal(0), ge=0, description="Total discount on the line (all units)."
    )
    tax_lines: list[TaxLine] = Field(default_factory=list)

    @model_validator(mode="after")
    def _discount_within_price(self):
        if self.discount > self.unit_price * self.quantity:
            raise ValueError("discount is larger than the line's price")
        return self


class ShippingLine(CanonicalModel):
    title: str = Field(min_length=1)
    code: OptionalText = None
    price: Amount = Field(ge=0)
    discount: Amount = Field(Decimal(0), ge=0)
    tax_lines: list[TaxLine] = Field(default_factory=list)


class DiscountLine(CanonicalModel):
    """An order-level discount not allocated to lines (a positive amount)."""

    title: str = Field(min_length=1)
    amount: Amount = Field(gt=0)
    tax_lines: list[TaxLine] = Field(default_factory=list)


class Totals(CanonicalModel):
    """What the channel charged, to check Odoo's computation against."""

    untaxed: Amount | None = None
    tax: Amount
    total: Amount


class Payment(CanonicalModel):
    external_id: ExternalId
    kind: Literal["authorization", "capture", "sale", "refund", "void"]
    status: Literal["pending", "success", "failure", "error"]
    amount: Amount
    gateway: OptionalText = None
    processed_at: Timestamp | None = None


# An order's lines are imported in one job, which must end within a worker's
# time limit; a body of a few MB could otherwise carry tens of thousands.
MAX_ORDER_LINES = 1000


class Order(CanonicalModel):
    external_id: ExternalId
    name: OptionalText = Field(None, description="The number the customer sees, e.g. #1001.")
    created_at: Timestamp
    updated_at: Timestamp
    currency: CurrencyCode
    taxes_included: bool
    customer: Customer | None = None
    email: OptionalText = None
    phone: OptionalText = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    lines: list[OrderLine] = Field(min_length=1, max_length=MAX_ORDER_LINES)
    shipping_lines: list[ShippingLine] = Field(default_factory=list)
    discount_lines: list[DiscountLine] = Field(default_factory=list)
    totals: Totals
    payment_state: PaymentState = PaymentState.PENDING
    channel_status: OptionalText = None
    cancelled_at: Timestamp | None = None
    cancel_reason: OptionalText = None
    note: OptionalText = None
    payments: list[Payment] = Field(default_factory=list)

    @field_validator("lines")
    @classmethod
    def _unique_line_ids(cls, lines):
        seen = set()
        for line in lines:
            if line.external_id in seen:
                raise ValueError(f"line external_id {line.external_id!r} appears twice")
            seen.add(line.external_id)
        return lines


class ShipmentLine(CanonicalModel):
    line_external_id: ExternalId
    quantity: Quantity


class Shipment(CanonicalModel):
    external_id: ExternalId
    order_external_id: ExternalId
    carrier: OptionalText = None
    tracking_number: OptionalText = None
    tracking_url: OptionalText = None
    lines: list[ShipmentLine] = Field(default_factory=list)
    shipped_at: Timestamp | None = None


class RefundLine(CanonicalModel):
    line_external_id: ExternalId
    quantity: Quantity
    subtotal: Amount = Field(ge=0, description="Refunded amount before tax.")
    tax: Amount = Field(Decimal(0), ge=0)
    restock: bool = False


class Refund(CanonicalModel):
    external_id: ExternalId
    order_external_id: ExternalId
    created_at: Timestamp
    lines: list[RefundLine] = Field(default_factory=list)
    shipping: Amount = Field(Decimal(0), ge=0)
    amount: Amount = Field(ge=0, description="Total refunded to the customer.")
    reason: OptionalText = None
    return_external_id: ExternalId | None = Field(
        None, description="The channel return whose goods this refund pays back, if any."
    )


class ReturnCondition(StrEnum):
    """The state the goods come back in; it chooses where they go.

    Shopify's return reasons and dispositions and Mirakl's reason codes map
    onto these: ``sellable`` (unopened, back to stock), ``opened`` (opened
    but fit to sell), ``damaged`` (damaged in transit or by the customer),
    ``defective`` (faulty product)."""

    SELLABLE = "sellable"
    OPENED = "opened"
    DAMAGED = "damaged"
    DEFECTIVE = "defective"


class ReturnLine(CanonicalModel):
    line_external_id: ExternalId = Field(description="The order line the goods were sold on.")
    quantity: Quantity
    reason: OptionalText = Field(None, description="Why the customer sent it back.")
    condition: ReturnCondition | None = Field(
        None, description="What the goods came back as; unknown: taken as sellable."
    )
    restock: bool = Field(
        True, description="Whether the goods come back into Odoo's stock (a return picking)."
    )


class Return(CanonicalModel):
    """Goods a customer sends back on an order (the money is a Refund)."""

    external_id: ExternalId
    order_external_id: ExternalId
    created_at: Timestamp
    lines: list[ReturnLine] = Field(min_length=1)
    refund_external_id: ExternalId | None = Field(
        None, description="The channel refund that pays this return back, if any."
    )
    refund_amount: Amount | None = Field(
        None, ge=0, description="What the channel refunded for this return, if known."
    )
    received: bool = Field(False, description="Whether the goods have arrived back.")
    received_at: Timestamp | None = None
    reason: OptionalText = None

    @model_validator(mode="after")
    def _received_at_only_when_received(self):
        if self.received_at and not self.received:
            raise ValueError("received_at is set but received is false")
        return self


class InventoryLevel(CanonicalModel):
    sku: str = Field(min_length=1)
    location_code: OptionalText = None
    available: int
    updated_at: Timestamp | None = None


CANONICAL_MODELS = {
    "customer": Customer,
    "address": Address,
    "order": Order,
    "order_line": OrderLine,
    "payment": Payment,
    "shipment": Shipment,
    "refund": Refund,
    "inventory_level": InventoryLevel,
    "return": Return,
}


def json_schemas():
    """The JSON Schema of every canonical object, by name."""
    return {name: model.model_json_schema() for name, model in CANONICAL_MODELS.items()}


def utcnow():
    return datetime.now(tz=UTC)
