"""Scenarios 1 and 2: replayed deliveries and bad signatures never store anything
twice or at all; rotating the secret in the middle of a burst loses nothing."""

import threading
from datetime import UTC, datetime, timedelta

import requests

from ..support.generic_channel import order_payload, signed_delivery
from ..support.odoo_server import wait_until
from .conftest import OTHER_SECRET, SECRET, event_counts, make_backend, order_counts


def post(url, body, headers):
    response = requests.post(url, data=body, headers=headers, timeout=30)
    return response.status_code, response.json()


def test_replayed_deliveries_are_refused_or_deduplicated(fault_server, backend, ledger):
    """1. Replay of an old signed delivery and of a captured one"""
    backend_id, url = backend
    old = datetime.now(UTC) - timedelta(minutes=10)
    body, headers = signed_delivery(order_payload(), SECRET, timestamp=old)
    status, answer = post(url, body, headers)
    assert status == 401 and "timestamp" in answer["error"], answer

    captured_body, captured = signed_delivery(order_payload(), SECRET)
    answers = [post(url, captured_body, captured) for _replay in range(10)]
    assert answers == [(200, {"status": "accepted"})] + [(200, {"status": "duplicate"})] * 9
    # The captured signature under a later timestamp: the signature covers it.
    later = str(int(captured["webhook-timestamp"]) + 60)
    refreshed = dict(captured, **{"webhook-timestamp": later})
    status, _answer = post(url, captured_body, refreshed)
    assert status == 401

    counts = wait_until(
        lambda: (c := event_counts(fault_server, backend_id)) == {"done": 1} and c,
        "the captured delivery applied once",
        fault_server,
    )
    assert order_counts(fault_server, backend_id) == (1, 1)
    ledger.sent, ledger.accepted, ledger.refused = 12, 10, 2
    ledger.stored, ledger.applied = sum(counts.values()), order_counts(fault_server, backend_id)[0]
    ledger.lost, ledger.doubled = 0, ledger.stored - 1
    ledger.visible = "401 with the reason; 200 duplicate"


def test_bad_signatures_store_nothing_and_rotation_mid_burst_loses_nothing(
    fault_server, backend, ledger
):
    """2. Missing/wrong/truncated/foreign signatures; secret rotated mid-burst"""
    backend_id, url = backend
    make_backend(fault_server, secret=OTHER_SECRET)  # another channel, its own secret
    body, headers = signed_delivery(order_payload(), SECRET)
    forged = {
        "missing": {k: v for k, v in headers.items() if k != "webhook-signature"},
        "wrong": dict(
            headers, **{"webhook-signature": "v1,AAAA" + headers["webhook-signature"][7:]}
        ),
        "truncated": dict(headers, **{"webhook-signature": headers["webhook-signature"][:20]}),
        "other backend's secret": signed_delivery(
            None, OTHER_SECRET, msg_id=headers["webhook-id"], body=body
        )[1],
    }
    for what, forged_headers in forged.items():
        status, answer = post(url, body, forged_headers)
        assert status == 401, (what, answer)
    assert event_counts(fault_server, backend_id) == {}

    # A burst signed with the secret the channel knows; half-way, an admin rotates it.
    # The channel keeps signing with the old one until it learns the new one: the
    # grace keeps every delivery.
    old_secret_count, new_secret_count, senders = 40, 20, 4
    total = old_secret_count + new_secret_count
    answers, lock, half_way = [], threading.Lock(), threading.Event()
    new_secret = {}

    def send(secret, count):
        for _n in range(count):
            status, answer = post(url, *signed_delivery(order_payload(), secret))
            with lock:
                answers.append((status, answer.get("status")))
                if len(answers) >= old_secret_count // 2:
                    half_way.set()

    def rotate():
        half_way.wait(60)
        fault_server.call("retail.backend", "action_generate_webhook_secret", [backend_id])
        [values] = fault_server.call("retail.backend", "read", [backend_id], ["webhook_secret"])
        new_secret["value"] = values["webhook_secret"]

    threads = [
        threading.Thread(target=send, args=(SECRET, old_secret_count // senders))
        for _sender in range(senders)
    ]
    threads.append(threading.Thread(target=rotate))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    threads = [
        threading.Thread(target=send, args=(new_secret["value"], new_secret_count // senders))
        for _sender in range(senders)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert new_secret["value"] != SECRET
    assert answers.count((200, "accepted")) == total, answers
    counts = wait_until(
        lambda: (c := event_counts(fault_server, backend_id)) == {"done": total} and c,
        "every delivery of the burst applied",
        fault_server,
        timeout=180,
    )
    orders, distinct = order_counts(fault_server, backend_id)
    assert (orders, distinct) == (total, total)
    ledger.sent, ledger.accepted, ledger.refused = total + 4, total, 4
    ledger.stored, ledger.applied = sum(counts.values()), orders
    ledger.lost, ledger.doubled = total - distinct, orders - distinct
    ledger.visible = "401 with the reason (logged per backend)"
