"""A business event as it travels: an envelope (id, type, time, source,
subject, sequence) around canonical objects (``schemas.py``), never Odoo
field names. One pydantic model per type gives its JSON Schema
(``docs/events/<type>.v<version>.schema.json``, written by
``tools/export_json_schemas.py``).
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .. import schemas
from .catalogue import EVENT_TYPES


class EventModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(EventModel):
    """Where the change came from: a channel (its backend) or Odoo itself
    (a person, a scheduled action). A channel ignores echoes of its own
    changes by ``backend_id``."""

    kind: Literal["channel", "odoo"]
    backend_id: int | None = Field(None, description="The backend of the channel, if any.")
    channel: str | None = Field(None, description="The channel's code: generic, shopify...")
    backend_name: str | None = None


class Subject(EventModel):
    """The business object ``sequence`` counts over: the order for order,
    shipment, refund and return events."""

    kind: Literal["customer", "order", "inventory"]
    id: str = Field(description="Odoo's id of the object (inventory: <sku>@<warehouse code>).")


class OrderRef(EventModel):
    """The order a shipment, refund or return belongs to."""

    id: str = Field(description="Odoo's id of the order.")
    name: str
    external_id: str | None = Field(None, description="The channel's id of the order, if any.")
    backend_id: int | None = None


class CustomerData(EventModel):
    customer: schemas.Customer


class CustomerMergedData(EventModel):
    customer: schemas.Customer = Field(description="The customer that remains.")
    merged_customer_ids: list[str] = Field(description="Odoo ids of the customers merged into it.")
    merge_id: str | None = None


class OrderData(EventModel):
    order_ref: OrderRef
    order: schemas.Order | None = Field(
        description="The order in canonical form; null while it has no goods line (an order "
        "held because none of its products is known)."
    )
    hold_reason: str | None = Field(None, description="Why the order is on hold (order.held).")


class ShipmentData(EventModel):
    order: OrderRef
    shipment: schemas.Shipment
    delivered_at: schemas.Timestamp | None = None


class InventoryData(EventModel):
    level: schemas.InventoryLevel
    warehouse: str | None = Field(None, description="The warehouse's code.")


class RefundData(EventModel):
    order: OrderRef
    refund: schemas.Refund


class ReturnData(EventModel):
    order: OrderRef
    return_: schemas.Return = Field(alias="return")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


DATA_MODELS = {
    "customer.created": CustomerData,
    "customer.updated": CustomerData,
    "customer.merged": CustomerMergedData,
    "order.confirmed": OrderData,
    "order.held": OrderData,
    "order.released": OrderData,
    "order.cancelled": OrderData,
    "shipment.dispatched": ShipmentData,
    "shipment.delivered": ShipmentData,
    "inventory.adjusted": InventoryData,
    "refund.created": RefundData,
    "return.received": ReturnData,
}


def _envelope_model(event_type, data_model):
    """The envelope of one event type."""
    version = EVENT_TYPES[event_type][0]
    return type(
        f"Event_{event_type.replace('.', '_')}",
        (EventModel,),
        {
            "__annotations__": {
                "id": str,
                "type": Literal[event_type],
                "version": Literal[version],
                "time": schemas.Timestamp,
                "source": Source,
                "subject": Subject,
                "sequence": int,
                "company_id": int,
                "echo": bool,
                "data": data_model,
            },
            "__doc__": EVENT_TYPES[event_type][2],
            "id": Field(description="Unique; also the webhook-id and the AMQP message_id."),
            "sequence": Field(ge=1, description="1, 2, 3... per subject: order and deduplicate."),
            "echo": Field(
                False,
                description="True when delivered to the channel whose own change caused it.",
            ),
        },
    )


ENVELOPES = {
    event_type: _envelope_model(event_type, data) for event_type, data in DATA_MODELS.items()
}


def build(event_type, data, **envelope):
    """Validate an event and return it as JSON-ready data.

    :param dict data: the type's data (canonical objects as models or dicts)
    :raise pydantic.ValidationError: with the field path
    """
    model = ENVELOPES[event_type]
    event = model(type=event_type, version=EVENT_TYPES[event_type][0], data=data, **envelope)
    return event.model_dump(mode="json", by_alias=True)


def json_schemas():
    """``{file name: JSON Schema}`` of every event type."""
    return {
        f"{event_type}.v{EVENT_TYPES[event_type][0]}.schema.json": model.model_json_schema(
            mode="serialization", by_alias=True
        )
        for event_type, model in ENVELOPES.items()
    }
