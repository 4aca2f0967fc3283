from odoo import api, fields, models
from odoo.tools import email_normalize

from ..consent import CONSENT_CHANNELS, OPT_IN, OPT_OUT, ConsentState, apply_statement
from .res_partner import _consent_field_names


class ResPartner(models.Model):
    """A customer's marketing consent per channel, as the channels state it."""

    _inherit = "res.partner"

    @api.model
    def _retail_consent_fields(self):
        return [name for channel in CONSENT_CHANNELS for name in _consent_field_names(channel)]

    def _retail_consent_state(self, channel):
        self.ensure_one()
        value, backend, date = _consent_field_names(channel)
        partner = self.sudo()
        return ConsentState(
            partner[value] or None, partner[backend].id or None, partner[date] or None
        )

    @api.model
    def _retail_consent_values(self, channel, state):
        value, backend, date = _consent_field_names(channel)
        return {
            value: state.value or False,
            backend: state.source or False,
            date: state.date or False,
        }

    @api.model
    def _retail_stamp_consent(self, vals):
        """A consent set by hand in Odoo is dated now and has no channel source."""
        for channel in CONSENT_CHANNELS:
            value, backend, date = _consent_field_names(channel)
            if value in vals and date not in vals:
                vals[date] = vals[value] and fields.Datetime.now()
                vals.setdefault(backend, False)
        return vals

    def _retail_apply_consent(self, backend, consent, stated_at=None):
        """Record what channel ``backend`` says of the marketing consent.

        An opt-out from another source is never lifted by an opt-in; see
        :func:`~odoo.addons.retail_identity_resolution.consent.apply_statement`.
        """
        self.ensure_one()
        date = consent.updated_at or stated_at
        date = date.replace(tzinfo=None) if date else fields.Datetime.now()
        values = {}
        for channel, attribute in CONSENT_CHANNELS.items():
            stated = getattr(consent, attribute)
            if stated is None:
                continue
            incoming = ConsentState(OPT_IN if stated else OPT_OUT, backend.id, date)
            result = apply_statement(self._retail_consent_state(channel), incoming)
            if result:
                values.update(self._retail_consent_values(channel, result))
        if values:
            self.sudo().write(values)
        if values.get("retail_email_consent") == OPT_OUT:
            self._retail_blacklist_email(backend)

    def _retail_blacklist_email(self, backend):
        """Odoo's own mailings honour the mail blacklist: a channel's email
        opt-out goes there too. It is never lifted automatically (an opt-in
        may not override an opt-out recorded elsewhere); a person does it."""
        self.ensure_one()
        if "mail.blacklist" not in self.env or not email_normalize(self.email or ""):
            return
        self.env["mail.blacklist"].sudo()._add(
            self.email,
            message=self.env._("Opted out of email marketing on %s.", backend.display_name),
        )
