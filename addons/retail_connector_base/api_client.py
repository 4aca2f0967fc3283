"""The one request path of every channel's API client.

Plain Python (no ORM), in the manner of Odoo's payment providers: one
:meth:`ApiClient.send` does the timeout, the session, the redacted logging and
the classification of each answer; channel clients specialise it with
``_build_request_*`` and ``_parse_response_*`` hooks (authentication, URL and
parameters; the channel's own errors and throttling signals).

An answer is a result, a :class:`PermanentError` (a person must act) or a
:class:`TransientError` (a later try may succeed, ``retry_after`` seconds
later when the channel said so). One call waits out a throttle (a 429 whose
``Retry-After`` is at most ``max_retry_wait``, or a channel's own signal, see
:class:`Throttled`) and sends again, at most ``max_attempts`` times in all.
It never sends again after a failure: a 5xx, a timeout or a dropped
connection is one :class:`TransientError`, and the job that made the call is
retried by queue_job with its backoff.

Every call goes through the client's :class:`Breaker` (when it has one), one
per downstream endpoint: the channel's host and the call's endpoint family
(``_breaker_family``). An open breaker refuses the call before it is sent
(:class:`CircuitOpen`); a channel that was down, answering again, closes it.
"""

import logging
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests

from .exceptions import PermanentError, TransientError

_logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (5, 30)  # connect, read (seconds)
DEFAULT_MAX_ATTEMPTS = 5  # sends of one call while the channel throttles it
MAX_RETRY_WAIT = 30  # a longer wait is handed to the caller (the job), not slept
DEFAULT_RETRY_AFTER = 60.0  # a 429 without Retry-After
SECRET_NAMES = frozenset(
    (
        "authorization",
        "x-shopify-access-token",
        "access_token",
        "api_key",
        "client_secret",
        "password",
        "token",
    )
)
REDACTED = "***"


class Throttled(TransientError):
    """The channel asks to wait ``retry_after`` seconds before sending again.

    Raised by the ``_parse_response_*`` hooks; :meth:`ApiClient.send` waits
    it out when it is short enough and attempts remain, and otherwise hands
    the caller a :class:`TransientError` with that ``retry_after``.
    """


class CircuitOpen(TransientError):
    """The endpoint's circuit breaker is open: the call was not sent.

    Not an attempt at the channel: whoever waits for the endpoint tries
    again ``retry_after`` seconds later without counting it as a failure.
    """


class Breaker:
    """Where a client asks whether it may call an endpoint, and reports how
    the call went (the base's ORM breakers, or a stand-in in tests). This
    one lets every call through."""

    def allow(self, endpoint, label):
        """``None`` when a call to ``endpoint`` may be sent now, else the
        seconds until it is worth trying again."""
        return None

    def succeeded(self, endpoint):
        """The endpoint answered (a refusal is an answer too)."""

    def failed(self, endpoint, error):
        """The endpoint was down: unreachable, a timeout, a 5xx."""


class Resend(Exception):
    """Send the same call again at once (e.g. with a refreshed token)."""


@dataclass
class ApiRequest:
    """One call as the hooks see it; ``options`` are the channel's own
    keyword arguments given to :meth:`ApiClient.send`, ``state`` is theirs
    to keep between the attempts of the call."""

    method: str
    endpoint: str
    url: str = ""
    params: dict | None = None
    json: object = None
    files: dict | None = None
    idempotent: bool = True
    options: dict = field(default_factory=dict)
    state: dict = field(default_factory=dict)
    attempt: int = 0

    @property
    def label(self):
        """How messages name the call: ``GET /api/orders``."""
        return f"{self.method} {self.endpoint}"


class ApiClient:
    """The base of a channel's API client.

    :param api_url: the channel's root address; endpoints are relative to it
        (or absolute URLs)
    :param timeout: ``(connect, read)`` seconds of each send
    :param max_attempts: how many times one call may be sent while the
        channel throttles it (never again after a failure)
    :param max_retry_wait: the longest throttle waited out inside a call
    :param session: a ``requests.Session`` (one is made when not given)
    :param sleep: ``time.sleep`` or a stand-in (tests)
    :param clock: ``time.time`` or a stand-in (tests)
    :param breaker: the :class:`Breaker` of the client's endpoints (none:
        every call is sent)
    """

    #: how messages name the channel
    channel = "The channel"

    def __init__(
        self,
        api_url,
        *,
        timeout=DEFAULT_TIMEOUT,
        max_attempts=DEFAULT_MAX_ATTEMPTS,
        max_retry_wait=MAX_RETRY_WAIT,
        session=None,
        sleep=time.sleep,
        clock=time.time,
        breaker=None,
    ):
        self.api_url = (api_url or "").rstrip("/")
        self.timeout = timeout
        self.max_attempts = max(1, max_attempts or 1)
        self.max_retry_wait = max_retry_wait
        self.session = session or requests.Session()
        self.sleep = sleep
        self.clock = clock
        self.breaker = breaker or Breaker()

    # ------------------------------------------------------------ the path

    def send(
        self, method, endpoint, *, params=None, json=None, files=None, idempotent=True, **options
    ):
        """Send one call; return what ``_parse_response_content`` makes of
        the answer.

        :param endpoint: a path from ``api_url`` (``/api/orders``) or a URL
        :param idempotent: whether sending the call twice is harmless (a
            hook may refuse to call a failure transient when it is not)
        :param options: the channel's own, for its hooks
        :raise TransientError: the channel is unavailable, unreachable or
            throttles for longer than ``max_retry_wait`` (``retry_after``)
        :raise PermanentError: the channel refuses the call
        """
        request = ApiRequest(
            method.upper(), endpoint, json=json, files=files, idempotent=idempotent, options=options
        )
        request.url = self._build_request_url(request)
        request.params = self._build_request_params(request, dict(params or {}))
        endpoint, label = self._breaker_endpoint(request)
        wait = self.breaker.allow(endpoint, label)
        if wait is not None:
            raise CircuitOpen(
                f"{self.channel} is considered down ({label}): {request.label} not sent, "
                f"tried again in {wait:g} s",
                retry_after=wait,
            )
        reason = None
        for attempt in range(1, self.max_attempts + 1):
            request.attempt = attempt
            self._prepare_request(request)
            headers = self._build_request_headers(request)
            try:
                result = self._parse_response(request, self._transmit(request, headers))
            except Throttled as throttle:
                self.breaker.succeeded(endpoint)  # limited, but answering
                reason = throttle
                self._wait_out(request, throttle, last=attempt == self.max_attempts)
                continue
            except Resend as resend:
                reason = resend
                continue
            except TransientError as exc:
                self.breaker.failed(endpoint, str(exc))
                raise
            except PermanentError:
                self.breaker.succeeded(endpoint)
                raise
            self.breaker.succeeded(endpoint)
            return result
        raise TransientError(
            f"{self.channel} did not answer {request.label} after {self.max_attempts} "
            f"attempts ({reason})",
            retry_after=getattr(reason, "retry_after", None),
        )

    def _transmit(self, request, headers):
        started = time.monotonic()
        try:
            response = self.session.request(
                request.method,
                request.url,
                params=request.params or None,
                json=request.json,
                files=request.files,
                headers=headers,
                timeout=self.timeout,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            _logger.info(
                "%s %s %s: %s (attempt %s)",
                self.channel,
                request.method,
                redact_url(request.url, request.params),
                type(exc).__name__,
                request.attempt,
            )
            raise self._parse_connection_error(request, exc) from exc
        _logger.debug(
            "%s %s %s -> %s in %d ms (headers %s)",
            self.channel,
            request.method,
            redact_url(request.url, request.params),
            response.status_code,
            (time.monotonic() - started) * 1000,
            redact(headers),
        )
        return response

    def _wait_out(self, request, throttle, last):
        """Sleep a throttle's ``retry_after`` inside the call, or hand it
        back when it is longer than ``max_retry_wait``."""
        wait = throttle.retry_after or 0.0
        if wait > self.max_retry_wait:
            raise TransientError(
                f"{self.channel} limits {request.label}: retry in {wait:g} s", retry_after=wait
            ) from throttle
        if not last:
            _logger.info(
                "%s throttles %s (%s): waiting %.2f s", self.channel, request.label, throttle, wait
            )
            self.sleep(wait)

    def wait_for_capacity(self, seconds, reason="throttled"):
        """Wait ``seconds`` before a send (a channel's known budget), or hand
        the wait to the caller (a :class:`TransientError` with
        ``retry_after``) when it is longer than ``max_retry_wait``."""
        if seconds > self.max_retry_wait:
            raise TransientError(
                f"{self.channel} limits the calls ({reason}): retry in {seconds:g} s",
                retry_after=seconds,
            )
        if seconds > 0:
            self.sleep(seconds)

    # ------------------------------------------------------------ request hooks

    def _breaker_endpoint(self, request):
        """``(endpoint, label)``: the breaker ``request`` goes through, the
        host it is sent to and its endpoint family."""
        parts = urlsplit(request.url)
        family = self._breaker_family(request)
        return f"{parts.scheme}://{parts.netloc}/{family}", f"{self.channel} {family}"

    def _breaker_family(self, request):
        """The endpoint family of ``request`` (hook): calls that fail
        together, e.g. ``orders`` for every ``/api/orders/...``. By default
        the first segment of its path after an ``api`` prefix."""
        segments = [s for s in urlsplit(request.url).path.split("/") if s]
        if segments and segments[0] == "api":
            segments = segments[1:]
        return segments[0] if segments else "root"

    def _build_request_url(self, request):
        """The URL of ``request`` (hook): ``api_url`` + the endpoint."""
        if request.endpoint.startswith(("http://", "https://")):
            return request.endpoint
        return f"{self.api_url}/{request.endpoint.lstrip('/')}"

    def _build_request_params(self, request, params):
        """The query string of ``request`` (hook)."""
        return params

    def _build_request_headers(self, request):
        """The headers of each send of ``request`` (hook: authentication)."""
        return {"Accept": "application/json"}

    def _prepare_request(self, request):
        """Before each send of ``request`` (hook: wait for a known budget)."""

    # ------------------------------------------------------------ answer hooks

    def _parse_connection_error(self, request, exc):
        """The error to raise when the send failed without an answer (hook)."""
        return TransientError(
            f"{self.channel} is unreachable: {request.label} failed ({type(exc).__name__}: {exc})"
        )

    def _parse_response(self, request, response):
        """Classify an answer: return the result, or raise ``Throttled``,
        ``Resend``, ``TransientError`` or ``PermanentError``."""
        status = response.status_code
        if status == 429:
            raise self._parse_response_throttled(request, response)
        if status >= 500:
            raise self._parse_response_unavailable(request, response)
        if status in (401, 403):
            raise self._parse_response_denied(request, response)
        if status >= 400:
            raise self._parse_response_refused(request, response)
        return self._parse_response_content(request, response)

    def _parse_response_throttled(self, request, response):
        """The :class:`Throttled` of a 429 (hook)."""
        retry_after = retry_after_of(response, DEFAULT_RETRY_AFTER)
        return Throttled(f"HTTP 429, Retry-After {retry_after:g} s", retry_after=retry_after)

    def _parse_response_unavailable(self, request, response):
        """The error of a 5xx (hook): transient, retried by the job."""
        return TransientError(
            f"{self.channel} is unavailable: {request.label} answered HTTP "
            f"{response.status_code}: {self._parse_response_error(response)}"
        )

    def _parse_response_denied(self, request, response):
        """The error of a 401 or 403 (hook)."""
        return PermanentError(
            f"{self.channel} rejected the credentials ({response.status_code}: "
            f"{self._parse_response_error(response)})"
        )

    def _parse_response_refused(self, request, response):
        """The error of another 4xx (hook)."""
        return PermanentError(
            f"{self.channel} refused {request.label} ({response.status_code}): "
            f"{self._parse_response_error(response)}"
        )

    def _parse_response_error(self, response):
        """The channel's own words in an error answer (hook)."""
        return shorten(response.text) or response.reason or "no details"

    def _parse_response_content(self, request, response):
        """The result of a successful answer (hook): its JSON, ``None`` when
        empty; a body that is not JSON is transient (a proxy's page)."""
        if response.status_code == 204 or not response.content.strip():
            return None
        return self._parse_json(request, response)

    def _parse_json(self, request, response):
        try:
            return response.json()
        except ValueError:
            raise TransientError(
                f"{self.channel} answered {request.label} with {response.status_code} and a "
                f"body that is not JSON: {shorten(response.text)}"
            ) from None


# ---------------------------------------------------------------- helpers


def retry_after_of(response, default):
    """The ``Retry-After`` of ``response`` in seconds (``default`` when absent
    or not a number)."""
    try:
        return max(float(response.headers.get("Retry-After", default)), 0.0)
    except ValueError:
        return default


def shorten(text, limit=300):
    """``text`` on one line, cut at ``limit`` characters."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit] + "..."


def redact(values):
    """A copy of ``values`` (headers, parameters) with secrets masked."""
    return {
        key: REDACTED if str(key).lower() in SECRET_NAMES else value
        for key, value in (values or {}).items()
    }


def redact_url(url, params=None):
    """``url`` with its query parameters, secrets masked, for a log line."""
    if not params:
        return url
    query = "&".join(f"{key}={value}" for key, value in redact(params).items())
    return f"{url}?{query}"
