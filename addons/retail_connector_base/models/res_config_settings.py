import secrets

from odoo import fields, models

from ..triage.runbooks import RUNBOOK_BASE_URL_PARAM

METRICS_TOKEN_PARAM = "retail_connector_base.metrics_token"


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    retail_metrics_token = fields.Char(
        string="Metrics token",
        config_parameter=METRICS_TOKEN_PARAM,
        groups="base.group_system",
        help="Scrapers send it as 'Authorization: Bearer <token>' to GET /retail/metrics. "
        "Empty: the endpoint answers 401 to everyone.",
    )

    retail_runbook_base_url = fields.Char(
        string="Runbooks address",
        config_parameter=RUNBOOK_BASE_URL_PARAM,
        help="The address of docs/runbooks that alerts, holds and failure groups link to; "
        "empty: the repository's.",
    )

    def action_retail_generate_metrics_token(self):
        self.env["ir.config_parameter"].sudo().set_param(
            METRICS_TOKEN_PARAM, secrets.token_urlsafe(32)
        )
        return {"type": "ir.actions.client", "tag": "reload"}
