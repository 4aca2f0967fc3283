#!/bin/bash
# On the first start, installs the Retail Connect addons into the database,
# then hands over to the official image's /entrypoint.sh. Idempotent: modules
# already installed in the database are not installed again.
set -euo pipefail

DB=retail  # db_name in odoo.conf
MODULES=(
    retail_connector_base
    retail_connector_shopify
    retail_connector_marketplace
    retail_identity_resolution
)

# Same variables and defaults as the official /entrypoint.sh.
if [[ -v PASSWORD_FILE ]]; then
    PASSWORD="$(< "$PASSWORD_FILE")"
fi
: "${HOST:=db}" "${PORT:=5432}" "${USER:=odoo}" "${PASSWORD:=odoo}"
export HOST PORT USER PASSWORD

# Only before the server itself (`odoo` or `odoo --option...`), not before
# `odoo shell`, `bash`, etc.
starts_server() {
    case "${1:-}" in
        odoo | --) [[ -z "${2:-}" || "${2:-}" == -* ]] ;;
        -*) return 0 ;;
        *) return 1 ;;
    esac
}

if starts_server "$@"; then
    wait-for-psql.py --db_host "$HOST" --db_port "$PORT" \
        --db_user "$USER" --db_password "$PASSWORD" --timeout=30
    # Empty when the database does not exist yet or is not initialized.
    installed=$(PGPASSWORD="$PASSWORD" psql -h "$HOST" -p "$PORT" -U "$USER" -d "$DB" -tA \
        -c "SELECT name FROM ir_module_module WHERE state = 'installed'" 2>/dev/null) || installed=
    missing=()
    for module in "${MODULES[@]}"; do
        grep -qxF "$module" <<<"$installed" || missing+=("$module")
    done
    if (( ${#missing[@]} )); then
        to_install=$(IFS=,; echo "${missing[*]}")
        echo "Installing $to_install into database $DB"
        /entrypoint.sh odoo --database="$DB" --init="$to_install" --stop-after-init
    fi
fi

exec /entrypoint.sh "$@"
