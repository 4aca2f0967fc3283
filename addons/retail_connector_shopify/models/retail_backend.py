import math
import re
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.retail_connector_base.exceptions import PermanentError, RetailError
from odoo.addons.retail_connector_base.polling import POLL_STREAM
from odoo.addons.retail_connector_base.privacy import REDACT_INVOICED_POLICIES

from .. import exports, graphql, refunds
from ..adapters.shopify import POLL_ORDER_TOPIC
from ..client import ShopifyClient, ShopifyUserError, TokenStore
from ..reconciliation import (
    created_between_query,
    ids_query,
    order_summary,
    polled_records,
    stock_levels,
    updated_since_query,
)

MANAGER_GROUP = "retail_connector_base.group_retail_connect_manager"
SHOP_DOMAIN_RE = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
DEFAULT_API_VERSION = "2026-10"
# The granted access token, in the backend's runtime values.
GRANTED_TOKEN, GRANTED_TOKEN_EXPIRY = "shopify_granted_token", "shopify_granted_token_expiry"


class RetailBackend(models.Model):
    """A Shopify store: its settings, the hooks the base calls for it
    (webhooks, poll, fulfillment and stock exports) and its buttons."""

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

    # Reconciliation: the base's poll, and the bulk backfill

    def _poll_fetch(self, since, stream=POLL_STREAM):
        """Override of `retail_connector_base`: the orders updated since
        ``since`` (GraphQL, oldest update first), as ``orders/poll`` records
        keyed ``<gid>@<updatedAt>``."""
        if self.code != "shopify":
            return super()._poll_fetch(since, stream)
        nodes = self._shopify_client().paginate(
            graphql.ORDERS_UPDATED_SINCE,
            {"query": updated_since_query(since)},
            "orders",
            page_size=graphql.ORDERS_PAGE_SIZE,
        )
        return polled_records(nodes, POLL_ORDER_TOPIC)

    def _get_poll_label(self, stream):
        """Override of `retail_connector_base`: a Shopify poll reads orders."""
        if self.code != "shopify":
            return super()._get_poll_label(stream)
        return "orders"

    # Drift measurement (retail.reconciler)

    def _reconcile_fetch_orders(self, since, until):
        """Override of `retail_connector_base`: the orders created in the
        window, with their status, totals and refunded amount."""
        if self.code != "shopify":
            return super()._reconcile_fetch_orders(since, until)
        return self._shopify_reconcile_orders(created_between_query(since, until))

    def _reconcile_fetch_orders_by_ids(self, external_ids):
        """Override of `retail_connector_base`: the orders ``external_ids``
        (gids) Shopify still has."""
        if self.code != "shopify":
            return super()._reconcile_fetch_orders_by_ids(external_ids)
        return list(self._shopify_reconcile_orders(ids_query(external_ids)))

    def _shopify_reconcile_orders(self, query):
        nodes = self._shopify_client().paginate(
            graphql.RECONCILE_ORDERS, {"query": query}, "orders", page_size=graphql.ORDERS_PAGE_SIZE
        )
        return (order_summary(node, self.shopify_money_side) for node in nodes)

    def _reconcile_fetch_stock(self, skus):
        """Override of `retail_connector_base`: the available quantity of
        the variants of ``skus`` at the backend's location."""
        if self.code != "shopify":
            return super()._reconcile_fetch_stock(skus)
        if not self.shopify_location_id:
            raise PermanentError("Set the Shopify location on the backend to compare stock levels")
        client = self._shopify_client()
        levels = {}
        size = graphql.RECONCILE_INVENTORY_PAGE_SIZE
        for start in range(0, len(skus), size):
            query = " OR ".join(f'sku:"{sku}"' for sku in skus[start : start + size])
            variants = client.paginate(
                graphql.RECONCILE_INVENTORY,
                {"query": query, "locationId": self.shopify_location_id},
                "productVariants",
                page_size=size,
            )
            levels.update({sku: qty for sku, qty in stock_levels(variants).items() if sku in skus})
        return levels

    @api.model
    def _cron_poll(self):
        """Override of `retail_connector_base`: also queue the check of each
        store's running backfill (a check ended early is taken up again)."""
        result = super()._cron_poll()
        for backend in self.search([("code", "=", "shopify"), ("state", "=", "active")]):
            if backend._get_runtime_value("shopify_bulk_operation_id"):
                self.env["retail.shopify.backfill"]._schedule_check(backend)
        return result

    def action_shopify_backfill_orders(self):
        """Start the backfill: a bulk operation exporting the orders updated in
        the last ``shopify_backfill_days`` days, then one of the customers
        (Shopify runs one at a time); jobs import them as they complete."""
        self.ensure_one()
        return _notification(*self.env["retail.shopify.backfill"]._start(self))

    def _shopify_backfill_check(self):
        """Job: import the running backfill's bulk operation once it has
        completed (see ``retail.shopify.backfill``)."""
        self.ensure_one()
        return self.env["retail.shopify.backfill"]._check(self)

    # Exports

    def _export_fulfillment(self, picking, message):
        """Override of `retail_connector_base`: fulfill, on the order's open
        fulfillment orders, what the delivery shipped, with its tracking.

        Quantities already fulfilled in Shopify are skipped, so a retry after
        a partial success sends only what is left.
        """
        if self.code != "shopify":
            return super()._export_fulfillment(picking, message)
        client = self._shopify_client()
        order_gid = picking.sale_id.retail_external_id
        data = client.graphql(graphql.FULFILLMENT_ORDERS, {"id": order_gid})
        order = data.get("order")
        if not order:
            raise PermanentError(f"Shopify has no order {order_gid}")
        to_ship = self._shopify_shipped_quantities(picking)
        calls = exports.allocate(order["fulfillmentOrders"]["nodes"], to_ship)
        tracking = exports.tracking_info(
            picking.carrier_id.name, picking.carrier_tracking_ref, picking.carrier_tracking_url
        )
        fulfillments = []
        for fulfillment_order_id, items in calls:
            payload = client.mutate(
                graphql.FULFILLMENT_CREATE,
                exports.fulfillment_variables(
                    fulfillment_order_id, items, self.shopify_notify_customer, tracking
                ),
                "fulfillmentCreate",
            )
            fulfillments.append(payload["fulfillment"]["id"])
        return exports.fulfillment_summary(fulfillments, to_ship)

    def _shopify_shipped_quantities(self, picking):
        """Quantities the picking shipped, by Shopify line item (sale UoM)."""
        shipped = defaultdict(int)
        for move in picking.move_ids.filtered(lambda m: m.state == "done"):
            sale_line = move.sale_line_id
            if not sale_line.retail_line_id:
                continue
            quantity = move.product_uom._compute_quantity(move.quantity, sale_line.product_uom_id)
            shipped[sale_line.retail_line_id] += round(quantity)
        return shipped

    def _export_stock(self, product, message):
        """Override of `retail_connector_base`: set the product's available
        quantity at the backend's Shopify location."""
        if self.code != "shopify":
            return super()._export_stock(product, message)
        if not self.shopify_location_id:
            raise PermanentError("Set the Shopify location on the backend to send stock levels")
        if not product.default_code:
            raise PermanentError(f"{product.display_name} has no SKU (internal reference)")
        client = self._shopify_client()
        sku = product.default_code
        variants = client.graphql(
            graphql.INVENTORY_ITEMS_BY_SKU, {"first": 5, "after": None, "query": f"sku:{sku}"}
        )
        items = exports.inventory_items(variants, sku)
        if not items:
            raise PermanentError(f"No Shopify variant has the SKU {sku}")
        quantity = max(math.floor(self._get_available_quantity(product)), 0)
        client.mutate(
            graphql.INVENTORY_SET_QUANTITIES,
            exports.inventory_set_variables(
                message.id, items[0], self.shopify_location_id, quantity
            ),
            "inventorySetQuantities",
        )
        return f"{sku}: {quantity} available"

    def _export_cancellation(self, order, message):
        """Override of `retail_connector_base`: ``orderCancel`` the order,
        refunding the customer and restocking; an order Shopify already
        cancelled is done."""
        if self.code != "shopify":
            return super()._export_cancellation(order, message)
        client = self._shopify_client()
        order_gid = order.retail_external_id
        variables = refunds.cancel_variables(
            order_gid,
            notify_customer=self.shopify_notify_customer,
            staff_note=self.env._("Cancelled in Odoo (%s)", order.name),
        )
        try:
            payload = client.graphql(graphql.ORDER_CANCEL, variables).get("orderCancel") or {}
            if payload.get("orderCancelUserErrors"):
                raise ShopifyUserError("orderCancel", payload["orderCancelUserErrors"])
        except ShopifyUserError:
            found = client.graphql(graphql.ORDER_CANCELLED_AT, {"id": order_gid}).get("order")
            if found and found.get("cancelledAt"):
                return f"Order {order_gid} was already cancelled on Shopify."
            raise
        job = payload.get("job") or {}
        return f"Order {order_gid} cancelled on Shopify (job {job.get('id')})."

    def _export_refund(self, credit_note, message):
        """Override of `retail_connector_base`: ``refundCreate`` the credited
        lines and shipping (see ``retail.shopify.refund.exporter``)."""
        if self.code != "shopify":
            return super()._export_refund(credit_note, message)
        return self.env["retail.shopify.refund.exporter"]._send(self, credit_note, message)

    def _get_stock_resync_products(self):
        """Override of `retail_connector_base`: the Odoo products whose SKU
        is on a Shopify variant, with the variants' inventory items."""
        if self.code != "shopify":
            return super()._get_stock_resync_products()
        if not self.shopify_location_id:
            raise PermanentError("Set the Shopify location on the backend to send stock levels")
        variants = self._shopify_client().paginate(
            graphql.INVENTORY_ITEMS_BY_SKU, {"query": ""}, "productVariants"
        )
        items = exports.inventory_items_by_sku(variants)
        products = (
            self.env["product.product"]
            .search([("default_code", "in", list(items)), ("is_storable", "=", True)])
            .sorted("id")
        )
        return {product: items[product.default_code] for product in products}

    def _export_stock_levels(self, levels, message):
        """Override of `retail_connector_base`: ``inventorySetQuantities``
        with up to 250 quantities per call, at the backend's location."""
        if self.code != "shopify":
            return super()._export_stock_levels(levels, message)
        if not self.shopify_location_id:
            raise PermanentError("Set the Shopify location on the backend to send stock levels")
        quantities = [
            (item, level["quantity"]) for level in levels for item in (level["ref"] or [])
        ]
        client = self._shopify_client()
        groups = []
        for index in range(0, len(quantities), exports.MAX_QUANTITIES):
            payload = client.mutate(
                graphql.INVENTORY_SET_QUANTITIES,
                exports.inventory_set_many_variables(
                    message.id,
                    index,
                    quantities[index : index + exports.MAX_QUANTITIES],
                    self.shopify_location_id,
                ),
                "inventorySetQuantities",
            )
            groups.append((payload.get("inventoryAdjustmentGroup") or {}).get("id") or "-")
        return f"{len(quantities)} inventory items set ({', '.join(groups)})"

    # Store management

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


def _notification(message, kind):
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {"message": message, "type": kind, "sticky": kind == "danger"},
    }
