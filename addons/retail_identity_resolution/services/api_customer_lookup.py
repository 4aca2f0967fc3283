from odoo import api, models

from odoo.addons.retail_connector_base import schemas

from ..consent import CONSENT_CHANNELS, OPT_IN
from ..matching import blocking_keys, record_from_values
from ..models.res_partner import BLOCKING_COLUMNS


class RetailPartnerResolver(models.AbstractModel):
    """The Channel API's customer lookups and consent through identity
    resolution's keys and consent rules."""

    _inherit = "retail.partner.resolver"

    @api.model
    def _get_api_lookup_domain(self, backend, email=None, phone=None):
        """Override of `retail_connector_base`: match on the email and phone
        keys customers are matched on (case, Gmail dots, +tags, phone
        formats ignored)."""
        keys = blocking_keys(
            record_from_values(
                email=email, phone=phone, default_country=backend._get_identity_default_country()
            )
        )
        domain = [("parent_id", "=", False)]
        for name, value in (("email", email), ("phone", phone)):
            if value:
                # A value that gives no key (not an email) matches nothing.
                domain.append((BLOCKING_COLUMNS[name], "=", keys.get(name) or False))
                if not keys.get(name):
                    domain.append(("id", "=", 0))
        return domain

    @api.model
    def _get_api_consent(self, partner):
        """Override of `retail_connector_base`: the consent recorded per
        channel of communication (``None`` where never stated)."""
        values = {}
        for channel, attribute in CONSENT_CHANNELS.items():
            state = partner._retail_consent_state(channel)
            values[attribute] = None if state.value is None else state.value == OPT_IN
        if all(value is None for value in values.values()):
            return None
        return schemas.Consent(**values)

    @api.model
    def _apply_api_consent(self, backend, partner, consent):
        """Override of `retail_connector_base`: an opt-out anywhere wins."""
        partner._retail_apply_consent(backend, consent)
