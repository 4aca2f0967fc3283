from odoo import fields, models
from odoo.exceptions import AccessDenied

API_CLIENT_GROUP = "retail_connector_base.group_retail_api_client"


class ResUsers(models.Model):
    """The technical users of Channel API keys: machines, never people."""

    _inherit = "res.users"

    retail_api_backend_id = fields.Many2one(
        "retail.backend",
        string="Channel API backend",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="Set on the technical user of a Channel API key: the one backend "
        "whose records its record rules let it reach.",
    )

    def _retail_is_api_client(self):
        self.ensure_one()
        return bool(self.sudo().retail_api_backend_id) or self.sudo()._has_group(API_CLIENT_GROUP)

    def _check_credentials(self, credential, env):
        """Override of `base`: the technical user of an API key never logs
        in (web client, JSON-RPC, its own API keys), even if someone gave it
        a password: it only acts through the Channel API's bearer keys."""
        if self.env.user._retail_is_api_client():
            raise AccessDenied()
        return super()._check_credentials(credential, env)


class ResUsersApikeys(models.Model):
    _inherit = "res.users.apikeys"

    def _check_credentials(self, *, scope, key):
        """Override of `base`: Odoo's own user API keys (``auth='bearer'``
        routes, ``/json/2``) never authenticate an API key's technical user."""
        uid = super()._check_credentials(scope=scope, key=key)
        if uid and self.env["res.users"].browse(uid)._retail_is_api_client():
            return None
        return uid
