"""The one way the connector talks to Shopify's GraphQL Admin API.

Plain Python, on the base's request path (:mod:`retail_connector_base.api_client`):
authentication (a pasted access token, or the client-credentials grant with a
token refreshed before it expires and once on a 401), cost-based throttling
read from every answer and waited out inside a call (the cost bucket,
``THROTTLED``, a 429), cursor pagination, and errors a person can act on. A
5xx, a timeout or a dropped connection is one ``TransientError``: the job
that made the call is retried.
"""

import json
import logging
import time

from odoo.addons.retail_connector_base.api_client import (
    DEFAULT_TIMEOUT,
    MAX_RETRY_WAIT,
    ApiClient,
    Resend,
    Throttled,
    retry_after_of,
    shorten,
)
from odoo.addons.retail_connector_base.exceptions import PermanentError, TransientError

_logger = logging.getLogger(__name__)

TOKEN_REFRESH_MARGIN = 300  # refresh a granted token this many seconds before it expires
MAX_PAGE_SIZE = 250
# Calls other than GraphQL operations (``purpose`` of ``send``), and how errors name them
TOKEN = "token"
BULK_FILE = "bulk_file"
PURPOSE_NAMES = {TOKEN: "Shopify's token endpoint", BULK_FILE: "The bulk operation's file"}


class ShopifyUserError(PermanentError):
    """A mutation answered with ``userErrors``."""

    def __init__(self, operation, user_errors):
        self.user_errors = user_errors
        details = "; ".join(
            f"{'.'.join(str(p) for p in (error.get('field') or []))}: {error.get('message')}"
            if error.get("field")
            else str(error.get("message"))
            for error in user_errors
        )
        super().__init__(f"Shopify refused {operation}: {details}")


class TokenStore:
    """Where a granted access token is kept between calls (a backend's fields
    in Odoo, a dict in tests)."""

    def get(self):
        """Return ``(token, expires_at)``; ``(None, 0)`` when there is none."""
        raise NotImplementedError

    def save(self, token, expires_at):
        raise NotImplementedError


class MemoryTokenStore(TokenStore):
    def __init__(self):
        self.token, self.expires_at = None, 0

    def get(self):
        return self.token, self.expires_at

    def save(self, token, expires_at):
        self.token, self.expires_at = token, expires_at


class Bucket:
    """Shopify's cost bucket as last reported (``extensions.cost.throttleStatus``)."""

    def __init__(self):
        self.maximum = None
        self.available = None
        self.restore_rate = None
        self.seen_at = None

    def update(self, throttle_status, now):
        self.maximum = throttle_status.get("maximumAvailable", self.maximum)
        self.available = throttle_status.get("currentlyAvailable", self.available)
        self.restore_rate = throttle_status.get("restoreRate", self.restore_rate)
        self.seen_at = now

    def wait_for(self, cost, now):
        """Seconds to wait until ``cost`` points are available (0 if known enough)."""
        if self.available is None or not self.restore_rate:
            return 0.0
        available = self.available + (now - self.seen_at) * self.restore_rate
        if self.maximum is not None:
            available = min(available, self.maximum)
            cost = min(cost, self.maximum)
        return max(0.0, (cost - available) / self.restore_rate)


class ShopifyClient(ApiClient):
    """A store's GraphQL Admin API.

    ``max_attempts`` bounds the sends of one call while Shopify throttles it
    (and the one resend after a token refresh); a failure is never sent again
    by the client.
    """

    channel = "Shopify"

    def __init__(
        self,
        api_url,
        api_version,
        *,
        access_token=None,
        client_id=None,
        client_secret=None,
        token_store=None,
        timeout=DEFAULT_TIMEOUT,
        max_attempts=5,
        session=None,
        sleep=time.sleep,
        clock=time.time,
        max_retry_wait=MAX_RETRY_WAIT,
        breaker=None,
    ):
        if not access_token and not (client_id and client_secret):
            raise PermanentError(
                "Shopify credentials are missing: an Admin API access token, "
                "or a client ID and client secret"
            )
        super().__init__(
            api_url,
            timeout=timeout,
            max_attempts=max_attempts,
            max_retry_wait=max_retry_wait,
            session=session,
            sleep=sleep,
            clock=clock,
            breaker=breaker,
        )
        self.api_version = api_version
        self.access_token = access_token
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_store = token_store or MemoryTokenStore()
        self.bucket = Bucket()
        self.expected_cost = 10

    @property
    def graphql_url(self):
        return f"{self.api_url}/admin/api/{self.api_version}/graphql.json"

    # Authentication

    def _token(self, force_refresh=False):
        if self.access_token:
            return self.access_token
        token, expires_at = self.token_store.get()
        if force_refresh or not token or expires_at - self.clock() < TOKEN_REFRESH_MARGIN:
            token = self._grant_token()
        return token

    def _grant_token(self):
        """Client-credentials grant: a token with an expiry, kept in the store."""
        answer = self.send(
            "POST",
            "/admin/oauth/access_token",
            json={
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "grant_type": "client_credentials",
            },
            purpose=TOKEN,
        )
        token = answer.get("access_token")
        if not token:
            raise PermanentError("Shopify's token answer has no access_token")
        expires_at = self.clock() + float(answer.get("expires_in") or 0)
        self.token_store.save(token, expires_at)
        _logger.info("Obtained a Shopify access token valid until %s", expires_at)
        return token

    # Requests

    def graphql(self, query, variables=None, cost=None):
        """Send one operation; return its ``data``.

        Waits when the cost bucket is short and waits out throttled answers
        and 429 (short ones), and refreshes a granted token once on a 401.

        :raise TransientError: when Shopify is unavailable now (5xx, timeout,
            dropped connection) or throttles for longer: the job retries
        :raise PermanentError: when Shopify refuses the request itself
        """
        return self.send(
            "POST",
            f"/admin/api/{self.api_version}/graphql.json",
            json={"query": query, "variables": variables or {}},
            cost=cost or self.expected_cost,
        )

    def mutate(self, query, variables, payload_key, operation=None):
        """Run a mutation; return its payload, raising on ``userErrors``."""
        payload = self.graphql(query, variables).get(payload_key) or {}
        if payload.get("userErrors"):
            raise ShopifyUserError(operation or payload_key, payload["userErrors"])
        return payload

    def paginate(self, query, variables, connection, page_size=MAX_PAGE_SIZE):
        """Yield the nodes of ``connection`` (a top-level field) page by page."""
        after = None
        while True:
            data = self.graphql(query, dict(variables, first=page_size, after=after))
            page = data.get(connection) or {}
            yield from page.get("nodes") or []
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return
            after = info.get("endCursor")

    def download_jsonl(self, url):
        """The parsed lines of a bulk operation's JSONL file (none without a
        URL: Shopify gives none when nothing matched)."""
        if not url:
            return []
        return self.send("GET", url, purpose=BULK_FILE)

    # Hooks of the base request path

    def _build_request_headers(self, request):
        """Override of `retail_connector_base`: the access token on GraphQL calls."""
        purpose = request.options.get("purpose")
        if purpose == BULK_FILE:
            return {}  # a signed URL of its own
        if purpose == TOKEN:
            return super()._build_request_headers(request)
        return {"X-Shopify-Access-Token": self._token(), "Content-Type": "application/json"}

    def _breaker_family(self, request):
        """Override of `retail_connector_base`: the GraphQL Admin API, the
        token endpoint and the bulk files (elsewhere) fail apart."""
        return request.options.get("purpose") or "graphql"

    def _prepare_request(self, request):
        """Override of `retail_connector_base`: wait until the cost bucket holds
        the operation's cost."""
        if "cost" in request.options:
            cost = request.state.setdefault("cost", request.options["cost"])
            self.wait_for_capacity(self.bucket.wait_for(cost, self.clock()), "cost bucket")

    def _parse_connection_error(self, request, exc):
        """Override of `retail_connector_base`: name the token endpoint or the file."""
        purpose = request.options.get("purpose")
        if purpose in PURPOSE_NAMES:
            return TransientError(f"{PURPOSE_NAMES[purpose]} is unreachable: {exc}")
        return super()._parse_connection_error(request, exc)

    def _parse_response_throttled(self, request, response):
        """Override of `retail_connector_base`: Shopify's 429 waits 2 s unless told."""
        return Throttled("HTTP 429 Too Many Requests", retry_after=retry_after_of(response, 2.0))

    def _parse_response_unavailable(self, request, response):
        """Override of `retail_connector_base`: name the token endpoint or the file."""
        purpose = request.options.get("purpose")
        if purpose in PURPOSE_NAMES:
            return TransientError(f"{PURPOSE_NAMES[purpose]} answered {response.status_code}")
        return super()._parse_response_unavailable(request, response)

    def _parse_response_denied(self, request, response):
        """Override of `retail_connector_base`: a granted token is refreshed once
        on a 401 and the call sent again; a pasted one was rejected."""
        if request.options.get("purpose") or response.status_code != 401:
            return self._parse_response_refused(request, response)
        if not self.access_token and not request.state.get("refreshed"):
            request.state["refreshed"] = True
            self._token(force_refresh=True)
            return Resend("HTTP 401, token refreshed")
        return PermanentError(
            "Shopify rejected the access token (401): check the token or the app's installation"
        )

    def _parse_response_refused(self, request, response):
        """Override of `retail_connector_base`: Shopify's wording per endpoint."""
        purpose = request.options.get("purpose")
        status, text = response.status_code, shorten(response.text, 200)
        if purpose == TOKEN:
            return PermanentError(f"Shopify refused the client ID and secret ({status}: {text})")
        if purpose == BULK_FILE:
            return PermanentError(
                f"The bulk operation's file answered {status} (it expires after a week)"
            )
        return PermanentError(f"Shopify answered {status}: {text}")

    def _parse_response_content(self, request, response):
        """Override of `retail_connector_base`: the token's or the file's
        content; a GraphQL answer's ``data``, after reading its cost and its
        errors (``THROTTLED`` is waited out)."""
        purpose = request.options.get("purpose")
        if purpose and response.status_code != 200:
            raise self._parse_response_refused(request, response)
        if purpose == BULK_FILE:
            try:
                return [json.loads(line) for line in response.text.splitlines() if line.strip()]
            except ValueError as exc:
                raise PermanentError(f"The bulk operation's file is not JSONL: {exc}") from None
        answer = self._parse_json(request, response)
        if purpose == TOKEN:
            return answer
        cost_info = (answer.get("extensions") or {}).get("cost") or {}
        if cost_info.get("throttleStatus"):
            self.bucket.update(cost_info["throttleStatus"], self.clock())
        if cost_info.get("requestedQueryCost"):
            request.state["cost"] = cost_info["requestedQueryCost"]
        errors = answer.get("errors")
        if errors and _is_throttled(errors):
            wait = self.bucket.wait_for(request.state["cost"], self.clock())
            raise Throttled("THROTTLED", retry_after=max(wait, 0.1))
        if errors:
            raise PermanentError(f"Shopify GraphQL error: {_describe_errors(errors)}")
        return answer.get("data") or {}

    def _parse_json(self, request, response):
        try:
            return response.json()
        except ValueError:
            raise TransientError(
                f"Shopify answered {response.status_code} with a body that is not JSON: "
                f"{shorten(response.text, 200)}"
            ) from None


def _is_throttled(errors):
    return isinstance(errors, list) and any(
        (error.get("extensions") or {}).get("code") == "THROTTLED" for error in errors
    )


def _describe_errors(errors):
    if isinstance(errors, str):
        return errors
    return "; ".join(str(error.get("message", error)) for error in errors)
