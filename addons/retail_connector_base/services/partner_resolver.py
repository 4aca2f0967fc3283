import re

from odoo import api, models
from odoo.tools import email_normalize

from ..schemas import Address, Customer


def _address_key(values):
    """What makes two addresses the same place for the same person."""

    def norm(value):
        return re.sub(r"\s+", " ", str(value or "")).strip().casefold()

    return tuple(
        norm(values.get(name))
        for name in ("name", "street", "street2", "zip", "city", "country_id", "state_id")
    )


def _is_stale(binding, updated_at):
    return bool(
        binding
        and updated_at
        and binding.external_updated_at
        and updated_at.replace(tzinfo=None) < binding.external_updated_at
    )


class RetailPartnerResolver(models.AbstractModel):
    """Turns canonical customers and addresses into ``res.partner`` records.

    Every channel goes through here; identity resolution plugs into
    :meth:`_resolve` and :meth:`_lookup_partner`.
    """

    _name = "retail.partner.resolver"
    _description = "Retail Customer Resolver"

    @api.model
    def _import(self, event, customer):
        """Apply a canonical customer from ``event``; return ``(state, reason)``."""
        binding = customer.external_id and self.env["retail.binding"]._find(
            event.backend_id, "res.partner", customer.external_id
        )
        if _is_stale(binding, customer.updated_at):
            return "ignored", self.env._(
                "Stale: the channel's update of %(incoming)s is older than the one "
                "applied (%(applied)s).",
                incoming=customer.updated_at.replace(tzinfo=None),
                applied=binding.external_updated_at,
            )
        partner = self._resolve(event.backend_id, customer, event=event)
        return "done", self.env._("Customer %s.", partner.display_name)

    @api.model
    def _resolve(self, backend, customer, event=None):
        """Return the partner ``customer`` is: bound, found or created.

        An existing partner is updated with the fields the backend lets the
        channel own, and only with values the channel actually sent.
        ``event``: the ``retail.event`` being applied (a customer's own, or the
        order's), passed on by every importer; the binding records it, and
        overrides (identity resolution) may name it in what they log.
        """
        binding = self._claim_customer(backend, customer)
        partner = binding._record() if binding else self.env["res.partner"]
        stale = _is_stale(binding, customer.updated_at)
        if not partner:
            partner = self._lookup_partner(backend, customer)
        values = self._partner_values(backend, customer)
        if not partner:
            partner = self.env["res.partner"].create(values)
        elif not stale:
            self._update_partner(backend, partner, values)
        if customer.external_id and not stale:
            binding._bind(
                backend, partner, customer.external_id, customer.updated_at, event, binding=binding
            )
        return partner

    @api.model
    def _claim_customer(self, backend, customer):
        """Serialize the imports of one channel customer across workers; return
        its binding (claimed: without a record while it is new), or an empty
        one for a guest (then the lock is on the email).

        Claimed, not looked up after a lock: a worker that waited for another
        one importing the same new customer would keep its older snapshot,
        miss that one's binding and create a second contact (see
        ``retail.binding._claim``)."""
        Binding = self.env["retail.binding"]
        if customer.external_id:
            return Binding._claim(backend, "res.partner", customer.external_id)
        lock_key = email_normalize(customer.email or "")
        if lock_key:
            Binding._lock(backend, "res.partner", lock_key)
        return Binding

    @api.model
    def _lookup_partner(self, backend, customer):
        """Hook: the existing partner ``customer`` is, if any.

        Default: the oldest contact with the same normalized email, of the
        same kind (a person is never matched to a company).
        """
        email = email_normalize(customer.email or "")
        if not email:
            return self.env["res.partner"]
        return self.env["res.partner"].search(
            [
                ("email_normalized", "=", email),
                ("parent_id", "=", False),
                ("is_company", "=", customer.is_company),
                ("company_id", "in", (False, backend.company_id.id)),
            ],
            order="id",
            limit=1,
        )

    @api.model
    def _resolve_address(self, backend, partner, address, address_type):
        """Return the contact of ``partner`` at ``address`` (``invoice`` or
        ``delivery``), creating it unless the same place is already known."""
        if not address:
            return partner
        values = self._address_values(backend, address)
        key = _address_key(values)
        if key == _address_key(self._comparable(partner)):
            return partner
        for child in partner.child_ids.filtered(lambda c: c.type == address_type):
            if _address_key(self._comparable(child)) == key:
                return child
        return self.env["res.partner"].create(dict(values, parent_id=partner.id, type=address_type))

    @api.model
    def _partner_values(self, backend, customer):
        address = customer.default_address or Address()
        values = self._address_values(backend, address)
        values.update(
            {
                "name": customer.name or address.name or customer.email or customer.phone,
                "email": customer.email or address.email,
                "phone": customer.phone or address.phone,
                "is_company": customer.is_company,
                "company_id": False,
            }
        )
        if not values["name"]:
            values["name"] = self.env._("Guest customer")
        if customer.lang:
            lang = self.env["res.lang"]._get_data(code=customer.lang.replace("-", "_"))
            if lang:
                values["lang"] = lang.code
        return {key: value for key, value in values.items() if value is not None}

    @api.model
    def _address_values(self, backend, address):
        country = state = self.env["res.country"]
        if address.country_code:
            country = self.env["res.country"].search([("code", "=", address.country_code)], limit=1)
        if country and address.state_code:
            state = self.env["res.country.state"].search(
                [("country_id", "=", country.id), ("code", "=", address.state_code)], limit=1
            )
        return {
            "name": address.name,
            "street": address.street,
            "street2": address.street2,
            "city": address.city,
            "zip": address.zip,
            "country_id": country.id or None,
            "state_id": state.id or None,
            "phone": address.phone,
            "email": address.email,
        }

    @api.model
    def _comparable(self, partner):
        return {
            "name": partner.name,
            "street": partner.street,
            "street2": partner.street2,
            "zip": partner.zip,
            "city": partner.city,
            "country_id": partner.country_id.id or None,
            "state_id": partner.state_id.id or None,
        }

    @api.model
    def _update_partner(self, backend, partner, values):
        allowed = backend._get_partner_update_fields()
        changes = {}
        for name, value in values.items():
            if name not in allowed or value in (None, False, ""):
                continue
            current = partner[name]
            current = current.id if isinstance(current, models.BaseModel) else current
            if current != value:
                changes[name] = value
        if changes:
            partner.write(changes)

    @api.model
    def _customer_of_order(self, order):
        """The customer of a canonical order; a guest's comes from the order."""
        if order.customer:
            customer = order.customer
            if not customer.email and order.email:
                customer = customer.model_copy(update={"email": order.email})
            return customer
        billing = order.billing_address or order.shipping_address or Address()
        return Customer(
            email=order.email or billing.email,
            phone=order.phone or billing.phone,
            first_name=billing.first_name,
            last_name=billing.last_name,
            company_name=billing.company,
            default_address=billing,
        )
