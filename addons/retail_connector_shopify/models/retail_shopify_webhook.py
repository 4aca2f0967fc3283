from odoo import api, fields, models

from odoo.addons.retail_connector_base.exceptions import RetailError

from .. import graphql
from ..const import SUBSCRIBED_TOPICS


class RetailShopifyWebhook(models.Model):
    """A webhook subscription of a store, as Shopify last reported it."""

    _name = "retail.shopify.webhook"
    _description = "Shopify Webhook Subscription"
    _order = "backend_id, topic"

    backend_id = fields.Many2one("retail.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    topic = fields.Char(required=True, help="Shopify's topic, e.g. orders/create.")
    shopify_id = fields.Char(string="Shopify ID", readonly=True)
    uri = fields.Char(string="Delivered to", readonly=True)
    state = fields.Selection(
        [
            ("subscribed", "Subscribed"),
            ("other_uri", "Subscribed elsewhere"),
            ("missing", "Not subscribed"),
            ("error", "Error"),
        ],
        readonly=True,
    )
    message = fields.Char(readonly=True)
    checked_at = fields.Datetime(readonly=True)

    _backend_topic_uniq = models.Constraint(
        "UNIQUE(backend_id, topic)", "One line per topic and store."
    )

    @api.model
    def _sync(self, backend):
        """Create the missing subscriptions and record every topic's state."""
        client = backend._shopify_client()
        uri = backend.webhook_url
        existing = {}
        for node in client.paginate(graphql.WEBHOOK_SUBSCRIPTIONS, {}, "webhookSubscriptions"):
            existing.setdefault(_topic_name(node["topic"]), []).append(node)
        now = fields.Datetime.now()
        lines = {line.topic: line for line in backend.shopify_webhook_ids}
        for topic in SUBSCRIBED_TOPICS:
            values = {"checked_at": now, "message": False}
            ours = [node for node in existing.get(topic, []) if node.get("uri") == uri]
            if ours:
                values.update(state="subscribed", shopify_id=ours[0]["id"], uri=uri)
            else:
                try:
                    payload = client.mutate(
                        graphql.WEBHOOK_SUBSCRIPTION_CREATE,
                        {
                            "topic": _topic_enum(topic),
                            "webhookSubscription": {"uri": uri, "format": "JSON"},
                        },
                        "webhookSubscriptionCreate",
                    )
                    created = payload["webhookSubscription"]
                    values.update(state="subscribed", shopify_id=created["id"], uri=uri)
                except RetailError as exc:
                    others = existing.get(topic)
                    values.update(
                        state="other_uri" if others else "error",
                        uri=others[0].get("uri") if others else False,
                        message=str(exc),
                    )
            if topic in lines:
                lines[topic].write(values)
            else:
                self.create(dict(values, backend_id=backend.id, topic=topic))


def _topic_enum(topic):
    """orders/create -> ORDERS_CREATE"""
    return topic.replace("/", "_").upper()


def _topic_name(enum):
    """ORDERS_CREATE -> orders/create"""
    resource, _sep, action = enum.lower().partition("_")
    return f"{resource}/{action}"
