from odoo import api, fields, models
from odoo.tools import email_normalize

from ..consent import (
    CONSENT_CHANNELS,
    CONSENT_SELECTION,
    OPT_IN,
    OPT_OUT,
    ConsentState,
    apply_statement,
)


def _consent_field_names(channel):
    prefix = f"retail_{channel}_consent"
    return prefix, f"{prefix}_backend_id", f"{prefix}_date"


class ResPartner(models.Model):
    """Marketing consent per channel of communication, with where and when
    it was stated. An empty source means it was recorded in Odoo."""

    _inherit = "res.partner"

    retail_email_consent = fields.Selection(
        CONSENT_SELECTION,
        string="Email marketing",
        help="Empty: never stated. An opt-out from any source wins over opt-ins from others.",
    )
    retail_email_consent_backend_id = fields.Many2one(
        "retail.backend",
        string="Email consent source",
        ondelete="set null",
        help="The channel that stated the email consent; empty: recorded in Odoo.",
    )
    retail_email_consent_date = fields.Datetime(string="Email consent date")
    retail_sms_consent = fields.Selection(
        CONSENT_SELECTION,
        string="SMS marketing",
        help="Empty: never stated. An opt-out from any source wins over opt-ins from others.",
    )
    retail_sms_consent_backend_id = fields.Many2one(
        "retail.backend",
        string="SMS consent source",
        ondelete="set null",
        help="The channel that stated the SMS consent; empty: recorded in Odoo.",
    )
    retail_sms_consent_date = fields.Datetime(string="SMS consent date")

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

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([self._retail_stamp_consent(dict(vals)) for vals in vals_list])

    def write(self, vals):
        return super().write(self._retail_stamp_consent(dict(vals)))

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


class RetailPartnerResolver(models.AbstractModel):
    _inherit = "retail.partner.resolver"

    @api.model
    def _resolve(self, backend, customer, event=None):
        """Override of `retail_connector_base` to record the marketing
        consent the channel sent with the customer."""
        partner = super()._resolve(backend, customer, event=event)
        if partner and customer.consent:
            partner._retail_apply_consent(backend, customer.consent, customer.updated_at)
        return partner
