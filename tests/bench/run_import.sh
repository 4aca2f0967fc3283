#!/usr/bin/env bash
# Order import benchmark: a database with the four addons installed, prepared
# exactly like tests/bench/run.sh does, then tests/bench/bench_order_import.py
# in one Odoo process (no HTTP server) on a copy of it.
#
# Settings (environment), as in tests/bench/run.sh: ODOO_PYTHON, PGHOST/PGPORT
# (127.0.0.1:5432), RETAIL_DB_USER (retail), RETAIL_DB_PASSWORD,
# ODOO_ADDONS_PATH; RETAIL_BENCH_IMPORT_DB (retail_bench_import: its own
# database, so that tests/bench/run.sh or the suite may run at the same time).
# Arguments are passed to the Python benchmark (e.g.
# `bash tests/bench/run_import.sh -n 300 --rounds 4 --profile 50`; see --help
# there). RETAIL_BENCH_KEEP_DB=1 keeps the installed database for a next run
# (skipping the ~1 min install when it already exists).
#
# The database setup below duplicates tests/bench/run.sh on purpose: that
# script runs the webhook benchmark and has no switch to run another module.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
ADDONS="retail_connector_base,retail_connector_shopify,retail_connector_marketplace,retail_identity_resolution"
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432}
DB_USER=${RETAIL_DB_USER:-retail}
DB_PASSWORD=${RETAIL_DB_PASSWORD:-}
BENCH_DB=${RETAIL_BENCH_IMPORT_DB:-retail_bench_import}
if [ -n "$DB_PASSWORD" ]; then export PGPASSWORD=$DB_PASSWORD; fi

if ! PY=$(tests/support/find_odoo_python.sh); then
  echo "FATAL: no Python on this machine imports Odoo 19." >&2
  echo "Install Odoo 19 into a Python 3.12 (pip install -e <odoo source>) or set ODOO_PYTHON." >&2
  exit 2
fi
echo "== Odoo $("$PY" -c 'import odoo.release as r; print(r.version)') on $PY"

echo "== Python requirements"
"$PY" -m pip install --quiet --disable-pip-version-check -r requirements.txt 2>&1 \
  | grep -v -e "^WARNING: Running pip as the 'root' user" -e "ignored: it is neither" || true

echo "== PostgreSQL role $DB_USER"
if ! psql -U "$DB_USER" -d postgres -tAc 'select 1' >/dev/null 2>&1; then
  psql -U "${PGSUPERUSER:-postgres}" -d postgres -v ON_ERROR_STOP=1 -qc \
    "CREATE ROLE \"$DB_USER\" LOGIN CREATEDB" \
    || { echo "FATAL: cannot create the PostgreSQL role $DB_USER" >&2; exit 2; }
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/retail-connect-bench-import.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ODOO_ADDONS=$("$PY" - <<'PYEOF'
import os, odoo
# A source checkout keeps the standard addons beside the odoo package.
for path in odoo.__path__:
    addons = os.path.join(os.path.dirname(path), "addons")
    if os.path.isdir(os.path.join(addons, "web")):
        print(addons)
        break
PYEOF
)
ADDONS_PATH="$ROOT/addons"
for extra in ${ODOO_ADDONS_PATH:-} $ODOO_ADDONS; do ADDONS_PATH="$ADDONS_PATH,$extra"; done
export RETAIL_ODOO_CONFIG="$WORK/odoo.conf"
cat > "$RETAIL_ODOO_CONFIG" <<CONF
[options]
addons_path = $ADDONS_PATH
data_dir = $WORK/data
db_host = $PGHOST
db_port = $PGPORT
db_user = $DB_USER
db_password = $DB_PASSWORD
db_name = $BENCH_DB
http_interface = 127.0.0.1
log_level = warn
CONF

db_exists() {
  [ "$(psql -U "$DB_USER" -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$BENCH_DB'")" = "1" ]
}
if [ "${RETAIL_BENCH_KEEP_DB:-}" = "1" ] && db_exists; then
  echo "== Reusing database $BENCH_DB (RETAIL_BENCH_KEEP_DB=1)"
else
  echo "== Fresh database $BENCH_DB with $ADDONS"
  dropdb -U "$DB_USER" --if-exists --force "$BENCH_DB"
  if ! "$PY" -m odoo -c "$RETAIL_ODOO_CONFIG" -d "$BENCH_DB" -i "$ADDONS" --stop-after-init \
      > "$WORK/install.log" 2>&1; then
    cat "$WORK/install.log" >&2
    echo "FATAL: installing the addons failed" >&2
    exit 1
  fi
  if grep -E " (ERROR|WARNING|CRITICAL) " "$WORK/install.log" | grep -i "retail"; then
    echo "FATAL: installing the addons logged errors or warnings (above)" >&2
    exit 1
  fi
fi

export RETAIL_ODOO_PYTHON="$PY" RETAIL_TEST_DB="$BENCH_DB"
status=0
echo "== Order import benchmark"
"$PY" -m tests.bench.bench_order_import "$@" || status=$?
if [ "${RETAIL_BENCH_KEEP_DB:-}" != "1" ]; then
  dropdb -U "$DB_USER" --if-exists --force "$BENCH_DB" || true
fi
exit $status
