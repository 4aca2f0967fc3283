"""The reconciliation's state left the backend's configuration: the poll
cursor for ``retail.poll.cursor`` (polled by the base's cron), the granted
token and a running backfill for ``retail.backend.runtime``."""

from odoo import SUPERUSER_ID, api

from odoo.addons.retail_connector_base import migration_helpers as helpers


def migrate(cr, version):
    if not version:
        return
    helpers.move_poll_state(
        cr, "shopify", "shopify_poll_cursor", "shopify_poll_last_at", "shopify_poll_last_result"
    )
    helpers.copy_backend_column(
        cr, "shopify", "shopify_poll_overlap_minutes", "poll_overlap_minutes"
    )
    helpers.move_runtime_values(
        cr,
        "shopify",
        (
            "shopify_granted_token",
            "shopify_granted_token_expiry",
            "shopify_bulk_operation_id",
            "shopify_backfill_step",
            "shopify_backfill_since",
            "shopify_backfill_status",
        ),
    )
    env = api.Environment(cr, SUPERUSER_ID, {})
    helpers.delete_record(env, "retail_connector_shopify.ir_cron_shopify_poll_orders")
