"""Shopify's compliance requests (GDPR and similar laws), applied in Odoo.

Shopify's payloads are parsed in ``compliance.py``. The base finds and
redacts the customer (``retail.customer.privacy``, under the rules its module
docstring lists; readme/USAGE.md has the long form) and exports its data
(``retail.customer.exporter``). This model keeps one record per request: what
was asked, what was done, the export. The backend's ``shopify_redact_invoiced``
chooses how customers with posted invoices are redacted.
"""

from odoo import api, fields, models

from odoo.addons.retail_connector_base.privacy import PrivacyLog, iso

from .. import compliance

REQUEST_STATES = [
    ("done", "Done"),
    ("nothing", "Nothing to do"),
    ("review", "Needs review"),
]


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
        log = PrivacyLog()
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
        partners, listed_orders, orders = self._find_customer(request)
        self._log_missing_orders(request, listed_orders, log)
        if not partners and not orders:
            log.nothing(self.env._("No customer or order of this shop matches the request."))
            return
        exporter = self.env["retail.customer.exporter"]
        header = request.export_header(iso(fields.Datetime.now()), self.backend_id.name)
        data = {"request": header, **exporter._export_data(partners, orders)}
        name = f"shopify-data-request-{request.request_id or self.id}.json"
        self.export_attachment_id = exporter._create_export(self, name, data)
        log.add(
            self.env._(
                "Export %(name)s: %(partners)s customer(s) with %(addresses)s address(es), "
                "%(orders)s order(s) from %(backend)s.",
                name=name,
                partners=len(partners),
                addresses=sum(len(customer["addresses"]) for customer in data["customers"]),
                orders=len(orders),
                backend=self.backend_id.name,
            )
        )

    def _run_customer_redact(self, request, log, event):
        """Redact one customer and the orders Shopify lists."""
        backend = self.backend_id
        privacy = self.env["retail.customer.privacy"]
        partners, listed_orders, orders = self._find_customer(request)
        customer_gid = request.customer_external_id

        def allowed(binding):
            return binding.backend_id == backend and binding.external_id == customer_gid

        policy = backend.shopify_redact_invoiced
        privacy._redact(backend, partners, listed_orders, allowed, log, policy)
        self._log_missing_orders(request, listed_orders, log)
        self._erase_exports([("customer_external_id", "=", customer_gid)], log)
        needles = [f'"{customer_gid}"', *(f'"{gid}"' for gid in request.orders)]
        needles += [f'"{gid}"' for gid in orders.mapped("retail_external_id") if gid]
        purged = privacy._purge_event_bodies(backend, needles, request.email, log, event)
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
        privacy = self.env["retail.customer.privacy"]
        if backend.state != "paused":
            backend.write({"state": "paused"})
            log.add(self.env._("Backend %s paused: the app was uninstalled.", backend.name))
        else:
            log.add(self.env._("Backend %s was already paused.", backend.name))
        partners, orders = privacy._backend_customers(backend)
        self._set_concerned(partners, orders)

        def allowed(binding):
            return binding.backend_id == backend

        privacy._redact(backend, partners, orders, allowed, log, backend.shopify_redact_invoiced)
        self._erase_exports([], log)
        privacy._purge_event_bodies(backend, None, None, log, event)
        log.add(
            self.env._(
                "Bindings of this backend kept: they hold only Shopify ids and keep "
                "its orders traceable."
            )
        )

    def _find_customer(self, request):
        """The customer of ``request``, the listed orders found in Odoo, and
        those with the customer's orders from this shop, recorded on ``self``."""
        privacy = self.env["retail.customer.privacy"]
        partners, listed_orders = privacy._find_customer(
            self.backend_id, request.customer_external_id, request.email, request.orders
        )
        orders = listed_orders | privacy._backend_orders(self.backend_id, partners)
        self._set_concerned(partners, orders)
        return partners, listed_orders, orders

    def _set_concerned(self, partners, orders):
        self.write({"partner_ids": [fields.Command.set(partners.ids)]})
        self.sudo().write({"order_ids": [fields.Command.set(orders.ids)]})

    def _log_missing_orders(self, request, found, log):
        missing = set(request.orders) - set(found.mapped("retail_external_id"))
        if missing:
            log.add(
                self.env._(
                    "Orders not in Odoo: %s.",
                    ", ".join(sorted(missing, key=compliance.gid_number)),
                )
            )

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
