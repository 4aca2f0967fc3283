"""A channel delivers webhooks to a real Odoo (2 workers, queue_job runner)."""

import json
import threading
import time
import uuid

import requests

from ..conftest import GENERIC_SECRET
from ..support import generic_channel
from ..support.generic_channel import order_payload
from ..support.odoo_server import query


def signed_delivery(payload, msg_id=None):
    return generic_channel.signed_delivery(payload, GENERIC_SECRET, msg_id)


def wait_for(dbname, sql, params, expected, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = query(dbname, sql, params)
        if rows == expected:
            return rows
        time.sleep(0.3)
    return rows


def test_concurrent_deliveries_of_one_event_store_one_row_and_one_job(odoo_server, generic_backend):
    backend_id, url = generic_backend
    body, headers = signed_delivery({"type": "note.created", "data": {}})
    barrier = threading.Barrier(12)
    answers = []

    def deliver():
        barrier.wait()
        response = requests.post(url, data=body, headers=headers, timeout=30)
        answers.append((response.status_code, response.json()["status"]))

    threads = [threading.Thread(target=deliver) for _i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers) == [(200, "accepted")] + [(200, "duplicate")] * 11
    rows = query(
        odoo_server.dbname,
        "SELECT count(*), count(DISTINCT job_id) FROM retail_event "
        "WHERE backend_id = %s AND event_key = %s",
        (backend_id, headers["webhook-id"]),
    )
    assert rows == [(1, 1)]
    event_id = _event_id(odoo_server, backend_id, headers)
    assert sum(count for _state, count in _jobs_of(odoo_server, event_id)) == 1


def test_runner_imports_a_delivered_order(odoo_server, generic_backend, catalog):
    backend_id, url = generic_backend
    payload = order_payload()
    body, headers = signed_delivery(payload)
    assert requests.post(url, data=body, headers=headers, timeout=30).json() == {
        "status": "accepted"
    }
    expected = [("done", 1, "done", "sale", 12.0)]
    rows = wait_for(
        odoo_server.dbname,
        "SELECT e.state, e.attempts, j.state, o.state, o.amount_total FROM retail_event e "
        "JOIN queue_job j ON j.id = e.job_id "
        "JOIN sale_order o ON o.retail_backend_id = e.backend_id "
        "AND o.retail_external_id = %s WHERE e.backend_id = %s AND e.event_key = %s",
        (payload["data"]["external_id"], backend_id, headers["webhook-id"]),
        expected,
    )
    assert rows == expected, odoo_server.log()


def test_concurrent_events_of_one_new_order_make_one_order_and_one_customer(
    odoo_server, generic_backend, catalog
):
    """orders/create and orders/updated of a new order arrive together and are
    processed by two workers at once."""
    backend_id, url = generic_backend
    external_id = uuid.uuid4().hex[:12]
    deliveries = [
        signed_delivery(order_payload(external_id, "order.created", "2026-11-02T10:00:00Z")),
        signed_delivery(order_payload(external_id, "order.updated", "2026-11-02T10:00:01Z")),
    ]
    threads = [
        threading.Thread(target=requests.post, args=(url,), kwargs={"data": b, "headers": h})
        for b, h in deliveries
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    keys = tuple(h["webhook-id"] for _b, h in deliveries)
    finished = wait_for(
        odoo_server.dbname,
        "SELECT count(*) FROM retail_event WHERE backend_id = %s AND event_key IN %s "
        "AND state IN ('done', 'ignored')",
        (backend_id, keys),
        [(2,)],
        timeout=90,
    )
    assert finished == [(2,)], (
        query(
            odoo_server.dbname,
            "SELECT state, error FROM retail_event WHERE event_key IN %s",
            (keys,),
        ),
        odoo_server.log(),
    )
    orders = query(
        odoo_server.dbname,
        "SELECT count(*), count(DISTINCT partner_id) FROM sale_order "
        "WHERE retail_backend_id = %s AND retail_external_id = %s",
        (backend_id, external_id),
    )
    assert orders == [(1, 1)]
    customers = query(
        odoo_server.dbname,
        "SELECT count(*) FROM res_partner WHERE email = %s",
        (f"buyer-{external_id}@example.com",),
    )
    assert customers == [(1,)]


def test_runner_fails_an_invalid_event_at_once_with_the_field_path(odoo_server, generic_backend):
    backend_id, url = generic_backend
    body, headers = signed_delivery({"type": "order.created", "data": ["not", "an", "object"]})
    assert requests.post(url, data=body, headers=headers, timeout=30).status_code == 200
    expected = [("failed", 1, "data: Input should be a valid dictionary", "failed")]
    rows = wait_for(
        odoo_server.dbname,
        "SELECT e.state, e.attempts, e.error, j.state FROM retail_event e "
        "JOIN queue_job j ON j.id = e.job_id WHERE e.backend_id = %s AND e.event_key = %s",
        (backend_id, headers["webhook-id"]),
        expected,
    )
    assert rows == expected, odoo_server.log()


def test_replay_from_the_back_office_does_not_apply_twice(odoo_server, generic_backend):
    backend_id, url = generic_backend
    body, headers = signed_delivery({"type": "order.created"})  # no "data": fails
    requests.post(url, data=body, headers=headers, timeout=30)
    sql = "SELECT e.id, e.state FROM retail_event e WHERE e.backend_id = %s AND e.event_key = %s"
    params = (backend_id, headers["webhook-id"])
    event_id = query(odoo_server.dbname, sql, params)[0][0]
    assert wait_for(odoo_server.dbname, sql, params, [(event_id, "failed")]) == [
        (event_id, "failed")
    ]
    odoo_server.call("retail.event", "action_replay", [event_id])
    # still invalid: it fails again, once, through a second job
    deadline = time.monotonic() + 60
    while _jobs_of(odoo_server, event_id) != [("failed", 2)] and time.monotonic() < deadline:
        time.sleep(0.3)
    assert _jobs_of(odoo_server, event_id) == [("failed", 2)], odoo_server.log()
    assert query(odoo_server.dbname, sql, params) == [(event_id, "failed")]


def _jobs_of(server, event_id):
    return query(
        server.dbname,
        "SELECT state, count(*) FROM queue_job WHERE model_name = 'retail.event' "
        "AND ((records #>> '{}')::jsonb -> 'ids') = %s::jsonb GROUP BY state",
        (json.dumps([event_id]),),
    )


def _event_id(server, backend_id, headers):
    return query(
        server.dbname,
        "SELECT id FROM retail_event WHERE backend_id = %s AND event_key = %s",
        (backend_id, headers["webhook-id"]),
    )[0][0]
