"""The fake shop's state, as plain Python that tests arrange and assert on."""

import itertools
import threading
from collections import defaultdict
from decimal import Decimal

from .bulk import BulkOperations
from .common import iso, money, parse_time, utcnow
from .graphql import (
    TIME_TESTS,
    GraphQLError,
    cursor,
    decode_cursor,
    page_info,
    search_terms,
)
from .refunds import Refunds

RISK_LEVELS = {"ACCEPT": "LOW", "INVESTIGATE": "MEDIUM", "CANCEL": "HIGH"}


class ShopState(BulkOperations, Refunds):
    """What the fake shop holds, as plain Python that tests arrange and assert on.

    Nodes are GraphQL-shaped (``gid://shopify/Order/1001``, nested connections as
    ``{"nodes": [...]}``); the operations answer with the fields a query selects.
    """

    base_url = ""  # FakeShopify serves the bulk files

    def __init__(
        self, *, shop_domain, shop_name, currency, max_page_size, bulk_delay, first_order=1001
    ):
        self.shop_domain = shop_domain
        self.shop_name = shop_name
        self.currency = currency
        self.max_page_size = max_page_size
        self.bulk_delay = bulk_delay  # None: bulk operations wait for complete_bulk_operation()
        self.lock = threading.RLock()
        self.locations = {}
        self.orders = {}
        self.customers = {}
        self.variants = {}
        self.inventory_levels = {}  # (inventory item id, location id) → {"available", "on_hand"}
        self.webhook_subscriptions = {}
        self.fulfillments = {}
        self.refunds = {}  # gid → refunds/create body (REST shape)
        self.inventory_set_calls = []
        self.order_cancel_calls = []  # every orderCancel, with "applied"
        self.refund_calls = []  # every refundCreate, with "applied" and "replayed"
        self.refunds = {}  # refund gid → refund node
        self.inventory_adjustment_groups = {}
        self.bulk_operations = {}
        self.bulk_files = {}  # number → JSONL bytes
        self._idempotency = {}
        self._bulk_ready_at = {}
        self._counters = defaultdict(lambda: itertools.count(1), Order=itertools.count(first_order))
        self.location_id = self.add_location("Main warehouse")["id"]

    # Arranging state

    def new_gid(self, kind):
        return f"gid://shopify/{kind}/{next(self._counters[kind])}"

    def add_location(self, name):
        location = {"id": self.new_gid("Location"), "name": name, "isActive": True}
        self.locations[location["id"]] = location
        return location

    def add_variant(self, sku, *, available=0, location_ids=None, title=None):
        """A product variant and its inventory item, stocked at ``location_ids``."""
        with self.lock:
            item_id = self.new_gid("InventoryItem")
            variant = {
                "id": self.new_gid("ProductVariant"),
                "sku": sku,
                "title": title or sku,
                "inventoryItem": {"id": item_id, "sku": sku, "tracked": True},
            }
            self.variants[variant["id"]] = variant
            for location_id in location_ids or [self.location_id]:
                self.inventory_levels[(item_id, location_id)] = {
                    "available": available,
                    "on_hand": available,
                }
            return variant

    def available(self, sku_or_item_id, location_id=None):
        item_id = sku_or_item_id
        for variant in self.variants.values():
            if variant["sku"] == sku_or_item_id:
                item_id = variant["inventoryItem"]["id"]
        return self.inventory_levels[(item_id, location_id or self.location_id)]["available"]

    def add_order(
        self,
        *,
        line_items=None,
        updated_at=None,
        created_at=None,
        risk="ACCEPT",
        financial_status="PAID",
        taxes_included=False,
        tax_rate=None,
        tax_title="VAT",
        shipping=None,
        customer=None,
        address=None,
        **fields,
    ):
        """An order node, with one fulfillment order per location of its lines.

        ``line_items``: dicts with ``sku``, ``quantity`` and optionally ``price`` (string),
        ``discount`` (the line's total discount, string), ``title`` and ``location_id``
        (default: the first location). ``tax_rate`` (``"0.2"``) taxes every line and the
        shipping, included in the prices when ``taxes_included``; ``shipping``: a dict with
        ``title``, ``price`` and optionally ``code``. ``customer``: a node of
        :meth:`add_customer`, or a dict with ``first_name``, ``last_name``, ``email`` (a
        customer updated with the order is added; default: a guest) and ``address`` a dict
        of MailingAddress fields for billing and shipping (default: null, protected data).
        The totals follow from the lines, as Shopify's do. ``fields`` override or add
        top-level order fields (GraphQL names).
        """
        with self.lock:
            order_id = self.new_gid("Order")
            legacy_id = order_id.rsplit("/", 1)[1]
            created = iso(created_at or updated_at or utcnow())
            rate = Decimal(str(tax_rate)) if tax_rate is not None else None
            lines, by_location = [], {}
            subtotal = discounts = tax_total = Decimal(0)
            for spec in line_items or [{"sku": "SKU-1", "quantity": 1}]:
                price = Decimal(str(spec.get("price", "10.00")))
                discount = Decimal(str(spec.get("discount", "0")))
                net = price * spec["quantity"] - discount
                taxes, line_tax = self._tax_lines(net, rate, tax_title, taxes_included)
                title = spec.get("title", spec["sku"])
                line = {
                    "id": self.new_gid("LineItem"),
                    "sku": spec["sku"],
                    "title": title,
                    "name": title,
                    "variantTitle": None,
                    "quantity": spec["quantity"],
                    "currentQuantity": spec["quantity"],
                    "originalUnitPriceSet": money(price, self.currency),
                    "discountAllocations": (
                        [{"allocatedAmountSet": money(discount, self.currency)}] if discount else []
                    ),
                    "taxLines": taxes,
                }
                subtotal += net
                discounts += discount
                tax_total += line_tax
                lines.append(line)
                location_id = spec.get("location_id") or self.location_id
                by_location.setdefault(location_id, []).append(line)
            shipping_lines, shipping_total = [], Decimal(0)
            if shipping:
                shipping_total = Decimal(str(shipping["price"]))
                taxes, shipping_tax = self._tax_lines(
                    shipping_total, rate, tax_title, taxes_included
                )
                tax_total += shipping_tax
                shipping_lines.append(
                    {
                        "id": self.new_gid("ShippingLine"),
                        "title": shipping["title"],
                        "code": shipping.get("code", shipping["title"]),
                        "source": "shopify",
                        "carrierIdentifier": None,
                        "isRemoved": False,
                        "originalPriceSet": money(shipping_total, self.currency),
                        "discountAllocations": [],
                        "taxLines": taxes,
                    }
                )
            total = subtotal + shipping_total + (0 if taxes_included else tax_total)
            customer_node = customer
            if customer and "id" not in customer:
                customer_node = self.add_customer(
                    first_name=customer.get("first_name"),
                    last_name=customer.get("last_name"),
                    email=customer.get("email"),
                    address=address,
                    updated_at=created,
                )
            email = (customer_node or {}).get("defaultEmailAddress") or {}
            order = {
                "id": order_id,
                "legacyResourceId": legacy_id,
                "name": f"#{legacy_id}",
                "createdAt": created,
                "updatedAt": iso(updated_at) if updated_at else created,
                "processedAt": created,
                "cancelledAt": None,
                "cancelReason": None,
                "closed": False,
                "closedAt": None,
                "displayFinancialStatus": financial_status,
                "displayFulfillmentStatus": "UNFULFILLED",
                "currencyCode": self.currency,
                "presentmentCurrencyCode": self.currency,
                "taxesIncluded": taxes_included,
                "subtotalPriceSet": money(subtotal, self.currency),
                "totalDiscountsSet": money(discounts, self.currency),
                "totalShippingPriceSet": money(shipping_total, self.currency),
                "totalTaxSet": money(tax_total, self.currency),
                "totalPriceSet": money(total, self.currency),
                "currentSubtotalPriceSet": money(subtotal, self.currency),
                "currentTotalDiscountsSet": money(discounts, self.currency),
                "currentTotalTaxSet": money(tax_total, self.currency),
                "currentTotalPriceSet": money(total, self.currency),
                "totalRefundedSet": money(0, self.currency),
                # protected ("level 2") data arrives as null unless given
                "email": email.get("emailAddress"),
                "phone": None,
                "note": None,
                "test": False,
                "customer": customer_node,
                "billingAddress": self._address(address),
                "shippingAddress": self._address(address),
                "lineItems": {"nodes": lines},
                "shippingLines": {"nodes": shipping_lines},
                "fulfillmentOrders": {
                    "nodes": [
                        self._new_fulfillment_order(location_id, location_lines)
                        for location_id, location_lines in by_location.items()
                    ]
                },
                "fulfillments": [],
                "risk": self._risk(risk),
                "transactions": self._payments(financial_status, total),
                "refunds": [],
            }
            order.update(fields)
            self.orders[order_id] = order
            return order

    def add_customer(
        self,
        *,
        first_name=None,
        last_name=None,
        email=None,
        phone=None,
        address=None,
        updated_at=None,
        created_at=None,
        email_marketing="NOT_SUBSCRIBED",
        sms_marketing="NOT_SUBSCRIBED",
        **fields,
    ):
        """A customer node, as the customers query reads it: ``email`` and ``phone`` with
        their marketing state (``SUBSCRIBED``, ``NOT_SUBSCRIBED``, ``UNSUBSCRIBED``,
        ``PENDING``...), ``address`` a dict of MailingAddress fields (the default address;
        default: none). ``fields`` override or add top-level customer fields (GraphQL names).
        """
        with self.lock:
            created = iso(created_at or updated_at or utcnow())
            updated = iso(updated_at) if updated_at else created

            def marketing(state):
                consented = state in ("SUBSCRIBED", "UNSUBSCRIBED")
                return {
                    "marketingState": state,
                    "marketingOptInLevel": "SINGLE_OPT_IN" if consented else None,
                    "marketingUpdatedAt": created if consented else None,
                }

            customer = {
                "id": self.new_gid("Customer"),
                "firstName": first_name,
                "lastName": last_name,
                "createdAt": created,
                "updatedAt": updated,
                "defaultEmailAddress": (
                    {"emailAddress": email, **marketing(email_marketing)} if email else None
                ),
                "defaultPhoneNumber": (
                    {
                        "phoneNumber": phone,
                        **marketing(sms_marketing),
                        "marketingCollectedFrom": "OTHER",
                    }
                    if phone
                    else None
                ),
                "defaultAddress": self._address(address),
            }
            customer.update(fields)
            self.customers[customer["id"]] = customer
            return customer

    def touch_customer(self, customer_id, updated_at=None):
        with self.lock:
            self.customers[customer_id]["updatedAt"] = iso(updated_at or utcnow())
            return self.customers[customer_id]

    def _tax_lines(self, amount, rate, title, included):
        """``(taxLines, tax)`` of ``amount`` at ``rate`` (none without a rate)."""
        if not rate:
            return [], Decimal(0)
        divisor = 1 + rate if included else 1
        tax = (amount * rate / divisor).quantize(Decimal("0.01"))
        return [{"title": title, "rate": float(rate), "priceSet": money(tax, self.currency)}], tax

    def _address(self, address):
        if not address:
            return None
        keys = (
            "firstName", "lastName", "company", "address1", "address2", "city", "province",
            "provinceCode", "zip", "country", "countryCodeV2", "phone",
        )  # fmt: skip
        return {"id": self.new_gid("MailingAddress"), **dict.fromkeys(keys), **address}

    def _new_fulfillment_order(self, location_id, lines):
        return {
            "id": self.new_gid("FulfillmentOrder"),
            "status": "OPEN",
            "requestStatus": "UNSUBMITTED",
            "assignedLocation": {
                "location": {"id": location_id},
                "name": self.locations[location_id]["name"],
            },
            "lineItems": {
                "nodes": [
                    {
                        "id": self.new_gid("FulfillmentOrderLineItem"),
                        "totalQuantity": line["quantity"],
                        "remainingQuantity": line["quantity"],
                        "lineItem": {"id": line["id"], "sku": line["sku"]},
                    }
                    for line in lines
                ]
            },
        }

    def _payments(self, financial_status, total):
        """The order's transactions: a captured sale of the total when it is paid, an
        authorization when it is authorized, none otherwise."""
        kind = {"PAID": "SALE", "AUTHORIZED": "AUTHORIZATION"}.get(financial_status)
        if not kind:
            return []
        return [
            {
                "id": self.new_gid("OrderTransaction"),
                "kind": kind,
                "status": "SUCCESS",
                "gateway": "shopify_payments",
                "amountSet": money(total, self.currency),
                "maximumRefundableV2": {
                    "amount": f"{Decimal(total if kind == 'SALE' else 0):.2f}",
                    "currencyCode": self.currency,
                },
                "parentTransaction": None,
                "createdAt": iso(utcnow()),
            }
        ]

    def refunded_quantity(self, line_id):
        """Units of line item ``line_id`` refunded so far (every refund of its order)."""
        return sum(
            item["quantity"]
            for refund in self.refunds.values()
            for item in refund["refundLineItems"]["nodes"]
            if item["lineItem"]["id"] == line_id
        )

    @staticmethod
    def _risk(recommendation):
        assessments = []
        if recommendation in RISK_LEVELS:
            facts = [{"description": "Fake risk analysis", "sentiment": "NEUTRAL"}]
            assessments.append({"riskLevel": RISK_LEVELS[recommendation], "facts": facts})
        return {"recommendation": recommendation, "assessments": assessments}

    def touch_order(self, order_id, updated_at=None):
        with self.lock:
            self.orders[order_id]["updatedAt"] = iso(updated_at or utcnow())
            return self.orders[order_id]

    def set_risk(self, order_id, recommendation):
        """Change the risk recommendation (ACCEPT, INVESTIGATE, CANCEL, NONE); touches the order."""
        with self.lock:
            self.orders[order_id]["risk"] = self._risk(recommendation)
            return self.touch_order(order_id)

    def fulfillment_order(self, fulfillment_order_id):
        """``(order, fulfillment order)`` for a fulfillment order id, or None."""
        for order in self.orders.values():
            for candidate in order["fulfillmentOrders"]["nodes"]:
                if candidate["id"] == fulfillment_order_id:
                    return order, candidate
        return None

    def add_webhook_subscription(self, topic, uri, format="JSON"):
        with self.lock:
            now = iso(utcnow())
            subscription = {
                "id": self.new_gid("WebhookSubscription"),
                "topic": topic,
                "uri": uri,
                "format": format,
                "includeFields": [],
                "filter": None,
                "createdAt": now,
                "updatedAt": now,
            }
            self.webhook_subscriptions[subscription["id"]] = subscription
            return subscription

    # Helpers of the operations

    def paginate(self, items, args, key):
        """A forward connection page of ``items`` (sorted by ``key``, a list)."""
        first = args.get("first")
        if args.get("last") is not None or args.get("before") is not None:
            raise GraphQLError("The fake Shopify paginates forward only (first/after)")
        if not isinstance(first, int) or first < 0:
            raise GraphQLError("You must provide one of first or last")
        if first > self.max_page_size:
            raise GraphQLError(
                f"first: {first} exceeds the maximum page size of {self.max_page_size}",
                "MAX_PAGE_SIZE_EXCEEDED",
            )
        items = sorted(items, key=key)
        after = args.get("after")
        if after:
            mark = decode_cursor(after)
            items = [item for item in items if key(item) > mark]
        page = items[:first]
        cursors = [cursor(key(item)) for item in page]
        return {
            "nodes": page,
            "edges": [{"cursor": c, "node": n} for c, n in zip(cursors, page, strict=True)],
            "pageInfo": page_info(cursors, len(items) > first, bool(after)),
        }

    def search_orders(self, query, call=None):
        """Orders matching ``updated_at:``/``created_at:`` terms; other fields are ignored
        with an ``extensions.search`` warning, as Shopify does."""
        return self._search(self.orders.values(), query, call)

    def search_customers(self, query, call=None):
        """Customers matching ``updated_at:``/``created_at:`` terms, as orders."""
        return self._search(self.customers.values(), query, call)

    def _search(self, nodes, query, call):
        tests, warnings, ids = [], [], set()
        for name, op, value in search_terms(query):
            if name == "id" and op == ":" and value.isdigit():
                ids.add(int(value))  # "id:1 OR id:2": any of them
                continue
            field_name = {"updated_at": "updatedAt", "created_at": "createdAt"}.get(name)
            try:
                moment = parse_time(value) if field_name else None
            except ValueError:
                moment = None
            if moment is None:
                warnings.append({"field": name, "message": "Invalid search field for this query."})
                continue
            tests.append((field_name, TIME_TESTS[op], moment))
        if warnings and call is not None:
            call.search.append({"path": [call.root.alias], "query": query, "warnings": warnings})
        return [
            node
            for node in nodes
            if all(test(parse_time(node[name]), moment) for name, test, moment in tests)
            and (not ids or int(node["id"].rsplit("/", 1)[1]) in ids)
        ]
