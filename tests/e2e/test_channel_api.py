"""Channel API v1 against a real Odoo (2 workers): rate limits held across
workers, idempotency under concurrent twins, and a POS-like client that
submits 200 orders and retries half of them after dropped connections."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from ..support.odoo_server import query
from .test_webhook_pipeline import order_payload

API = "/retail/api/v1"


@pytest.fixture
def api_backend(odoo_server, generic_backend, catalog):
    backend_id, _url = generic_backend
    return backend_id


def new_key(server, backend_id, per_minute=6000, burst=1000):
    """A key to ``backend_id`` with every scope; returns its secret."""
    key_id = server.call(
        "retail.api.key",
        "create",
        {
            "name": f"POS {uuid.uuid4().hex[:6]}",
            "backend_id": backend_id,
            "rate_limit_per_minute": per_minute,
            "rate_limit_burst": burst,
            "scope_customers_read": True,
            "scope_customers_write": True,
        },
    )
    action = server.call("retail.api.key", "action_generate_secret", [key_id])
    return action["params"]["message"]


def canonical_order(external_id=None):
    return order_payload(external_id)["data"]


def post_order(server, secret, order, idempotency_key, timeout=60):
    return requests.post(
        f"{server.base_url}{API}/orders",
        json=order,
        headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": idempotency_key},
        timeout=timeout,
    )


def run_together(count, work):
    """``work(i)`` in ``count`` threads released at the same moment."""
    barrier = threading.Barrier(count)

    def start(i):
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(start, range(count)))


def test_rate_limit_holds_across_workers(odoo_server, api_backend):
    secret = new_key(odoo_server, api_backend, per_minute=1, burst=10)
    headers = {"Authorization": f"Bearer {secret}"}

    def get(_i):
        response = requests.get(
            f"{odoo_server.base_url}{API}/orders/none", headers=headers, timeout=30
        )
        return response.status_code, response.headers.get("Retry-After")

    answers = run_together(30, get)
    statuses = sorted(status for status, _retry in answers)
    # Ten tokens in the bucket, whichever of the two workers served a call.
    assert statuses == [404] * 10 + [429] * 20, odoo_server.log()
    assert all(int(retry) > 0 for status, retry in answers if status == 429)
    pids = query(
        odoo_server,
        "SELECT count(*) FROM retail_api_call c JOIN retail_api_key k ON k.id = c.key_id "
        "WHERE k.backend_id = %s AND c.status = 429",
        (api_backend,),
    )
    assert pids == [(20,)]


def test_concurrent_twins_of_one_request_execute_once(odoo_server, api_backend):
    secret = new_key(odoo_server, api_backend)
    order = canonical_order()
    idempotency_key = str(uuid.uuid4())

    def submit(_i):
        response = post_order(odoo_server, secret, order, idempotency_key)
        return response.status_code, response.json()

    answers = run_together(8, submit)
    statuses = [status for status, _body in answers]
    assert set(statuses) <= {201, 409}, answers
    receipts = [body for status, body in answers if status == 201]
    assert receipts and all(r == receipts[0] for r in receipts)
    assert query(
        odoo_server,
        "SELECT count(*) FROM sale_order WHERE retail_backend_id = %s AND retail_external_id = %s",
        (api_backend, order["external_id"]),
    ) == [(1,)]
    assert query(
        odoo_server,
        "SELECT count(*) FROM retail_event WHERE backend_id = %s AND api_external_id = %s",
        (api_backend, order["external_id"]),
    ) == [(1,)]


def test_pos_client_retrying_after_dropped_connections_doubles_nothing(odoo_server, api_backend):
    """200 orders; every other one's first attempt hangs up before the
    answer (the server still does the work) and is sent again."""
    secret = new_key(odoo_server, api_backend)
    orders = [canonical_order(f"pos-{uuid.uuid4().hex[:10]}") for _i in range(200)]

    def submit(i):
        order, idempotency_key = orders[i], str(uuid.uuid4())
        if i % 2:
            with pytest.raises(requests.exceptions.Timeout):
                post_order(odoo_server, secret, order, idempotency_key, timeout=(5, 0.001))
        response = post_order(odoo_server, secret, order, idempotency_key)
        return response.status_code, response.json()

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(submit, range(200)))

    assert {status for status, _body in answers} == {201}, answers
    rows = query(
        odoo_server,
        "SELECT retail_external_id, id, name, state FROM sale_order WHERE retail_backend_id = %s "
        "AND retail_external_id LIKE 'pos-%%'",
        (api_backend,),
    )
    assert len(rows) == 200
    in_odoo = {external_id: (so_id, name, state) for external_id, so_id, name, state in rows}
    assert len(in_odoo) == 200
    for order, (_status, receipt) in zip(orders, answers, strict=True):
        assert receipt["external_id"] == order["external_id"]
        assert (receipt["id"], receipt["reference"], receipt["state"]) == in_odoo[
            order["external_id"]
        ]


def test_revocation_reaches_every_worker_at_once(odoo_server, api_backend):
    """Each worker caches what authenticates a key; revoking drops it everywhere."""
    secret = new_key(odoo_server, api_backend)
    [key_id] = [
        row[0]
        for row in query(
            odoo_server,
            "SELECT id FROM retail_api_key WHERE key_prefix = %s",
            (secret[:10],),
        )
    ]
    headers = {"Authorization": f"Bearer {secret}"}

    def statuses():
        return run_together(
            10,
            lambda _i: (
                requests.get(
                    f"{odoo_server.base_url}{API}/orders/none", headers=headers, timeout=30
                ).status_code
            ),
        )

    assert statuses() == [404] * 10
    odoo_server.call("retail.api.key", "action_revoke", [key_id])
    assert statuses() == [401] * 10
