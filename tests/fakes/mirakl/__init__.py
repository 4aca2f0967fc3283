"""A fake Mirakl marketplace for tests: a real HTTP server on 127.0.0.1 speaking the seller API.

It plays what /work/shared/CHANNELS.md (section Mirakl) describes: the raw-key
``Authorization`` header (no "Bearer"), ``shop_id=`` on every call of a multi-shop key,
A01 (account), OR11 (orders, filtered and paginated, with Mirakl's safety delta on
``start_update_date``), OR21 (accept/refuse lines), OR23/OR24 (tracking, ship), OR28 (refunds),
OR29 (cancel), OR30 (cancel lines), RE01 (reasons) and STO01/STO02/STO03 (stock imports).
Orders follow Mirakl's state machine — WAITING_ACCEPTANCE → WAITING_DEBIT →
WAITING_DEBIT_PAYMENT → SHIPPING → SHIPPED → RECEIVED → CLOSED, or REFUSED / CANCELED — with
the customer's addresses ``null`` until SHIPPING, and an operator that refuses orders left
undecided past the acceptance deadline. Time is the fake's own clock, which tests move. State
is plain Python that tests arrange and assert on; faults (5xx, a timeout, a connection reset,
a 429) are queued on demand::

    with FakeMirakl(api_key="k") as mirakl:
        order = mirakl.add_order(lines=[{"offer_sku": "MUG", "quantity": 2, "price_unit": 9.5}])
        mirakl.fail_next("5xx", api="OR24")       # the connector's next ship call gets a 502
        ...                                      # base URL = mirakl.base_url
        mirakl.now += timedelta(days=4)          # past the acceptance deadline
        mirakl.expire_deadlines()                # (or lazily on the next request)
        assert mirakl.order(order["order_id"])["order_state"] == "REFUSED"
        assert not mirakl.server_errors

Where things are: ``server.py`` (FakeMirakl: auth, shop_id, rate limits, faults, on the shared
``tests/fakes/harness.py``), ``api.py`` (the endpoints, one function per API code, and the
routes), ``state.py`` (MarketplaceState: orders, the state machine, the operator's moves),
``adjustments.py`` (refunds and line cancellations), ``common.py`` (constants, time, money,
error shapes).
"""

from .common import DEFAULT_API_KEY, MiraklError, error_body, iso, parse_time, utcnow
from .server import FAULT_KINDS, FakeMirakl, MiraklRequest
from .state import MarketplaceState

__all__ = [
    "DEFAULT_API_KEY",
    "FAULT_KINDS",
    "FakeMirakl",
    "MarketplaceState",
    "MiraklError",
    "MiraklRequest",
    "error_body",
    "iso",
    "parse_time",
    "utcnow",
]
