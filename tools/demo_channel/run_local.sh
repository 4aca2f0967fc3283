#!/usr/bin/env bash
# `make demo`: Odoo 19 without Docker, with the demo channel posting to it.
# Installs the four addons into the database retail_demo (kept between runs),
# creates the demo backend, starts Odoo (2 workers, queue_job's runner, the
# crons) on http://localhost:8069 and runs the simulator; Odoo keeps running
# after the simulator stops, until Ctrl-C.
# Settings: RETAIL_DEMO_DB (retail_demo), RETAIL_HTTP_PORT (8069),
# RETAIL_GEVENT_PORT (8072: live notifications), ARGS (the
# simulator's options, e.g. ARGS="--count 100 --rate 2"), and those of
# tests/support/prepare.sh (PGHOST, RETAIL_DB_USER...).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/support/prepare.sh
export RETAIL_HTTP_PORT=${RETAIL_HTTP_PORT:-8069}
retail_prepare "${RETAIL_DEMO_DB:-retail_demo}" 1
export RETAIL_DEMO_CONFIG=${RETAIL_DEMO_CONFIG:-$PWD/demo-channel.json}
odoo_cli=("$PY" tests/support/launch/odoo_cli.py)

"${odoo_cli[@]}" shell -c "$RETAIL_ODOO_CONFIG" -d "$RETAIL_TEST_DB" --log-level=warn \
  < tools/demo_channel/create_backend.py

ODOO_QUEUE_JOB_CHANNELS="root:4,root.retail.realtime:2,root.retail.batch:1,root.retail.events:2" \
  ODOO_QUEUE_JOB_HOST=127.0.0.1 ODOO_QUEUE_JOB_PORT=$RETAIL_HTTP_PORT \
  "${odoo_cli[@]}" server -c "$RETAIL_ODOO_CONFIG" -d "$RETAIL_TEST_DB" \
  --workers=2 --max-cron-threads=1 --gevent-port="${RETAIL_GEVENT_PORT:-8072}" \
  --load=base,web,queue_job,retail_connector_base --logfile="$WORK/odoo.log" &
odoo_pid=$!
# errexit holds in the trap too: a failed kill or wait must not skip the rm.
trap 'kill "$odoo_pid" 2>/dev/null || true; wait "$odoo_pid" 2>/dev/null || true; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

url="http://localhost:$RETAIL_HTTP_PORT"
# shellcheck disable=SC2086 # ARGS holds several options
"$PY" -m tools.demo_channel --odoo-url "$url" --wait 120 ${ARGS:-} || true
echo "Odoo keeps running at $url (admin / admin; its log: $WORK/odoo.log). Ctrl-C stops it."
wait "$odoo_pid"
