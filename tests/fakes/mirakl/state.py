"""The fake marketplace's state, as plain Python that tests arrange and assert on: orders and
Mirakl's order state machine, moved by the operator, by time and by the seller's calls."""

import copy
import itertools
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from .adjustments import Adjustments
from .common import (
    CANCELABLE,
    DEFAULT_REASONS,
    FINAL_LINE_STATES,
    KNOWN_CARRIERS,
    NEXT_STATE,
    ORDER_STATES,
    as_timedelta,
    dec,
    iso,
    num,
    parse_time,
    tax_amount,
    utcnow,
)


class MarketplaceState(Adjustments):
    """One shop's orders, offers and stock at a Mirakl operator.

    Knobs: ``operator_allows_partial_acceptance``; ``recompute_totals_on_refusal`` (False:
    the order's ``price``/``total_price`` keep counting lines refused at acceptance, as some
    operators leave them); ``acceptance_deadline`` (None: never);
    ``auto_accept`` (the operator accepts every line as soon as an order waits for acceptance);
    ``debit_delay`` (after acceptance, WAITING_DEBIT → WAITING_DEBIT_PAYMENT → SHIPPING: 0 at
    once, seconds or a timedelta on the fake clock, None only through ``advance()``);
    ``reveal_addresses_at`` ("SHIPPING", or "WAITING_DEBIT" for operators that reveal them on
    acceptance); ``max_page`` (OR11's largest ``max``); ``update_overlap`` (the safety delta
    subtracted from ``start_update_date``); ``sort_by`` (OR11's order: "last_updated_date" or
    "created_date", ascending; ``order=desc`` reverses it); ``clock`` (a callable giving an
    aware datetime; ``fake.now`` moves on from it when assigned).
    """

    def __init__(
        self,
        *,
        shop_name="Retail Connect Shop",
        account_shop_id=2001,
        currency="EUR",
        operator="marketplace",
        operator_allows_partial_acceptance=True,
        recompute_totals_on_refusal=True,
        acceptance_deadline=timedelta(days=3),
        auto_accept=False,
        debit_delay=0,
        reveal_addresses_at="SHIPPING",
        leadtime_to_ship=2,
        commission_rate=Decimal("0.15"),
        max_page=100,
        default_page=10,
        update_overlap=timedelta(seconds=5),
        sort_by="last_updated_date",
        clock: Callable[[], datetime] | None = None,
        first_order=1001,
        reasons=DEFAULT_REASONS,
    ):
        if reveal_addresses_at not in ("SHIPPING", "WAITING_DEBIT"):
            raise ValueError("reveal_addresses_at: SHIPPING or WAITING_DEBIT")
        self.shop_name = shop_name
        self.account_shop_id = account_shop_id
        self.currency = currency
        self.operator = operator
        self.operator_allows_partial_acceptance = operator_allows_partial_acceptance
        self.recompute_totals_on_refusal = recompute_totals_on_refusal
        self.acceptance_deadline = as_timedelta(acceptance_deadline)
        self.auto_accept = auto_accept
        self.debit_delay = as_timedelta(debit_delay)
        self.reveal_addresses_at = reveal_addresses_at
        self.leadtime_to_ship = leadtime_to_ship
        self.commission_rate = Decimal(str(commission_rate))
        self.max_page = max_page
        self.default_page = default_page
        self.update_overlap = as_timedelta(update_overlap)
        if sort_by not in ("last_updated_date", "created_date"):
            raise ValueError("sort_by: last_updated_date or created_date")
        self.sort_by = sort_by
        self.reasons = [dict(reason) for reason in reasons]
        self.carriers = dict(KNOWN_CARRIERS)
        self._clock = clock or utcnow
        self._offset = timedelta(0)
        # State that tests arrange and assert on
        self.orders = {}  # order_id → the payload OR11 answers (live dict)
        self._meta = {}  # order_id → {"addresses", "deadline", "accepted_at", "tracked"}
        self.transitions = []  # (order_id, from_state, to_state, when)
        self.offers = {}  # offer_sku → quantity; empty: STO01 accepts any SKU
        self.stock = {}  # offer_sku → last quantity imported (any warehouse)
        self.warehouse_stock = {}  # (offer_sku, warehouse_code or None) → quantity
        self.stock_imports = {}  # import_id → record
        self.refunds = {}  # refund_id → (order_line_id, refund)
        self.accept_calls = []  # (order_id, {line_id: accepted}) of every applied OR21
        self._order_numbers = itertools.count(first_order)
        self._refund_ids = itertools.count(5001)
        self._cancel_ids = itertools.count(7001)
        self._import_ids = itertools.count(1)
        self.lock = threading.RLock()

    # Time

    @property
    def now(self):
        moment = self._clock()
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return moment + self._offset

    @now.setter
    def now(self, value):
        """``fake.now += timedelta(days=4)``: the fake's clock jumps (and keeps running)."""
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        self._offset += value - self.now

    # Arranging orders

    def add_order(
        self,
        lines,
        *,
        tax_mode="TAX_INCLUDED",
        shipping_price=0,
        customer=None,
        currency=None,
        created=None,
        state="WAITING_ACCEPTANCE",
        order_id=None,
        leadtime_to_ship=None,
        extra=None,
    ):
        """A new order as the operator creates it; returns its (live) payload.

        ``lines``: ``{"offer_sku", "price_unit", "quantity"=1, "tax_rate"=20 (percent),
        "tax_code"="TVA", "shipping_price", "product_sku", "product_title",
        "commission_rate", "extra"}``; an order-level ``shipping_price`` goes on the first
        line. ``customer``: ``firstname``, ``lastname``, ``civility``, ``locale``,
        ``billing_address``/``shipping_address`` (dicts merged over a default French
        address). ``state``: "WAITING_ACCEPTANCE" or "STAGING". ``extra``: fields merged into
        the payload (tolerance probes).
        """
        if tax_mode not in ("TAX_INCLUDED", "TAX_EXCLUDED"):
            raise ValueError("tax_mode: TAX_INCLUDED or TAX_EXCLUDED")
        if state not in ("WAITING_ACCEPTANCE", "STAGING"):
            raise ValueError("new orders start in WAITING_ACCEPTANCE or STAGING")
        if not lines:
            raise ValueError("an order needs lines")
        with self.lock:
            now = self.now if created is None else created
            number = next(self._order_numbers)
            commercial_id = f"CMD-{number}"
            order_id = order_id or f"{commercial_id}-A"
            if order_id in self.orders:
                raise ValueError(f"order {order_id} exists")
            included = tax_mode == "TAX_INCLUDED"
            leadtime = self.leadtime_to_ship if leadtime_to_ship is None else leadtime_to_ship
            order_lines = []
            for index, spec in enumerate(lines, start=1):
                line_shipping = spec.get("shipping_price")
                if line_shipping is None:
                    line_shipping = shipping_price if index == 1 else 0
                order_lines.append(
                    self._new_line(order_id, index, spec, line_shipping, included, state)
                )
            customer = dict(customer or {})
            firstname = customer.get("firstname", "Camille")
            lastname = customer.get("lastname", "Martin")
            addresses = {
                kind: self._address(customer.get(kind), firstname, lastname)
                for kind in ("billing_address", "shipping_address")
            }
            order = {
                "order_id": order_id,
                "commercial_id": commercial_id,
                "created_date": iso(now),
                "last_updated_date": iso(now),
                "acceptance_decision_date": None,
                "order_state": state,
                "order_state_reason_code": None,
                "order_state_reason_label": None,
                "currency_iso_code": currency or self.currency,
                "payment_workflow": "PAY_ON_ACCEPTANCE",
                "payment_type": "CREDIT_CARD",
                "order_tax_mode": tax_mode,
                "price": 0,
                "shipping_price": 0,
                "total_price": 0,
                "total_commission": 0,
                "shipping_deadline": iso(now + timedelta(days=leadtime)),
                "leadtime_to_ship": leadtime,
                "shipping_type_code": "STD",
                "shipping_type_label": "Standard",
                "shipping_zone_code": "FR-METRO",
                "shipping_tracking": None,
                "shipping_tracking_url": None,
                "shipping_carrier_code": None,
                "shipping_company": None,
                "customer_notification_email": (
                    f"{uuid.uuid4().hex[:20]}@relay.{self.operator}.example"
                ),
                "customer": {
                    "customer_id": f"C-{uuid.uuid4().hex[:12]}",
                    "firstname": firstname,
                    "lastname": lastname,
                    "civility": customer.get("civility", "MME"),
                    "locale": customer.get("locale", "fr_FR"),
                    "billing_address": None,
                    "shipping_address": None,
                },
                "order_lines": order_lines,
                # Fields the connector doesn't read: tolerance probes.
                "channel": {"code": "FR", "label": "France"},
                "fulfillment": {"center": {"code": "DEFAULT"}},
                "order_additional_fields": [],
                "references": {"order_reference_for_customer": commercial_id},
                "has_customer_message": False,
                "has_incident": False,
                "promotions": {"applied_promotions": [], "total_deduced_amount": 0},
                "quote_id": None,
            }
            order.update(copy.deepcopy(extra or {}))
            self.orders[order_id] = order
            self._meta[order_id] = {
                "addresses": addresses,
                "deadline": None,
                "accepted_at": None,
                "tracked": False,
                "leadtime": leadtime,
            }
            self._recompute(order)
            if state == "WAITING_ACCEPTANCE":
                self._entered_waiting_acceptance(order, since=now)
            return order

    def add_offer(self, offer_sku, quantity=0):
        """Declare an offer: once any exists, STO01 rows for unknown SKUs are errors."""
        with self.lock:
            self.offers[offer_sku] = quantity
            self.stock.setdefault(offer_sku, quantity)

    def order(self, order_id):
        """The live payload of an order (KeyError if unknown)."""
        return self.orders[order_id]

    def line(self, order_line_id):
        order_id = order_line_id.rsplit("-", 1)[0]
        order = self.orders[order_id]
        return next(line for line in order["order_lines"] if line["order_line_id"] == order_line_id)

    # Operator-side moves

    def advance(self, order_id):
        """One step along the happy path (STAGING → WAITING_ACCEPTANCE, WAITING_DEBIT →
        WAITING_DEBIT_PAYMENT → SHIPPING, SHIPPED → RECEIVED → CLOSED); returns the state."""
        with self.lock:
            order = self.orders[order_id]
            target = NEXT_STATE.get(order["order_state"])
            if target is None:
                raise ValueError(f"{order_id} in {order['order_state']} has no next step")
            self._set_state(order, target)
            if target == "WAITING_ACCEPTANCE":
                self._entered_waiting_acceptance(order)
            return target

    def expire_deadlines(self):
        """Refuse every order still waiting for acceptance past its deadline; their ids."""
        with self.lock:
            refused = []
            for order_id, order in self.orders.items():
                deadline = self._meta[order_id]["deadline"]
                if (
                    order["order_state"] == "WAITING_ACCEPTANCE"
                    and deadline
                    and self.now >= deadline
                ):
                    for line in order["order_lines"]:
                        line["order_line_state"] = "REFUSED"
                    order["order_state_reason_code"] = "ACCEPTANCE_DEADLINE_EXPIRED"
                    order["order_state_reason_label"] = "Not accepted before the deadline"
                    self._set_state(order, "REFUSED")
                    self._recompute(order)
                    refused.append(order_id)
            return refused

    def tick(self):
        """What time does on its own: deadlines expire, debits complete (runs on each call)."""
        with self.lock:
            self.expire_deadlines()
            if self.debit_delay:
                for order_id, order in self.orders.items():
                    accepted_at = self._meta[order_id]["accepted_at"]
                    waiting = order["order_state"] in ("WAITING_DEBIT", "WAITING_DEBIT_PAYMENT")
                    if waiting and accepted_at and self.now >= accepted_at + self.debit_delay:
                        self._debit(order)

    def operator_cancel(self, order_id, reason_code="OPERATOR_CANCEL"):
        """The operator (or the customer through it) cancels an order not yet shipped."""
        with self.lock:
            order = self.orders[order_id]
            if order["order_state"] not in CANCELABLE:
                raise ValueError(f"{order_id} in {order['order_state']} can't be canceled")
            self._cancel_order(order, reason_code)

    def operator_refund(
        self, order_line_id, *, amount=None, shipping_amount=0, quantity=None, reason_code="36"
    ):
        """The operator refunds a line (all of it by default); returns the refund id."""
        line = self.line(order_line_id)
        if quantity is None and amount is None:
            quantity = line["quantity"] - self._refunded(line)["quantity"]
        if amount is None:
            amount = dec(line["price_unit"]) * quantity
        request = {
            "order_line_id": order_line_id,
            "amount": float(amount),
            "shipping_amount": shipping_amount,
            "quantity": quantity,
            "reason_code": reason_code,
        }
        with self.lock:
            [(_line_id, refund_id)] = self._apply_refunds([request])
            return refund_id

    def operator_cancel_line(self, order_line_id, quantity=None, reason_code="OPERATOR_CANCEL"):
        """The operator cancels units of a line of a SHIPPING order (all that is left by
        default); returns the cancelation id."""
        line = self.line(order_line_id)
        if quantity is None:
            quantity = line["quantity"] - self._cancelled(line)["quantity"]
        request = {
            "order_line_id": order_line_id,
            "quantity": quantity,
            "amount": float(dec(line["price_unit"]) * quantity),
            "reason_code": reason_code,
        }
        with self.lock:
            [(_line_id, cancel_id)] = self._apply_cancelations([request])
            return cancel_id

    # The state machine

    def _new_line(self, order_id, index, spec, shipping, included, state):
        quantity = spec.get("quantity", 1)
        price_unit = dec(spec["price_unit"])
        price = price_unit * quantity
        rate = spec.get("tax_rate", 20)
        code = spec.get("tax_code", "TVA")
        total = price + dec(shipping)
        commission_rate = Decimal(str(spec.get("commission_rate", self.commission_rate)))
        line = {
            "order_line_id": f"{order_id}-{index}",
            "order_line_index": index,
            "order_line_state": state,
            "offer_id": 3000 + index,
            "offer_sku": spec["offer_sku"],
            "product_sku": spec.get("product_sku", f"P{abs(hash(spec['offer_sku'])) % 10**8}"),
            "product_title": spec.get("product_title", spec["offer_sku"].title()),
            "category_code": spec.get("category_code", "home"),
            "quantity": quantity,
            "price_unit": num(price_unit),
            "price": num(price),
            "shipping_price": num(shipping),
            "total_price": num(total),
            "taxes": [
                {"code": code, "amount": num(tax_amount(price, rate, included)), "rate": rate}
            ],
            "shipping_taxes": [
                {"code": code, "amount": num(tax_amount(shipping, rate, included)), "rate": rate}
            ],
            "commission_fee": num(total * commission_rate),
            "commission_rate_vat": 20,
            "refunds": [],
            "cancelations": [],
            "order_line_additional_fields": [],
            "product_medias": [],
            "price_additional_info": None,
        }
        line.update(copy.deepcopy(spec.get("extra") or {}))
        return line

    def _address(self, given, firstname, lastname):
        address = {
            "civility": None,
            "firstname": firstname,
            "lastname": lastname,
            "company": None,
            "street_1": "12 rue de la Paix",
            "street_2": None,
            "zip_code": "75002",
            "city": "Paris",
            "state": None,
            "country": "France",
            "country_iso_code": "FRA",
            "phone": "+33123456789",
            "phone_secondary": None,
            "additional_info": None,
        }
        address.update(given or {})
        return address

    def _touch(self, order):
        """Bump last_updated_date: the fake's now, strictly later than before (to the second)."""
        previous = parse_time(order["last_updated_date"])
        moment = max(self.now.replace(microsecond=0), previous + timedelta(seconds=1))
        order["last_updated_date"] = iso(moment)

    def _set_state(self, order, state):
        previous = order["order_state"]
        order["order_state"] = state
        for line in order["order_lines"]:
            if line["order_line_state"] not in FINAL_LINE_STATES:
                line["order_line_state"] = state
        reveal_from = ORDER_STATES.index(self.reveal_addresses_at)
        if state not in ("REFUSED", "CANCELED") and ORDER_STATES.index(state) >= reveal_from:
            customer = order["customer"]
            if customer["shipping_address"] is None:
                addresses = self._meta[order["order_id"]]["addresses"]
                customer.update(copy.deepcopy(addresses))
        self._touch(order)
        self.transitions.append((order["order_id"], previous, state, order["last_updated_date"]))

    def _entered_waiting_acceptance(self, order, since=None):
        meta = self._meta[order["order_id"]]
        if self.acceptance_deadline is not None:
            meta["deadline"] = (since or self.now) + self.acceptance_deadline
        if self.auto_accept:
            self._decide(order, {line["order_line_id"]: True for line in order["order_lines"]})

    def _decide(self, order, chosen):
        now = self.now
        order["acceptance_decision_date"] = iso(now)
        for line in order["order_lines"]:
            if not chosen[line["order_line_id"]]:
                line["order_line_state"] = "REFUSED"
        if self.recompute_totals_on_refusal:
            self._recompute(order)
        if not any(chosen.values()):
            self._set_state(order, "REFUSED")
            return
        meta = self._meta[order["order_id"]]
        meta["accepted_at"] = now
        order["shipping_deadline"] = iso(now + timedelta(days=meta["leadtime"]))
        self._set_state(order, "WAITING_DEBIT")
        if self.debit_delay is not None and not self.debit_delay:
            self._debit(order)

    def _debit(self, order):
        if order["order_state"] == "WAITING_DEBIT":
            self._set_state(order, "WAITING_DEBIT_PAYMENT")
        if order["order_state"] == "WAITING_DEBIT_PAYMENT":
            self._set_state(order, "SHIPPING")

    def _recompute(self, order):
        """Order amounts: the sum of its lines that weren't refused."""
        lines = [line for line in order["order_lines"] if line["order_line_state"] != "REFUSED"]
        for key, line_key in (
            ("price", "price"),
            ("shipping_price", "shipping_price"),
            ("total_price", "total_price"),
            ("total_commission", "commission_fee"),
        ):
            order[key] = num(sum((dec(line[line_key]) for line in lines), Decimal(0)))

    def _cancel_order(self, order, reason_code):
        for line in order["order_lines"]:
            if line["order_line_state"] in FINAL_LINE_STATES:
                continue
            line["cancelations"].append(
                {
                    "id": next(self._cancel_ids),
                    "amount": line["price"],
                    "shipping_amount": line["shipping_price"],
                    "quantity": line["quantity"],
                    "reason_code": reason_code,
                    "created_date": iso(self.now),
                    "taxes": copy.deepcopy(line["taxes"]),
                    "shipping_taxes": copy.deepcopy(line["shipping_taxes"]),
                }
            )
            line["order_line_state"] = "CANCELED"
        self._set_state(order, "CANCELED")
