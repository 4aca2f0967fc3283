import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError

MANAGER_GROUP = "retail_connector_base.group_retail_connect_manager"
SHOP_DOMAIN_RE = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
DEFAULT_API_VERSION = "2026-10"


class RetailBackend(models.Model):
    _inherit = "retail.backend"

    code = fields.Selection(
        selection_add=[("shopify", "Shopify")], ondelete={"shopify": "set default"}
    )
    shopify_shop_domain = fields.Char(
        string="Shop domain", help="The store's permanent domain: <shop>.myshopify.com"
    )
    shopify_api_version = fields.Char(string="Admin API version", default=DEFAULT_API_VERSION)
    shopify_api_url = fields.Char(
        string="API base URL", help="Leave empty to use https://<shop domain>."
    )
    shopify_access_token = fields.Char(
        string="Admin API access token", copy=False, groups=MANAGER_GROUP
    )
    shopify_client_id = fields.Char(string="Client ID", copy=False)
    shopify_client_secret = fields.Char(
        string="Client secret",
        copy=False,
        groups=MANAGER_GROUP,
        help="Signs Shopify's webhooks; with the client ID it also obtains access tokens.",
    )

    def _compute_feature_support(self):
        """Override of `retail_connector_base`: Shopify webhooks are signed
        with the app's client secret."""
        super()._compute_feature_support()
        for backend in self.filtered(lambda b: b.code == "shopify"):
            backend.support_webhooks = True
            backend.support_webhook_secret = False

    def _get_shopify_api_url(self):
        """The Admin API's base URL: the configured one, else the shop's."""
        self.ensure_one()
        return (self.shopify_api_url or f"https://{self.shopify_shop_domain}").rstrip("/")

    @api.constrains("code", "shopify_shop_domain")
    def _check_shopify_shop_domain(self):
        for backend in self.filtered(lambda b: b.code == "shopify" and b.shopify_shop_domain):
            if not SHOP_DOMAIN_RE.match(backend.shopify_shop_domain):
                raise ValidationError(
                    self.env._(
                        "The shop domain must look like my-store.myshopify.com, not %s.",
                        backend.shopify_shop_domain,
                    )
                )

    @api.onchange("shopify_shop_domain")
    def _onchange_shopify_shop_domain(self):
        if self.shopify_shop_domain:
            self.shopify_shop_domain = self.shopify_shop_domain.strip().lower()
