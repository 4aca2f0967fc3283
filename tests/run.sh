#!/usr/bin/env bash
# The whole test suite, as README.md gives it: a fresh database with the four
# addons installed, every addon's tests through pytest-odoo (real Odoo, real
# PostgreSQL, real HTTP), then the cross-module end-to-end tests in tests/.
#
# Settings (environment): ODOO_PYTHON (a Python that imports Odoo 19),
# PGHOST/PGPORT (127.0.0.1:5432), RETAIL_DB_USER (retail; a role other than
# postgres, created if missing), RETAIL_DB_PASSWORD, RETAIL_TEST_DB (retail_test),
# ODOO_ADDONS_PATH (extra addons directories, e.g. Odoo's own addons/),
# RETAIL_PIP_INSTALL=0 (skip installing requirements.txt, e.g. in the Docker image).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ADDONS="retail_connector_base,retail_connector_shopify,retail_connector_marketplace,retail_identity_resolution"
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432}
DB_USER=${RETAIL_DB_USER:-retail}
DB_PASSWORD=${RETAIL_DB_PASSWORD:-}
TEST_DB=${RETAIL_TEST_DB:-retail_test}
if [ -n "$DB_PASSWORD" ]; then export PGPASSWORD=$DB_PASSWORD; fi

if ! PY=$(tests/support/find_odoo_python.sh); then
  echo "FATAL: no Python on this machine imports Odoo 19." >&2
  echo "Install Odoo 19 into a Python 3.12 (pip install -e <odoo source>) or set ODOO_PYTHON." >&2
  exit 2
fi
echo "== Odoo $("$PY" -c 'import odoo.release as r; print(r.version)') on $PY"

if [ "${RETAIL_PIP_INSTALL:-1}" = 1 ]; then
  echo "== Python requirements"
  "$PY" -m pip install --quiet --disable-pip-version-check -r requirements.txt 2>&1 \
    | grep -v -e "^WARNING: Running pip as the 'root' user" -e "ignored: it is neither" || true
fi

echo "== PostgreSQL role $DB_USER"
if ! psql -U "$DB_USER" -d postgres -tAc 'select 1' >/dev/null 2>&1; then
  psql -U "${PGSUPERUSER:-postgres}" -d postgres -v ON_ERROR_STOP=1 -qc \
    "CREATE ROLE \"$DB_USER\" LOGIN CREATEDB" \
    || { echo "FATAL: cannot create the PostgreSQL role $DB_USER" >&2; exit 2; }
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/retail-connect-test.XXXXXX")
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
db_name = $TEST_DB
http_interface = 127.0.0.1
log_level = warn
CONF

echo "== Fresh database $TEST_DB with $ADDONS"
dropdb -U "$DB_USER" --if-exists --force "$TEST_DB"
if ! "$PY" -m odoo -c "$RETAIL_ODOO_CONFIG" -d "$TEST_DB" -i "$ADDONS" --stop-after-init \
    > "$WORK/install.log" 2>&1; then
  cat "$WORK/install.log" >&2
  echo "FATAL: installing the addons failed" >&2
  exit 1
fi
# Our modules must install without errors or warnings.
if grep -E " (ERROR|WARNING|CRITICAL) " "$WORK/install.log" | grep -i "retail"; then
  echo "FATAL: installing the addons logged errors or warnings (above)" >&2
  exit 1
fi

export RETAIL_ODOO_PYTHON="$PY" RETAIL_TEST_DB="$TEST_DB"
status=0
echo "== Addon tests (pytest-odoo)"
"$PY" -m pytest -q -p no:cacheprovider --junitxml="$WORK/addons.xml" \
  --odoo-config="$RETAIL_ODOO_CONFIG" --odoo-database="$TEST_DB" --odoo-http \
  addons || status=$?
echo "== Cross-module and end-to-end tests"
"$PY" -m pytest -q -p no:cacheprovider -p no:odoo --junitxml="$WORK/e2e.xml" tests || status=$?

"$PY" tests/support/junit_summary.py "$WORK/addons.xml" "$WORK/e2e.xml" || status=1
exit $status
