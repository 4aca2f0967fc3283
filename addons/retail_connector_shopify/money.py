"""Shopify amounts: read once they are chosen, whatever shape sent them.

Shopify sends each amount as a set of two money sides: what the customer was
charged (presentment) and the same in the shop's currency (shop). Webhooks
spell it ``price_set: {shop_money: {amount, currency_code},
presentment_money: {...}}`` next to a plain ``price`` in the shop's currency;
GraphQL spells it ``originalUnitPriceSet: {shopMoney: {amount, currencyCode},
presentmentMoney: {...}}`` with no plain twin.

The payload readers (``payloads_webhook``, ``payloads_graphql``) wrap each
amount in an :class:`Amount` that remembers the source's own names; the mapper
reads it for the chosen side with a :class:`MoneySide`. Errors name the
source's field (``line_items.0.price_set.presentment_money`` or
``lineItems.0.originalUnitPriceSet.presentmentMoney``).
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from odoo.addons.retail_connector_base.exceptions import PermanentError
from odoo.addons.retail_connector_base.utils import join_path as _join
from odoo.addons.retail_connector_base.utils import payload_object as _object

SHOP_MONEY = "shop_money"
PRESENTMENT_MONEY = "presentment_money"
MONEY_SIDES = (SHOP_MONEY, PRESENTMENT_MONEY)

ZERO = Decimal(0)

# How each source names the sides of a set and their currency (the first
# name is the one errors give).
WEBHOOK_SIDES = {SHOP_MONEY: SHOP_MONEY, PRESENTMENT_MONEY: PRESENTMENT_MONEY}
WEBHOOK_CURRENCY_KEYS = ("currency_code", "currency")
GRAPHQL_SIDES = {SHOP_MONEY: "shopMoney", PRESENTMENT_MONEY: "presentmentMoney"}
GRAPHQL_CURRENCY_KEYS = ("currencyCode",)


class Amount(NamedTuple):
    """One amount as its source sent it, not read yet.

    ``money_set`` is the set of money sides (None when the source sent none),
    ``plain`` the plain figure in the shop's currency (webhooks only).
    """

    money_set: object
    set_name: str
    set_path: str
    plain: object
    plain_path: str
    sides: dict
    currency_keys: tuple

    @classmethod
    def from_webhook(cls, data, field, path):
        """``data[field + "_set"]`` with ``data[field]`` as its plain twin."""
        return cls(
            money_set=data.get(f"{field}_set"),
            set_name=f"{field}_set",
            set_path=_join(path, f"{field}_set"),
            plain=data.get(field),
            plain_path=_join(path, field),
            sides=WEBHOOK_SIDES,
            currency_keys=WEBHOOK_CURRENCY_KEYS,
        )

    @classmethod
    def from_graphql(cls, data, field, path):
        """The ``MoneyBag`` ``data[field]``."""
        return cls(
            money_set=data.get(field),
            set_name=field,
            set_path=_join(path, field),
            plain=None,
            plain_path=_join(path, field),
            sides=GRAPHQL_SIDES,
            currency_keys=GRAPHQL_CURRENCY_KEYS,
        )

    def is_present(self):
        """Whether the source sent this amount at all."""
        return self.money_set is not None or self.plain is not None


@dataclass
class MoneySide:
    """Reads amounts on one side of the sets.

    ``currency`` is the side's currency when known (orders); otherwise it is
    learnt from the first set read (refunds). ``plain_ok`` says whether a
    plain figure (in the shop's currency) may stand in for a missing set.
    """

    money: str
    currency: str | None
    plain_ok: bool

    def value(self, amount, default=None):
        """The amount on this side as a ``Decimal``: from its set when there
        is one, else from its plain figure; ``default`` when it has neither
        (an error without a default)."""
        if amount.money_set is not None:
            key = amount.sides[self.money]
            side_path = _join(amount.set_path, key)
            side = _object(amount.money_set, amount.set_path).get(key)
            if not isinstance(side, dict) or side.get("amount") is None:
                raise PermanentError(f"no {key} amount", path=side_path)
            code = None
            for name in amount.currency_keys:
                code = code or side.get(name)
            if code and self.currency and code != self.currency:
                raise PermanentError(
                    f"amount in {code}, expected {self.currency}",
                    path=_join(side_path, amount.currency_keys[0]),
                )
            if code and not self.currency:
                self.currency = code
            return decimal_amount(side["amount"], _join(side_path, "amount"))
        if amount.plain is None:
            if default is not None:
                return default
            raise PermanentError("missing amount", path=amount.plain_path)
        if not self.plain_ok:
            raise PermanentError(
                f"no {amount.set_name}: the plain amount is in the shop's currency, "
                f"not in {self.currency}",
                path=amount.set_path,
            )
        return decimal_amount(amount.plain, amount.plain_path)

    def total(self, amounts):
        """The sum of ``amounts`` (e.g. a line's discount allocations)."""
        return sum((self.value(amount) for amount in amounts), ZERO)


def decimal_amount(value, path):
    """A Decimal from a decimal string or a JSON number (never via float
    arithmetic: ``repr`` of a float is its shortest exact spelling)."""
    if isinstance(value, bool):
        raise PermanentError(f"not an amount: {value!r}", path=path)
    if isinstance(value, float):
        value = repr(value)
    elif isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise PermanentError(f"not an amount: {value!r}", path=path)
    try:
        result = Decimal(value.strip())
    except InvalidOperation:
        raise PermanentError(f"not an amount: {value!r}", path=path) from None
    if not result.is_finite():
        raise PermanentError(f"not an amount: {value!r}", path=path)
    return result


def check_money_side(money):
    if money not in MONEY_SIDES:
        raise ValueError(f"money must be one of {MONEY_SIDES}, not {money!r}")
