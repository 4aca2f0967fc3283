"""What the demo shop sends, message after message: plain data, no I/O.

A fixed pattern of kinds repeats (so any run of 16 messages shows each kind
once); customers, products and quantities are drawn from a seeded random
generator.
"""

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
SHIPPING = Decimal("4.90")
# Not in the demo catalogue: an order with it is held until someone creates it.
UNKNOWN_SKU = ("TSH-ORG-XXL-NAVY", "Organic cotton T-shirt, XXL, navy", "31.00")

# First name|last name|email|phone|street|city|state|zip of made-up people
# (example.com addresses, 555 phone numbers).
PEOPLE = tuple(
    tuple(row.split("|"))
    for row in """
Katherine|Moreau|k.moreau@example.com|+1 206 555 0148|1420 Pine St|Seattle|WA|98101
Daniel|Okafor|daniel.okafor@example.com|+1 312 555 0192|88 W Adams St|Chicago|IL|60603
Priya|Raman|priya.raman@example.com|+1 415 555 0107|500 Howard St|San Francisco|CA|94105
Lucas|Fernández|lucas.fernandez@example.com|+1 305 555 0163|1111 Lincoln Rd|Miami Beach|FL|33139
Hannah|Schmidt|hannah.schmidt@example.com|+1 617 555 0121|75 State St|Boston|MA|02109
Tomás|Novak|tomas.novak@example.com|+1 503 555 0184|920 SW 6th Ave|Portland|OR|97204
Aisha|Bello|aisha.bello@example.com|+1 404 555 0139|191 Peachtree St NE|Atlanta|GA|30303
Oliver|Lindqvist|oliver.lindqvist@example.com|+1 612 555 0176|80 S 8th St|Minneapolis|MN|55402
Mei|Tanaka|mei.tanaka@example.com|+1 808 555 0115|1450 Ala Moana Blvd|Honolulu|HI|96814
Samuel|Achterberg|sam.achterberg@example.com|+1 720 555 0158|1600 Glenarm Pl|Denver|CO|80202
Grace|O'Connell|grace.oconnell@example.com|+1 212 555 0170|350 5th Ave|New York|NY|10118
Yusuf|Demir|yusuf.demir@example.com|+1 512 555 0133|600 Congress Ave|Austin|TX|78701
""".strip().splitlines()
)
# Same people, typed differently at a second checkout: a duplicate to catch.
TYPOS = {
    "Katherine": "Katharine",
    "Daniel": "Danial",
    "Priya": "Priyah",
    "Hannah": "Hanna",
    "Oliver": "Olivier",
    "Grace": "Gracie",
}

# The kinds in the order they repeat.
PATTERN = (
    "order",
    "order",
    "duplicate",
    "typo_duplicate",
    "customer_update",
    "unknown_sku",
    "order_update",
    "bad_signature",
    "returning_order",
    "invalid_payload",
    "refund",
    "order",
    "cancellation",
    "order",
    "typo_duplicate",
    "order",
)
# What a correct Odoo answers.
EXPECTED_STATUS = {"bad_signature": 401}


@dataclass
class Message:
    """One delivery: ``payload`` under ``msg_id``; ``resend`` repeats an
    earlier delivery (same webhook-id); ``bad_signature`` signs with a wrong key."""

    number: int
    kind: str
    payload: dict
    summary: str
    msg_id: str = field(default_factory=lambda: f"msg_{uuid.uuid4().hex}")
    bad_signature: bool = False

    @property
    def topic(self):
        return self.payload.get("type", "?")

    @property
    def expected_status(self):
        return EXPECTED_STATUS.get(self.kind, 200)


def money(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class DemoShop:
    """The simulated shop: ``next_message()`` returns what it sends next.

    :param dict config: the bootstrap's output (currency, tax_rate, products)
    :param str run: a prefix keeping this run's order ids apart from earlier runs'
    """

    def __init__(self, config, seed=None, run=None, now=datetime.now):
        self.currency = config["currency"]
        self.tax_rate = Decimal(config["tax_rate"])
        self.products = [(p["sku"], p["name"], p["price"]) for p in config["products"]]
        if not self.products:
            raise ValueError("the demo configuration lists no products")
        self.random = random.Random(seed)
        self.run = run or format(int(datetime.now(tz=UTC).timestamp()), "x")
        self.now = lambda: now(tz=UTC)
        self.count = 0
        self.order_number = 1000
        self.orders = []  # {"data", "held", "refunded"} of the orders sent, newest last
        self.sent = []  # every Message, for duplicates
        self.customers_seen = []

    def next_message(self):
        kind = PATTERN[self.count % len(PATTERN)]
        self.count += 1
        message = getattr(self, f"_{kind}")()
        self.sent.append(message)
        return message

    # Kinds

    def _order(self, person=None, typo=False, lines=None):
        if person is None:
            unseen = [i for i in range(len(PEOPLE)) if i not in self.customers_seen]
            person = self.random.choice(unseen or range(len(PEOPLE)))
        if person not in self.customers_seen:
            self.customers_seen.append(person)
        self.order_number += 1
        number = self.order_number
        created = self.now() - timedelta(seconds=self.random.randint(2, 40))
        customer = self._customer(person, typo)
        data = {
            "external_id": f"demo-{self.run}-{number}",
            "name": f"#{number}",
            "created_at": iso(created),
            "updated_at": iso(created),
            "currency": self.currency,
            "taxes_included": False,
            "customer": customer,
            "email": customer["email"],
            "billing_address": customer["default_address"],
            "shipping_address": customer["default_address"],
            "lines": lines or self._lines(),
            "shipping_lines": [
                {"title": "Standard shipping", "code": "standard", "price": str(SHIPPING)}
            ],
            "payment_state": "paid",
        }
        self._add_totals(data, created)
        self.orders.append({"data": data, "held": False, "refunded": False})
        name = f"{customer['first_name']} {customer['last_name']}"
        items = sum(int(line["quantity"]) for line in data["lines"])
        return Message(
            self.count,
            "typo_duplicate" if typo else "order",
            {"type": "order.created", "timestamp": iso(self.now()), "data": data},
            f"{data['name']} {name}, {items} item(s), {data['totals']['total']} {self.currency}",
        )

    def _returning_order(self):
        person = self.random.choice(self.customers_seen) if self.customers_seen else None
        message = self._order(person)
        message.kind = "returning_order"
        return message

    def _typo_duplicate(self):
        known = [i for i in self.customers_seen if PEOPLE[i][0] in TYPOS]
        person = self.random.choice(known or [i for i, p in enumerate(PEOPLE) if p[0] in TYPOS])
        return self._order(person, typo=True)

    def _unknown_sku(self):
        sku, name, price = UNKNOWN_SKU
        lines = [*self._lines(1), self._line(2, sku, name, price, 1)]
        message = self._order(lines=lines)
        self.orders[-1]["held"] = True
        message.kind = "unknown_sku"
        message.summary += f" (SKU {sku} is not in Odoo: held)"
        return message

    def _order_update(self):
        order = self._pick_order()
        data = order["data"] = dict(
            order["data"], note="Gift wrap, please.", updated_at=iso(self.now())
        )
        return Message(
            self.count,
            "order_update",
            {"type": "order.updated", "timestamp": iso(self.now()), "data": data},
            f"{data['name']} gift wrap requested",
        )

    def _cancellation(self):
        order = self._pick_order()
        now = iso(self.now())
        data = order["data"] = dict(
            order["data"],
            updated_at=now,
            cancelled_at=now,
            cancel_reason="customer",
            channel_status="cancelled",
            payment_state="refunded",
        )
        return Message(
            self.count,
            "cancellation",
            {"type": "order.cancelled", "timestamp": now, "data": data},
            f"{data['name']} cancelled by the customer",
        )

    def _refund(self):
        order = self._pick_order(oldest=True, held=False, refunded=False)
        order["refunded"] = True
        data = order["data"]
        line = data["lines"][0]
        subtotal = money(line["unit_price"])
        tax = money(subtotal * self.tax_rate)
        refund = {
            "external_id": f"refund-{data['external_id']}",
            "order_external_id": data["external_id"],
            "created_at": iso(self.now()),
            "lines": [
                {
                    "line_external_id": line["external_id"],
                    "quantity": 1,
                    "subtotal": str(subtotal),
                    "tax": str(tax),
                }
            ],
            "amount": str(subtotal + tax),
            "reason": "Arrived damaged",
        }
        return Message(
            self.count,
            "refund",
            {"type": "refund.created", "timestamp": iso(self.now()), "data": refund},
            f"{data['name']} refund of {refund['amount']} {self.currency} ({line['name']})",
        )

    def _customer_update(self):
        person = self.random.choice(self.customers_seen) if self.customers_seen else 0
        customer = self._customer(person)
        customer["phone"] = f"+1 646 555 01{self.random.randint(0, 99):02d}"
        customer["updated_at"] = iso(self.now())
        return Message(
            self.count,
            "customer_update",
            {"type": "customer.updated", "timestamp": iso(self.now()), "data": customer},
            f"{customer['first_name']} {customer['last_name']} new phone {customer['phone']}",
        )

    def _duplicate(self):
        original = next(m for m in reversed(self.sent) if m.expected_status == 200)
        return Message(
            self.count,
            "duplicate",
            original.payload,
            f"{original.topic} sent again (same webhook-id)",
            msg_id=original.msg_id,
        )

    def _bad_signature(self):
        message = self._order()
        self.orders.pop()  # Odoo never accepts it
        message.kind = "bad_signature"
        message.bad_signature = True
        message.summary += " signed with a wrong key (refused)"
        return message

    def _invalid_payload(self):
        message = self._order()
        self.orders.pop()  # it never becomes an order
        # A point-of-sale bug: a decimal comma.
        line = message.payload["data"]["lines"][0]
        line["unit_price"] = line["unit_price"].replace(".", ",")
        message.kind = "invalid_payload"
        message.summary += f" with unit price {line['unit_price']!r} (fails validation)"
        return message

    # Parts

    def _customer(self, person, typo=False):
        first, last, email, phone, street, city, state, zip_code = PEOPLE[person]
        external_id = f"demo-cust-{person + 1}"
        if typo:
            first = TYPOS.get(first, first)
            email = email.upper() if self.random.random() < 0.5 else email.replace("@", "+shop@")
            external_id += "-b"
        address = {
            "first_name": first,
            "last_name": last,
            "street": street,
            "city": city,
            "state_code": state,
            "zip": zip_code,
            "country_code": "US",
            "phone": phone,
        }
        return {
            "external_id": external_id,
            "email": email,
            "phone": phone,
            "first_name": first,
            "last_name": last,
            "default_address": address,
        }

    def _lines(self, count=None):
        count = count or self.random.choice((1, 1, 2, 2, 3))
        picked = self.random.sample(self.products, min(count, len(self.products)))
        return [
            self._line(index, sku, name, price, self.random.choice((1, 1, 1, 2, 3)))
            for index, (sku, name, price) in enumerate(picked, start=1)
        ]

    def _line(self, index, sku, name, price, quantity):
        tax = money(Decimal(price) * quantity * self.tax_rate)
        return {
            "external_id": str(index),
            "sku": sku,
            "name": name,
            "quantity": quantity,
            "unit_price": str(money(price)),
            "tax_lines": [{"title": "Sales tax", "rate": str(self.tax_rate), "amount": str(tax)}],
        }

    def _add_totals(self, data, when):
        untaxed = sum(money(line["unit_price"]) * line["quantity"] for line in data["lines"])
        untaxed += SHIPPING
        tax = sum(Decimal(line["tax_lines"][0]["amount"]) for line in data["lines"])
        data["totals"] = {"untaxed": str(untaxed), "tax": str(tax), "total": str(untaxed + tax)}
        data["payments"] = [
            {
                "external_id": f"pay-{data['external_id']}",
                "kind": "sale",
                "status": "success",
                "amount": str(untaxed + tax),
                "gateway": "demo-card",
                "processed_at": iso(when),
            }
        ]

    def _pick_order(self, oldest=False, **flags):
        """The newest (or oldest) order sent, not cancelled, with ``flags``;
        the pattern sends orders first, so there always is one."""
        candidates = [
            order
            for order in self.orders
            if not order["data"].get("cancelled_at")
            and all(order[flag] == value for flag, value in flags.items())
        ] or self.orders
        return candidates[0] if oldest else candidates[-1]


def iso(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
