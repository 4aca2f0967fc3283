"""Mirakl refunds (the ``refunds[]`` of OR11 order lines) -> canonical
:class:`~schemas.Refund` objects.

Pure functions, as :mod:`.mappers` (whose helpers they share): Mirakl
refunds line by line; amounts follow the order's tax mode; a refund carries
no restock flag, so the operator's reason codes of refunds paid for goods sent
back say which lines return their units.
"""

from odoo.addons.retail_connector_base import schemas
from odoo.addons.retail_connector_base.utils import join_path as _join
from odoo.addons.retail_connector_base.utils import payload_array as _array
from odoo.addons.retail_connector_base.utils import payload_object as _object

from .mappers import (
    ZERO,
    _amount,
    _required,
    _rest,
    _sum_taxes,
    _taxes_included,
    _validate,
)


def refunds_to_canonical(order_payload, return_reason_codes=()):
    """The canonical :class:`~schemas.Refund` of every ``refunds[]`` entry of
    the order's lines (Mirakl refunds line by line), in line order.

    :param return_reason_codes: the operator's reason codes (RE01) of refunds
        paid for goods the customer sent back: their line is ``restock``, a
        return of the refunded units (Mirakl's refunds carry no restock flag)

    :raise PermanentError: when the payload can't be mapped
    """
    order_payload = _object(order_payload, "")
    result = []
    for index, line in enumerate(_array(order_payload, "order_lines", "")):
        path = f"order_lines.{index}"
        line = _object(line, path)
        for refund_index, refund in enumerate(_array(line, "refunds", path)):
            result.append(
                refund_to_canonical(
                    order_payload,
                    refund,
                    line,
                    path=_join(path, "refunds", refund_index),
                    return_reason_codes=return_reason_codes,
                )
            )
    return result


def refund_to_canonical(order_payload, refund, line, path="refund", return_reason_codes=()):
    """Map one entry of a line's ``refunds[]`` to a canonical
    :class:`~schemas.Refund`.

    Mirakl's ``amount`` and ``shipping_amount`` follow the order's tax mode;
    the canonical line subtotal and shipping are before tax. A refund of an
    amount only (``quantity`` 0, "informative" at Mirakl) has no line: its
    figures are in the extra.

    :param path: where ``refund`` is in the order, for error messages
    :raise PermanentError: when the payload can't be mapped
    """
    order_payload = _object(order_payload, "")
    line = _object(line, "order_line")
    refund = _object(refund, path)
    taxes_included = _taxes_included(order_payload)
    amount = _amount(refund, "amount", path, default=ZERO)
    shipping_amount = _amount(refund, "shipping_amount", path, default=ZERO)
    tax = _sum_taxes(refund, "taxes", path)
    shipping_tax = _sum_taxes(refund, "shipping_taxes", path)
    subtotal = amount - tax if taxes_included else amount
    shipping = shipping_amount - shipping_tax if taxes_included else shipping_amount
    quantity = refund.get("quantity")
    line_id = _required(line, "order_line_id", "order_line")
    extra = _rest(refund, {"id", "created_date", "reason_code"})
    extra.update(
        {
            "order_line_id": line_id,
            "offer_sku": line.get("offer_sku"),
            "shipping_tax": str(shipping_tax),
            "currency": order_payload.get("currency_iso_code"),
        }
    )
    lines = []
    if quantity not in (None, 0):
        lines.append(
            {
                "line_external_id": line_id,
                "quantity": quantity,
                "subtotal": subtotal,
                "tax": tax,
                "restock": refund.get("reason_code") in return_reason_codes,
            }
        )
    else:
        extra.update({"line_subtotal": str(subtotal), "line_tax": str(tax)})
    values = {
        "external_id": _required(refund, "id", path),
        "order_external_id": _required(order_payload, "order_id", ""),
        "created_at": refund.get("created_date"),
        "lines": lines,
        "shipping": shipping,
        "amount": subtotal + tax + shipping + shipping_tax,
        "reason": refund.get("reason_code"),
        "extra": extra,
    }
    return _validate(schemas.Refund, values)
