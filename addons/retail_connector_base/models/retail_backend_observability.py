from odoo import models


class RetailBackend(models.Model):
    """The backend form's health figures link into the dashboard."""

    _inherit = "retail.backend"

    def action_view_metrics(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "retail_connector_base.retail_metric_dashboard_action"
        )
        action["domain"] = [("backend_id", "=", self.id)]
        action["display_name"] = self.env._("Health of %s", self.name)
        return action

    def action_view_exception_groups(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "retail_connector_base.retail_exception_group_action"
        )
        action["domain"] = [("backend_ids", "in", self.ids)]
        return action
