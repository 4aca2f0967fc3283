"""The technical users of API keys made before 19.0.1.4.1 were in no group
and ran under sudo: put the active keys' users in the Channel API client
group with their backend, retire the others'."""

from odoo import SUPERUSER_ID, Command, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    group = env.ref("retail_connector_base.group_retail_api_client")
    keys = env["retail.api.key"].search([("user_id", "!=", False)])
    for key in keys:
        values = {"retail_api_backend_id": key.backend_id.id}
        if key.state == "active":
            values["group_ids"] = [Command.set(group.ids)]
        else:
            values.update(active=False, group_ids=[Command.set([])])
        key.user_id.with_context(active_test=False).write(values)
