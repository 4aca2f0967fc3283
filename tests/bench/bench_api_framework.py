"""Which HTTP framework serves the Channel API (``make bench-api-framework``):
a trivial route on OCA ``fastapi`` (its demo app's ``GET /demo``, no
authentication) beside Odoo's ``/web/health`` and a plain Odoo
``http.route`` that opens the database (``POST /retail/webhook/<unknown>``:
a cached lookup, a 404), same server, same client, same run.

``odoo-addon-fastapi`` is installed into a copy of the test database for the
run only; without the package, the benchmark says so and stops.
"""

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from ..support.odoo_server import (
    OdooServer,
    clone_database,
    drop_database,
    odoo_command,
    settings,
)


def measure(count, concurrency, request):
    latencies = []

    def one(_i):
        started = time.perf_counter()
        request()
        latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(count)))
    wall = time.perf_counter() - started
    latencies.sort()
    return count / wall, statistics.median(latencies), latencies[int(len(latencies) * 0.99) - 1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--requests", type=int, default=500)
    parser.add_argument("-c", "--concurrency", type=int, action="append")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    args = parser.parse_args(argv)
    if importlib.util.find_spec("odoo.addons.fastapi") is None:
        print("odoo-addon-fastapi is not installed: pip install 'odoo-addon-fastapi==19.0.*'")
        return 0
    conf = settings()
    dbname = clone_database(f"retail_bench_fastapi_{os.getpid()}")
    try:
        subprocess.run(
            [*odoo_command(conf["python"]), "-c", conf["config"], "-d", dbname, "-i", "fastapi",
             "--stop-after-init", "--log-level=warn"],
            check=True,
        )  # fmt: skip
        with OdooServer(dbname, workers=args.workers, channels="root:0") as server:
            server.login()
            user = server.call(
                "res.users", "create", {"name": "FastAPI bench", "login": "fastapi-bench"}
            )
            server.call(
                "fastapi.endpoint",
                "create",
                {
                    "name": "bench",
                    "app": "demo",
                    "root_path": "/fastapi_bench",
                    "demo_auth_method": "http_basic",
                    "user_id": user,
                },
            )
            base = server.base_url
            routes = [
                (
                    "GET /web/health (Odoo's floor)",
                    lambda: requests.get(f"{base}/web/health", timeout=60),
                ),
                (
                    "plain Odoo http.route (database, 404)",
                    lambda: requests.post(f"{base}/retail/webhook/x", data=b"{}", timeout=60),
                ),
                (
                    "OCA fastapi trivial route (GET /demo)",
                    lambda: requests.get(f"{base}/fastapi_bench/demo", timeout=60),
                ),
            ]
            for name, request in routes:
                answer = request()
                assert answer.status_code in (200, 404), (name, answer.status_code, answer.text)
            print(f"\nHTTP frameworks: {args.workers} workers")
            for concurrency in args.concurrency or [1, 8]:
                results = []
                for name, request in routes:
                    measure(50, concurrency, request)
                    results.append((name, *measure(args.requests, concurrency, request)))
                health = results[0][2]
                print(f"concurrency {concurrency}")
                print(
                    f"  {'route':<42} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'p50/health':>10}"
                )
                for name, rate, p50, p99 in results:
                    print(f"  {name:<42} {rate:8.1f} {p50:8.1f} {p99:8.1f} {p50 / health:9.2f}x")
    finally:
        drop_database(dbname)
    return 0


if __name__ == "__main__":
    sys.exit(main())
