"""Shopify's compliance requests (GDPR and similar laws), applied in Odoo.

Redaction policy, in short (readme/USAGE.md has the long form):

- the customer is the partner bound to the Shopify customer's GID on this
  backend; only when none is, the top-level partners with the same normalized
  email (or owning the listed orders) that have orders from this backend;
- a partner is never touched when it is also someone else's: a user (internal
  or portal), a company of this database or a company contact, an employee,
  bound to another channel or to another customer of this shop, customer of
  other channels' orders, or a contact that existed in Odoo before this
  channel linked it. The request then needs review;
- otherwise the partner and its child addresses lose their personal data.
  Without posted accounting entries they are archived; with some they stay
  active, because those entries must be retained, and (by default) the
  contacts the entries show keep what the entries print: name, address, tax
  ID. Odoo prints invoices from the live partner, so anonymizing those would
  alter retained invoices.
"""

import json
import logging

from odoo import api, fields, models
from odoo.tools import SQL, email_normalize, html2plaintext, is_html_empty

from .. import compliance

_logger = logging.getLogger(__name__)

REQUEST_STATES = [
    ("done", "Done"),
    ("nothing", "Nothing to do"),
    ("review", "Needs review"),
]

# Personal data erased from a redacted contact; fields this database lacks
# (mobile: removed from the base in Odoo 18) are skipped.
PERSONAL_FIELDS = (
    "email",
    "phone",
    "mobile",
    "street",
    "street2",
    "city",
    "zip",
    "state_id",
    "vat",
    "company_name",
    "function",
    "website",
    "comment",
    "image_1920",
    "partner_latitude",
    "partner_longitude",
)
# What a posted invoice prints about its customer and delivery address.
INVOICE_IDENTITY_FIELDS = frozenset(
    {"name", "street", "street2", "city", "zip", "state_id", "vat", "company_name"}
)
REDACT_INVOICED_POLICIES = [
    ("keep_invoice_identity", "Keep what posted invoices show (name, address, tax ID)"),
    ("anonymize", "Anonymize all (posted invoices then show the redacted name)"),
]
CUSTOMER_MOVE_TYPES = ("out_invoice", "out_refund", "out_receipt")


class RetailShopifyComplianceRequest(models.Model):
    _name = "retail.shopify.compliance.request"
    _description = "Shopify Compliance Request"
    _order = "id desc"

    backend_id = fields.Many2one(
        "retail.backend", required=True, index=True, ondelete="restrict", readonly=True
    )
    company_id = fields.Many2one(
        related="backend_id.company_id", store=True, index=True, readonly=True
    )
    kind = fields.Selection(compliance.KINDS, required=True, readonly=True)
    event_id = fields.Many2one(
        "retail.event", string="Received event", ondelete="set null", readonly=True
    )
    request_key = fields.Char(
        required=True,
        readonly=True,
        help="Identifies the request across deliveries: one request per key and backend.",
    )
    shopify_shop_id = fields.Char(string="Shopify shop id", readonly=True)
    customer_external_id = fields.Char(string="Shopify customer", index=True, readonly=True)
    customer_email = fields.Char(
        string="Email",
        readonly=True,
        help="As Shopify sent it; not kept once a redaction is done.",
    )
    data_request_id = fields.Char(string="Shopify data request id", readonly=True)
    order_external_ids = fields.Json(
        string="Orders named by Shopify", readonly=True, help="Shopify order GIDs."
    )
    order_external_ids_text = fields.Text(
        string="Orders named", compute="_compute_order_external_ids_text"
    )
    partner_ids = fields.Many2many(
        "res.partner",
        "retail_shopify_compliance_request_partner_rel",
        "request_id",
        "partner_id",
        string="Customers concerned",
        readonly=True,
        context={"active_test": False},
    )
    order_ids = fields.Many2many(
        "sale.order",
        "retail_shopify_compliance_request_order_rel",
        "request_id",
        "order_id",
        string="Orders concerned",
        readonly=True,
        groups="sales_team.group_sale_salesman",
    )
    state = fields.Selection(REQUEST_STATES, required=True, default="done", readonly=True)
    log = fields.Text(string="What was done", readonly=True)
    processed_at = fields.Datetime(readonly=True)
    export_attachment_id = fields.Many2one(
        "ir.attachment", string="Export", ondelete="set null", readonly=True, copy=False
    )
    export_preview = fields.Text(compute="_compute_export_preview")

    _backend_request_key_uniq = models.Constraint(
        "UNIQUE(backend_id, request_key)",
        "This compliance request was already received for this backend.",
    )

    @api.depends("kind", "customer_external_id", "data_request_id")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for request in self:
            customer = (request.customer_external_id or "").rsplit("/", 1)[-1]
            request.display_name = " ".join(
                part for part in (kinds.get(request.kind), customer or None) if part
            ) or str(request.id)

    @api.depends("order_external_ids")
    def _compute_order_external_ids_text(self):
        for request in self:
            request.order_external_ids_text = "\n".join(request.order_external_ids or [])

    @api.depends("export_attachment_id")
    def _compute_export_preview(self):
        for request in self:
            raw = request.sudo().export_attachment_id.raw
            request.export_preview = raw.decode() if raw else False

    # Actions

    def action_download_export(self):
        """Download the customer's data collected for a data request."""
        self.ensure_one()
        if not self.export_attachment_id:
            return False
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.export_attachment_id.id}?download=true",
            "target": "download",
        }

    def action_mark_reviewed(self):
        """Record that a person dealt with what was kept for review."""
        for request in self.filtered(lambda r: r.state == "review"):
            line = self.env._(
                "Reviewed by %(user)s on %(date)s.",
                user=self.env.user.name,
                date=fields.Datetime.to_string(fields.Datetime.now()),
            )
            request.write({"state": "done", "log": f"{request.log or ''}\n{line}".strip()})
        return True

    # Processing

    @api.model
    def _handle(self, event, request):
        """Apply compliance ``request`` received with ``event``, once per
        request: a redelivery, even under a new webhook id, changes nothing.

        :return: ``(state, reason)`` for the event
        """
        backend = event.backend_id
        self.env["retail.binding"]._lock(backend, self._name, request.request_key)
        Request = self.sudo()
        existing = Request.search(
            [("backend_id", "=", backend.id), ("request_key", "=", request.request_key)],
            limit=1,
        )
        if existing:
            return "ignored", self.env._(
                "Already handled by compliance request %(request)s (id %(id)s).",
                request=existing.display_name,
                id=existing.id,
            )
        record = Request.create(
            {
                "backend_id": backend.id,
                "kind": request.kind,
                "event_id": event.id,
                "request_key": request.request_key,
                "shopify_shop_id": request.shop_id,
                "customer_external_id": request.customer_external_id,
                "customer_email": request.email,
                "data_request_id": request.request_id,
                "order_external_ids": list(request.orders),
            }
        )
        log = _Log()
        expected = (backend.shopify_shop_domain or "").lower()
        if request.shop_domain != expected:
            log.review(
                self.env._(
                    "The request is for shop %(shop)s, not this backend's (%(expected)s): "
                    "nothing was done.",
                    shop=request.shop_domain,
                    expected=expected,
                )
            )
        elif request.kind == compliance.DATA_REQUEST:
            record._run_data_request(request, log)
        elif request.kind == compliance.CUSTOMER_REDACT:
            record._run_customer_redact(request, log, event)
        else:
            record._run_shop_redact(log, event)
        values = {
            "state": log.state,
            "log": log.text(),
            "processed_at": fields.Datetime.now(),
        }
        if request.kind != compliance.DATA_REQUEST and log.state != "review":
            # The redacted customer's email is not kept; a person reviewing needs it.
            values["customer_email"] = False
        record.write(values)
        states = dict(REQUEST_STATES)
        return "done", self.env._(
            "Compliance request %(request)s: %(state)s.",
            request=record.display_name,
            state=states[log.state],
        )

    def _run_data_request(self, request, log):
        """Collect what Odoo holds about the customer into a JSON export."""
        backend = self.backend_id
        partners, listed_orders = self._find_customer(request)
        orders = listed_orders | self._backend_orders(partners)
        self.write({"partner_ids": [fields.Command.set(partners.ids)]})
        self._set_orders(orders)
        self._log_missing_orders(request, listed_orders, log)
        if not partners and not orders:
            log.nothing(self.env._("No customer or order of this shop matches the request."))
            return
        data = self._export_data(request, partners, orders)
        name = f"shopify-data-request-{request.request_id or self.id}.json"
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": name,
                    "res_model": self._name,
                    "res_id": self.id,
                    "mimetype": "application/json",
                    "raw": json.dumps(data, indent=2, ensure_ascii=False).encode(),
                }
            )
        )
        self.export_attachment_id = attachment
        log.add(
            self.env._(
                "Export %(name)s: %(partners)s customer(s) with %(addresses)s address(es), "
                "%(orders)s order(s) from %(backend)s.",
                name=name,
                partners=len(partners),
                addresses=sum(len(customer["addresses"]) for customer in data["customers"]),
                orders=len(orders),
                backend=backend.name,
            )
        )

    def _run_customer_redact(self, request, log, event):
        """Redact one customer and the orders Shopify lists."""
        partners, listed_orders = self._find_customer(request)
        orders = listed_orders | self._backend_orders(partners)
        self.write({"partner_ids": [fields.Command.set(partners.ids)]})
        self._set_orders(orders)
        customer_gid = request.customer_external_id

        def allowed(binding):
            return binding.backend_id == self.backend_id and binding.external_id == customer_gid

        for partner in partners:
            self._redact_partner(partner, allowed, log)
        self._redact_orders(listed_orders, log)
        self._log_missing_orders(request, listed_orders, log)
        self._erase_exports([("customer_external_id", "=", customer_gid)], log)
        needles = [f'"{customer_gid}"', *(f'"{gid}"' for gid in request.orders)]
        needles += [f'"{gid}"' for gid in orders.mapped("retail_external_id") if gid]
        purged = self._purge_event_bodies(event, needles, request.email, log)
        if not partners and not listed_orders and not purged:
            log.nothing(self.env._("No customer or order of this shop matches the request."))

    def _run_shop_redact(self, log, event):
        """Redact every customer of the shop, pause the backend.

        Bindings are left in place: they hold only Shopify's ids, they keep
        the shop's orders traceable for accounting, and with them a
        redelivery finds the same, already redacted, customers. The paused
        backend processes nothing through them.
        """
        backend = self.backend_id
        if backend.state != "paused":
            backend.write({"state": "paused"})
            log.add(self.env._("Backend %s paused: the app was uninstalled.", backend.name))
        else:
            log.add(self.env._("Backend %s was already paused.", backend.name))
        bindings = self.env["retail.binding"].search(
            [("backend_id", "=", backend.id), ("res_model", "=", "res.partner")]
        )
        Partner = self.env["res.partner"].with_context(active_test=False)
        partners = Partner.browse(bindings.mapped("res_id")).exists()
        orders = self.env["sale.order"].search([("retail_backend_id", "=", backend.id)])
        # Guest checkouts: customers of the shop's orders bound to no customer.
        partners |= orders.partner_id.commercial_partner_id
        partners = partners.sorted("id")
        self.write({"partner_ids": [fields.Command.set(partners.ids)]})
        self._set_orders(orders)

        def allowed(binding):
            return binding.backend_id == backend

        for partner in partners:
            self._redact_partner(partner, allowed, log)
        self._redact_orders(orders, log)
        self._erase_exports([], log)
        self._purge_event_bodies(event, None, None, log)
        log.add(
            self.env._(
                "Bindings of this backend kept: they hold only Shopify ids and keep "
                "its orders traceable."
            )
        )

    # Finding the customer

    def _find_customer(self, request):
        """The partners that are the customer of ``request`` on this backend,
        and the listed orders found in Odoo.

        The partner bound to the customer's GID; only when none is bound,
        the top-level partners with the same normalized email, and the
        customers of the listed orders, that have orders from this backend.
        """
        backend = self.backend_id
        Partner = self.env["res.partner"].with_context(active_test=False)
        orders = self.env["sale.order"]
        if request.orders:
            orders = orders.search(
                [
                    ("retail_backend_id", "=", backend.id),
                    ("retail_external_id", "in", list(request.orders)),
                ]
            )
        binding = self.env["retail.binding"]._find(
            backend, "res.partner", request.customer_external_id
        )
        partners = binding._record() if binding else Partner
        if partners:
            return partners.with_context(active_test=False), orders
        email = email_normalize(request.email or "")
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

    def _backend_orders(self, partners):
        if not partners:
            return self.env["sale.order"]
        return self.env["sale.order"].search(
            [
                ("retail_backend_id", "=", self.backend_id.id),
                ("partner_id", "child_of", partners.ids),
            ]
        )

    def _log_missing_orders(self, request, found, log):
        missing = set(request.orders) - set(found.mapped("retail_external_id"))
        if missing:
            log.add(
                self.env._("Orders not in Odoo: %s.", ", ".join(sorted(missing, key=_gid_number)))
            )

    def _set_orders(self, orders):
        self.sudo().write({"order_ids": [fields.Command.set(orders.ids)]})

    # Redaction

    def _redaction_blocker(self, partner, family, allowed_binding):
        """Why ``partner`` must not be redacted, or ``None``."""
        backend = self.backend_id
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

    def _redact_partner(self, partner, allowed_binding, log):
        """Erase the personal data of ``partner`` and its child addresses,
        unless it is also someone else's."""
        label = self.env._("Partner #%s", partner.id)
        Partner = self.env["res.partner"].with_context(active_test=False)
        family = Partner.search([("id", "child_of", partner.id)])
        blocker = self._redaction_blocker(partner, family, allowed_binding)
        if blocker:
            log.review(f"{label}: {blocker}.")
            return
        moves = (
            self.env["account.move"]
            .sudo()
            .search([("partner_id", "in", family.ids), ("state", "=", "posted")])
        )
        keep_identity = (
            bool(moves) and self.backend_id.shopify_redact_invoiced == "keep_invoice_identity"
        )
        shown = moves.partner_id | moves.partner_shipping_id if keep_identity else Partner
        cleared = set()
        archived = 0
        for contact in family:
            values = _redaction_values(contact, partner, keep=contact in shown)
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
        entries = ", ".join(moves.sorted("id").mapped("name"))
        message = self.env._(
            "%(partner)s: personal data erased (%(fields)s)%(addresses)s; kept active: "
            "%(count)s posted accounting entries must be retained (%(entries)s).",
            partner=label,
            fields=what,
            addresses=addresses,
            count=len(moves),
            entries=entries,
        )
        if keep_identity:
            message += " " + self.env._(
                "Kept on the %s contact(s) these entries show: name, address, tax ID.",
                len(shown & family),
            )
        log.add(message)

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

    def _erase_exports(self, domain, log):
        """Erase the exports of earlier data requests now redacted."""
        exports = self.search(
            [
                ("backend_id", "=", self.backend_id.id),
                ("kind", "=", compliance.DATA_REQUEST),
                ("id", "!=", self.id),
                "|",
                ("export_attachment_id", "!=", False),
                ("customer_email", "!=", False),
                *domain,
            ]
        )
        if not exports:
            return
        exports.export_attachment_id.sudo().unlink()
        exports.write({"customer_email": False})
        log.add(
            self.env._(
                "Erased the export of data request(s): %s.",
                ", ".join(str(request_id) for request_id in exports.ids),
            )
        )

    def _purge_event_bodies(self, event, needles, email, log):
        """Erase the raw bodies of this backend's other events that carry the
        redacted data: those naming one of ``needles`` or ``email``, or all
        when ``needles`` is ``None``. An unprocessed one then fails instead of
        bringing the data back."""
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
                self.backend_id.id,
                event.id,
                conditions,
            )
        )
        count = self.env.cr.rowcount
        self.env["retail.event"].invalidate_model(["body", "body_purged"])
        if count:
            log.add(self.env._("Raw body erased on %s earlier event(s) of this shop.", count))
        return count

    # Export

    def _export_data(self, request, partners, orders):
        """The customer's personal data held in Odoo, as JSON-able values."""
        Partner = self.env["res.partner"].with_context(active_test=False)
        customers = []
        for partner in partners:
            family = Partner.search([("id", "child_of", partner.id)])
            bindings = self.env["retail.binding"].search(
                [("res_model", "=", "res.partner"), ("res_id", "in", family.ids)]
            )
            invoices = (
                self.env["account.move"]
                .sudo()
                .search(
                    [
                        ("partner_id", "in", family.ids),
                        ("move_type", "in", CUSTOMER_MOVE_TYPES),
                        ("state", "=", "posted"),
                    ],
                    order="invoice_date, id",
                )
            )
            customers.append(
                {
                    **_contact_data(partner),
                    "addresses": [_contact_data(child) for child in family - partner],
                    "channel_bindings": [
                        {
                            "channel": binding.backend_id.name,
                            "channel_type": binding.backend_id.code,
                            "external_id": binding.external_id,
                            "updated_at": _iso(binding.external_updated_at),
                        }
                        for binding in bindings.sorted("id")
                    ],
                    "invoices": [_invoice_data(move) for move in invoices],
                }
            )
        return {
            "request": {
                "type": "customers/data_request",
                "shop_domain": request.shop_domain,
                "shopify_customer_id": request.customer_external_id,
                "data_request_id": request.request_id,
                "orders_requested": list(request.orders),
                "generated_at": _iso(fields.Datetime.now()),
                "channel": self.backend_id.name,
            },
            "customers": customers,
            "orders": [_order_data(order) for order in orders.sorted("id")],
        }


class RetailBackend(models.Model):
    _inherit = "retail.backend"

    shopify_redact_invoiced = fields.Selection(
        REDACT_INVOICED_POLICIES,
        string="Redacting invoiced customers",
        default="keep_invoice_identity",
        required=True,
        help="Customers with posted accounting entries stay active whatever the choice: "
        "the entries must be retained. Odoo prints invoices from the live customer, so "
        "by default the contacts posted invoices show keep their name, address and tax "
        "ID; their email, phones, notes and other addresses are erased.",
    )


class _Log:
    """What a request did, line by line, and the state it ends in."""

    def __init__(self):
        self.lines = []
        self.state = "done"

    def add(self, line):
        self.lines.append(line)

    def review(self, line):
        self.lines.append(line)
        self.state = "review"

    def nothing(self, line):
        self.lines.append(line)
        if self.state == "done":
            self.state = "nothing"

    def text(self):
        return "\n".join(self.lines)


def _redaction_values(contact, root, keep):
    """The values that erase ``contact``'s personal data; ``keep`` spares
    what posted invoices print."""
    values = {}
    for name in PERSONAL_FIELDS:
        if name not in contact._fields or (keep and name in INVOICE_IDENTITY_FIELDS):
            continue
        value = contact[name]
        if name == "comment" and is_html_empty(value):
            continue
        if value:
            values[name] = False
    if not keep:
        # Addresses may be nameless; a contact needs a name.
        named = contact == root or contact.type == "contact"
        placeholder = f"Redacted customer {root.id}" if named else False
        if contact.name != placeholder:
            values["name"] = placeholder
    return values


def _iso(value):
    return fields.Datetime.to_string(value) if value else None


def _gid_number(gid):
    return int(gid.rsplit("/", 1)[1])


def _contact_data(partner):
    data = {
        "id": partner.id,
        "type": partner.type,
        "name": partner.name or None,
        "company_name": partner.company_name or None,
        "email": partner.email or None,
        "phone": partner.phone or None,
        "street": partner.street or None,
        "street2": partner.street2 or None,
        "zip": partner.zip or None,
        "city": partner.city or None,
        "state": partner.state_id.name or None,
        "country": partner.country_id.code or None,
        "vat": partner.vat or None,
        "lang": partner.lang or None,
        "website": partner.website or None,
        "notes": None if is_html_empty(partner.comment) else html2plaintext(partner.comment),
        "active": partner.active,
        "created_at": _iso(partner.create_date),
    }
    if "mobile" in partner._fields:
        data["mobile"] = partner.mobile or None
    return data


def _order_data(order):
    currency = order.currency_id
    return {
        "name": order.name,
        "channel": order.retail_backend_id.name,
        "channel_order_id": order.retail_external_id,
        "reference": order.client_order_ref or None,
        "date": _iso(order.date_order),
        "state": order.state,
        "channel_status": order.retail_channel_status or None,
        "payment_state": order.retail_payment_state or None,
        "currency": currency.name,
        "amount_untaxed": currency.round(order.amount_untaxed),
        "amount_tax": currency.round(order.amount_tax),
        "amount_total": currency.round(order.amount_total),
        "customer_id": order.partner_id.id,
        "invoice_address_id": order.partner_invoice_id.id,
        "shipping_address_id": order.partner_shipping_id.id,
        "note": None if is_html_empty(order.note) else html2plaintext(order.note),
        "lines": [
            {
                "description": line.name,
                "sku": line.product_id.default_code or None,
                "quantity": line.product_uom_qty,
                "unit_price": line.price_unit,
                "discount_percent": line.discount,
                "subtotal": currency.round(line.price_subtotal),
                "total": currency.round(line.price_total),
            }
            for line in order.order_line
            if not line.display_type
        ],
    }


def _invoice_data(move):
    return {
        "number": move.name,
        "type": move.move_type,
        "date": fields.Date.to_string(move.invoice_date) if move.invoice_date else None,
        "currency": move.currency_id.name,
        "amount_total": move.currency_id.round(move.amount_total),
        "payment_state": move.payment_state,
    }
