"""The demo channel as a new user starts it: the backend created through
``odoo shell`` (tools/demo_channel/create_backend.py), the simulator run as a
command against a real multi-worker Odoo with queue_job's runner, then the
triage and metrics crons run as the scheduler would."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..support.odoo_server import (
    OdooServer,
    clone_database,
    drop_database,
    odoo_command,
    query,
    settings,
    wait_until,
)

ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP = ROOT / "tools" / "demo_channel" / "create_backend.py"
# Two rounds of the simulator's pattern: each kind of message twice.
MESSAGES = 32
# Counters count up to a minute before the snapshot (COUNTER_LAG).
COUNTER_LAG_SECONDS = 61


def test_a_normal_install_has_no_demo_backend():
    template = settings()["template_db"]
    assert query(template, "SELECT count(*) FROM retail_backend WHERE is_demo") == [(0,)]
    assert query(
        template, "SELECT count(*) FROM product_product WHERE default_code = 'MUG-CER-350-WH'"
    ) == [(0,)]


@pytest.fixture(scope="module")
def demo_database():
    name = clone_database(f"retail_demo_e2e_{os.getpid()}")
    yield name
    drop_database(name)


@pytest.fixture(scope="module")
def demo_config(demo_database, tmp_path_factory):
    """The demo backend, created the way `make demo` and Docker create it."""
    path = tmp_path_factory.mktemp("demo") / "demo-channel.json"
    conf = settings()
    with open(BOOTSTRAP, "rb") as script:
        result = subprocess.run(
            [*odoo_command(conf["python"]), "shell", "-c", conf["config"], "-d", demo_database],
            stdin=script,
            capture_output=True,
            env=dict(os.environ, RETAIL_DEMO_CONFIG=str(path)),
            timeout=300,
            check=False,
        )
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    return json.loads(path.read_text()), path


@pytest.fixture(scope="module")
def demo_run(demo_database, demo_config):
    """Odoo running, the simulator's 32 messages sent and processed."""
    _config, path = demo_config
    with OdooServer(demo_database, workers=2) as server:
        server.login()
        command = [
            sys.executable, "-m", "tools.demo_channel",
            "--config", str(path),
            "--odoo-url", server.base_url,
            "--count", str(MESSAGES),
            "--rate", "0",
            "--seed", "16",
        ]  # fmt: skip
        sent = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
        )
        [(backend_id,)] = query(server, "SELECT id FROM retail_backend WHERE is_demo")
        wait_until(
            lambda: (
                not query(
                    server,
                    "SELECT count(*) FROM retail_event WHERE backend_id = %s "
                    "AND state IN ('received', 'queued')",
                    (backend_id,),
                )[0][0]
            ),
            "every demo event processed",
            server,
            timeout=240,
        )
        yield server, backend_id, sent


def test_the_simulator_reports_every_answer_as_expected(demo_run):
    _server, _backend_id, sent = demo_run
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert f"sent {MESSAGES} message(s), 0 unexpected answer(s)" in sent.stdout
    assert "bad_signature    401 x 2" in sent.stdout
    assert sent.stdout.count("→ 200 duplicate") == 2


def test_orders_arrive_and_the_bad_messages_are_refused_or_recorded(demo_run):
    server, backend_id, _sent = demo_run
    events = dict(
        query(
            server,
            "SELECT state, count(*) FROM retail_event WHERE backend_id = %s GROUP BY state",
            (backend_id,),
        )
    )
    # 32 messages: 2 refused (bad signature), 2 duplicates stored once.
    assert sum(events.values()) == MESSAGES - 4, events
    assert events.get("failed") == 2, events  # the decimal-comma orders
    [(error,)] = query(
        server,
        "SELECT DISTINCT error FROM retail_event WHERE backend_id = %s AND state = 'failed'",
        (backend_id,),
    )
    assert "data.lines.0.unit_price" in error
    orders = dict(
        query(
            server,
            "SELECT state, count(*) FROM sale_order WHERE retail_backend_id = %s GROUP BY state",
            (backend_id,),
        )
    )
    # 18 distinct orders accepted: 2 held for their unknown SKU, 2 cancelled.
    assert sum(orders.values()) == 18, orders
    assert orders.get("cancel") == 2, orders
    assert orders.get("sale", 0) >= 10, orders
    held = query(
        server,
        "SELECT retail_hold_reason FROM sale_order WHERE retail_backend_id = %s AND retail_on_hold",
        (backend_id,),
    )
    assert any("TSH-ORG-XXL-NAVY" in reason for (reason,) in held), held
    refunds = query(
        server,
        "SELECT count(*) FROM retail_order_refund WHERE backend_id = %s",
        (backend_id,),
    )
    assert refunds == [(2,)]


def test_failures_are_triaged_into_groups(demo_run):
    server, backend_id, _sent = demo_run
    cron = server.ref("retail_connector_base.ir_cron_retail_triage")
    server.call("ir.cron", "method_direct_trigger", [cron])
    groups = query(
        server,
        "SELECT g.source, g.pattern, g.open_count FROM retail_exception_group g "
        "WHERE g.state = 'open' AND %s = ANY(SELECT backend_id FROM retail_exception_occurrence "
        "WHERE group_id = g.id)",
        (backend_id,),
    )
    by_source = {}
    for source, pattern, count in groups:
        by_source.setdefault(source, []).append((pattern, count))
    assert any(
        p.startswith("data.lines.") and "valid decimal" in p and n == 2
        for p, n in by_source.get("event", [])
    ), groups
    assert any("unknown sku" in p.lower() and n >= 2 for p, n in by_source.get("hold", [])), groups


def test_the_dashboard_fills(demo_run):
    server, backend_id, _sent = demo_run
    [(since_last,)] = query(
        server,
        "SELECT extract(epoch FROM now() - max(processed_at)) FROM retail_event "
        "WHERE backend_id = %s",
        (backend_id,),
    )
    # The snapshot's counters stop a minute before it: let the whole run in.
    time.sleep(max(0, COUNTER_LAG_SECONDS - float(since_last)))
    cron = server.ref("retail_connector_base.ir_cron_retail_metric_snapshot")
    server.call("ir.cron", "method_direct_trigger", [cron])
    figures = dict(
        query(
            server,
            "SELECT metric, sum(value) FROM retail_metric_snapshot "
            "WHERE is_latest AND backend_id = %s GROUP BY metric",
            (backend_id,),
        )
    )
    assert figures.get("retail_events_received_total") == MESSAGES - 4, figures
    assert figures.get("retail_orders_confirmed_total", 0) > 0, figures
    assert figures.get("retail_orders_on_hold", 0) >= 2, figures
    [(groups_open,)] = query(
        server,
        "SELECT sum(value) FROM retail_metric_snapshot "
        "WHERE is_latest AND metric = 'retail_exception_groups_open'",
    )
    assert groups_open and groups_open >= 2
