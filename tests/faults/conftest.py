"""The fault suite: each scenario injects a fault into a real Odoo (several HTTP
workers, queue_job's runner, real PostgreSQL, the fake channels) outside any test
cursor, then counts what went in and what came out. Every scenario records a row
of the ledger printed at the end of the run: sent, accepted, refused, stored,
applied, lost, doubled, and where a failure shows in the UI."""

import base64
import os
import uuid
from dataclasses import dataclass, field

import pytest

from ..conftest import add_catalog
from ..support.odoo_server import OdooServer, clone_database, drop_database, query

SECRET = "whsec_" + base64.b64encode(b"fault-suite-secret-of-32-bytes!!").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"another-backend-secret-32-bytes!").decode()
# Heavier variants (a real PostgreSQL restart, a 10-minute channel outage):
# `make test-faults-heavy`.
HEAVY = os.environ.get("RETAIL_FAULTS_HEAVY") == "1"

LEDGER = []


@dataclass
class LedgerRow:
    scenario: str
    sent: int = 0
    accepted: int = 0
    refused: int = 0
    stored: int = 0
    applied: int = 0
    lost: int = 0
    doubled: int = 0
    visible: str = ""
    notes: list = field(default_factory=list)


@pytest.fixture
def ledger(request):
    """The ledger row of this scenario (named by the test's docstring's first line)."""
    doc = (request.function.__doc__ or request.node.name).strip().splitlines()[0]
    row = LedgerRow(scenario=doc)
    yield row
    report = getattr(request.node, "call_report", None)
    if report is None or not report.passed:
        row.visible = "FAILED: counts not reached"
    LEDGER.append(row)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.call_report = report
    return report


def pytest_terminal_summary(terminalreporter):
    if not LEDGER:
        return
    write = terminalreporter.write_line
    terminalreporter.section("fault suite ledger")
    columns = ("sent", "accepted", "refused", "stored", "applied", "lost", "doubled")
    write(f"{'scenario':<62} " + " ".join(f"{c:>8}" for c in columns) + "  visible as")

    def number(row):
        head = row.scenario.split(".", 1)[0]
        return (int(head.rstrip("ab")), head) if head.rstrip("ab").isdigit() else (99, head)

    for row in sorted(LEDGER, key=number):
        counts = " ".join(f"{getattr(row, c):>8}" for c in columns)
        write(f"{row.scenario[:62]:<62} {counts}  {row.visible}")


@pytest.fixture(scope="module")
def fault_server():
    """A copy of the test database served by 3 HTTP workers and the job runner."""
    name = clone_database(f"retail_faults_{os.getpid()}_{uuid.uuid4().hex[:6]}")
    try:
        with OdooServer(name, workers=3) as server:
            server.login()
            yield server
    finally:
        drop_database(name)


def make_backend(server, secret=SECRET, company_id=None, **values):
    """An active generic backend; returns ``(id, webhook URL)``."""
    backend_id = server.call(
        "retail.backend",
        "create",
        {
            "name": f"Faults {uuid.uuid4().hex[:6]}",
            "code": "generic",
            "webhook_secret": secret,
            **({"company_id": company_id} if company_id else {}),
            **values,
        },
    )
    server.call("retail.backend", "action_activate", [backend_id])
    [backend] = server.call("retail.backend", "read", [backend_id], ["webhook_token"])
    return backend_id, f"{server.base_url}/retail/webhook/{backend['webhook_token']}"


@pytest.fixture(scope="module")
def catalog(fault_server):
    """What the orders sell: a mug (E2E-MUG), and a 20 % sales tax."""
    add_catalog(fault_server)


@pytest.fixture
def backend(fault_server, catalog):
    return make_backend(fault_server)


def event_counts(server, backend_id):
    """``{state: count}`` of the backend's stored events."""
    return dict(
        query(
            server,
            "SELECT state, count(*) FROM retail_event WHERE backend_id = %s GROUP BY state",
            (backend_id,),
        )
    )


def order_counts(server, backend_id):
    """``(orders, distinct external ids)`` of the backend."""
    [(orders, distinct)] = query(
        server,
        "SELECT count(*), count(DISTINCT retail_external_id) FROM sale_order "
        "WHERE retail_backend_id = %s",
        (backend_id,),
    )
    return orders, distinct


def errors_in_log(server):
    """Lines of Odoo's log at ERROR or CRITICAL."""
    return [
        line
        for line in server.log(tail=10_000_000).splitlines()
        if " ERROR " in line or " CRITICAL " in line
    ]
