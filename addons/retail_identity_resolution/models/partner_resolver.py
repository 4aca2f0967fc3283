from odoo import api, models

from ..normalize import normalize_email, normalize_name, normalize_phone


class RetailPartnerResolver(models.AbstractModel):
    _inherit = "retail.partner.resolver"

    @api.model
    def _lookup_partner(self, backend, customer):
        """Override of `retail_connector_base`: also find a customer typed
        another way: the same mailbox (case, Gmail dots, +tags), or the same
        phone when the name agrees too. A phone alone never links two
        people: households and shops share numbers."""
        partner = super()._lookup_partner(backend, customer)
        if partner:
            return partner
        Partner = self.env["res.partner"]
        domain = [
            ("parent_id", "=", False),
            ("is_company", "=", customer.is_company),
            ("company_id", "in", (False, backend.company_id.id)),
        ]
        email_key = normalize_email(customer.email)
        if email_key:
            partner = Partner.search(
                [("retail_email_key", "=", email_key), *domain], order="id", limit=1
            )
            if partner:
                return partner
        country = (
            customer.default_address and customer.default_address.country_code
        ) or backend.company_id.country_id.code
        phone_key = normalize_phone(customer.phone, country)
        name_key = normalize_name(customer.name)
        if phone_key and name_key:
            candidates = Partner.search([("retail_phone_key", "=", phone_key), *domain], limit=5)
            same_person = candidates.filtered(
                lambda p: (
                    p.retail_name_key == name_key
                    and not (email_key and p.retail_email_key and p.retail_email_key != email_key)
                )
            )
            if len(same_person) == 1:
                return same_person
        return Partner
