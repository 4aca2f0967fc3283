#!/usr/bin/env bash
# The whole test suite, as README.md gives it: a fresh database with the four
# addons installed, every addon's tests through pytest-odoo (real Odoo, real
# PostgreSQL, real HTTP), then the cross-module and end-to-end tests in tests/.
# `tests/run.sh faults` runs only the fault suite (tests/faults).
# Settings: see tests/support/prepare.sh; RETAIL_TEST_DB (retail_test).
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/support/prepare.sh
retail_prepare "${RETAIL_TEST_DB:-retail_test}"

if [ "${1:-}" = faults ]; then
  echo "== Fault suite"
  exec "$PY" -m pytest -q -p no:cacheprovider -p no:odoo -rA tests/faults
fi

status=0
echo "== Addon tests (pytest-odoo)"
"$PY" -m pytest -q -p no:cacheprovider --junitxml="$WORK/addons.xml" \
  --odoo-config="$RETAIL_ODOO_CONFIG" --odoo-database="$RETAIL_TEST_DB" --odoo-http \
  addons || status=$?
echo "== Cross-module and end-to-end tests"
"$PY" -m pytest -q -p no:cacheprovider -p no:odoo --junitxml="$WORK/e2e.xml" tests || status=$?

"$PY" tests/support/junit_summary.py "$WORK/addons.xml" "$WORK/e2e.xml" || status=1
exit $status
