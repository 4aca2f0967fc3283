"""A real webhook receiver on 127.0.0.1 for business event tests: it logs
every request (headers, raw body) and answers what the test asks
(``status``, a queue of answers, ``fail_ratio``, ``down``)."""

import json
import random
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class EventReceiver:
    """``with EventReceiver() as receiver: ... receiver.url``"""

    def __init__(self, status=200, fail_ratio=0.0, seed=13):
        self.status = status
        self.fail_ratio = fail_ratio
        self.down = False
        self.answers = []  # statuses answered first, one per request
        self.requests = []  # every request: {"headers", "body", "status"}
        self.delivered = []  # parsed bodies of the requests answered 2xx
        self.delay = 0.0
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                # Answer at once (no Nagle wait for the client's delayed ACK).
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                status, location = receiver._answer()
                if receiver.delay:
                    threading.Event().wait(receiver.delay)
                with receiver._lock:
                    receiver.requests.append(
                        {"headers": dict(self.headers.items()), "body": body, "status": status}
                    )
                    if 200 <= status < 300:
                        receiver.delivered.append(json.loads(body))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/retail"

    def _answer(self):
        with self._lock:
            if self.answers:
                status = self.answers.pop(0)
            elif self.down:
                status = 503
            elif self.fail_ratio and self._random.random() < self.fail_ratio:
                status = 500
            else:
                status = self.status
        location = "http://127.0.0.1:1/elsewhere" if 300 <= status < 400 else None
        return status, location

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
