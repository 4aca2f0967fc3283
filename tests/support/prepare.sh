# Sourced by tests/run.sh and tests/bench/run.sh: find a Python that imports
# Odoo 19, install requirements.txt, make sure the PostgreSQL role exists,
# write an odoo.conf and install the four addons into a fresh database.
#
# Settings (environment): ODOO_PYTHON (a Python that imports Odoo 19),
# PGHOST/PGPORT (127.0.0.1:5432), RETAIL_DB_USER (retail; a role other than
# postgres, created if missing), RETAIL_DB_PASSWORD, ODOO_ADDONS_PATH (extra
# addons directories), RETAIL_PIP_INSTALL=0 (skip installing requirements.txt,
# e.g. in the Docker image), RETAIL_HTTP_PORT (the port of Odoo's HTTP server in
# tests, 8069; set it when two suites run side by side).
#
# retail_prepare DB [KEEP]: exports RETAIL_ODOO_PYTHON, RETAIL_ODOO_CONFIG and
# RETAIL_TEST_DB, and WORK (a temporary directory removed on exit). With KEEP=1
# an existing database is reused as it is.

RETAIL_ADDONS="retail_connector_base,retail_connector_shopify,retail_connector_marketplace,retail_identity_resolution"
# Odoo addons our addons detect at runtime, installed so that their paths are
# tested too (loyalty: the order flow's promotion verification; ~7 s).
RETAIL_TEST_EXTRA_ADDONS="loyalty"

retail_prepare() {
  local db=$1 keep=${2:-0}
  local root=$PWD
  export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432}
  local db_user=${RETAIL_DB_USER:-retail} db_password=${RETAIL_DB_PASSWORD:-}
  if [ -n "$db_password" ]; then export PGPASSWORD=$db_password; fi

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

  echo "== PostgreSQL role $db_user"
  if ! psql -U "$db_user" -d postgres -tAc 'select 1' >/dev/null 2>&1; then
    psql -U "${PGSUPERUSER:-postgres}" -d postgres -v ON_ERROR_STOP=1 -qc \
      "CREATE ROLE \"$db_user\" LOGIN CREATEDB" \
      || { echo "FATAL: cannot create the PostgreSQL role $db_user" >&2; exit 2; }
  fi

  WORK=$(mktemp -d "${TMPDIR:-/tmp}/retail-connect.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
  local odoo_addons addons_path="$root/addons" extra
  odoo_addons=$("$PY" - <<'PYEOF'
import os, odoo
# A source checkout keeps the standard addons beside the odoo package.
for path in odoo.__path__:
    addons = os.path.join(os.path.dirname(path), "addons")
    if os.path.isdir(os.path.join(addons, "web")):
        print(addons)
        break
PYEOF
)
  for extra in ${ODOO_ADDONS_PATH:-} $odoo_addons; do addons_path="$addons_path,$extra"; done
  export RETAIL_ODOO_CONFIG="$WORK/odoo.conf"
  cat > "$RETAIL_ODOO_CONFIG" <<CONF
[options]
addons_path = $addons_path
data_dir = $WORK/data
db_host = $PGHOST
db_port = $PGPORT
db_user = $db_user
db_password = $db_password
db_name = $db
http_interface = 127.0.0.1
http_port = ${RETAIL_HTTP_PORT:-8069}
log_level = warn
CONF

  if [ "$keep" = 1 ] && [ "$(psql -U "$db_user" -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$db'")" = "1" ]; then
    echo "== Reusing database $db"
  else
    echo "== Fresh database $db with $RETAIL_ADDONS,$RETAIL_TEST_EXTRA_ADDONS"
    dropdb -U "$db_user" --if-exists --force "$db"
    if ! "$PY" -m odoo -c "$RETAIL_ODOO_CONFIG" -d "$db" -i "$RETAIL_ADDONS,$RETAIL_TEST_EXTRA_ADDONS" --stop-after-init \
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
  fi
  export RETAIL_ODOO_PYTHON="$PY" RETAIL_TEST_DB="$db"
}

retail_drop_database() {
  dropdb -U "${RETAIL_DB_USER:-retail}" --if-exists --force "$1" || true
}
