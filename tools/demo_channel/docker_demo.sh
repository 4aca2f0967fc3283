#!/bin/bash
# The `demo` service of docker-compose.yml (`docker compose --profile demo up -d`):
# creates the demo backend in the database retail, then runs the simulator
# against the odoo service. Settings: RETAIL_DEMO_RATE, RETAIL_DEMO_COUNT.
set -euo pipefail
export RETAIL_DEMO_CONFIG=/tmp/demo-channel.json
# Through the image's entrypoint: it passes the database connection (HOST, USER...).
/entrypoint.sh odoo shell --database=retail --log-level=warn < tools/demo_channel/create_backend.py
exec python3 -m tools.demo_channel --odoo-url "${RETAIL_DEMO_ODOO_URL:-http://odoo:8069}" --wait 900
