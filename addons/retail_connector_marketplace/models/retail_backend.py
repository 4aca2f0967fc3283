from odoo import fields, models

MANAGER_GROUP = "retail_connector_base.group_retail_connect_manager"


class RetailBackend(models.Model):
    _inherit = "retail.backend"

    code = fields.Selection(
        selection_add=[("mirakl", "Marketplace (Mirakl)")], ondelete={"mirakl": "set default"}
    )
    mirakl_api_url = fields.Char(
        string="Marketplace API URL", help="The operator's base URL, e.g. https://acme.mirakl.net"
    )
    mirakl_api_key = fields.Char(
        string="API key",
        copy=False,
        groups=MANAGER_GROUP,
        help="Sent as the raw Authorization header value.",
    )
    mirakl_shop_id = fields.Char(string="Shop ID", help="Only for keys that manage several shops.")

    def _compute_feature_support(self):
        """Override of `retail_connector_base`: Mirakl sends no webhooks."""
        super()._compute_feature_support()
        for backend in self.filtered(lambda b: b.code == "mirakl"):
            backend.support_webhooks = False
            backend.support_webhook_secret = False
