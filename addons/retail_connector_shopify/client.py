"""The one way the connector talks to Shopify's GraphQL Admin API.

Plain Python: authentication (a pasted access token, or the client-credentials
grant with a token refreshed before it expires and on a 401), cost-based
throttling read from every answer, retries with backoff on 5xx, timeouts and
dropped connections, cursor pagination, and errors a person can act on.
"""

import json
import logging
import random
import time

import requests

from odoo.addons.retail_connector_base.exceptions import PermanentError, TransientError

_logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (5, 30)  # connect, read (seconds)
TOKEN_REFRESH_MARGIN = 300  # refresh a granted token this many seconds before it expires
MAX_PAGE_SIZE = 250


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


class ShopifyClient:
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
    ):
        if not access_token and not (client_id and client_secret):
            raise PermanentError(
                "Shopify credentials are missing: an Admin API access token, "
                "or a client ID and client secret"
            )
        self.api_url = api_url.rstrip("/")
        self.api_version = api_version
        self.access_token = access_token
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_store = token_store or MemoryTokenStore()
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.session = session or requests.Session()
        self.sleep = sleep
        self.clock = clock
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
        try:
            response = self.session.post(
                f"{self.api_url}/admin/oauth/access_token",
                json={
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "grant_type": "client_credentials",
                },
                timeout=self.timeout,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientError(f"Shopify's token endpoint is unreachable: {exc}") from exc
        if response.status_code >= 500:
            raise TransientError(f"Shopify's token endpoint answered {response.status_code}")
        if response.status_code != 200:
            raise PermanentError(
                "Shopify refused the client ID and secret "
                f"({response.status_code}: {_short(response.text)})"
            )
        answer = _json(response)
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

        Waits when the cost bucket is short, retries throttled answers, 429,
        5xx, timeouts and dropped connections with backoff, and refreshes a
        granted token once on a 401.

        :raise TransientError: when Shopify stays unavailable
        :raise PermanentError: when Shopify refuses the request itself
        """
        cost = cost or self.expected_cost
        refreshed = False
        last_error = None
        for attempt in range(1, self.max_attempts + 1):
            wait = self.bucket.wait_for(cost, self.clock())
            if wait:
                self.sleep(wait)
            try:
                response = self.session.post(
                    self.graphql_url,
                    json={"query": query, "variables": variables or {}},
                    headers={
                        "X-Shopify-Access-Token": self._token(),
                        "Content-Type": "application/json",
                    },
                    timeout=self.timeout,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
                self._backoff(attempt)
                continue
            status = response.status_code
            if status == 401 and not self.access_token and not refreshed:
                refreshed = True
                self._token(force_refresh=True)
                continue
            if status == 401:
                raise PermanentError(
                    "Shopify rejected the access token (401): check the token or the app's "
                    "installation"
                )
            if status == 429:
                last_error = "HTTP 429 Too Many Requests"
                self.sleep(_retry_after(response, default=2.0))
                continue
            if status >= 500:
                last_error = f"HTTP {status}: {_short(response.text)}"
                self._backoff(attempt)
                continue
            if status >= 400:
                raise PermanentError(f"Shopify answered {status}: {_short(response.text)}")
            answer = _json(response)
            cost_info = (answer.get("extensions") or {}).get("cost") or {}
            if cost_info.get("throttleStatus"):
                self.bucket.update(cost_info["throttleStatus"], self.clock())
            if cost_info.get("requestedQueryCost"):
                cost = cost_info["requestedQueryCost"]
            errors = answer.get("errors")
            if errors and _is_throttled(errors):
                last_error = "THROTTLED"
                self.sleep(max(self.bucket.wait_for(cost, self.clock()), 0.1))
                continue
            if errors:
                raise PermanentError(f"Shopify GraphQL error: {_describe_errors(errors)}")
            return answer.get("data") or {}
        raise TransientError(
            f"Shopify did not answer after {self.max_attempts} attempts ({last_error})"
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
        try:
            response = self.session.get(url, timeout=self.timeout)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientError(f"The bulk operation's file is unreachable: {exc}") from exc
        if response.status_code >= 500:
            raise TransientError(f"The bulk operation's file answered {response.status_code}")
        if response.status_code != 200:
            raise PermanentError(
                f"The bulk operation's file answered {response.status_code} "
                "(it expires after a week)"
            )
        try:
            return [json.loads(line) for line in response.text.splitlines() if line.strip()]
        except ValueError as exc:
            raise PermanentError(f"The bulk operation's file is not JSONL: {exc}") from None

    def _backoff(self, attempt):
        if attempt < self.max_attempts:
            self.sleep(min(2 ** (attempt - 1), 30) * (0.5 + random.random() / 2))


def _json(response):
    try:
        return response.json()
    except ValueError:
        raise TransientError(
            f"Shopify answered {response.status_code} with a body that is not JSON: "
            f"{_short(response.text)}"
        ) from None


def _short(text, limit=200):
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit] + "..."


def _retry_after(response, default):
    try:
        return max(float(response.headers.get("Retry-After", default)), 0.0)
    except ValueError:
        return default


def _is_throttled(errors):
    return isinstance(errors, list) and any(
        (error.get("extensions") or {}).get("code") == "THROTTLED" for error in errors
    )


def _describe_errors(errors):
    if isinstance(errors, str):
        return errors
    return "; ".join(str(error.get("message", error)) for error in errors)
