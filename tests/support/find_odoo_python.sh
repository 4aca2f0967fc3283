#!/usr/bin/env bash
# Prints the absolute path of a Python interpreter that imports Odoo 19.
# Looks at $ODOO_PYTHON first, then python3.12/python3 on PATH, then pyenv's versions.
candidates=()
[ -n "${ODOO_PYTHON:-}" ] && candidates+=("$ODOO_PYTHON")
candidates+=(python3.12 python3)
if command -v pyenv >/dev/null 2>&1 || [ -d "${PYENV_ROOT:-$HOME/.pyenv}/versions" ]; then
  for dir in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/*/bin; do
    candidates+=("$dir/python3")
  done
fi
probe='import sys, odoo.release as r; sys.exit(0 if r.version_info[0] == 19 else 1)'
for py in "${candidates[@]}"; do
  command -v "$py" >/dev/null 2>&1 || continue
  if "$py" -c "$probe" 2>/dev/null; then
    "$py" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
exit 1
