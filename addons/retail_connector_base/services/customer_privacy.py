"""A customer's personal data found and redacted, whatever the channel.

A channel receives the request (e.g. Shopify's compliance webhooks), finds
the customer here, and has it redacted here under these rules:

- the customer is the partner bound to the channel's customer id on the
  backend; only when none is, the top-level partners with the same normalized
  email (or owning the listed orders) that have orders from this backend;
- a partner is never touched when it is also someone else's: a user (internal
  or portal), a company of this database or a company contact, an employee,
  bound to another channel or to another customer of this backend (the
  caller's ``allowed_binding`` says which bindings are the customer's),
  customer of other channels' orders, or a contact that existed in Odoo before
  this channel linked it. The request then needs review;
- otherwise the partner and its child addresses lose their personal data.
  Without posted accounting entries they are archived; with some they stay
  active, because those entries must be retained, and (by default, policy
  ``keep_invoice_identity``) the contacts the entries show keep what the
  entries print: name, address, tax ID. Odoo prints invoices from the live
  partner, so anonymizing those would alter retained invoices;
- the raw bodies of the backend's events that carry the redacted data are
  erased (:meth:`RetailCustomerPrivacy._purge_event_bodies`).

What each step did is written, without personal data, to a
:class:`~odoo.addons.retail_connector_base.privacy.PrivacyLog`. The
customer's data is exported by ``retail.customer.exporter``
(customer_exporter.py).
"""

from odoo import api, models
from odoo.tools import SQL, email_normalize, is_html_empty

from .. import privacy
from ..privacy import KEEP_INVOICE_IDENTITY


class RetailCustomerPrivacy(models.AbstractModel):
    """Finds a channel customer and redacts its personal data."""

    _name = "retail.customer.privacy"
    _description = "Retail Customer Privacy"

    # Finding the customer

    @api.model
    def _find_customer(self, backend, customer_external_id, email=None, order_external_ids=()):
        """The partners that are the channel customer ``customer_external_id``
        on ``backend``, and the orders of ``order_external_ids`` found in Odoo.

        The partner bound to the customer's id; only when none is bound, the
        top-level partners with the same normalized ``email``, and the
        customers of the listed orders, that have orders from this backend.

        :return: ``(partners, orders)``
        """
        Partner = self.env["res.partner"].with_context(active_test=False)
        orders = self.env["sale.order"]
        if order_external_ids:
            orders = orders.search(
                [
                    ("retail_backend_id", "=", backend.id),
                    ("retail_external_id", "in", list(order_external_ids)),
                ]
            )
        binding = self.env["retail.binding"]._find(backend, "res.partner", customer_external_id)
        partners = binding._record() if binding else Partner
        if partners:
            return partners.with_context(active_test=False), orders
        email = email_normalize(email or "")
        if email:
            partners = Partner.search([("email_normalized", "=", email), ("parent_id", "=", False)])
        partners |= orders.partner_id.commercial_partner_id
        shop_customers = (
            self.env["sale.order"]
            .search(
                [
                    ("retail_backend_id", "=", backend.id),
                    ("partner_id", "child_of", partners.ids),
                ]
            )
            .partner_id.commercial_partner_id
        )
        return (partners & shop_customers).sorted("id"), orders

    @api.model
    def _backend_orders(self, backend, partners):
        """The orders from ``backend`` of ``partners`` and their contacts."""
        if not partners:
            return self.env["sale.order"]
        return self.env["sale.order"].search(
            [
                ("retail_backend_id", "=", backend.id),
                ("partner_id", "child_of", partners.ids),
            ]
        )

    @api.model
    def _backend_customers(self, backend):
        """Every customer of ``backend``: bound to one of its customers, or a
        guest of its orders; and every order from it.

        :return: ``(partners, orders)``
        """
        bindings = self.env["retail.binding"].search(
            [("backend_id", "=", backend.id), ("res_model", "=", "res.partner")]
        )
        Partner = self.env["res.partner"].with_context(active_test=False)
        partners = Partner.browse(bindings.mapped("res_id")).exists()
        orders = self.env["sale.order"].search([("retail_backend_id", "=", backend.id)])
        # Guest checkouts: customers of the backend's orders bound to no customer.
        partners |= orders.partner_id.commercial_partner_id
        return partners.sorted("id"), orders

    # Redaction

    @api.model
    def _redact(
        self, backend, partners, orders, allowed_binding, log, invoiced_policy=KEEP_INVOICE_IDENTITY
    ):
        """Redact each of ``partners`` (see :meth:`_redact_partner`), then
        erase the customer's note on ``orders``."""
        for partner in partners:
            self._redact_partner(backend, partner, allowed_binding, log, invoiced_policy)
        self._redact_orders(orders, log)

    @api.model
    def _redaction_blocker(self, backend, partner, family, allowed_binding):
        """Why ``partner`` (with ``family``, its contacts) must not be
        redacted for ``backend``, or ``None``.

        :param allowed_binding: ``binding -> bool``, true for the bindings of
            ``backend`` that are the customer being redacted
        """
        users = (
            self.env["res.users"]
            .with_context(active_test=False)
            .search([("partner_id", "in", family.ids)])
        )
        if users.filtered(lambda user: not user.share):
            return self.env._("kept: internal user")
        if users:
            return self.env._("kept: has a portal account")
        companies = (
            self.env["res.company"]
            .with_context(active_test=False)
            .search_count([("partner_id", "in", family.ids)])
        )
        if companies:
            return self.env._("kept: a company of this database")
        if partner.is_company:
            return self.env._("kept: a company")
        if "hr.employee" in self.env and self.env["hr.employee"].with_context(
            active_test=False
        ).search_count([("work_contact_id", "in", family.ids)]):
            return self.env._("kept: employee")
        bindings = self.env["retail.binding"].search(
            [("res_model", "=", "res.partner"), ("res_id", "in", family.ids)]
        )
        others = bindings.filtered(lambda binding: binding.backend_id != backend)
        if others:
            return self.env._(
                "kept: bound to other channels (%s)",
                ", ".join(sorted(set(others.backend_id.mapped("name")))),
            )
        if bindings.filtered(lambda binding: not allowed_binding(binding)):
            return self.env._("kept: also bound to another customer of this shop")
        orders = self.env["sale.order"].search(
            [("partner_id", "child_of", partner.id), ("retail_backend_id", "!=", False)]
        )
        if orders.retail_backend_id - backend:
            return self.env._("kept: has orders from other channels")
        # Created by this channel: at the same time as its first link to it.
        links = bindings.mapped("create_date") + orders.mapped("create_date")
        if links and partner.create_date < min(links):
            return self.env._("kept: existed in Odoo before this channel linked it")
        return None

    @api.model
    def _redact_partner(
        self, backend, partner, allowed_binding, log, invoiced_policy=KEEP_INVOICE_IDENTITY
    ):
        """Erase the personal data of ``partner`` and its child addresses,
        unless it is also someone else's (then ``log`` needs review).

        :param allowed_binding: see :meth:`_redaction_blocker`
        :param invoiced_policy: one of ``privacy.REDACT_INVOICED_POLICIES``:
            whether the contacts posted entries show keep what they print
        """
        label = self.env._("Partner #%s", partner.id)
        Partner = self.env["res.partner"].with_context(active_test=False)
        family = Partner.search([("id", "child_of", partner.id)])
        blocker = self._redaction_blocker(backend, partner, family, allowed_binding)
        if blocker:
            log.review(f"{label}: {blocker}.")
            return
        moves = (
            self.env["account.move"]
            .sudo()
            .search([("partner_id", "in", family.ids), ("state", "=", "posted")])
        )
        keep_identity = bool(moves) and invoiced_policy == KEEP_INVOICE_IDENTITY
        shown = moves.partner_id | moves.partner_shipping_id if keep_identity else Partner
        cleared = set()
        archived = 0
        for contact in family:
            values = privacy.redaction_values(contact, partner, keep=contact in shown)
            if not moves and contact.active:
                values["active"] = False
                archived += 1
            if values:
                cleared.update(name for name in values if name != "active")
                contact.with_context(tracking_disable=True, mail_notrack=True).write(values)
        if not cleared and not archived:
            log.add(self.env._("%s: already redacted, nothing changed.", label))
            return
        what = ", ".join(sorted(cleared)) or self.env._("nothing left to clear")
        addresses = (
            self.env._(" on the contact and its %s address(es)", len(family) - 1)
            if len(family) > 1
            else ""
        )
        if not moves:
            log.add(
                self.env._(
                    "%(partner)s: personal data erased (%(fields)s)%(addresses)s; archived: "
                    "no posted accounting entries.",
                    partner=label,
                    fields=what,
                    addresses=addresses,
                )
            )
            return
        message = self.env._(
            "%(partner)s: personal data erased (%(fields)s)%(addresses)s; kept active: "
            "%(count)s posted accounting entries must be retained (%(entries)s).",
            partner=label,
            fields=what,
            addresses=addresses,
            count=len(moves),
            entries=", ".join(moves.sorted("id").mapped("name")),
        )
        if keep_identity:
            message += " " + self.env._(
                "Kept on the %s contact(s) these entries show: name, address, tax ID.",
                len(shown & family),
            )
        log.add(message)

    @api.model
    def _redact_orders(self, orders, log):
        """Erase the customer's note on ``orders``; amounts and lines stay."""
        cleared = orders.filtered(lambda order: not is_html_empty(order.note))
        if cleared:
            cleared.with_context(tracking_disable=True, mail_notrack=True).write({"note": False})
            log.add(
                self.env._(
                    "Customer note erased on %(count)s order(s): %(orders)s.",
                    count=len(cleared),
                    orders=", ".join(cleared.sorted("id").mapped("name")),
                )
            )
        elif orders:
            log.add(self.env._("No customer note to erase on %s order(s).", len(orders)))

    @api.model
    def _purge_event_bodies(self, backend, needles, email, log, keep_event=None):
        """Erase the raw bodies of ``backend``'s events (but ``keep_event``)
        that carry the redacted data: those naming one of ``needles`` or
        ``email``, or all when ``needles`` is ``None``. An unprocessed one then
        fails instead of bringing the data back.

        :return: how many bodies were erased
        """
        self.env["retail.event"].flush_model(["body", "body_purged"])
        conditions = SQL("TRUE")
        if needles is not None:
            matches = [SQL("strpos(body, %s) > 0", needle) for needle in needles]
            if email:
                matches.append(SQL("strpos(lower(body), %s) > 0", email.lower()))
            if not matches:
                return 0
            conditions = SQL("(%s)", SQL(" OR ").join(matches))
        self.env.cr.execute(
            SQL(
                """
                UPDATE retail_event
                   SET body = NULL, body_purged = TRUE,
                       write_date = now() at time zone 'UTC', write_uid = %s
                 WHERE backend_id = %s AND id != %s
                   AND NOT COALESCE(body_purged, FALSE) AND body IS NOT NULL
                   AND %s
                """,
                self.env.uid,
                backend.id,
                keep_event.id if keep_event else 0,
                conditions,
            )
        )
        count = self.env.cr.rowcount
        self.env["retail.event"].invalidate_model(["body", "body_purged"])
        if count:
            log.add(self.env._("Raw body erased on %s earlier event(s) of this shop.", count))
        return count
