"""Mirakl seller accounts: the marketplace sends no webhooks, sellers poll.

Polled order versions (:func:`polled_order`) enter the base event store with
``source='poll'``; their key is the order id plus its ``last_updated_date``,
so overlapping polls store each version once.
"""

from decimal import Decimal

from odoo.addons.retail_connector_base.adapters import (
    ChannelAdapter,
    EventValues,
    register_adapter,
)
from odoo.addons.retail_connector_base.exceptions import PayloadError, SignatureError
from odoo.addons.retail_connector_base.polling import PolledRecord, json_body, parse_iso_utc

from ..mappers import CANCELLED_STATES, order_to_canonical
from ..refund_mappers import refunds_to_canonical

# Line states of lines that are no longer part of the order (refused at
# acceptance): Mirakl's totals leave them out, so does the sale order.
DROPPED_LINE_STATES = frozenset({"REFUSED"})


# The key of the canonical order's extra that carries its refunds (a list of
# canonical Refund), mapped from every line of the OR11 order.
REFUNDS_KEY = "retail_refunds"


def order_event_key(order):
    """The event key of one polled order version."""
    try:
        return f"{order['order_id']}@{order['last_updated_date']}"
    except (KeyError, TypeError):
        raise PayloadError("a Mirakl order needs order_id and last_updated_date") from None


def polled_order(order):
    """One order of OR11's ``orders`` as a record of base's poll loop: topic
    ``orders/<state>``, key :func:`order_event_key`, updated at its
    ``last_updated_date``."""
    state = str(order.get("order_state") or "unknown")
    return PolledRecord(
        event_values=EventValues(
            event_key=order_event_key(order), topic=f"orders/{state.lower()}", headers={}
        ),
        body=json_body(order),
        updated_at=parse_iso_utc(order["last_updated_date"], "Mirakl date"),
    )


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
        was (a refused order is cancelled with its lines), and units
        cancelled line by line (OR30, the operator) are taken off.

        The refunds of every line come with the order, in its extra
        (:data:`REFUNDS_KEY`), for the importer to record."""
        order = order_to_canonical(without_cancelled_units(without_refused_lines(payload)))
        refunds = refunds_to_canonical(payload, self._return_reason_codes())
        return order.model_copy(update={"extra": {**order.extra, REFUNDS_KEY: refunds}})

    def _return_reason_codes(self):
        """The reason codes of refunds for returned goods, from the backend
        (``mirakl_return_reason_codes``, comma-separated)."""
        codes = getattr(self.backend, "mirakl_return_reason_codes", None) or ""
        return frozenset(code.strip() for code in codes.split(",") if code.strip())


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


def without_cancelled_units(payload):
    """``payload`` with each line's ``cancelations[]`` taken off its quantity,
    amounts and taxes, and the lines with nothing left out, as long as the
    order itself isn't cancelled (then it is cancelled whole, lines and all).

    Mirakl keeps a line as it was ordered and lists what was cancelled of it;
    Odoo needs what is still sold.
    """
    if not isinstance(payload, dict) or payload.get("order_state") in CANCELLED_STATES:
        return payload
    lines = payload.get("order_lines")
    if not isinstance(lines, list) or not any(_cancelations(line) for line in lines):
        return payload
    kept = []
    for line in lines:
        cancelations = _cancelations(line)
        if not cancelations:
            kept.append(line)
            continue
        net = _net_line(line, cancelations)
        if net is None:
            return payload  # amounts we can't read: the mapper reports them
        if net["quantity"] > 0:
            kept.append(net)
    if not kept:
        return payload
    return dict(payload, order_lines=kept)


def _cancelations(line):
    if not isinstance(line, dict):
        return []
    cancelations = line.get("cancelations")
    if not isinstance(cancelations, list):
        return []
    return [c for c in cancelations if isinstance(c, dict)]


def _net_line(line, cancelations):
    """``line`` less its cancelled units, amounts and taxes; None when a
    figure isn't a number."""
    try:
        quantity = line["quantity"] - sum(int(c.get("quantity") or 0) for c in cancelations)
        net = dict(line, quantity=quantity)
        for field, cancelled in (("price", "amount"), ("shipping_price", "shipping_amount")):
            if line.get(field) is not None:
                net[field] = _minus(line[field], sum(_dec(c.get(cancelled)) for c in cancelations))
        if line.get("total_price") is not None:
            net["total_price"] = _minus(
                line["total_price"],
                sum(_dec(c.get("amount")) + _dec(c.get("shipping_amount")) for c in cancelations),
            )
        for field in ("taxes", "shipping_taxes"):
            if isinstance(line.get(field), list):
                net[field] = _net_taxes(line[field], cancelations, field)
    except (TypeError, ValueError, ArithmeticError, KeyError):
        return None
    return net


def _net_taxes(taxes, cancelations, field):
    cancelled = {}
    for cancelation in cancelations:
        for tax in cancelation.get(field) or []:
            code = tax.get("code")
            cancelled[code] = cancelled.get(code, Decimal(0)) + _dec(tax.get("amount"))
    return [
        dict(tax, amount=_minus(tax["amount"], cancelled.get(tax.get("code"), Decimal(0))))
        if isinstance(tax, dict) and "amount" in tax
        else tax
        for tax in taxes
    ]


def _dec(value):
    if value is None:
        return Decimal(0)
    if isinstance(value, bool):
        raise TypeError("an amount can't be a boolean")
    return Decimal(str(value))


def _minus(value, cancelled):
    """``value`` - ``cancelled``, as a JSON number like Mirakl's."""
    return float(_dec(value) - cancelled)
