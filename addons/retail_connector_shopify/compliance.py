"""Shopify's mandatory compliance webhooks as plain objects.

Pure functions: no ORM, no network. Shopify sends three topics, configured in
the app and not through the API (see CHANNELS.md, "Shopify: webhooks"):

- ``customers/data_request``: ``{shop_id, shop_domain, orders_requested,
  customer {id, email, phone}, data_request {id}}``;
- ``customers/redact``: ``{shop_id, shop_domain, customer {id, email, phone},
  orders_to_redact}``;
- ``shop/redact``: ``{shop_id, shop_domain}``, 48 hours after the app was
  uninstalled.

Ids are 64-bit integers; they become the ``gid://shopify/...`` GIDs that
bindings and orders are stored under.
"""

from dataclasses import dataclass, field

from odoo.addons.retail_connector_base.exceptions import PermanentError

DATA_REQUEST = "customers_data_request"
CUSTOMER_REDACT = "customers_redact"
SHOP_REDACT = "shop_redact"

# webhook topic -> request kind
TOPIC_KIND_MAPPING = {
    "customers/data_request": DATA_REQUEST,
    "customers/redact": CUSTOMER_REDACT,
    "shop/redact": SHOP_REDACT,
}
KINDS = [
    (DATA_REQUEST, "Customer data request"),
    (CUSTOMER_REDACT, "Customer redaction"),
    (SHOP_REDACT, "Shop redaction"),
]

CUSTOMER_GID = "gid://shopify/Customer/{}"
ORDER_GID = "gid://shopify/Order/{}"


@dataclass(frozen=True)
class ComplianceRequest:
    """One compliance delivery, translated.

    ``request_key`` identifies the request itself, whichever delivery carried
    it: the data request's id, the customer and the orders to redact, or the
    shop. A second delivery with the same key is the same request.
    """

    kind: str
    shop_domain: str
    shop_id: str | None = None
    customer_external_id: str | None = None
    email: str | None = None
    phone: str | None = None
    orders: tuple[str, ...] = ()
    request_id: str | None = None
    payload: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def request_key(self):
        if self.kind == DATA_REQUEST:
            if self.request_id:
                return f"{self.kind}:{self.request_id}"
            return f"{self.kind}:{self.customer_external_id}:{','.join(self.orders)}"
        if self.kind == CUSTOMER_REDACT:
            return f"{self.kind}:{self.customer_external_id}:{','.join(self.orders)}"
        return f"{self.kind}:{self.shop_id or self.shop_domain}"

    @classmethod
    def from_webhook(cls, topic, payload):
        """Translate the payload of compliance ``topic``.

        :raise PermanentError: when a field Shopify always sends is missing
            or has the wrong type (``path`` names it)
        """
        kind = TOPIC_KIND_MAPPING.get(topic)
        if kind is None:
            raise PermanentError(f"not a compliance topic: {topic}")
        if not isinstance(payload, dict):
            raise PermanentError("the payload is not a JSON object")
        shop_domain = payload.get("shop_domain")
        if not isinstance(shop_domain, str) or not shop_domain.strip():
            raise PermanentError("missing shop domain", path="shop_domain")
        values = {
            "kind": kind,
            "shop_domain": shop_domain.strip().lower(),
            "shop_id": _optional_id(payload.get("shop_id"), "shop_id"),
            "payload": payload,
        }
        if kind == SHOP_REDACT:
            return cls(**values)
        customer = payload.get("customer")
        if not isinstance(customer, dict):
            raise PermanentError("missing customer", path="customer")
        orders_key = "orders_requested" if kind == DATA_REQUEST else "orders_to_redact"
        values.update(
            customer_external_id=CUSTOMER_GID.format(_id(customer.get("id"), "customer.id")),
            email=_text(customer.get("email")),
            phone=_text(customer.get("phone")),
            orders=_order_gids(payload.get(orders_key), orders_key),
        )
        if kind == DATA_REQUEST:
            data_request = payload.get("data_request") or {}
            if not isinstance(data_request, dict):
                raise PermanentError("not an object", path="data_request")
            values["request_id"] = _optional_id(data_request.get("id"), "data_request.id")
        return cls(**values)

    def export_header(self, generated_at, channel):
        """What the export answering this data request says about it."""
        return {
            "type": "customers/data_request",
            "shop_domain": self.shop_domain,
            "shopify_customer_id": self.customer_external_id,
            "data_request_id": self.request_id,
            "orders_requested": list(self.orders),
            "generated_at": generated_at,
            "channel": channel,
        }


def gid_number(gid):
    """The number ending a Shopify GID, to sort GIDs as Shopify numbers them."""
    return int(gid.rsplit("/", 1)[1])


def _id(value, path):
    """A Shopify id: a positive integer, also accepted as a string of digits."""
    if isinstance(value, bool) or value is None:
        raise PermanentError("missing or not an id", path=path)
    text = str(value).strip()
    if not text.isdigit() or int(text) <= 0:
        raise PermanentError(f"not an id: {value!r}", path=path)
    return str(int(text))


def _optional_id(value, path):
    return None if value is None else _id(value, path)


def _text(value):
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _order_gids(values, path):
    if values is None:
        return ()
    if not isinstance(values, list):
        raise PermanentError("not a list of order ids", path=path)
    gids = {ORDER_GID.format(_id(value, f"{path}.{index}")) for index, value in enumerate(values)}
    return tuple(sorted(gids, key=gid_number))
