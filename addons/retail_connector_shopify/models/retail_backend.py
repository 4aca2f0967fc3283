import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.retail_connector_base.exceptions import RetailError
from odoo.addons.retail_connector_base.privacy import REDACT_INVOICED_POLICIES

from .. import graphql
from ..client import ShopifyClient, TokenStore

MANAGER_GROUP = "retail_connector_base.group_retail_connect_manager"
SHOP_DOMAIN_RE = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
DEFAULT_API_VERSION = "2026-10"
# The granted access token, in the backend's runtime values.
GRANTED_TOKEN, GRANTED_TOKEN_EXPIRY = "shopify_granted_token", "shopify_granted_token_expiry"


class RetailBackend(models.Model):
    """A Shopify store: its settings, its API client and its buttons. The
    hooks the base calls for it live beside, one file per concern:
    ``retail_backend_polling.py`` (poll, backfill),
    ``retail_backend_reconciliation.py`` (drift) and
    ``retail_backend_exports.py`` (the outbox's exports)."""

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
    shopify_location_id = fields.Char(
        string="Shopify location",
        help="The location (gid://shopify/Location/...) whose available quantities Odoo sets.",
    )
    shopify_notify_customer = fields.Boolean(string="Shopify emails the tracking", default=True)
    shopify_backfill_days = fields.Integer(
        string="Backfill (days)",
        default=60,
        required=True,
        help="How far back the backfill reads orders and customers. Without the "
        "read_all_orders scope Shopify only gives the last 60 days of orders.",
    )
    shopify_backfill_status = fields.Char(
        string="Backfill", compute="_compute_shopify_backfill", compute_sudo=True
    )
    shopify_bulk_operation_id = fields.Char(
        string="Running bulk operation", compute="_compute_shopify_backfill", compute_sudo=True
    )
    shopify_redact_invoiced = fields.Selection(
        REDACT_INVOICED_POLICIES,
        string="Redacting invoiced customers",
        default="keep_invoice_identity",
        required=True,
        help="Customers with posted accounting entries stay active whatever the choice: "
        "the entries must be retained. Odoo prints invoices from the live customer, so "
        "by default the contacts posted invoices show keep their name, address and tax "
        "ID; their email, phones, notes and other addresses are erased.",
    )

    _shopify_backfill_days_positive = models.Constraint(
        "CHECK(shopify_backfill_days > 0)", "The backfill needs at least one day."
    )

    def _compute_feature_support(self):
        """Override of `retail_connector_base`: Shopify webhooks are signed
        with the app's client secret; Shopify takes fulfillments, stock
        levels, cancellations and refunds, and its orders are polled for what
        webhooks missed."""
        super()._compute_feature_support()
        for backend in self.filtered(lambda b: b.code == "shopify"):
            backend.support_webhooks = True
            backend.support_webhook_secret = False
            backend.support_fulfillment_export = True
            backend.support_stock_export = True
            backend.support_polling = True
            backend.support_reconciliation = True
            backend.support_cancellation_export = True
            backend.support_refund_export = True

    def _compute_shopify_backfill(self):
        for backend in self:
            values = self.env["retail.backend.runtime"]._read_values(
                backend, ["shopify_backfill_status", "shopify_bulk_operation_id"]
            )
            backend.shopify_backfill_status = values.get("shopify_backfill_status")
            backend.shopify_bulk_operation_id = values.get("shopify_bulk_operation_id")

    def write(self, vals):
        """Override: keep the previous client secret valid for a while after
        a rotation; a new secret invalidates tokens granted with the old one."""
        rotated = self._remember_previous_secret(
            vals,
            "shopify_client_secret",
            "shopify_previous_client_secret",
            "shopify_secret_rotated_at",
        )
        for backend in rotated:
            backend._set_runtime_values({GRANTED_TOKEN: None, GRANTED_TOKEN_EXPIRY: None})
        return super().write(vals)

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

    # The API

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
            breaker=backend._get_api_breaker(),
        )

    def _get_shopify_api_url(self):
        """The Admin API's base URL: the configured one, else the shop's."""
        self.ensure_one()
        return (self.shopify_api_url or f"https://{self.shopify_shop_domain}").rstrip("/")

    # Store management

    def action_shopify_test_connection(self):
        """Call the API and show the shop's name, or the exact error."""
        self.ensure_one()
        try:
            shop = self._shopify_client().graphql(graphql.SHOP).get("shop") or {}
        except RetailError as exc:
            return notification(self.env._("Connection failed: %s", exc), "danger")
        self.shopify_shop_name = shop.get("name")
        return notification(
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
            return notification(self.env._("Could not subscribe: %s", exc), "danger")
        states = self.shopify_webhook_ids.mapped("state")
        if set(states) == {"subscribed"}:
            return notification(self.env._("%s topics subscribed.", len(states)), "success")
        return notification(
            self.env._("Some topics could not be subscribed: see the list."), "warning"
        )

    @api.model
    def _cron_shopify_recheck_risk(self):
        """Retry the orders waiting for Shopify's fraud analysis."""
        self.env["retail.order.importer"]._shopify_recheck_risk()


class _BackendTokenStore(TokenStore):
    """Keeps a granted access token in the backend's runtime values."""

    def __init__(self, backend):
        self.backend = backend

    def get(self):
        values = self.backend.env["retail.backend.runtime"]._read_values(
            self.backend, [GRANTED_TOKEN, GRANTED_TOKEN_EXPIRY]
        )
        return values.get(GRANTED_TOKEN), values.get(GRANTED_TOKEN_EXPIRY) or 0

    def save(self, token, expires_at):
        self.backend._set_runtime_values(
            {GRANTED_TOKEN: token or None, GRANTED_TOKEN_EXPIRY: expires_at or None}
        )


def notification(message, kind):
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {"message": message, "type": kind, "sticky": kind == "danger"},
    }
