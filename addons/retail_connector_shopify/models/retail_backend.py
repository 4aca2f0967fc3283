import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.retail_connector_base.exceptions import (
    RetailError,
)

from .. import graphql
from ..client import ShopifyClient, TokenStore

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
    shopify_previous_client_secret = fields.Char(copy=False, groups=MANAGER_GROUP)
    shopify_secret_rotated_at = fields.Datetime(
        string="Client secret changed on", copy=False, readonly=True
    )
    shopify_previous_secret_hours = fields.Float(
        string="Previous secret accepted for (hours)",
        default=1.0,
        help="After the client secret is changed, webhooks signed with the previous one "
        "are still accepted this long.",
    )
    shopify_granted_token = fields.Char(copy=False, groups=MANAGER_GROUP)
    shopify_granted_token_expiry = fields.Float(
        copy=False, groups=MANAGER_GROUP, help="Unix time at which the granted token expires."
    )
    shopify_money_side = fields.Selection(
        [
            ("presentment_money", "What the customer paid (presentment currency)"),
            ("shop_money", "The shop's currency"),
        ],
        string="Import amounts in",
        default="presentment_money",
        required=True,
    )
    shopify_hold_until_risk = fields.Boolean(
        string="Wait for Shopify's fraud analysis",
        help="Keep new orders unconfirmed until Shopify's risk recommendation is known, "
        "and hold those it recommends investigating or cancelling.",
    )
    shopify_shop_name = fields.Char(string="Shop name", readonly=True, copy=False)
    shopify_webhook_ids = fields.One2many(
        "retail.shopify.webhook", "backend_id", string="Webhook subscriptions"
    )

    def _compute_feature_support(self):
        """Override of `retail_connector_base`: Shopify webhooks are signed
        with the app's client secret."""
        super()._compute_feature_support()
        for backend in self.filtered(lambda b: b.code == "shopify"):
            backend.support_webhooks = True
            backend.support_webhook_secret = False

    def write(self, vals):
        """Override: keep the previous client secret valid for a while after
        a rotation."""
        if vals.get("shopify_client_secret"):
            for backend in self.sudo():
                old = backend.shopify_client_secret
                if old and old != vals["shopify_client_secret"]:
                    super(RetailBackend, backend).write(
                        {
                            "shopify_previous_client_secret": old,
                            "shopify_secret_rotated_at": fields.Datetime.now(),
                            # A new secret invalidates tokens granted with the old one.
                            "shopify_granted_token": False,
                            "shopify_granted_token_expiry": 0,
                        }
                    )
        return super().write(vals)

    def _shopify_client(self):
        """The API client of this store, with its credentials."""
        self.ensure_one()
        backend = self.sudo()
        return ShopifyClient(
            backend._get_shopify_api_url(),
            backend.shopify_api_version or DEFAULT_API_VERSION,
            access_token=backend.shopify_access_token or None,
            client_id=backend.shopify_client_id or None,
            client_secret=backend.shopify_client_secret or None,
            token_store=_BackendTokenStore(backend),
        )

    def action_shopify_test_connection(self):
        """Call the API and show the shop's name, or the exact error."""
        self.ensure_one()
        try:
            shop = self._shopify_client().graphql(graphql.SHOP).get("shop") or {}
        except RetailError as exc:
            return _notification(self.env._("Connection failed: %s", exc), "danger")
        self.shopify_shop_name = shop.get("name")
        return _notification(
            self.env._(
                "Connected to %(name)s (%(domain)s).",
                name=shop.get("name"),
                domain=shop.get("myshopifyDomain"),
            ),
            "success",
        )

    def action_shopify_sync_webhooks(self):
        """Subscribe this backend's webhook URL to every topic it handles, and
        record what Shopify reports as subscribed."""
        self.ensure_one()
        try:
            self.env["retail.shopify.webhook"]._sync(self)
        except RetailError as exc:
            return _notification(self.env._("Could not subscribe: %s", exc), "danger")
        states = self.shopify_webhook_ids.mapped("state")
        if set(states) == {"subscribed"}:
            return _notification(self.env._("%s topics subscribed.", len(states)), "success")
        return _notification(
            self.env._("Some topics could not be subscribed: see the list."), "warning"
        )

    @api.model
    def _cron_shopify_recheck_risk(self):
        """Retry the orders waiting for Shopify's fraud analysis."""
        orders = self.env["sale.order"].search(
            [
                ("retail_backend_id.code", "=", "shopify"),
                ("retail_backend_id.state", "=", "active"),
                ("retail_on_hold", "=", True),
                ("state", "in", ("draft", "sent")),
                ("retail_hold_reason", "ilike", "Waiting for Shopify's fraud analysis"),
            ]
        )
        for order in orders:
            with self.env.cr.savepoint():
                order.action_retail_retry()
            self.env["ir.cron"]._commit_progress(1)

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


class _BackendTokenStore(TokenStore):
    """Keeps a granted access token on the backend."""

    def __init__(self, backend):
        self.backend = backend

    def get(self):
        return self.backend.shopify_granted_token, self.backend.shopify_granted_token_expiry

    def save(self, token, expires_at):
        self.backend.write(
            {"shopify_granted_token": token, "shopify_granted_token_expiry": expires_at}
        )


def _notification(message, kind):
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {"message": message, "type": kind, "sticky": kind == "danger"},
    }
