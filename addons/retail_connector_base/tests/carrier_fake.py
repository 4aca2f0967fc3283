"""A carrier label API over real HTTP on 127.0.0.1 for the flow's tests:
``POST /labels`` answers a tracking number (the same one again for a
repeated ``Idempotency-Key``); ``POST /labels/<number>/void`` voids one (404
for an unknown number); it can be down (503) or refuse an address (422 for a
recipient whose zip is ``REFUSED_ZIP``)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REFUSED_ZIP = "00000"


class FakeCarrier:
    def __init__(self):
        self.down = False
        self.requests = []  # (idempotency key, payload, status)
        self.labels = {}  # idempotency key -> tracking number
        self.voids = []  # (tracking number, status) of each void request
        carrier = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, answer = carrier._answer(
                    self.path, self.headers.get("Idempotency-Key"), json.loads(body or b"{}")
                )
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _answer(self, path, key, payload):
        if path.startswith("/labels/") and path.endswith("/void"):
            return self._void(path.split("/")[2])
        if path != "/labels":
            status, answer = 404, {"error": "not found"}
        elif self.down:
            status, answer = 503, {"error": "label service unavailable"}
        elif (payload.get("recipient") or {}).get("zip") == REFUSED_ZIP:
            status, answer = 422, {"error": "destination not served"}
        else:
            number = self.labels.setdefault(key, f"TRK{len(self.labels) + 1:06d}")
            status, answer = 201, {"tracking_number": number, "label_url": f"/labels/{number}"}
        self.requests.append((key, payload, status))
        return status, answer

    def _void(self, number):
        if self.down:
            status, answer = 503, {"error": "label service unavailable"}
        elif number not in self.labels.values():
            status, answer = 404, {"error": f"no label {number}"}
        else:
            status, answer = 200, {"tracking_number": number, "voided": True}
        self.voids.append((number, status))
        return status, answer

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
