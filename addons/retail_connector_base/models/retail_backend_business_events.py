from odoo import api, fields, models

from ..business_events import catalogue

MANAGER_GROUP = "retail_connector_base.group_retail_connect_manager"


class RetailBackend(models.Model):
    """A generic channel hears back: the business events about its own
    orders and its stock, POSTed to a URL of its own and signed with its
    webhook secret, through the delivery machinery of the subscriptions
    (one subscription per backend, kept here)."""

    _inherit = "retail.backend"

    event_webhook_url = fields.Char(
        string="Events URL",
        help="Generic channels: where Odoo POSTs the events about this channel's orders and "
        "stock (order.confirmed, order.held, order.cancelled, shipment.*, refund.created, "
        "return.received, inventory.adjusted), signed with the webhook secret.",
    )
    event_allowed_networks = fields.Char(
        string="Events: allowed private networks",
        groups=MANAGER_GROUP,
        help="Networks (CIDR) the events URL may reach although private or loopback.",
    )
    event_subscription_id = fields.Many2one(
        "retail.business.event.subscription",
        compute="_compute_event_subscription_id",
        string="Events subscription",
    )

    def _compute_event_subscription_id(self):
        Subscription = self.env["retail.business.event.subscription"].with_context(
            active_test=False
        )
        for backend in self:
            backend.event_subscription_id = Subscription.search(
                [("channel_backend_id", "=", backend.id)], limit=1
            )

    @api.model_create_multi
    def create(self, vals_list):
        backends = super().create(vals_list)
        backends._sync_event_subscription()
        return backends

    def write(self, vals):
        result = super().write(vals)
        if {"event_webhook_url", "event_allowed_networks", "state", "code", "name"} & set(vals):
            self._sync_event_subscription()
        return result

    def _sync_event_subscription(self):
        """Keep each generic backend's own subscription in line with its
        events URL: enabled while the backend is active and has a URL."""
        Subscription = self.env["retail.business.event.subscription"].sudo()
        for backend in self.sudo():
            subscription = Subscription.with_context(active_test=False).search(
                [("channel_backend_id", "=", backend.id)], limit=1
            )
            wanted = backend.code == "generic" and bool(backend.event_webhook_url)
            if not wanted:
                if subscription.active:
                    subscription.active = False
                continue
            values = {
                "name": backend.env._("%s (channel)", backend.name),
                "url": backend.event_webhook_url,
                "event_types": " ".join(catalogue.BACKEND_EVENT_TYPES),
                "allowed_networks": backend.event_allowed_networks,
                "company_id": backend.company_id.id,
                "active": True,
            }
            if backend.state != "active":
                values["state"] = "disabled"
                values["disabled_reason"] = backend.env._("The channel is not active.")
            elif not subscription or subscription.disabled_reason == backend.env._(
                "The channel is not active."
            ):
                values["state"] = "enabled"
                values["disabled_reason"] = False
            if subscription:
                was_disabled = subscription.state == "disabled"
                subscription.write(values)
                if was_disabled and subscription.state == "enabled":
                    subscription.action_enable()
            else:
                Subscription.create(values | {"channel_backend_id": backend.id})

    def _hears_business_event(self, event):
        """Whether this channel hears ``event``: its own orders' events, and
        stock of its SKUs adjusted in its company (and warehouse, when it
        has one)."""
        self.ensure_one()
        if event.event_type not in catalogue.BACKEND_EVENT_TYPES:
            return False
        if event.event_type == "inventory.adjusted":
            if event.company_id != self.company_id:
                return False
            warehouse = (event.payload or {}).get("data", {}).get("warehouse")
            if self.warehouse_id and self.warehouse_id.code != warehouse:
                return False
            return self._sells_product(event.res_id)
        return event.backend_id == self

    def _sells_product(self, product_id):
        """Whether ``product_id`` is one of this channel's SKUs: sold on its
        orders or bound to it (as a full stock resync counts them)."""
        self.ensure_one()
        if (
            self.env["retail.binding"]
            .sudo()
            .search_count(
                [
                    ("backend_id", "=", self.id),
                    ("res_model", "=", "product.product"),
                    ("res_id", "=", product_id),
                ],
                limit=1,
            )
        ):
            return True
        return bool(
            self.env["sale.order.line"]
            .sudo()
            .search_count(
                [("order_id.retail_backend_id", "=", self.id), ("product_id", "=", product_id)],
                limit=1,
            )
        )
