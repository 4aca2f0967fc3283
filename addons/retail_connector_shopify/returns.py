"""Shopify returns (the Returns API's webhooks) -> canonical Return.

``returns/approve`` (the merchant accepted the return: ``status`` ``open``)
carries the return's lines: ``return_line_items[] {quantity, return_reason,
return_reason_note, customer_note, fulfillment_line_item {line_item {id,
admin_graphql_api_id}}}``, the order as ``order {id, admin_graphql_api_id}``.
It becomes a Return whose goods are on their way: Odoo prepares the return
picking, the warehouse receives it. The refund that follows (``refunds/create``
with ``return {id, admin_graphql_api_id}`` and ``restock_type`` ``return``
lines) is linked to it and receives it.

``returns/request`` (asked, not accepted yet), ``returns/decline``,
``returns/cancel``, ``returns/close`` and ``returns/reopen`` carry no lines
(or nothing to receive yet): they are stored and ignored.

Pure functions: no ORM, no network.
"""

import pydantic

from odoo.addons.retail_connector_base import schemas
from odoo.addons.retail_connector_base.exceptions import PermanentError
from odoo.addons.retail_connector_base.utils import join_path as _join
from odoo.addons.retail_connector_base.utils import payload_array as _array
from odoo.addons.retail_connector_base.utils import payload_object as _object
from odoo.addons.retail_connector_base.utils import permanent_error_from_pydantic

from .payloads.shape import pick
from .payloads.webhook import gid

RETURN_TOPICS = frozenset({"returns/approve"})

# return_reason (webhooks lower case, GraphQL upper case) -> the condition
# the goods are expected in; reasons missing here say nothing (sellable).
RETURN_REASON_CONDITION_MAPPING = {
    "defective": schemas.ReturnCondition.DEFECTIVE,
}


def return_to_canonical(payload, created_at):
    """Map a ``returns/approve`` payload to a canonical :class:`~schemas.Return`.

    :param created_at: when the return was opened when the payload doesn't
        say (its webhooks carry no date: the delivery's
        ``X-Shopify-Triggered-At``)
    :raise PermanentError: when the payload can't be mapped
    """
    payload = _object(payload, "")
    order = payload.get("order")
    if isinstance(order, dict):
        order_external_id = gid(order, "Order", "order")
    elif payload.get("order_id") not in (None, ""):
        order_external_id = f"gid://shopify/Order/{payload['order_id']}"
    else:
        raise PermanentError("the return has no order", path="order")
    lines = [
        _line_values(_object(item, f"return_line_items.{index}"), f"return_line_items.{index}")
        for index, item in enumerate(_array(payload, "return_line_items", ""))
    ]
    values = {
        "external_id": gid(payload, "Return", ""),
        "order_external_id": order_external_id,
        "created_at": payload.get("created_at") or created_at,
        "lines": lines,
        "received": False,
        "extra": pick(payload, ("id", "name", "status", "total_return_line_items")),
    }
    try:
        return schemas.Return.model_validate(values)
    except pydantic.ValidationError as exc:
        raise permanent_error_from_pydantic(exc) from None


def _line_values(item, path):
    fulfillment_line = item.get("fulfillment_line_item")
    fulfillment_line = _object(fulfillment_line or {}, _join(path, "fulfillment_line_item"))
    line_item = fulfillment_line.get("line_item")
    line_item = _object(line_item or {}, _join(path, "fulfillment_line_item", "line_item"))
    if not line_item:
        raise PermanentError(
            "the returned line has no line item",
            path=_join(path, "fulfillment_line_item", "line_item"),
        )
    reason = item.get("return_reason")
    reason = reason.lower() if isinstance(reason, str) else None
    note = item.get("return_reason_note") or item.get("customer_note")
    return {
        "line_external_id": gid(
            line_item, "LineItem", _join(path, "fulfillment_line_item.line_item")
        ),
        "quantity": item.get("quantity"),
        "reason": ": ".join(part for part in (reason, note) if part) or None,
        "condition": RETURN_REASON_CONDITION_MAPPING.get(reason),
        "extra": pick(item, ("id", "admin_graphql_api_id", "return_reason", "customer_note")),
    }
