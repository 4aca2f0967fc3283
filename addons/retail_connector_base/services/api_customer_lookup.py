from odoo import api, models
from odoo.tools import email_normalize

from ..channel_api.problems import ApiProblem


class RetailPartnerResolver(models.AbstractModel):
    """The hooks the Channel API finds and updates customers through;
    identity resolution overrides them with its matching keys and consent."""

    _inherit = "retail.partner.resolver"

    @api.model
    def _get_api_lookup_domain(self, backend, email=None, phone=None):
        """Hook: the domain of contacts with this email and/or phone.

        Default: Odoo's normalized email, the phone exactly as typed.
        """
        domain = [("parent_id", "=", False)]
        if email:
            domain.append(("email_normalized", "=", email_normalize(email) or email))
        if phone:
            domain.append(("phone", "=", phone.strip()))
        return domain

    @api.model
    def _get_api_consent(self, partner):
        """Hook: the marketing consent of ``partner`` as a canonical
        ``Consent``, or ``None`` when Odoo does not track it."""
        return None

    @api.model
    def _apply_api_consent(self, backend, partner, consent):
        """Hook: record the consent a channel states through the API."""
        raise ApiProblem(
            422,
            "validation",
            "Invalid request",
            errors=[
                {
                    "field": "consent",
                    "message": "marketing consent is recorded only with identity resolution",
                }
            ],
        )
