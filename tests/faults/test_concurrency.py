"""Scenarios 3, 4 and 12: concurrent and out-of-order deliveries are applied once,
in the channel's order; one new person arriving from three channels at once is one
customer."""

import threading

import requests

from ..support.generic_channel import order_payload, signed_delivery
from ..support.odoo_server import query, wait_until
from .conftest import SECRET, errors_in_log, event_counts, make_backend, order_counts


def together(calls):
    """Run ``calls`` (no-argument callables) at the same instant; their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def deliver(url, body, headers):
    response = requests.post(url, data=body, headers=headers, timeout=60)
    return response.status_code, response.json().get("status")


def test_one_delivery_twenty_times_at_once(fault_server, backend, ledger):
    """3. The same delivery 20 times concurrently across workers"""
    backend_id, url = backend
    payload = order_payload()
    body, headers = signed_delivery(payload, SECRET)
    answers = together([lambda: deliver(url, body, headers)] * 20)
    assert sorted(answers) == [(200, "accepted")] + [(200, "duplicate")] * 19
    counts = wait_until(
        lambda: (c := event_counts(fault_server, backend_id)) == {"done": 1} and c,
        "the order applied",
        fault_server,
    )
    [(event_id,)] = query(
        fault_server,
        "SELECT id FROM retail_event WHERE backend_id = %s AND event_key = %s",
        (backend_id, headers["webhook-id"]),
    )
    [(jobs,)] = query(
        fault_server,
        "SELECT count(*) FROM queue_job WHERE model_name = 'retail.event' "
        "AND ((records #>> '{}')::jsonb -> 'ids') = %s::jsonb",
        (f"[{event_id}]",),
    )
    assert jobs == 1
    orders = order_counts(fault_server, backend_id)
    [(customers,)] = query(
        fault_server,
        "SELECT count(*) FROM res_partner WHERE email = %s",
        (payload["data"]["customer"]["email"],),
    )
    assert (orders, customers) == ((1, 1), 1)
    assert not [line for line in errors_in_log(fault_server) if "bad query" in line]
    ledger.sent, ledger.accepted, ledger.stored, ledger.applied = 20, 20, sum(counts.values()), 1
    ledger.lost, ledger.doubled = 0, 0
    ledger.visible = "200 duplicate; no error logged"


def test_versions_out_of_order_end_in_the_channels_latest(fault_server, backend, ledger):
    """4. Out-of-order versions: update before create, cancel before update"""
    backend_id, url = backend
    # (a) the update (2 mugs, 10:05) arrives before the creation (1 mug, 10:00)
    first = order_payload(updated_at="2026-11-02T10:00:00Z")
    external_id = first["data"]["external_id"]
    update = order_payload(external_id, "order.updated", "2026-11-02T10:05:00Z")
    update["data"]["lines"][0]["quantity"] = 2
    update["data"]["lines"][0]["tax_lines"][0]["amount"] = "4.00"
    update["data"]["totals"] = {"tax": "4.00", "total": "24.00"}
    assert deliver(url, *signed_delivery(update, SECRET)) == (200, "accepted")
    wait_until(
        lambda: event_counts(fault_server, backend_id) == {"done": 1}, "the update", fault_server
    )
    assert deliver(url, *signed_delivery(first, SECRET)) == (200, "accepted")
    wait_until(
        lambda: event_counts(fault_server, backend_id) == {"done": 1, "ignored": 1},
        "the late creation ignored as stale",
        fault_server,
    )
    [(state, total)] = query(
        fault_server,
        "SELECT state, amount_total FROM sale_order WHERE retail_backend_id = %s "
        "AND retail_external_id = %s",
        (backend_id, external_id),
    )
    assert (state, float(total)) == ("sale", 24.0)

    # (b) the cancellation (10:20) arrives before an update (10:10)
    second = order_payload(updated_at="2026-11-02T10:00:00Z")
    other_id = second["data"]["external_id"]
    assert deliver(url, *signed_delivery(second, SECRET)) == (200, "accepted")
    cancel = order_payload(other_id, "order.cancelled", "2026-11-02T10:20:00Z")
    cancel["data"]["cancelled_at"] = "2026-11-02T10:20:00Z"
    cancel["data"]["cancel_reason"] = "customer"
    late_update = order_payload(other_id, "order.updated", "2026-11-02T10:10:00Z")
    wait_until(
        lambda: event_counts(fault_server, backend_id).get("done") == 2,
        "the second order",
        fault_server,
    )
    assert deliver(url, *signed_delivery(cancel, SECRET)) == (200, "accepted")
    wait_until(
        lambda: event_counts(fault_server, backend_id).get("done") == 3,
        "the cancellation",
        fault_server,
    )
    assert deliver(url, *signed_delivery(late_update, SECRET)) == (200, "accepted")
    counts = wait_until(
        lambda: (c := event_counts(fault_server, backend_id)) == {"done": 3, "ignored": 2} and c,
        "the late update ignored as stale",
        fault_server,
    )
    [(state,)] = query(
        fault_server,
        "SELECT state FROM sale_order WHERE retail_backend_id = %s AND retail_external_id = %s",
        (backend_id, other_id),
    )
    assert state == "cancel"
    [(open_deliveries,)] = query(
        fault_server,
        "SELECT count(*) FROM stock_picking p JOIN sale_order o ON o.id = p.sale_id "
        "WHERE o.retail_external_id = %s AND p.state NOT IN ('cancel', 'done')",
        (other_id,),
    )
    assert open_deliveries == 0
    assert order_counts(fault_server, backend_id) == (2, 2)
    ledger.sent = ledger.accepted = ledger.stored = sum(counts.values())
    ledger.applied, ledger.lost, ledger.doubled = 2, 0, 0
    ledger.visible = "stale versions 'ignored' with the reason"


def test_one_new_person_from_three_channels_at_once_is_one_customer(fault_server, catalog, ledger):
    """12. The same new person from three channels at once"""
    channels = [make_backend(fault_server) for _channel in range(3)]
    email = "ada.lovelace.faults@example.com"
    deliveries = [
        (
            url,
            *signed_delivery(
                order_payload(email=email, first_name="Ada", last_name="Lovelace"), SECRET
            ),
        )
        for _backend_id, url in channels
    ]
    answers = together([lambda d=d: deliver(*d) for d in deliveries])
    assert answers == [(200, "accepted")] * 3
    for backend_id, _url in channels:
        wait_until(
            lambda b=backend_id: event_counts(fault_server, b) == {"done": 1},
            "each channel's order applied",
            fault_server,
        )
    [(customers,)] = query(
        fault_server,
        "SELECT count(*) FROM res_partner WHERE email = %s AND parent_id IS NULL",
        (email,),
    )
    [(buyers,)] = query(
        fault_server,
        "SELECT count(DISTINCT COALESCE(p.commercial_partner_id, p.id)) FROM sale_order o "
        "JOIN res_partner p ON p.id = o.partner_id WHERE o.retail_backend_id IN %s",
        (tuple(b for b, _u in channels),),
    )
    assert (customers, buyers) == (1, 1)
    ledger.sent = ledger.accepted = ledger.stored = ledger.applied = 3
    ledger.lost, ledger.doubled = 0, customers - 1
    ledger.visible = "one customer, three channel bindings"
