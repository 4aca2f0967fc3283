from pydantic import ValidationError as PydanticValidationError

from odoo import api, models
from odoo.tools import SQL

from .. import schemas
from ..channel_api.models import ApiCustomer, CustomerList
from ..channel_api.problems import ApiProblem, not_found, validation_problem

MAX_MATCHES = 50
# Canonical customer fields -> the system-of-record switch
# (retail.backend.partner_sync_*) that lets the channel change them.
FIELD_OWNERSHIP = {
    "first_name": "name",
    "last_name": "name",
    "company_name": "name",
    "email": "email",
    "phone": "phone",
    "default_address": "street",
    "lang": "lang",
}
READ_ONLY_FIELDS = ("external_id", "is_company")
IGNORED_FIELDS = ("updated_at", "extra")


class RetailApiCustomers(models.AbstractModel):
    """The Channel API's customers: looked up by email, phone or the
    channel's id, updated under the backend's system-of-record switches.

    A key sees the contacts of its backend only: bound to it, or customers
    of its orders, and of its company (or shared).
    """

    _name = "retail.api.customers"
    _description = "Retail Channel API: Customers"

    @api.model
    def _search(self, key, email=None, phone=None, external_id=None):
        if not (email or phone or external_id):
            raise ApiProblem(
                400,
                "missing-criteria",
                "Missing criteria",
                "Give at least one of email, phone, external_id.",
            )
        backend = key.backend_id
        Partner = self.env["res.partner"].sudo().with_context(active_test=True)
        partners = Partner
        if external_id:
            binding = self.env["retail.binding"].sudo()._find(backend, "res.partner", external_id)
            partners = binding._record() if binding else Partner
            if not partners:
                return CustomerList(customers=[])
        if email or phone:
            domain = self.env["retail.partner.resolver"]._get_api_lookup_domain(
                backend, email=email, phone=phone
            )
            if partners:
                domain = [("id", "in", partners.ids), *domain]
            partners = Partner.search(domain, order="id", limit=MAX_MATCHES * 4)
        partners = self._in_scope(backend, partners)[:MAX_MATCHES]
        return CustomerList(customers=[self._answer(backend, p) for p in partners])

    @api.model
    def _update(self, key, partner_id, body):
        try:
            customer = schemas.Customer.model_validate_json(body)
        except PydanticValidationError as exc:
            raise validation_problem(exc) from None
        backend = key.backend_id
        partner = self.env["res.partner"].sudo().browse(partner_id).exists()
        if not partner or not self._in_scope(backend, partner):
            raise not_found("customer")
        sent = customer.model_fields_set
        errors = [
            {"field": name, "message": "can't be changed through the API"}
            for name in READ_ONLY_FIELDS
            if name in sent
        ]
        allowed = backend._get_partner_update_fields()
        errors += [
            {"field": name, "message": "Odoo owns this field for this channel (system of record)"}
            for name, owner_field in FIELD_OWNERSHIP.items()
            if name in sent and owner_field not in allowed
        ]
        if errors:
            raise ApiProblem(
                403 if all("system of record" in e["message"] for e in errors) else 422,
                "not-writable",
                "Fields not writable",
                "These fields can't be written by this channel.",
                errors=errors,
            )
        values = self._partner_changes(backend, partner, customer, sent)
        if values:
            partner.write(values)
        if "consent" in sent and customer.consent:
            self.env["retail.partner.resolver"]._apply_api_consent(
                backend, partner, customer.consent
            )
        return self._answer(backend, partner)

    # Helpers

    @api.model
    def _in_scope(self, backend, partners):
        """``partners`` the backend may see: bound to it or customers of its
        orders, and shared or of its company; in their order."""
        if not partners:
            return partners
        self.env.cr.execute(
            SQL(
                """
                SELECT p.id FROM res_partner p
                 WHERE p.id IN %s
                   AND (p.company_id IS NULL OR p.company_id = %s)
                   AND (EXISTS (SELECT 1 FROM retail_binding b
                                 WHERE b.backend_id = %s AND b.res_model = 'res.partner'
                                   AND b.res_id = p.id)
                        OR EXISTS (SELECT 1 FROM sale_order o
                                    WHERE o.retail_backend_id = %s AND o.partner_id = p.id))
                """,
                tuple(partners.ids),
                backend.company_id.id,
                backend.id,
                backend.id,
            )
        )
        visible = {row[0] for row in self.env.cr.fetchall()}
        return partners.filtered(lambda p: p.id in visible)

    @api.model
    def _partner_changes(self, backend, partner, customer, sent):
        resolver = self.env["retail.partner.resolver"]
        values = {}
        if sent & {"first_name", "last_name", "company_name"}:
            name = customer.name
            if not name:
                raise ApiProblem(
                    422,
                    "validation",
                    "Invalid request",
                    errors=[{"field": "last_name", "message": "a customer needs a name"}],
                )
            values["name"] = name
        for name in ("email", "phone"):
            if name in sent:
                values[name] = getattr(customer, name) or False
        if "default_address" in sent and customer.default_address:
            address = resolver._address_values(backend, customer.default_address)
            for name in ("street", "street2", "city", "zip", "country_id", "state_id"):
                values[name] = address[name] or False
        if "lang" in sent and customer.lang:
            lang = self.env["res.lang"]._get_data(code=customer.lang.replace("-", "_"))
            if not lang:
                raise ApiProblem(
                    422,
                    "validation",
                    "Invalid request",
                    errors=[{"field": "lang", "message": "unknown or inactive language"}],
                )
            values["lang"] = lang.code
        return values

    @api.model
    def _answer(self, backend, partner):
        binding = (
            self.env["retail.binding"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", backend.id),
                    ("res_model", "=", "res.partner"),
                    ("res_id", "=", partner.id),
                ],
                limit=1,
            )
        )
        first, _sep, last = (partner.name or "").partition(" ")
        address = schemas.Address(
            street=partner.street or None,
            street2=partner.street2 or None,
            city=partner.city or None,
            zip=partner.zip or None,
            state_code=partner.state_id.code or None,
            country_code=partner.country_id.code or None,
        )
        return ApiCustomer(
            id=partner.id,
            external_id=binding.external_id or None,
            email=partner.email or None,
            phone=partner.phone or None,
            is_company=partner.is_company,
            first_name=None if partner.is_company else first or None,
            last_name=None if partner.is_company else last or None,
            company_name=partner.name if partner.is_company else None,
            lang=partner.lang or None,
            default_address=address if any(address.model_dump().values()) else None,
            consent=self.env["retail.partner.resolver"]._get_api_consent(partner),
        )
