"""Scenarios 5 and 6: a poison message fails alone; malformed, oversized, trickled or
strangely encoded bodies get a clear status, store nothing, and leave the workers
available."""

import json
import socket
import threading
import time

import requests

from ..support.generic_channel import order_payload, signed_delivery
from ..support.odoo_server import wait_until
from .conftest import SECRET, event_counts, order_counts


def deliver(url, body, headers):
    response = requests.post(url, data=body, headers=headers, timeout=60)
    return response.status_code, response.json()


def test_a_poison_message_fails_alone(fault_server, backend, ledger):
    """5. A poison message among good ones"""
    backend_id, url = backend
    good = [order_payload() for _order in range(30)]
    poison = order_payload()
    poison["data"]["lines"][0]["quantity"] = "many"
    deliveries = [signed_delivery(p, SECRET) for p in [*good[:15], poison, *good[15:]]]
    answers = [deliver(url, *d)[0] for d in deliveries]
    assert answers == [200] * 31
    counts = wait_until(
        lambda: (c := event_counts(fault_server, backend_id)) == {"done": 30, "failed": 1} and c,
        "the good orders applied, the poison failed",
        fault_server,
        timeout=120,
    )
    [failed] = fault_server.call(
        "retail.event",
        "search_read",
        [("backend_id", "=", backend_id), ("state", "=", "failed")],
        ["error", "attempts", "event_key"],
    )
    assert failed["event_key"] == deliveries[15][1]["webhook-id"]
    assert failed["attempts"] == 1  # a permanent error is not retried
    assert failed["error"].startswith("data.lines.0.quantity"), failed["error"]
    assert order_counts(fault_server, backend_id) == (30, 30)
    ledger.sent = ledger.accepted = ledger.stored = sum(counts.values())
    ledger.applied, ledger.lost, ledger.doubled = 30, 0, 0
    ledger.visible = "event 'failed' with the field path (Retail > Events)"


def slow_loris(port, path, body, headers, stop, pause=0.5):
    """Send the headers, then the body a byte at a time, ``pause`` seconds apart, until
    ``stop``; the status line Odoo answers (or None)."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        sock.sendall((head + "\r\n").encode())
        for byte in body:
            if stop.is_set():
                break
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break  # Odoo answered and closed
            time.sleep(pause)
        try:
            return sock.recv(200).split(b"\r\n", 1)[0].decode()
        except OSError:
            return None


def test_bad_bodies_get_a_clear_status_and_store_nothing(fault_server, backend, ledger):
    """6. Malformed, wrong type, 10 MB, slow loris, deep, huge, non-UTF-8"""
    backend_id, url = backend
    path = url.removeprefix(fault_server.base_url)

    def signed(body):
        return signed_delivery(None, SECRET, body=body)

    cases = {
        "malformed JSON": (*signed(b'{"type": "order.created", "data": {'), 400),
        "wrong content type": (
            signed(json.dumps(order_payload()).encode())[0],
            dict(signed(json.dumps(order_payload()).encode())[1], **{"Content-Type": "text/csv"}),
            415,
        ),
        "10 MB body": (
            *signed(b'{"type": "order.created", "pad": "' + b"x" * 10_000_000 + b'"}'),
            413,
        ),
        "deep nesting": (
            *signed(b'{"type": "x", "data": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"),
            400,
        ),
        "non-UTF-8": (*signed(json.dumps(order_payload()).encode("utf-16")), 400),
    }
    statuses = {what: deliver(url, body, headers)[0] for what, (body, headers, _s) in cases.items()}
    assert statuses == {what: expected for what, (_b, _h, expected) in cases.items()}

    # A huge array passes the door (the body is small enough) and fails at once in its job.
    huge = order_payload()
    huge["data"]["lines"] = [
        dict(huge["data"]["lines"][0], external_id=str(n)) for n in range(5000)
    ]
    status, answer = deliver(url, *signed(json.dumps(huge).encode()))
    assert (status, answer) == (200, {"status": "accepted"})
    wait_until(
        lambda: event_counts(fault_server, backend_id) == {"failed": 1},
        "the huge order failed at once",
        fault_server,
    )

    # Slow loris: as many trickling senders as workers; a good delivery still gets in.
    stop, statuses_of_loris = threading.Event(), []
    loris_body, loris_headers = signed(json.dumps(order_payload()).encode())
    threads = [
        threading.Thread(
            target=lambda: statuses_of_loris.append(
                slow_loris(fault_server.port, path, loris_body, loris_headers, stop)
            )
        )
        for _worker in range(3)
    ]
    for thread in threads:
        thread.start()
    time.sleep(1)
    started = time.monotonic()
    good = order_payload()
    assert deliver(url, *signed_delivery(good, SECRET))[0] == 200
    waited = time.monotonic() - started
    stop.set()
    for thread in threads:
        thread.join()
    assert [status.split(" ", 1)[1] for status in statuses_of_loris] == [
        "408 REQUEST TIMEOUT"
    ] * 3, statuses_of_loris
    counts = wait_until(
        lambda: (c := event_counts(fault_server, backend_id)) == {"failed": 1, "done": 1} and c,
        "only the good delivery applied",
        fault_server,
    )
    ledger.sent = len(cases) + 1 + 3 + 1
    ledger.refused = len(cases) + 3
    ledger.accepted = ledger.stored = sum(counts.values())
    ledger.applied, ledger.lost, ledger.doubled = 1, 0, 0
    ledger.visible = f"400/413/415/408 with the reason; good delivery in {waited:.0f}s"


def test_a_sender_stalling_past_the_socket_timeout_gets_408(fault_server, backend):
    """6. A sender silent longer than a worker's socket timeout (2 s) after the first
    byte of its body is as late as one past the deadline: 408, never a 500."""
    backend_id, url = backend
    path = url.removeprefix(fault_server.base_url)
    before = event_counts(fault_server, backend_id)
    body, headers = signed_delivery(order_payload(), SECRET)
    with socket.create_connection(("127.0.0.1", fault_server.port), timeout=60) as sock:
        head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        sock.sendall((head + "\r\n").encode() + body[:1])
        status = sock.recv(200).split(b"\r\n", 1)[0].decode()  # then silence
    assert status.split(" ", 1)[1] == "408 REQUEST TIMEOUT", status
    assert event_counts(fault_server, backend_id) == before
