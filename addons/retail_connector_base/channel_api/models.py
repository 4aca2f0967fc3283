"""What the Channel API answers, beside the canonical objects it takes.

Requests are the canonical objects themselves (``schemas.Order`` for an
order, ``schemas.Customer`` for an account update): one definition, so the
OpenAPI document and docs/schemas/ agree. Answers that say more than a
canonical object (an Odoo id, an import state) are defined here.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .. import schemas

IMPORT_STATES = Literal["done", "ignored", "received", "queued", "failed", "dead"]


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OrderReceipt(ApiModel):
    """Where a submitted order stands in Odoo."""

    external_id: str = Field(description="The channel's id of the order.")
    id: int | None = Field(None, description="The Odoo sale order's id, once imported.")
    reference: str | None = Field(None, description="The Odoo sale order's number (S00042).")
    state: str | None = Field(
        None, description="The Odoo order's state: draft, sent, sale or cancel."
    )
    on_hold: bool = False
    hold_reason: str | None = Field(None, description="Why the order waits for a person.")
    import_state: IMPORT_STATES | None = Field(
        None,
        description="The state of the last submission: done (applied), queued or received "
        "(waiting for the import: poll this order), failed or dead (see import_message).",
    )
    import_message: str | None = None


class CancelRequest(ApiModel):
    reason: str | None = Field(None, max_length=500)


class ApiCustomer(schemas.Customer):
    """A customer as this backend knows it; ``external_id`` is this
    channel's id of it, if the channel has one."""

    id: int = Field(description="The Odoo contact's id: the {id} of PATCH /customers/{id}.")


class CustomerList(ApiModel):
    customers: list[ApiCustomer]


class ShipmentList(ApiModel):
    shipments: list[schemas.Shipment]


class InventoryAnswer(ApiModel):
    levels: list[schemas.InventoryLevel] = Field(
        description="Available to sell per SKU and warehouse (location_code: the warehouse's "
        "short name)."
    )
    unknown_skus: list[str] = Field(
        default_factory=list, description="Requested SKUs no product of this channel has."
    )


class FieldError(ApiModel):
    field: str = Field(description="The path of the field in the request: lines.0.quantity.")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None
