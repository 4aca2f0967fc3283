from odoo import api, fields, models

from ..normalize import normalize_email, normalize_name, normalize_phone


class ResPartner(models.Model):
    _inherit = "res.partner"

    retail_email_key = fields.Char(
        string="Email key",
        compute="_compute_retail_identity_keys",
        store=True,
        index="btree_not_null",
        help="The email as customers are matched on (case, Gmail dots and +tags ignored).",
    )
    retail_phone_key = fields.Char(
        string="Phone key",
        compute="_compute_retail_identity_keys",
        store=True,
        index="btree_not_null",
        help="The phone in E.164, read with the contact's or the company's country.",
    )
    retail_name_key = fields.Char(
        string="Name key",
        compute="_compute_retail_identity_keys",
        store=True,
        help="The name without accents, case, titles or word order.",
    )

    @api.depends("email", "phone", "name", "country_id", "company_id")
    def _compute_retail_identity_keys(self):
        for partner in self:
            country = (
                partner.country_id or partner.company_id.country_id or self.env.company.country_id
            )
            partner.retail_email_key = normalize_email(partner.email)
            partner.retail_phone_key = normalize_phone(partner.phone, country.code)
            partner.retail_name_key = normalize_name(partner.name)
