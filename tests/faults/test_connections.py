"""Scenario 9: more senders than database connections. Senders get an error status they
retry, never a 200 for a delivery that was not stored."""

import threading
from contextlib import closing

import requests

from ..support.generic_channel import order_payload, signed_delivery
from ..support.odoo_server import db_connect, query, wait_until
from .conftest import SECRET, event_counts, make_backend, order_counts


def set_connection_limit(dbname, limit):
    with closing(db_connect("postgres")) as conn:
        conn.autocommit = True
        with conn.cursor() as cr:
            cr.execute(f'ALTER DATABASE "{dbname}" CONNECTION LIMIT {int(limit)}')


def test_exhausted_connections_never_acknowledge_what_was_not_stored(fault_server, catalog, ledger):
    """9. Database connections exhausted (more senders than connections)"""
    backend_id, url = make_backend(fault_server)
    deliveries = [signed_delivery(order_payload(), SECRET) for _order in range(60)]
    answers, lock = [], threading.Lock()

    def send(part):
        for body, headers in part:
            try:
                response = requests.post(url, data=body, headers=headers, timeout=30)
                status = response.status_code
            except requests.RequestException:
                status = None
            with lock:
                answers.append((headers["webhook-id"], status))

    dbname = fault_server.dbname
    set_connection_limit(dbname, 2)
    try:
        query(
            "postgres",
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (dbname,),
        )
        threads = [threading.Thread(target=send, args=(deliveries[i::20],)) for i in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        set_connection_limit(dbname, -1)

    acknowledged = {key for key, status in answers if status == 200}
    refused = [status for _key, status in answers if status != 200]
    stored = {
        key
        for (key,) in query(
            fault_server, "SELECT event_key FROM retail_event WHERE backend_id = %s", (backend_id,)
        )
    }
    assert acknowledged <= stored, "a 200 for a delivery that was not stored"
    assert refused, "the limit was never reached: the scenario tested nothing"
    assert all(status is None or status >= 500 or status == 429 for status in refused), refused

    # The channel sends again what was not acknowledged.
    again = [(b, h) for b, h in deliveries if h["webhook-id"] not in acknowledged]
    for body, headers in again:
        response = requests.post(url, data=body, headers=headers, timeout=30)
        assert response.status_code == 200
    counts = wait_until(
        lambda: (c := event_counts(fault_server, backend_id)) == {"done": 60} and c,
        "every delivery applied once",
        fault_server,
        timeout=180,
    )
    assert order_counts(fault_server, backend_id) == (60, 60)
    ledger.sent = len(answers) + len(again)
    ledger.accepted, ledger.refused = len(acknowledged) + len(again), len(refused)
    ledger.stored, ledger.applied = sum(counts.values()), 60
    ledger.lost, ledger.doubled = 0, 0
    ledger.visible = f"{len(refused)} answered 5xx/none while connections ran out, sent again"
