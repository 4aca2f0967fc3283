import base64
import logging
import secrets

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..adapters import get_adapter_class, standard_webhooks
from ..backend_settings import BackendSettings
from ..const import (
    BACKEND_STATES,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_RAW_BODY_RETENTION_DAYS,
    PARTNER_FIELD_GROUPS,
)

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "retail_connector_base.group_retail_connect_manager"


def _new_webhook_token(_records=None):
    return secrets.token_urlsafe(24)


class RetailBackend(models.Model):
    _name = "retail.backend"
    _inherit = [
        "retail.backend.exports",
        "retail.backend.polling",
        "retail.backend.reconciliation",
        "retail.backend.returns",
        "retail.backend.demo",
    ]
    _description = "Retail Channel Backend"
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    code = fields.Selection(
        string="Channel",
        selection=[("none", "No channel"), ("generic", "Generic (Standard Webhooks)")],
        default="none",
        required=True,
        help="The channel this backend talks to; each channel module adds its own.",
    )
    state = fields.Selection(
        selection=BACKEND_STATES,
        default="draft",
        required=True,
        copy=False,
        help="Draft and paused backends store incoming events and process them "
        "once the backend is active.",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )

    # Webhooks
    webhook_token = fields.Char(
        required=True,
        readonly=True,
        copy=False,
        default=_new_webhook_token,
        help="Random public identifier of this backend in its webhook URL.",
    )
    webhook_url = fields.Char(string="Webhook URL", compute="_compute_webhook_url")
    webhook_secret = fields.Char(
        copy=False,
        groups=MANAGER_GROUP,
        help="Secret the channel signs its webhooks with (generic channel: whsec_...).",
    )
    webhook_previous_secret = fields.Char(copy=False, groups=MANAGER_GROUP)
    webhook_secret_rotated_at = fields.Datetime(
        string="Webhook secret changed on", copy=False, readonly=True
    )
    webhook_previous_secret_hours = fields.Float(
        string="Previous webhook secret accepted for (hours)",
        default=1.0,
        help="After the webhook secret is changed, deliveries signed with the previous one "
        "are still accepted this long, while the channel switches to the new one.",
    )
    # What the channel supports, so that views never test the channel code.
    support_webhooks = fields.Boolean(compute="_compute_feature_support")
    support_webhook_secret = fields.Boolean(compute="_compute_feature_support")
    support_fulfillment_export = fields.Boolean(compute="_compute_feature_support")
    support_stock_export = fields.Boolean(compute="_compute_feature_support")
    support_cancellation_export = fields.Boolean(compute="_compute_feature_support")
    support_refund_export = fields.Boolean(compute="_compute_feature_support")
    support_polling = fields.Boolean(compute="_compute_feature_support")
    support_reconciliation = fields.Boolean(compute="_compute_feature_support")
    webhook_max_body_bytes = fields.Integer(
        string="Max. webhook body (bytes)",
        default=DEFAULT_MAX_BODY_BYTES,
        required=True,
    )

    # Processing
    job_channel_realtime_id = fields.Many2one(
        "queue.job.channel",
        string="Realtime job channel",
        default=lambda self: self.env.ref(
            "retail_connector_base.queue_job_channel_retail_realtime", raise_if_not_found=False
        ),
        help="Order capture and payment status.",
    )
    job_channel_batch_id = fields.Many2one(
        "queue.job.channel",
        string="Batch job channel",
        default=lambda self: self.env.ref(
            "retail_connector_base.queue_job_channel_retail_batch", raise_if_not_found=False
        ),
        help="Inventory pushes, reconciliation, backfills.",
    )
    max_attempts = fields.Integer(
        default=DEFAULT_MAX_ATTEMPTS,
        required=True,
        help="Attempts at processing an event before it is dead.",
    )
    raw_body_retention_days = fields.Integer(
        default=DEFAULT_RAW_BODY_RETENTION_DAYS,
        required=True,
        help="Raw bodies of processed events are erased after this many days; the event rows stay.",
    )

    # Defaults for imported orders
    team_id = fields.Many2one("crm.team", string="Sales team", check_company=True)
    user_id = fields.Many2one("res.users", string="Salesperson")
    warehouse_id = fields.Many2one("stock.warehouse", check_company=True)
    pricelist_id = fields.Many2one("product.pricelist", check_company=True)
    payment_term_id = fields.Many2one("account.payment.term", check_company=True)
    prices_include_tax = fields.Boolean(
        string="Channel prices include tax",
        help="Whether the prices the channel sends already include taxes.",
    )
    create_missing_products = fields.Boolean(
        help="Create a placeholder product for an unknown SKU instead of holding the order.",
    )

    # System of record: on a customer that already exists, which data the
    # channel may overwrite; the rest (credit limit, payment terms...) is Odoo's.
    partner_sync_name = fields.Boolean(string="Channel updates names", default=True)
    partner_sync_contact = fields.Boolean(string="Channel updates email and phone", default=True)
    partner_sync_address = fields.Boolean(string="Channel updates addresses", default=True)
    partner_sync_lang = fields.Boolean(string="Channel updates language", default=False)

    # Health
    event_ids = fields.One2many("retail.event", "backend_id")
    event_received_today = fields.Integer(compute="_compute_event_health")
    event_failed_today = fields.Integer(compute="_compute_event_health")
    event_dead_today = fields.Integer(compute="_compute_event_health")
    event_backlog = fields.Integer(compute="_compute_event_health")
    oldest_pending_at = fields.Datetime(
        string="Oldest unprocessed event", compute="_compute_event_health"
    )
    oldest_pending_age = fields.Char(
        string="Age of oldest unprocessed", compute="_compute_event_health"
    )

    _webhook_token_uniq = models.Constraint(
        "UNIQUE(webhook_token)", "Each backend needs its own webhook token."
    )
    _max_body_positive = models.Constraint(
        "CHECK(webhook_max_body_bytes > 0)", "The maximum webhook body must be positive."
    )
    _max_attempts_positive = models.Constraint(
        "CHECK(max_attempts > 0)", "A backend needs at least one processing attempt."
    )

    def _get_partner_update_fields(self):
        """Names of the customer fields this channel may overwrite."""
        self.ensure_one()
        names = set()
        for enabled, group in (
            (self.partner_sync_name, PARTNER_FIELD_GROUPS["name"]),
            (self.partner_sync_contact, PARTNER_FIELD_GROUPS["contact"]),
            (self.partner_sync_address, PARTNER_FIELD_GROUPS["address"]),
            (self.partner_sync_lang, PARTNER_FIELD_GROUPS["lang"]),
        ):
            if enabled:
                names.update(group)
        return names

    @api.depends("code")
    def _compute_feature_support(self):
        """Hook: channel modules set the flags of their own code after super()."""
        for backend in self:
            backend.support_webhooks = backend.code in ("none", "generic")
            backend.support_webhook_secret = backend.code == "generic"
            backend.support_fulfillment_export = False
            backend.support_stock_export = False
            backend.support_cancellation_export = False
            backend.support_refund_export = False
            backend.support_polling = False
            backend.support_reconciliation = False

    @api.depends("webhook_token")
    def _compute_webhook_url(self):
        base_url = self.get_base_url() if self else ""
        for backend in self:
            backend.webhook_url = f"{base_url}/retail/webhook/{backend.webhook_token}"

    def _compute_event_health(self):
        health = self.env["retail.event"]._get_backend_health(self)
        for backend in self:
            backend.update(health[backend.id])

    # Settings and adapters

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()  # _get_webhook_settings
        return super().create(vals_list)

    def write(self, vals):
        """Override: keep the previous webhook secret valid for a while after
        a rotation (``webhook_previous_secret_hours``)."""
        self.env.registry.clear_cache()  # _get_webhook_settings
        self._remember_previous_secret(
            vals, "webhook_secret", "webhook_previous_secret", "webhook_secret_rotated_at"
        )
        return super().write(vals)

    def _remember_previous_secret(self, vals, secret_field, previous_field, rotated_field):
        """Before ``vals`` changes ``secret_field``, keep the old secret in
        ``previous_field`` with the time of the rotation: every channel's
        adapter accepts it for a grace period
        (``ChannelAdapter._secrets_in_grace``).

        :return: the backends whose secret is being replaced
        """
        new_secret = vals.get(secret_field)
        rotated = self.browse()
        if not new_secret:
            return rotated
        for backend in self.sudo():
            old = backend[secret_field]
            if old and old != new_secret:
                models.Model.write(
                    backend, {previous_field: old, rotated_field: fields.Datetime.now()}
                )
                rotated |= backend
        return rotated

    def unlink(self):
        self.env.registry.clear_cache()  # _get_webhook_settings
        return super().unlink()

    def _get_settings(self):
        """The backend's stored configuration as plain values."""
        self.ensure_one()
        backend = self.sudo()
        names = [
            name
            for name, field in backend._fields.items()
            if field.store and field.type not in ("one2many", "many2many", "binary")
        ]
        values = backend.read(names, load=None)[0]
        values["realtime_channel"] = backend._get_job_channel("realtime")
        values["batch_channel"] = backend._get_job_channel("batch")
        return BackendSettings(values)

    @api.model
    @tools.ormcache("token")
    def _get_webhook_settings(self, token):
        """The settings of the backend whose webhook URL holds ``token``,
        cached per worker; ``None`` when no backend has it."""
        backend = (
            self.sudo()
            .with_context(active_test=False)
            .search([("webhook_token", "=", token)], limit=1)
        )
        return backend._get_settings() if backend else None

    def _get_adapter(self):
        """Return the channel adapter of this backend."""
        self.ensure_one()
        return get_adapter_class(self.code)(self._get_settings())

    def _try_lock(self, what):
        """Whether this transaction got this backend's ``what`` lock (one poll
        of a backend at a time...); released when the transaction ends."""
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                "SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))",
                f"retail.backend/{self.id}/{what}",
            )
        )
        return self.env.cr.fetchone()[0]

    # Runtime state (tokens, running operations): never on the configuration

    def _get_runtime_value(self, key, default=None):
        """The runtime value ``key`` of this backend (see ``retail.backend.runtime``)."""
        self.ensure_one()
        return self.env["retail.backend.runtime"]._read_values(self, [key]).get(key, default)

    def _set_runtime_values(self, values):
        """Keep ``{key: value}`` for this backend's next jobs (``None`` removes)."""
        self.ensure_one()
        self.env["retail.backend.runtime"]._write_values(self, values)

    # State changes

    def action_activate(self):
        """Activate, process the events stored while draft or paused and send
        what was owed to the channel meanwhile."""
        self.write({"state": "active"})
        self.env["retail.event"].search(
            [("backend_id", "in", self.ids), ("state", "=", "received")]
        )._enqueue_processing()
        pending = (
            self.env["retail.outbox"]
            .sudo()
            .search([("backend_id", "in", self.ids), ("state", "=", "pending")])
        )
        # A message whose job still waits is sent by that job.
        pending.filtered(lambda m: m.job_id.state != "pending")._schedule()

    def action_pause(self):
        self.write({"state": "paused"})

    def action_set_draft(self):
        self.write({"state": "draft"})

    def action_regenerate_webhook_token(self):
        """Give the backend a new webhook URL; the old one stops working."""
        for backend in self:
            backend.webhook_token = _new_webhook_token()

    def action_generate_webhook_secret(self):
        """Give the backend a new Standard Webhooks secret to share with the channel."""
        for backend in self:
            key = base64.b64encode(secrets.token_bytes(32)).decode()
            backend.webhook_secret = f"{standard_webhooks.SECRET_PREFIX}{key}"

    def action_view_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "retail_connector_base.retail_event_action"
        )
        action["domain"] = [("backend_id", "=", self.id)]
        action["context"] = {"default_backend_id": self.id}
        return action

    def action_view_failed_events(self):
        action = self.action_view_events()
        action["domain"] += [("state", "in", ("failed", "dead"))]
        return action

    def _get_job_channel(self, tier="realtime"):
        """Return the complete name of the queue_job channel of ``tier``."""
        self.ensure_one()
        channel = self.job_channel_realtime_id if tier == "realtime" else self.job_channel_batch_id
        return channel.complete_name if channel else "root"

    @api.ondelete(at_uninstall=False)
    def _unlink_except_with_events(self):
        if self.env["retail.event"].sudo().search_count([("backend_id", "in", self.ids)], limit=1):
            raise UserError(
                self.env._("A backend with events can't be deleted; archive it instead.")
            )
