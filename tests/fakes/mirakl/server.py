"""The fake Mirakl's seller API over HTTP: the raw-key ``Authorization``, ``shop_id`` of a
multi-shop key, OR11/STO01 rate limits, faults, and routing to the endpoints of ``api.py``."""

import math
from dataclasses import dataclass
from http import HTTPStatus

from ..harness import FakeServer, LoggedRequest, gateway_page, retry_after
from .api import ROUTES
from .common import DEFAULT_API_KEY, MiraklError, error_body, json_reply, too_many
from .state import MarketplaceState

FAULT_KINDS = ("5xx", "timeout", "reset", "429")
RATE_LIMITED = ("OR11", "STO01")


@dataclass
class MiraklRequest(LoggedRequest):
    """A logged request, with the API it called."""

    api: str | None = None  # "OR11", "OR21", ... (None: an unknown path)


class FakeMirakl(FakeServer, MarketplaceState):
    """A Mirakl operator's seller API for one shop, on 127.0.0.1 (``with FakeMirakl() as m:``).

    Knobs: ``api_key`` (the raw key); ``shop_id`` (a multi-shop key: every call must carry
    ``shop_id=<it>``; None: a single-shop key, the account's id is ``account_shop_id``);
    ``rate_limit`` (minimum seconds between two OR11 calls; faster → 429 with Retry-After;
    0: off) and ``stock_rate_limit`` (the same for STO01; None: as ``rate_limit``);
    ``timeout_seconds`` (how long a ``timeout`` fault holds a request); the marketplace's
    own knobs (acceptance, debit, addresses, paging, clock...) are those of
    :class:`MarketplaceState`.
    """

    name = "mirakl"
    server_version = "FakeMirakl"
    request_id_header = "X-Mirakl-Request-Id"
    request_class = MiraklRequest
    FAULT_KINDS = FAULT_KINDS
    ROUTES = ROUTES

    def __init__(
        self,
        *,
        api_key=DEFAULT_API_KEY,
        shop_id=None,
        account_shop_id=2001,
        rate_limit=0,
        stock_rate_limit=None,
        timeout_seconds=5.0,
        **marketplace,
    ):
        account_shop_id = shop_id if shop_id is not None else account_shop_id
        MarketplaceState.__init__(self, account_shop_id=account_shop_id, **marketplace)
        FakeServer.__init__(self, timeout_seconds=timeout_seconds)
        self.api_key = api_key
        self.shop_id = shop_id
        self.rate_limit = rate_limit
        self.stock_rate_limit = rate_limit if stock_rate_limit is None else stock_rate_limit
        self._last_call = {}  # api → the fake time of the last call let through

    # Knobs and faults

    def fail_next(self, kind, times=1, *, status=None, seconds=None, retry_after=None, api=None):
        """Fault the next ``times`` requests (only those to ``api``, e.g. "OR24", if given).

        ``5xx`` (``status``, default 502: an HTML gateway page for 502/504, Mirakl's JSON error
        otherwise; optional ``retry_after``), ``timeout`` (hold the request ``seconds``,
        default ``timeout_seconds``, then close without answering), ``reset`` (TCP reset, no
        answer), ``429`` (``retry_after`` seconds, default 1). A fault is checked before
        authentication, and the faulted call changes nothing.
        """
        details = {"status": status, "seconds": seconds, "retry_after": retry_after}
        self.queue_fault(kind, times, route=api, **details)

    def requests_to(self, api):
        """The logged requests to one API (``"OR11"``, ``"OR21"``...)."""
        return [entry for entry in self.request_log if entry.api == api]

    # Requests

    def _answer(self, entry):
        found = self.route(entry)
        entry.api = found[0].name if found else None
        fault = self.faults.take(entry.api)
        if fault:
            entry.fault = fault.kind
            reply = self._fault_reply(fault)
        else:
            reply = self._dispatch(entry, found)
        entry.throttled = not reply.drop and reply.status == 429
        return reply

    def _fault_reply(self, fault):
        if fault.kind == "5xx":
            status = fault.status or 502
            headers = retry_after(fault.retry_after)
            if status in (502, 504):
                return gateway_page(status, headers)
            return json_reply(status, error_body(status, HTTPStatus(status).phrase), headers)
        if fault.kind == "429":
            return too_many(1 if fault.retry_after is None else fault.retry_after)
        return super()._fault_reply(fault)

    def _dispatch(self, entry, found):
        authorization = entry.headers.get("authorization")
        if not authorization or authorization != self.api_key:
            return json_reply(401, error_body(401, "Unauthorized"))
        if self.shop_id is not None:
            given = entry.query.get("shop_id")
            if not given:
                message = "This API key gives access to several shops: shop_id is required"
                return json_reply(400, error_body(400, message))
            if given != str(self.shop_id):
                return json_reply(403, error_body(403, f"Access denied to the shop {given}"))
        if found is None:
            return json_reply(404, error_body(404, "Not Found"))
        api = found[0].name
        with self.lock:
            self.tick()
            limit = self.stock_rate_limit if api == "STO01" else self.rate_limit
            if limit and api in RATE_LIMITED:
                last = self._last_call.get(api)
                if last is not None:
                    wait = limit - (self.now - last).total_seconds()
                    if wait > 0:
                        return too_many(max(1, math.ceil(wait)))
            try:
                reply = self.dispatch(entry, None, found)
            except MiraklError as error:
                return json_reply(error.status, error.body)
            if limit and api in RATE_LIMITED:
                self._last_call[api] = self.now
            return reply
