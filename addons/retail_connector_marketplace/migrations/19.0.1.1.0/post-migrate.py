"""The OR11 poll runs on the base's loop: its cursor moves to
``retail.poll.cursor``, its interval and overlap to the base's fields, its
cron to the base's; the acceptance deadline cron runs on
``retail.mirakl.acceptance``."""

from odoo import SUPERUSER_ID, api

from odoo.addons.retail_connector_base import migration_helpers as helpers


def migrate(cr, version):
    if not version:
        return
    helpers.move_poll_state(
        cr, "mirakl", "mirakl_poll_cursor", "mirakl_poll_last_at", "mirakl_poll_last_result"
    )
    helpers.copy_backend_column(cr, "mirakl", "mirakl_poll_interval", "poll_interval_minutes")
    helpers.copy_backend_column(cr, "mirakl", "mirakl_poll_overlap_minutes", "poll_overlap_minutes")
    env = api.Environment(cr, SUPERUSER_ID, {})
    helpers.delete_record(env, "retail_connector_marketplace.ir_cron_mirakl_poll_orders")
    deadline_cron = env.ref(
        "retail_connector_marketplace.ir_cron_mirakl_deadline_warnings", raise_if_not_found=False
    )
    if deadline_cron:
        deadline_cron.write(
            {
                "model_id": env.ref(
                    "retail_connector_marketplace.model_retail_mirakl_acceptance"
                ).id,
                "code": "model._cron_deadline_warnings()",
            }
        )
