#!/usr/bin/env bash
# Benchmarks (`make bench`, `make bench-import`): a fresh database prepared like
# tests/run.sh's, then one benchmark script, which prints its figures beside a
# baseline measured in the same run.
#
#   bash tests/bench/run.sh [webhook|import|identity|events|api|api-framework|peak|growth|stock-counts] [arguments of the Python script]
#
# Settings: see tests/support/prepare.sh; RETAIL_BENCH_DB (retail_bench: its own
# database, so a test run going on at the same time keeps retail_test);
# RETAIL_BENCH_KEEP_DB=1 reuses and keeps an installed database.
set -euo pipefail
cd "$(dirname "$0")/../.."
case "${1:-webhook}" in
  webhook) module=tests.bench.bench_webhook_ingestion ;;
  import) module=tests.bench.bench_order_import ;;
  identity) module=tests.bench.bench_identity_speed ;;
  events) module=tests.bench.bench_business_events ;;
  api) module=tests.bench.bench_channel_api ;;
  api-framework) module=tests.bench.bench_api_framework ;;
  peak) module=tests.bench.bench_peak ;;
  growth) module=tests.bench.bench_growth ;;
  stock-counts) module=tests.bench.bench_stock_counts ;;
  *) echo "usage: $0 [webhook|import|identity|events|api|api-framework|peak|growth|stock-counts] [arguments]" >&2; exit 2 ;;
esac
[ $# -gt 0 ] && shift
source tests/support/prepare.sh
keep=${RETAIL_BENCH_KEEP_DB:-0}
retail_prepare "${RETAIL_BENCH_DB:-retail_bench}" "$keep"

# Odoo's log goes beside the config (removed on exit) unless the caller keeps it.
export RETAIL_BENCH_LOG=${RETAIL_BENCH_LOG:-$WORK/odoo-bench.log}
status=0
"$PY" -m "$module" "$@" || status=$?
if [ "$keep" != 1 ]; then retail_drop_database "$RETAIL_TEST_DB"; fi
exit $status
