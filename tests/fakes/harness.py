"""The HTTP harness the fake channel servers share: a real threaded HTTP server on a free
127.0.0.1 port, a request log, routing by method and path, and faults queued on demand.

A fake subclasses :class:`FakeServer` and writes only its protocol, in ``_answer(entry)``
(a :class:`LoggedRequest` in, a :class:`Reply` out); it decides which requests take the
queued faults::

    class FakeEcho(FakeServer):
        name = "echo"
        ROUTES = routes(("POST", r"/echo/(?P<word>[^/]+)", "_echo", "ECHO"))

        def _answer(self, entry):
            found = self.route(entry)
            fault = self.faults.take(found[0].name if found else None)
            if fault:
                entry.fault = fault.kind
                return self._fault_reply(fault)
            return self.dispatch(entry, lambda entry: json_reply(404, {}), found)

        def _echo(self, entry, word):
            return json_reply(200, {"word": word, "body": entry.json_or_none()})

    with FakeEcho() as echo:
        echo.queue_fault("reset")        # the next request gets a TCP reset, no answer
        requests.post(f"{echo.base_url}/echo/hi", json=[1])   # ConnectionError
        assert echo.request_log[0].status is None

(``tests/fakes/test_harness.py`` runs this fake.) Faults every fake understands: ``timeout``
(hold the request ``seconds``, default ``timeout_seconds``, then close without answering;
``stop()`` wakes it) and ``reset`` (a TCP reset, no answer). A fake adds its own kinds (a 5xx
page, a 429 with ``Retry-After``...) in ``_fault_reply``. A bug in a fake answers 500 and is
kept in ``server_errors``.
"""

import json
import re
import socket
import socketserver
import struct
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

# -- What goes in and out ---------------------------------------------------------------------


@dataclass
class LoggedRequest:
    """One request a fake received; ``status`` is None when it never answered.

    A fake subclasses it to note what its protocol reads from the request (an API code, an
    operation name...)."""

    method: str
    path: str  # without the query string
    query: dict  # name → last value
    headers: dict  # lower-case names
    body: bytes
    status: int | None = None
    fault: str | None = None
    throttled: bool = False

    def json(self):
        return json.loads(self.body) if self.body else None

    def json_or_none(self):
        """The body as JSON; None when it is empty or not JSON."""
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    drop: str | None = None  # "reset" or "timeout": no answer at all
    hang: float = 0.0


def json_reply(status, payload, headers=None, content_type="application/json; charset=utf-8"):
    body = json.dumps(payload).encode()
    return Reply(status, body, {"Content-Type": content_type, **(headers or {})})


def gateway_page(status, headers=None):
    """The HTML error page a load balancer answers (502, 504...)."""
    title = f"{status} {HTTPStatus(status).phrase}"
    html = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    )
    return Reply(status, html.encode(), {"Content-Type": "text/html", **(headers or {})})


def retry_after(seconds):
    """The ``Retry-After`` header (none when ``seconds`` is None or 0)."""
    return {"Retry-After": str(seconds)} if seconds else {}


# -- Routing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern
    handler: str | Callable  # a method(entry, **params) by name, or function(fake, entry, ...)
    name: str | None = None  # what the protocol calls it ("OR11"...), for logs and faults


def routes(*specs):
    """``routes(("GET", r"/api/orders/(?P<order_id>[^/]+)", "_order", "OR11"), ...)``
    (method, path regex, handler, name): the first route whose method and path (a full
    match) fit answers."""
    return tuple(Route(method, re.compile(path), *rest) for method, path, *rest in specs)


def find_route(table, method, path):
    """``(route, path parameters)`` of the first route that fits, or None."""
    for route in table:
        match = route.pattern.fullmatch(path)
        if match and route.method == method:
            return route, {key: unquote(value) for key, value in match.groupdict().items()}
    return None


# -- Faults -------------------------------------------------------------------------------------


@dataclass
class Fault:
    kind: str
    status: int | None = None
    seconds: float | None = None
    retry_after: int | None = None
    route: str | None = None  # only requests to this route (by name); None: any


class FaultQueue(deque):
    """Faults waiting for the next requests, first in first out (a deque: tests may clear
    it)."""

    def __init__(self, kinds):
        super().__init__()
        self.kinds = tuple(kinds)
        self._lock = threading.Lock()

    def add(self, kind, times=1, **details):
        if kind not in self.kinds:
            raise ValueError(f"unknown fault {kind!r}; choose from {self.kinds}")
        with self._lock:
            self.extend(Fault(kind, **details) for _ in range(times))

    def take(self, route=None):
        """The first fault for a request to ``route`` (removed), or None."""
        with self._lock:
            for fault in self:
                if fault.route is None or fault.route == route:
                    self.remove(fault)
                    return fault
        return None


# -- The server ---------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = True  # server_close() joins every handler thread

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)  # no reverse DNS lookup (getfqdn)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address):
        # A client that gave up (its timeout, a fault test's dropped answer)
        # is expected; anything else is printed, as socketserver does.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    sys_version = ""
    timeout = 10  # seconds an idle or slow client may hold a handler thread

    def version_string(self):
        return f"{self.server.fake.server_version} {self.sys_version}"

    def do_GET(self):
        self._serve()

    def do_PUT(self):
        self._serve()

    def do_POST(self):
        self._serve()

    def do_DELETE(self):
        self._serve()

    def _serve(self):
        fake = self.server.fake
        if self.command not in fake.methods:
            self.send_error(HTTPStatus.NOT_IMPLEMENTED, f"Unsupported method ({self.command!r})")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        reply = fake.respond(self.command, self.path, self.headers, body)
        if reply.drop == "timeout":
            fake._stopping.wait(reply.hang)
        if reply.drop:
            self._reset()
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        if fake.request_id_header:
            self.send_header(fake.request_id_header, str(uuid.uuid4()))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(reply.body)

    def _reset(self):
        """Close without answering; SO_LINGER 0 makes the close a TCP reset."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def log_message(self, format, *args):  # quiet: tests read fake.request_log
        pass


class FakeServer:
    """A fake HTTP server on 127.0.0.1 (``with Fake() as fake:``); subclasses answer in
    ``_answer(entry)`` and may route with ``ROUTES`` and :meth:`dispatch`."""

    name = "server"  # the serving thread is "fake-<name>-<port>"
    server_version = "FakeServer"
    request_id_header = "X-Request-Id"  # a fresh uuid on every answer (None: no header)
    methods = ("GET", "PUT", "POST", "DELETE")  # others: 501, as http.server answers
    request_class = LoggedRequest
    ROUTES = ()
    FAULT_KINDS = ("timeout", "reset")

    def __init__(self, *, timeout_seconds=5.0):
        self.timeout_seconds = timeout_seconds  # how long a "timeout" fault holds the request
        self.faults = FaultQueue(self.FAULT_KINDS)
        self.request_log = []
        self.server_errors = []  # tracebacks of bugs in the fake itself
        self._stopping = threading.Event()
        self._server = None
        self._thread = None

    # Lifecycle

    def start(self):
        if self._server is None:
            self._stopping.clear()
            self._server = _Server(("127.0.0.1", 0), _Handler)
            self._server.fake = self
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"fake-{self.name}-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self):
        """Stop serving, wake held requests, close the port and join every thread."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self):
        return self._server.server_address[1]

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    # The request log and faults

    def clear_log(self):
        self.request_log.clear()

    def queue_fault(self, kind, times=1, **details):
        """Fault the next ``times`` requests (``details``: see :class:`Fault`)."""
        self.faults.add(kind, times, **details)

    def go_down(self, seconds, kind="reset", **details):
        """An outage: every request for ``seconds`` gets the fault ``kind`` (a TCP reset by
        default, what a client sees of a host that is down), whatever is queued."""
        if kind not in self.faults.kinds:
            raise ValueError(f"unknown fault {kind!r}; choose from {self.faults.kinds}")
        self._outage = (time.monotonic() + seconds, Fault(kind, **details))

    def come_back(self):
        """End the outage now."""
        self._outage = None

    def _outage_fault(self):
        outage = getattr(self, "_outage", None)
        if outage and time.monotonic() < outage[0]:
            return outage[1]
        return None

    def _fault_reply(self, fault):
        """The answer to a faulted request; a fake answers its own kinds, then calls this."""
        if fault.kind == "timeout":
            seconds = self.timeout_seconds if fault.seconds is None else fault.seconds
            return Reply(drop="timeout", hang=seconds)
        if fault.kind == "reset":
            return Reply(drop="reset")
        raise ValueError(f"the fake {self.name} has no answer to the fault {fault.kind!r}")

    # Requests

    def respond(self, method, target, headers, body):
        """Answer one HTTP request (called by the handler thread)."""
        parts = urlsplit(target)
        query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        lowered = {key.lower(): value for key, value in headers.items()}
        entry = self.request_class(method, parts.path, query, lowered, body)
        self.request_log.append(entry)
        try:
            outage = self._outage_fault()
            if outage:
                entry.fault = outage.kind
                reply = self._fault_reply(outage)
            else:
                reply = self._answer(entry)
        except Exception:  # noqa: BLE001 - a bug in the fake: answer 500 and keep it for tests
            self.server_errors.append(traceback.format_exc())
            reply = Reply(500, traceback.format_exc().encode(), {"Content-Type": "text/plain"})
        entry.status = None if reply.drop else reply.status
        return reply

    def _answer(self, entry):
        """The protocol: a :class:`Reply` to ``entry``."""
        raise NotImplementedError

    def route(self, entry):
        """``(route, path parameters)`` of ``entry`` in ``ROUTES``, or None."""
        return find_route(self.ROUTES, entry.method, entry.path)

    def dispatch(self, entry, not_found, found=None):
        """Call the handler of the route of ``entry`` (``found``, or looked up now) with the
        path parameters; ``not_found(entry)`` answers when no route fits."""
        found = found or self.route(entry)
        if found is None:
            return not_found(entry)
        route, params = found
        if isinstance(route.handler, str):
            return getattr(self, route.handler)(entry, **params)
        return route.handler(self, entry, **params)
