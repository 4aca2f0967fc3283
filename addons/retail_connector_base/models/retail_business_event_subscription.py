import base64
import os
import secrets

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..business_events import address_guard, catalogue, http_sender

MANAGER_GROUP = "retail_connector_base.group_retail_connect_manager"
SUBSCRIPTION_STATES = [("enabled", "Enabled"), ("disabled", "Disabled")]
DEFAULT_MAX_ATTEMPTS = 18  # with the backoff of the job function: about a day
DEFAULT_FAILURE_THRESHOLD = 20
DEFAULT_FAILURE_WINDOW_HOURS = 24


def new_secret():
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class RetailBusinessEventSubscription(models.Model):
    """Who hears business events: a webhook URL signed the Standard Webhooks
    way, or a RabbitMQ broker (``amqp://``), for the types it names.

    A generic channel's backend has one of its own (``channel_backend_id``),
    kept by the backend: the events about its orders and its stock, signed
    with the backend's secret.

    A subscriber that answers 410 Gone, or fails continuously (at least
    ``failure_threshold`` attempts in a row, for more than
    ``failure_window_hours``), is disabled and its owner told; its undelivered
    events wait until it is enabled again.
    """

    _name = "retail.business.event.subscription"
    _inherit = ["mail.thread"]
    _description = "Retail Business Event Subscription"
    _order = "name, id"

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    kind = fields.Selection(
        [("webhook", "Webhook"), ("amqp", "RabbitMQ")], required=True, default="webhook"
    )
    url = fields.Char(
        string="URL",
        required=True,
        tracking=True,
        help="Webhook: the https URL events are POSTed to. RabbitMQ: "
        "amqp://user:password@host/vhost (events go to the durable topic exchange "
        "retail.events, routing key = type).",
    )
    event_types = fields.Char(
        string="Event types",
        required=True,
        default="*",
        help="Types separated by spaces or commas; * is a wildcard: order.* customer.updated",
    )
    backend_id = fields.Many2one(
        "retail.backend", string="Only channel", help="Only events about this channel's objects."
    )
    company_id = fields.Many2one("res.company", string="Only company")
    secret = fields.Char(
        copy=False,
        groups=MANAGER_GROUP,
        help="whsec_… secret the deliveries are signed with (Standard Webhooks).",
    )
    owner_id = fields.Many2one(
        "res.users",
        string="Owner",
        default=lambda self: self.env.user,
        required=True,
        help="Told when the subscription is disabled.",
    )
    state = fields.Selection(SUBSCRIPTION_STATES, required=True, default="enabled", tracking=True)
    disabled_reason = fields.Text(readonly=True)
    allowed_networks = fields.Char(
        string="Allowed private networks",
        groups=MANAGER_GROUP,
        help="Loopback, private and link-local addresses are refused; list here the networks "
        "(CIDR) this subscriber may reach anyway, e.g. 10.0.3.0/24.",
    )
    max_concurrency = fields.Integer(
        default=2, help="Deliveries sent to this subscriber at the same time, at most."
    )
    max_attempts = fields.Integer(
        default=DEFAULT_MAX_ATTEMPTS,
        help="Attempts before an event is dead-lettered (backoff: Queue > Job Functions > "
        "retail.business.event.delivery._send).",
    )
    failure_threshold = fields.Integer(
        default=DEFAULT_FAILURE_THRESHOLD,
        help="Failed attempts in a row (no success between) that, over more than the failure "
        "window, disable the subscription.",
    )
    failure_window_hours = fields.Integer(
        default=DEFAULT_FAILURE_WINDOW_HOURS,
        help="How long a subscriber may fail continuously before it is disabled (with at least "
        "the threshold's failed attempts): an outage shorter than this never disables it.",
    )
    health_id = fields.Many2one(
        "retail.business.event.subscription.health", compute="_compute_health", readonly=True
    )
    consecutive_failures = fields.Integer(compute="_compute_health")
    failing_since = fields.Datetime(compute="_compute_health")
    last_success_at = fields.Datetime(compute="_compute_health")
    last_error = fields.Text(compute="_compute_health")
    channel_backend_id = fields.Many2one(
        "retail.backend",
        string="Channel's own",
        readonly=True,
        ondelete="cascade",
        help="The generic channel whose own orders and stock this subscription carries.",
    )
    delivery_ids = fields.One2many("retail.business.event.delivery", "subscription_id")
    pending_count = fields.Integer(compute="_compute_delivery_counts")
    dead_count = fields.Integer(compute="_compute_delivery_counts")

    _channel_backend_uniq = models.UniqueIndex(
        "(channel_backend_id) WHERE channel_backend_id IS NOT NULL",
        "A channel has one subscription of its own.",
    )

    def _compute_delivery_counts(self):
        Delivery = self.env["retail.business.event.delivery"]
        counts = {key: {} for key in ("pending", "dead")}
        for state in counts:
            counts[state] = {
                subscription.id: count
                for subscription, count in Delivery._read_group(
                    [("subscription_id", "in", self.ids), ("state", "=", state)],
                    ["subscription_id"],
                    ["__count"],
                )
            }
        for subscription in self:
            subscription.pending_count = counts["pending"].get(subscription.id, 0)
            subscription.dead_count = counts["dead"].get(subscription.id, 0)

    @api.onchange("kind")
    def _onchange_kind(self):
        """A RabbitMQ subscription starts with the broker of the deployment
        (``RETAIL_EVENTS_AMQP_URL``, set by docker-compose's events profile)."""
        broker = os.environ.get("RETAIL_EVENTS_AMQP_URL")
        if self.kind == "amqp" and broker and not (self.url or "").startswith("amqp"):
            self.url = broker

    @api.constrains("url", "kind")
    def _check_url(self):
        for subscription in self:
            if subscription.kind == "webhook":
                try:
                    http_sender.split_url(subscription.url)
                except ValueError as exc:
                    raise ValidationError(str(exc)) from None
            elif not (subscription.url or "").startswith(("amqp://", "amqps://")):
                raise ValidationError(self.env._("A RabbitMQ URL starts with amqp:// or amqps://."))

    @api.constrains("event_types")
    def _check_event_types(self):
        for subscription in self:
            patterns = catalogue.parse_patterns(subscription.event_types)
            unknown = catalogue.unknown_patterns(patterns)
            if not patterns or unknown:
                raise ValidationError(
                    self.env._(
                        "Unknown event types: %(unknown)s. Known: %(known)s.",
                        unknown=", ".join(unknown) or "-",
                        known=", ".join(catalogue.EVENT_TYPES),
                    )
                )

    @api.constrains("allowed_networks")
    def _check_allowed_networks(self):
        for subscription in self.sudo():
            try:
                address_guard.parse_networks(subscription.allowed_networks)
            except ValueError as exc:
                raise ValidationError(str(exc)) from None

    @api.constrains("max_concurrency", "max_attempts", "failure_threshold", "failure_window_hours")
    def _check_limits(self):
        for subscription in self:
            if min(subscription.max_concurrency, subscription.max_attempts) < 1:
                raise ValidationError(self.env._("Concurrency and attempts are at least 1."))
            if subscription.failure_threshold < 1 or subscription.failure_window_hours < 0:
                raise ValidationError(
                    self.env._("The failure threshold is at least 1, its window at least 0.")
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("kind", "webhook") == "webhook" and not vals.get("secret"):
                vals["secret"] = new_secret()
        subscriptions = super().create(vals_list)
        for subscription in subscriptions:
            subscription._health()
        self.env.registry.clear_cache()  # retail.business.event._sinks_configured
        return subscriptions

    def write(self, vals):
        result = super().write(vals)
        if {"state", "active"} & set(vals):
            self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    # Who hears an event

    @api.model
    def _hearing(self, event):
        """The enabled subscriptions that hear ``event``."""
        subscriptions = self.sudo().search([("state", "=", "enabled")])
        return subscriptions.filtered(lambda s: s._hears(event))

    def _hears(self, event):
        self.ensure_one()
        if self.channel_backend_id:
            return self.channel_backend_id._hears_business_event(event)
        if self.backend_id and self.backend_id != event.backend_id:
            return False
        if self.company_id and self.company_id != event.company_id:
            return False
        return catalogue.matches(catalogue.parse_patterns(self.event_types), event.event_type)

    def _signing_secret(self):
        self.ensure_one()
        if self.channel_backend_id:
            return self.channel_backend_id.sudo().webhook_secret
        return self.sudo().secret

    def _networks(self):
        return address_guard.parse_networks(self.sudo().allowed_networks)

    def _job_channel(self):
        """Each subscriber has its own queue_job channel under
        ``root.retail.events``: its capacity can be set in the runner's
        configuration, and a slow subscriber fills only its own."""
        return f"root.retail.events.subscription_{self.id}"

    def action_generate_secret(self):
        for subscription in self:
            subscription.sudo().secret = new_secret()
        return True
