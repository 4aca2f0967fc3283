"""Scenario 8: the database's connections cut (or PostgreSQL restarted) in the middle of
a burst and of running jobs, an Odoo worker killed mid-job, the whole server (and its
job runner) killed and started again: every accepted delivery is applied exactly once
afterwards."""

import os
import signal
import subprocess
import threading
import time
import uuid

import requests

from ..conftest import add_catalog
from ..support.generic_channel import order_payload, signed_delivery
from ..support.odoo_server import OdooServer, clone_database, drop_database, query, wait_until
from .conftest import HEAVY, SECRET, event_counts, make_backend, order_counts


def deliver_until_acknowledged(url, body, headers, give_up=180):
    """Deliver as a channel does: again after any answer but 200, until acknowledged."""
    deadline = time.monotonic() + give_up
    attempts = 0
    while time.monotonic() < deadline:
        attempts += 1
        try:
            response = requests.post(url, data=body, headers=headers, timeout=30)
            if response.status_code == 200:
                return response.json()["status"], attempts
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{headers['webhook-id']} never acknowledged")


def burst(url, payloads, senders=4, on_progress=None):
    """Deliver ``payloads`` from ``senders`` threads; ``on_progress(acknowledged)`` is
    called after each acknowledgement. Returns the attempts per delivery."""
    attempts, lock = {}, threading.Lock()
    deliveries = [signed_delivery(payload, SECRET) for payload in payloads]

    def send(part):
        for body, headers in part:
            status, tries = deliver_until_acknowledged(url, body, headers)
            with lock:
                attempts[headers["webhook-id"]] = (status, tries)
                done = len(attempts)
            if on_progress:
                on_progress(done)

    threads = [
        threading.Thread(target=send, args=(deliveries[i::senders],)) for i in range(senders)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return attempts


def cut_connections(dbname):
    """What Odoo sees of a PostgreSQL restart: every connection to its database is
    gone (heavy mode restarts the real cluster)."""
    if HEAVY:
        version = sorted(os.listdir("/etc/postgresql"))[-1]
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
            check=True,
        )
        return
    query(
        "postgres",
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()",
        (dbname,),
    )


def assert_applied_once(server, backend_id, payloads, timeout=240):
    counts = wait_until(
        lambda: (c := event_counts(server, backend_id)) == {"done": len(payloads)} and c,
        "every acknowledged delivery applied",
        server,
        timeout=timeout,
    )
    orders, distinct = order_counts(server, backend_id)
    assert (orders, distinct) == (len(payloads), len(payloads))
    [(lines,)] = query(
        server,
        "SELECT count(*) FROM sale_order_line l JOIN sale_order o ON o.id = l.order_id "
        "JOIN product_product p ON p.id = l.product_id "
        "WHERE o.retail_backend_id = %s AND p.default_code = 'E2E-MUG'",
        (backend_id,),
    )
    return counts, orders, lines


def test_database_connections_cut_mid_burst_and_mid_job(fault_server, catalog, ledger):
    """8a. PostgreSQL restarted in the middle of a burst and of running jobs"""
    backend_id, url = make_backend(fault_server)
    payloads = [order_payload() for _order in range(80)]
    cuts = []

    def on_progress(acknowledged):
        if acknowledged in (25, 55) and acknowledged not in cuts:
            cuts.append(acknowledged)
            cut_connections(fault_server.dbname)

    attempts = burst(url, payloads, on_progress=on_progress)
    assert len(cuts) == 2
    assert sorted(status for status, _tries in attempts.values()).count("accepted") == 80
    counts, orders, lines = assert_applied_once(fault_server, backend_id, payloads)
    assert lines == 80
    retried = sum(1 for _status, tries in attempts.values() if tries > 1)
    ledger.sent = sum(tries for _status, tries in attempts.values())
    ledger.accepted, ledger.refused = 80, ledger.sent - 80
    ledger.stored, ledger.applied = sum(counts.values()), orders
    ledger.lost, ledger.doubled = 0, 0
    ledger.visible = f"{retried} deliveries answered 5xx and sent again"


def test_a_worker_killed_mid_job_and_the_server_killed_mid_burst(ledger):
    """8b. An Odoo worker SIGKILLed mid-job; the server and its runner killed and restarted"""
    name = clone_database(f"retail_faults_crash_{os.getpid()}_{uuid.uuid4().hex[:6]}")
    try:
        with OdooServer(name, workers=2) as server:
            server.login()
            add_catalog(server)
            backend_id, url = make_backend(server)
            # A long job: an order of 400 lines.
            big = order_payload()
            line = big["data"]["lines"][0]
            big["data"]["lines"] = [
                dict(line, external_id=str(n), tax_lines=[]) for n in range(400)
            ]
            big["data"]["totals"] = {"tax": "0.00", "total": "4000.00"}
            assert deliver_until_acknowledged(url, *signed_delivery(big, SECRET))[0] == "accepted"
            pid = wait_until(
                lambda: query(
                    server,
                    "SELECT worker_pid FROM queue_job WHERE state = 'started' "
                    "AND model_name = 'retail.event' AND worker_pid IS NOT NULL",
                ),
                "the big order's job started",
                server,
            )[0][0]
            os.kill(pid, signal.SIGKILL)
            # More orders while the server is killed as a whole, runner included.
            payloads = [order_payload() for _order in range(30)]
            first = burst(url, payloads[:15])
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()
        with OdooServer(name, workers=2) as server:
            second = burst(url.replace(url.split("/retail")[0], server.base_url), payloads[15:])
            counts, orders, lines = assert_applied_once(
                server, backend_id, [big, *payloads], timeout=300
            )
            assert lines == 400 + 30
            [(requeued,)] = query(
                server, "SELECT count(*) FROM queue_job WHERE retry > 1 OR state = 'failed'"
            )
    finally:
        drop_database(name)
    ledger.sent = 1 + sum(tries for _s, tries in [*first.values(), *second.values()])
    ledger.accepted = 31
    ledger.stored, ledger.applied = sum(counts.values()), orders
    ledger.lost, ledger.doubled = 0, 0
    ledger.visible = f"killed job re-queued by the runner ({requeued} job(s) retried)"
