"""A real Odoo server for end-to-end tests and benchmarks.

Starts Odoo (``launch/odoo_cli.py``) in multi-worker mode on a copy of the test database,
with queue_job's runner loaded, and talks to it over HTTP like a channel or a
back-office user would.
"""

import json
import os
import signal
import socket
import subprocess
import time
import uuid
from contextlib import closing

import psycopg2
import requests

ADMIN_LOGIN = "admin"
ADMIN_PASSWORD = "admin"


def free_port():
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings():
    """Where the test runner left Odoo: its Python, config and database."""
    try:
        return {
            "python": os.environ["RETAIL_ODOO_PYTHON"],
            "config": os.environ["RETAIL_ODOO_CONFIG"],
            "template_db": os.environ["RETAIL_TEST_DB"],
        }
    except KeyError as exc:
        raise RuntimeError(f"{exc} is not set: run the suite with tests/run.sh") from None


def db_connect(dbname):
    """A psycopg2 connection with the runner's credentials (from odoo.conf)."""
    import configparser

    parser = configparser.ConfigParser()
    parser.read(settings()["config"])
    options = parser["options"]
    return psycopg2.connect(
        dbname=dbname,
        host=options.get("db_host") or None,
        port=options.get("db_port") or None,
        user=options.get("db_user") or None,
        password=options.get("db_password") or None,
    )


LAUNCHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "launch", "odoo_cli.py")


def odoo_command(python):
    """How to start Odoo's command line with ``python``: through
    ``launch/odoo_cli.py``, whatever the install (see that file)."""
    return [python, LAUNCHER]


def clone_database(name):
    """Copy the installed test database (fast: a template copy)."""
    template = settings()["template_db"]
    with closing(db_connect("postgres")) as conn:
        conn.autocommit = True
        with conn.cursor() as cr:
            cr.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cr.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name


def drop_database(name):
    with closing(db_connect("postgres")) as conn:
        conn.autocommit = True
        with conn.cursor() as cr:
            cr.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class OdooClient:
    """Back-office calls to a running Odoo, through the web client's own endpoints,
    as one user (a session cookie)."""

    def __init__(self, base_url, dbname):
        self.base_url = base_url
        self.dbname = dbname
        self.session = requests.Session()

    def login(self, login=ADMIN_LOGIN, password=ADMIN_PASSWORD):
        self.rpc(
            "/web/session/authenticate",
            {"db": self.dbname, "login": login, "password": password},
        )

    def rpc(self, path, params):
        response = self.session.post(
            f"{self.base_url}{path}",
            json={"jsonrpc": "2.0", "method": "call", "id": str(uuid.uuid4()), "params": params},
            timeout=60,
        )
        response.raise_for_status()
        answer = response.json()
        if "error" in answer:
            raise RuntimeError(json.dumps(answer["error"], indent=2))
        return answer.get("result")

    def call(self, model, method, *args, **kwargs):
        return self.rpc(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def ref(self, xmlid):
        """The database id of the record ``module.name``."""
        module, name = xmlid.split(".")
        domain = [("module", "=", module), ("name", "=", name)]
        [data] = self.call("ir.model.data", "search_read", domain, ["res_id"])
        return data["res_id"]


class OdooServer(OdooClient):
    """``with OdooServer(db) as server:`` runs Odoo until the block ends."""

    def __init__(
        self, dbname, workers=2, queue_job=True, channels=None, log_path=None, cron_threads=0
    ):
        self.cron_threads = cron_threads
        self.port = free_port()
        super().__init__(f"http://127.0.0.1:{self.port}", dbname)
        self.workers = workers
        self.queue_job = queue_job
        self.channels = channels or "root:4,root.retail.realtime:2,root.retail.batch:1"
        self.log_path = log_path or f"/tmp/retail-connect-odoo-{self.port}.log"
        self.process = None

    def __enter__(self):
        conf = settings()
        # As docker/odoo.conf: retail_connector_base server-wide answers webhooks
        # with 503 while the database is unreachable.
        modules = "base,web,queue_job," if self.queue_job else "base,web,"
        modules += "retail_connector_base"
        command = [
            *odoo_command(conf["python"]), "server",
            "-c", conf["config"],
            "-d", self.dbname,
            f"--http-port={self.port}",
            f"--gevent-port={free_port()}",
            "--http-interface=127.0.0.1",
            f"--workers={self.workers}",
            f"--max-cron-threads={self.cron_threads}",
            f"--load={modules}",
            "--log-level=warn",
            "--limit-time-real=120",
        ]  # fmt: skip
        env = dict(
            os.environ,
            ODOO_QUEUE_JOB_CHANNELS=self.channels,
            ODOO_QUEUE_JOB_HOST="127.0.0.1",
            ODOO_QUEUE_JOB_PORT=str(self.port),
        )
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            command, stdout=self._log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        self._wait_until_up()
        return self

    def _wait_until_up(self, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Odoo exited with {self.process.returncode}: {self.log()}")
            try:
                if requests.get(f"{self.base_url}/web/health", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"Odoo did not answer within {timeout}s: {self.log()}")

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()

    def log(self, tail=4000):
        with open(self.log_path, "rb") as handle:
            return handle.read().decode(errors="replace")[-tail:]

    def as_user(self, login, password):
        """A client of this server logged in as ``login``."""
        client = OdooClient(self.base_url, self.dbname)
        client.login(login, password)
        return client


def query(database, sql, params=()):
    """Rows of ``sql`` in ``database`` (a name, or an :class:`OdooServer`)."""
    dbname = getattr(database, "dbname", database)
    with closing(db_connect(dbname)) as conn, conn.cursor() as cr:
        cr.execute(sql, params)
        return cr.fetchall()


def wait_until(check, what="the condition", server=None, timeout=60, interval=0.3):
    """The first truthy result of ``check()``; fails with Odoo's log after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"{what}: not in time\n{server.log() if server else ''}")


def set_stock(server, product_id, quantity):
    """Set ``product_id``'s quantity on hand in the first warehouse, as an inventory
    adjustment does (its stock moves trigger what real ones would)."""
    [warehouse] = server.call("stock.warehouse", "search_read", [], ["lot_stock_id"], limit=1)
    quant = server.call(
        "stock.quant",
        "create",
        {
            "product_id": product_id,
            "location_id": warehouse["lot_stock_id"][0],
            "inventory_quantity": quantity,
        },
        context={"inventory_mode": True},
    )
    server.call("stock.quant", "action_apply_inventory", [quant])


def storable_product(server, sku, quantity=0, name=None):
    """A new storable product with ``sku`` as its internal reference and ``quantity`` on
    hand; returns its id."""
    product_id = server.call(
        "product.product",
        "create",
        {"name": name or sku, "default_code": sku, "type": "consu", "is_storable": True},
    )
    if quantity:
        set_stock(server, product_id, quantity)
    return product_id
