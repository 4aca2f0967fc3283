import hashlib
import secrets
from datetime import timedelta

from odoo import Command, api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL

from .res_users import API_CLIENT_GROUP

KEY_PREFIX = "rck_"
API_SCOPES = (
    "orders:write",
    "orders:read",
    "customers:read",
    "customers:write",
    "inventory:read",
)


def hash_key(key):
    """The stored form of a key: keys are 256 random bits, so one SHA-256
    is as safe as a slow password hash and costs nothing per request."""
    return hashlib.sha256(key.encode()).hexdigest()


def _scope_field(scope):
    return "scope_" + scope.replace(":", "_")


class RetailApiKey(models.Model):
    """A machine identity of the Channel API: one channel partner's key to
    one backend, with scopes, an expiry and a rate limit.

    The key itself is shown once, when it is made, and only its hash is
    stored. Each key has its own technical user, in the one group
    ``group_retail_api_client``: the API's calls run as that user, so the
    access rights and record rules of the group (the key's backend and
    company only) bound what a call can read or change, and what it
    creates names the user (``create_uid``). One user per key, not per
    backend: a key revoked takes its user's rights with it while the
    other keys of the channel (a rotation's successor) keep theirs, and
    every record says which key made it.
    """

    _name = "retail.api.key"
    _description = "Retail Channel API Key"
    _order = "id desc"

    name = fields.Char(required=True, help="Who uses the key: 'Store 12 POS', 'Partner X'.")
    backend_id = fields.Many2one("retail.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    key_prefix = fields.Char(
        readonly=True, copy=False, help="The key's first characters, to tell keys apart."
    )
    key_hash = fields.Char(readonly=True, copy=False, groups="base.group_system")
    user_id = fields.Many2one(
        "res.users",
        string="Technical user",
        readonly=True,
        copy=False,
        ondelete="restrict",
        help="The machine identity the key's calls run as: in the group "
        "'Retail Channel API client' only, it cannot log in.",
    )
    expires_at = fields.Datetime(
        string="Expires on", help="Empty: never. Rotation sets it on the key being replaced."
    )
    revoked_at = fields.Datetime(string="Revoked on", readonly=True, copy=False)
    state = fields.Selection(
        [("active", "Active"), ("expired", "Expired"), ("revoked", "Revoked")],
        compute="_compute_state",
        search="_search_state",
    )
    replaced_by_id = fields.Many2one(
        "retail.api.key", string="Replaced by", readonly=True, copy=False, ondelete="set null"
    )
    last_used_at = fields.Datetime(string="Last used", compute="_compute_call_count")
    rate_limit_per_minute = fields.Integer(
        string="Requests per minute",
        default=120,
        required=True,
        help="The sustained rate, across all of Odoo's workers.",
    )
    rate_limit_burst = fields.Integer(
        string="Burst",
        default=30,
        required=True,
        help="Requests allowed at once after a quiet period.",
    )
    scope_orders_write = fields.Boolean(string="orders:write", default=True)
    scope_orders_read = fields.Boolean(string="orders:read", default=True)
    scope_customers_read = fields.Boolean(string="customers:read")
    scope_customers_write = fields.Boolean(string="customers:write")
    scope_inventory_read = fields.Boolean(string="inventory:read", default=True)
    scopes = fields.Char(compute="_compute_scopes")
    call_count = fields.Integer(compute="_compute_call_count", string="Calls")

    _key_hash_uniq = models.Constraint("UNIQUE(key_hash)", "API keys must be unique.")
    _rate_positive = models.Constraint(
        "CHECK(rate_limit_per_minute > 0 AND rate_limit_burst > 0)",
        "The rate limit and the burst must be positive.",
    )

    @api.depends(*(_scope_field(scope) for scope in API_SCOPES))
    def _compute_scopes(self):
        for key in self:
            key.scopes = " ".join(key._get_scopes())

    @api.depends("expires_at", "revoked_at")
    def _compute_state(self):
        now = fields.Datetime.now()
        for key in self:
            key.state = key._state_at(now)

    def _search_state(self, operator, value):
        if operator not in ("=", "in"):
            return NotImplemented
        states = {value} if operator == "=" else set(value)
        now = fields.Datetime.now()
        domains = []
        if "revoked" in states:
            domains.append([("revoked_at", "!=", False)])
        if "expired" in states:
            domains.append([("revoked_at", "=", False), ("expires_at", "<=", now)])
        if "active" in states:
            domains.append(
                [
                    ("revoked_at", "=", False),
                    "|",
                    ("expires_at", "=", False),
                    ("expires_at", ">", now),
                ]
            )
        return fields.Domain.OR(domains) if domains else fields.Domain.FALSE

    def _compute_call_count(self):
        """From the call log: a key is never written to by its own calls,
        which would make its concurrent calls wait on its row."""
        stats = {
            key: (count, last)
            for key, count, last in self.env["retail.api.call"]._read_group(
                [("key_id", "in", self.ids)], ["key_id"], ["__count", "called_at:max"]
            )
        }
        for key in self:
            key.call_count, key.last_used_at = stats.get(key, (0, False))

    def _state_at(self, now):
        self.ensure_one()
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= now:
            return "expired"
        return "active"

    def _get_scopes(self):
        self.ensure_one()
        return [scope for scope in API_SCOPES if self[_scope_field(scope)]]

    # Making, rotating, revoking

    @api.model_create_multi
    def create(self, vals_list):
        """Override: each key gets its technical user and a new secret, which
        the caller reads once from the ``retail_api_new_keys`` context dict
        (``action_*`` methods show it to the person who made it)."""
        self.env.registry.clear_cache()  # _get_auth_values
        keys = super().create(vals_list)
        for key in keys:
            key.user_id = self.env["res.users"].sudo().create(key._technical_user_values())
        keys._set_new_secrets()
        return keys

    def write(self, vals):
        """Override: a revoked or changed key is seen by every worker at its
        next call; a key moved to another backend takes its user along."""
        self.env.registry.clear_cache()  # _get_auth_values
        result = super().write(vals)
        if "backend_id" in vals:
            for key in self:
                key.user_id.sudo().write({"retail_api_backend_id": key.backend_id.id})
        return result

    def unlink(self):
        self.env.registry.clear_cache()  # _get_auth_values
        return super().unlink()

    def _technical_user_values(self):
        return {
            "name": self.env._("API key: %s", self.name),
            "login": f"retail-api-key-{self.id}-{secrets.token_hex(4)}",
            "company_id": self.company_id.id,
            "company_ids": [Command.set(self.company_id.ids)],
            "group_ids": [Command.set([self.env.ref(API_CLIENT_GROUP).id])],
            "retail_api_backend_id": self.backend_id.id,
        }

    def _set_new_secrets(self):
        """Give each key a new secret; ``{key id: secret}``, never stored."""
        new = {}
        for key in self:
            secret = KEY_PREFIX + secrets.token_urlsafe(32)
            key.sudo().write({"key_hash": hash_key(secret), "key_prefix": secret[:10]})
            new[key.id] = secret
        self.env.context.get("retail_api_new_keys", {}).update(new)
        return new

    @api.model
    def _create_with_secret(self, values):
        """Create a key; return ``(key, secret)``: the only time the secret is known."""
        new = {}
        key = self.with_context(retail_api_new_keys=new).create(values)
        return key, new[key.id]

    def _rotate(self, overlap_hours=24):
        """Replace this key by a new one with the same settings; this one
        keeps working for ``overlap_hours`` while the client switches.

        :return: ``(new key, its secret)``
        """
        self.ensure_one()
        if self.state != "active":
            raise UserError(self.env._("Only an active key can be rotated."))
        values = self.copy_data({"name": self.name})[0]
        new_key, secret = self._create_with_secret(values)
        until = fields.Datetime.now() + timedelta(hours=overlap_hours)
        self.write(
            {
                "replaced_by_id": new_key.id,
                "expires_at": min(self.expires_at, until) if self.expires_at else until,
            }
        )
        return new_key, secret

    def action_revoke(self):
        """Stop the keys at once; their calls stay on record. Their users
        lose every right too (archived, out of the API client group): a
        revoked key's user can do nothing, however it were reached."""
        self.filtered(lambda key: not key.revoked_at).write({"revoked_at": fields.Datetime.now()})
        self.user_id.sudo().write({"active": False, "group_ids": [Command.set([])]})

    @api.model
    def _retire_expired_users(self):
        """Take the rights of the users of keys past their expiry (the
        daily purge): an expired key is refused at once, its user keeps
        nothing either."""
        expired = self.sudo().search([("state", "=", "expired"), ("user_id.active", "=", True)])
        expired.user_id.write({"active": False, "group_ids": [Command.set([])]})

    def action_rotate(self):
        self.ensure_one()
        overlap = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("retail_connector_base.api_key_rotation_overlap_hours", "24")
        )
        new_key, secret = self._rotate(float(overlap))
        return self._show_secret(new_key, secret)

    def action_generate_secret(self):
        """Give the key a new secret (the old one stops at once) and show it
        once; a key saved from the form gets its first secret this way."""
        self.ensure_one()
        if self.state != "active":
            raise UserError(self.env._("Only an active key can get a new secret."))
        return self._show_secret(self, self._set_new_secrets()[self.id])

    def _show_secret(self, key, secret):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning",
                "sticky": True,
                "title": self.env._("API key %s: copy it now, it is shown only once", key.name),
                "message": secret,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_view_calls(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "retail_connector_base.retail_api_call_action"
        )
        action["domain"] = [("key_id", "=", self.id)]
        return action

    # Authentication

    @api.model
    def _authenticate(self, secret):
        """``(key, state)`` of the key whose secret is ``secret`` (state
        ``active``, ``expired``, ``revoked`` or ``archived`` for a key of an
        archived backend); ``(empty recordset, None)`` when none is."""
        if not secret or not secret.startswith(KEY_PREFIX):
            return self.browse(), None
        values = self._get_auth_values(hash_key(secret))
        if values is None:
            return self.browse(), None
        key_id, revoked_at, expires_at, backend_active = values
        if revoked_at:
            state = "revoked"
        elif expires_at and expires_at <= fields.Datetime.now():
            state = "expired"
        else:
            state = "active" if backend_active else "archived"
        return self.sudo().browse(key_id), state

    @api.model
    @tools.ormcache("key_hash")
    def _get_auth_values(self, key_hash):
        """What a call's authentication needs, cached per worker (every
        worker drops it when a key or a backend changes): on the path of
        every API call."""
        self.flush_model(["key_hash", "revoked_at", "expires_at", "backend_id"])
        self.env["retail.backend"].flush_model(["active"])
        self.env.cr.execute(
            SQL(
                """
                SELECT key.id, key.revoked_at, key.expires_at, backend.active
                  FROM retail_api_key key
                  JOIN retail_backend backend ON backend.id = key.backend_id
                 WHERE key.key_hash = %s
                """,
                key_hash,
            )
        )
        row = self.env.cr.fetchone()
        return tuple(row) if row else None

    def _has_scope(self, scope):
        return scope in self._get_scopes()
