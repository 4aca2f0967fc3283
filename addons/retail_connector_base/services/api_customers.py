from pydantic import ValidationError as PydanticValidationError

from odoo import api, models

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

    Runs as the key's technical user: the record rule
    ``res_partner_rule_api_client`` lets it see the contacts of its backend
    only (bound to it, or customers of its orders, of its company or
    shared), and change only those.
    """

    _name = "retail.api.customers"
    _description = "Retail Channel API: Customers"

    @api.model
    def _search(self, backend, email=None, phone=None, external_id=None):
        if not (email or phone or external_id):
            raise ApiProblem(
                400,
                "missing-criteria",
                "Missing criteria",
                "Give at least one of email, phone, external_id.",
            )
        Partner = self.env["res.partner"].with_context(active_test=True)
        domain = []
        if external_id:
            binding = self.env["retail.binding"]._find(backend, "res.partner", external_id)
            if not binding:
                return CustomerList(customers=[])
            domain.append(("id", "=", binding.res_id))
        if email or phone:
            domain += self.env["retail.partner.resolver"]._get_api_lookup_domain(
                backend, email=email, phone=phone
            )
        partners = Partner.search(domain, order="id", limit=MAX_MATCHES)
        return CustomerList(customers=[self._answer(backend, p) for p in partners])

    @api.model
    def _update(self, backend, partner_id, body):
        try:
            customer = schemas.Customer.model_validate_json(body)
        except PydanticValidationError as exc:
            raise validation_problem(exc) from None
        # search(), not browse(): the record rules decide what exists for the key.
        partner = self.env["res.partner"].search([("id", "=", partner_id)])
        if not partner:
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
            # The key's user must be allowed to change this contact (its
            # group's write right, its backend's record rule)...
            partner.check_access("write")
            # ...privileged: the write itself, because other addons' write
            # overrides assume an internal user (snailmail looks up letters,
            # account its invoices). The uid stays the key's user (write_uid).
            partner.sudo().write(values)
        if "consent" in sent and customer.consent:
            self.env["retail.partner.resolver"]._apply_api_consent(
                backend, partner, customer.consent
            )
        return self._answer(backend, partner)

    # Helpers

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
        binding = self.env["retail.binding"].search(
            [
                ("backend_id", "=", backend.id),
                ("res_model", "=", "res.partner"),
                ("res_id", "=", partner.id),
            ],
            limit=1,
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
