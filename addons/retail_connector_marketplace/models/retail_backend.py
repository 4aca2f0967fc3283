from odoo import fields, models

from odoo.addons.retail_connector_base.exceptions import RetailError

from ..client import MiraklClient

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

    def _mirakl_client(self, **kwargs):
        """The API client of this seller account, with its key."""
        self.ensure_one()
        backend = self.sudo()
        return MiraklClient(
            backend.mirakl_api_url,
            backend.mirakl_api_key,
            shop_id=backend.mirakl_shop_id or None,
            **kwargs,
        )

    def action_mirakl_test_connection(self):
        """Call A01 and show the shop's name, or the exact error."""
        self.ensure_one()
        try:
            account = self._mirakl_client(max_attempts=2).account() or {}
        except RetailError as exc:
            message, kind = self.env._("Connection failed: %s", exc), "danger"
        else:
            message = self.env._(
                "Connected to %(name)s (shop %(id)s).",
                name=account.get("shop_name"),
                id=account.get("shop_id"),
            )
            kind = "success"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"message": message, "type": kind, "sticky": kind == "danger"},
        }
