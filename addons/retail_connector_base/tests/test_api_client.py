"""The base API client on its own (no database), over real HTTP against a
scripted ``http.server`` on 127.0.0.1: what one call sends, how each answer
is classified, throttles waited out inside the call, failures handed to the
job's retry, and the hooks channel clients override."""

import json
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from ..api_client import ApiClient, Resend, Throttled, redact, redact_url
from ..exceptions import PermanentError, TransientError

SECRET = "sk-secret-123"


class ScriptedServer:
    """Answers each request with the next ``(status, body, headers, delay)``
    of its script (the last one repeats); ``drop`` closes without answering."""

    def __init__(self):
        self.seen, self.script = [], [(200, {"ok": True}, {}, 0)]
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                url = urlsplit(self.path)
                server.seen.append(
                    {
                        "method": self.command,
                        "path": url.path,
                        "query": {k: v[0] for k, v in parse_qs(url.query).items()},
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": self.rfile.read(length) if length else b"",
                    }
                )
                script = server.script
                status, body, headers, delay = script.pop(0) if len(script) > 1 else script[0]
                time.sleep(delay)
                if status == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                payload = json.dumps(body).encode() if isinstance(body, dict) else body.encode()
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up waiting

            do_GET = do_POST = do_PUT = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def answer(self, *answers):
        """Each answer: ``(status, body[, headers[, delay]])`` or a status."""
        answers = [a if isinstance(a, tuple) else (a, "") for a in answers]
        self.script = [(*a, *({}, 0)[len(a) - 2 :]) for a in answers]

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class DemoClient(ApiClient):
    """A channel as a channel client would write it: a key header, a
    ``shop`` parameter, a ``{"error": ...}`` body, a ``busy`` flag that
    means "wait" and a ``stale`` flag that means "send again"."""

    channel = "Demo"

    def _build_request_params(self, request, params):
        return dict(params, shop="7")

    def _build_request_headers(self, request):
        return dict(super()._build_request_headers(request), Authorization=SECRET)

    def _parse_response_error(self, response):
        try:
            return response.json()["error"]
        except (ValueError, KeyError):
            return super()._parse_response_error(response)

    def _parse_response_content(self, request, response):
        answer = super()._parse_response_content(request, response)
        if answer and answer.get("busy"):
            raise Throttled("busy", retry_after=answer["busy"])
        if answer and answer.get("stale") and not request.state.get("renewed"):
            request.state["renewed"] = True
            raise Resend("stale")
        return answer


class TestApiClient(unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.server = ScriptedServer().start()
        self.addCleanup(self.server.stop)
        self.sleeps = []

    def client(self, **kwargs):
        options = {"timeout": (1, 1), "sleep": self.sleeps.append}
        options.update(kwargs)
        return DemoClient(self.server.url + "/", **options)

    # What one call sends

    def test_one_call_sends_the_hooks_request_and_returns_its_json(self):
        client = self.client()
        answer = client.send("PUT", "/v1/things/1", params={"a": "b"}, json={"n": 1})
        self.assertEqual(answer, {"ok": True})
        [seen] = self.server.seen
        self.assertEqual((seen["method"], seen["path"]), ("PUT", "/v1/things/1"))
        self.assertEqual(seen["query"], {"a": "b", "shop": "7"})
        self.assertEqual(seen["headers"]["authorization"], SECRET)
        self.assertEqual(json.loads(seen["body"]), {"n": 1})
        self.assertEqual(self.sleeps, [])

    def test_an_absolute_url_is_sent_as_it_is_and_an_empty_answer_is_none(self):
        self.server.answer(204)
        self.assertIsNone(self.client().send("GET", f"{self.server.url}/files/1.txt"))
        self.assertEqual(self.server.seen[0]["path"], "/files/1.txt")

    def test_the_session_is_reused(self):
        client = self.client()
        session = client.session
        client.send("GET", "/a")
        client.send("GET", "/b")
        self.assertIs(client.session, session)
        self.assertEqual(len(self.server.seen), 2)

    # Failures: one TransientError, the job's retry does the rest

    def test_5xx_is_one_transient_error_and_the_next_call_succeeds(self):
        self.server.answer((502, "<html>Bad gateway</html>"), (200, {"ok": True}))
        client = self.client()
        with self.assertRaisesRegex(TransientError, r"Demo is unavailable: GET /x .*502") as cm:
            client.send("GET", "/x")
        self.assertIsNone(cm.exception.retry_after)
        self.assertEqual(len(self.server.seen), 1)
        self.assertEqual(client.send("GET", "/x"), {"ok": True})
        self.assertEqual(self.sleeps, [])

    def test_a_timeout_and_a_dropped_connection_are_transient(self):
        self.server.answer((200, {"ok": True}, {}, 0.5), ("drop", ""))
        client = self.client(timeout=(1, 0.2))
        with self.assertRaisesRegex(TransientError, r"unreachable: GET /x failed \(ReadTimeout"):
            client.send("GET", "/x")
        with self.assertRaisesRegex(TransientError, r"unreachable: GET /x failed \(Connection"):
            client.send("GET", "/x")
        self.assertEqual(self.sleeps, [])

    def test_a_closed_port_is_transient(self):
        closed = ScriptedServer()
        closed.httpd.server_close()  # nothing listens there
        client = DemoClient(closed.url, timeout=(0.5, 0.5), sleep=self.sleeps.append)
        with self.assertRaisesRegex(TransientError, "Demo is unreachable"):
            client.send("GET", "/x")

    def test_a_2xx_body_that_is_not_json_is_transient(self):
        self.server.answer((200, "<html>Login</html>"))
        with self.assertRaisesRegex(TransientError, "not JSON"):
            self.client().send("GET", "/x")

    # Refusals: permanent, with the channel's words

    def test_4xx_is_permanent_with_the_channels_message(self):
        self.server.answer((422, {"error": "SKU_UNKNOWN"}))
        with self.assertRaisesRegex(PermanentError, r"Demo refused POST /x \(422\): SKU_UNKNOWN"):
            self.client().send("POST", "/x", json={})
        self.assertEqual(len(self.server.seen), 1)

    def test_401_is_permanent_and_does_not_show_the_key(self):
        self.server.answer((401, {"error": "bad key"}))
        with self.assertRaisesRegex(PermanentError, "rejected the credentials") as cm:
            self.client().send("GET", "/x")
        self.assertNotIn(SECRET, str(cm.exception))

    # Throttles: waited out inside the call, bounded

    def test_429_with_a_short_retry_after_is_waited_out(self):
        self.server.answer((429, {}, {"Retry-After": "2"}), (200, {"ok": True}))
        self.assertEqual(self.client().send("GET", "/x"), {"ok": True})
        self.assertEqual(self.sleeps, [2.0])
        self.assertEqual(len(self.server.seen), 2)

    def test_429_with_a_long_retry_after_is_handed_to_the_job(self):
        self.server.answer((429, {}, {"Retry-After": "90"}))
        with self.assertRaisesRegex(TransientError, "Demo limits GET /x: retry in 90 s") as cm:
            self.client().send("GET", "/x")
        self.assertEqual(cm.exception.retry_after, 90.0)
        self.assertEqual((self.sleeps, len(self.server.seen)), ([], 1))

    def test_a_throttle_that_lasts_stops_after_max_attempts(self):
        self.server.answer((429, {}, {"Retry-After": "1"}))
        with self.assertRaisesRegex(TransientError, r"after 3 attempts \(HTTP 429") as cm:
            self.client(max_attempts=3).send("GET", "/x")
        self.assertEqual(cm.exception.retry_after, 1.0)
        self.assertEqual(self.sleeps, [1.0, 1.0])
        self.assertEqual(len(self.server.seen), 3)

    def test_max_retry_wait_zero_hands_every_throttle_back(self):
        self.server.answer((429, {}, {"Retry-After": "1"}))
        with self.assertRaises(TransientError) as cm:
            self.client(max_retry_wait=0).send("GET", "/x")
        self.assertEqual((cm.exception.retry_after, self.sleeps), (1.0, []))

    def test_a_channels_own_throttle_signal_is_waited_out(self):
        self.server.answer((200, {"busy": 0.5}), (200, {"ok": True}))
        self.assertEqual(self.client().send("GET", "/x"), {"ok": True})
        self.assertEqual(self.sleeps, [0.5])

    def test_resend_sends_the_call_again_at_once(self):
        self.server.answer((200, {"stale": True}), (200, {"stale": True, "n": 2}))
        self.assertEqual(self.client().send("GET", "/x"), {"stale": True, "n": 2})
        self.assertEqual((len(self.server.seen), self.sleeps), (2, []))

    def test_wait_for_capacity_sleeps_or_hands_back(self):
        client = self.client()
        client.wait_for_capacity(0.25, "bucket")
        self.assertEqual(self.sleeps, [0.25])
        with self.assertRaisesRegex(TransientError, r"\(bucket\): retry in 45 s") as cm:
            client.wait_for_capacity(45, "bucket")
        self.assertEqual(cm.exception.retry_after, 45)

    # Logging

    def test_logs_never_show_secrets(self):
        self.assertEqual(redact({"Authorization": SECRET, "Accept": "x"})["Authorization"], "***")
        self.assertEqual(
            redact_url("https://h/p", {"api_key": SECRET, "a": 1}), "https://h/p?api_key=***&a=1"
        )
        self.server.answer((200, {"ok": True}), (503, "down"))
        client = self.client()
        with self.assertLogs("odoo.addons.retail_connector_base.api_client", "DEBUG") as logs:
            client.send("GET", "/x", params={"api_key": SECRET})
            with self.assertRaises(TransientError):
                client.send("GET", "/x")
        self.assertTrue(logs.output)
        self.assertFalse([line for line in logs.output if SECRET in line])
