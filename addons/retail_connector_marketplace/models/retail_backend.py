import logging
from datetime import UTC

import psycopg2.errors

from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.retail_connector_base.exceptions import PermanentError, RetailError
from odoo.addons.retail_connector_base.polling import POLL_STREAM

from .. import outbound, reconciliation
from ..adapters.mirakl import polled_order
from ..client import MAX_PAGE_SIZE, MiraklClient, MiraklOutcomeUnknown, MiraklRequestError

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "retail_connector_base.group_retail_connect_manager"


class RetailBackend(models.Model):
    """A Mirakl seller account: its settings and base's hooks for it.

    Inbound, base's poll loop reads OR11 through :meth:`_poll_fetch`; new
    orders are accepted by ``retail.mirakl.acceptance``. Outbound, the
    outbox's exports send shipments (``retail.mirakl.shipment``: OR30, OR23,
    OR24), stock levels (STO01), cancellations (OR29) and refunds (OR28);
    the calls' entries are built in :mod:`..outbound`.
    """

    _inherit = "retail.backend"

    code = fields.Selection(
        selection_add=[("mirakl", "Marketplace (Mirakl)")], ondelete={"mirakl": "set default"}
    )
    mirakl_api_url = fields.Char(
        string="Marketplace API URL", help="The operator's base URL, e.g. https://acme.mirakl.net"
    )
    mirakl_api_key = fields.Char(
        string="API key",
        copy=False,
        groups=MANAGER_GROUP,
        help="Sent as the raw Authorization header value.",
    )
    mirakl_shop_id = fields.Char(string="Shop ID", help="Only for keys that manage several shops.")

    # Acceptance (OR21)
    mirakl_accept_in_stock_only = fields.Boolean(
        string="Accept only what is in stock",
        default=True,
        help="Refuse a line when Odoo's available stock doesn't cover it.",
    )
    mirakl_blocked_skus = fields.Char(
        string="Blocked SKUs", help="Comma-separated SKUs whose lines are always refused."
    )
    mirakl_min_margin = fields.Float(
        string="Minimum margin (%)",
        help="Refuse a line whose untaxed price is less than this margin over the "
        "product's cost. 0: no check.",
    )
    mirakl_allow_partial_acceptance = fields.Boolean(
        string="Partial acceptance",
        default=True,
        help="Whether the operator allows refusing some lines only. When not, an order "
        "with a line that can't be accepted is refused whole.",
    )
    mirakl_deadline_warning_hours = fields.Integer(
        string="Warn before the deadline (hours)",
        default=12,
        required=True,
        help="An activity is scheduled on orders still undecided this close to the "
        "acceptance deadline.",
    )
    mirakl_acceptance_delay_hours = fields.Integer(
        string="Acceptance delay (hours)",
        default=72,
        required=True,
        help="The operator's time to accept an order, counted from its creation, when "
        "the order doesn't carry its deadline.",
    )

    # Outbound
    mirakl_carrier_mapping_ids = fields.One2many(
        "retail.carrier.mapping", "backend_id", string="Carrier codes"
    )
    mirakl_warehouse_code = fields.Char(
        string="Marketplace warehouse code",
        help="Sent as warehouse-code in the stock imports (STO01); empty for a single stock.",
    )
    mirakl_refund_reason_code = fields.Char(
        string="Refund reason code",
        help="The operator's reason code (RE01) sent with refunds made in Odoo.",
    )
    mirakl_return_reason_codes = fields.Char(
        string="Return reason codes",
        help="The operator's refund reason codes (RE01, comma-separated) that mean the "
        "customer sent the goods back: such a refund brings its units back into stock "
        "(a return picking, validated). Empty: refunds return nothing.",
    )
    mirakl_cancel_reason_code = fields.Char(
        string="Cancellation reason code",
        help="The operator's reason code (RE01, type ORDER_CANCEL) sent with the units of a "
        "delivery cancelled in Odoo (OR30).",
    )

    def _compute_feature_support(self):
        """Override of `retail_connector_base`: Mirakl sends no webhooks; its
        orders are polled; it takes shipments, stock levels, cancellations
        and refunds."""
        super()._compute_feature_support()
        for backend in self.filtered(lambda b: b.code == "mirakl"):
            backend.support_webhooks = False
            backend.support_webhook_secret = False
            backend.support_polling = True
            backend.support_fulfillment_export = True
            backend.support_stock_export = True
            backend.support_cancellation_export = True
            backend.support_refund_export = True
            backend.support_reconciliation = True

    # API

    def _mirakl_client(self, **kwargs):
        """The API client of this seller account, with its key."""
        self.ensure_one()
        backend = self.sudo()
        return MiraklClient(
            backend.mirakl_api_url,
            backend.mirakl_api_key,
            shop_id=backend.mirakl_shop_id or None,
            breaker=backend._get_api_breaker(),
            **kwargs,
        )

    def _mirakl_order(self, client, order_id):
        """The marketplace's current version of order ``order_id`` (OR11)."""
        for order in client.orders(order_ids=[order_id], page_size=1):
            if str(order.get("order_id")) == str(order_id):
                return order
        return None

    def _mirakl_order_state(self, client, order_id):
        order = self._mirakl_order(client, order_id)
        return order.get("order_state") if order else None

    def action_mirakl_test_connection(self):
        """Call A01 and show the shop's name, or the exact error."""
        self.ensure_one()
        try:
            account = self._mirakl_client(max_attempts=2).account() or {}
        except RetailError as exc:
            message, kind = self.env._("Connection failed: %s", exc), "danger"
        else:
            message = self.env._(
                "Connected to %(name)s (shop %(id)s).",
                name=account.get("shop_name"),
                id=account.get("shop_id"),
            )
            kind = "success"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"message": message, "type": kind, "sticky": kind == "danger"},
        }

    # Orders (OR11 poll)

    def _poll_fetch(self, since, stream=POLL_STREAM):
        """Override of `retail_connector_base`: every order version Mirakl
        updated since ``since`` (OR11, pages of 100)."""
        if self.code != "mirakl":
            return super()._poll_fetch(since, stream)
        orders = self._mirakl_client().orders(
            start_update_date=since.replace(tzinfo=UTC), page_size=MAX_PAGE_SIZE
        )
        return (polled_order(order) for order in orders)

    def _get_poll_label(self, stream):
        """Override of `retail_connector_base`: Mirakl's poll reads order versions."""
        if self.code != "mirakl":
            return super()._get_poll_label(stream)
        return self.env._("order versions")

    # Drift measurement (retail.reconciler): OR11 and OF21

    def _reconcile_fetch_orders(self, since, until):
        """Override of `retail_connector_base`: the orders created in the
        window (OR11 ``start_date``/``end_date``, which include the end: the
        base keeps the window half-open)."""
        if self.code != "mirakl":
            return super()._reconcile_fetch_orders(since, until)
        orders = self._mirakl_client().orders(
            start_date=since.replace(tzinfo=UTC),
            end_date=until.replace(tzinfo=UTC),
            page_size=MAX_PAGE_SIZE,
        )
        return (reconciliation.order_summary(order) for order in orders)

    def _reconcile_fetch_orders_by_ids(self, external_ids):
        """Override of `retail_connector_base`: the orders ``external_ids``
        the marketplace still has (OR11 ``order_ids``)."""
        if self.code != "mirakl":
            return super()._reconcile_fetch_orders_by_ids(external_ids)
        orders = self._mirakl_client().orders(order_ids=external_ids, page_size=MAX_PAGE_SIZE)
        return [reconciliation.order_summary(order) for order in orders]

    def _reconcile_fetch_stock(self, skus):
        """Override of `retail_connector_base`: the quantity of the shop's
        offers of ``skus`` (OF21, pages of 100)."""
        if self.code != "mirakl":
            return super()._reconcile_fetch_stock(skus)
        offers = self._mirakl_client().offers(page_size=MAX_PAGE_SIZE)
        return reconciliation.offer_quantities(offers, skus)

    def _reconcile_fetch_stock_refusals(self, since):
        """Override of `retail_connector_base`: the SKUs of the stock
        imports sent since ``since`` that the marketplace refused, read back
        with STO02 (status) and STO03 (error report)."""
        if self.code != "mirakl":
            return super()._reconcile_fetch_stock_refusals(since)
        messages = (
            self.env["retail.outbox"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", self.id),
                    ("kind", "in", ("stock", "stock_resync")),
                    ("state", "=", "done"),
                    ("sent_at", ">=", since),
                    ("result", "=like", "Import %"),
                ],
                order="sent_at desc, id desc",
            )
        )
        client = self._mirakl_client()
        refusals = {}
        imports = reconciliation.stock_imports(messages.mapped("result"))
        for import_id, skus in reversed(imports.items()):  # the newest wins
            status = client.stock_import_status(import_id)
            errors = (
                reconciliation.stock_import_errors(client.stock_import_error_report(import_id))
                if status.get("has_error_report")
                else []
            )
            refusals.update(reconciliation.stock_refusals(import_id, status, errors, skus))
        return refusals

    # Shipments (OR30, OR23, OR24)

    def _export_fulfillment(self, picking, message):
        """Override of `retail_connector_base`: the delivery that completes a
        marketplace order ships it (see ``retail.mirakl.shipment``)."""
        if self.code != "mirakl":
            return super()._export_fulfillment(picking, message)
        return self.env["retail.mirakl.shipment"]._ship(self, picking)

    # Stock levels (STO01)

    def _export_stock(self, product, message):
        """Override of `retail_connector_base`: one STO01 import with the
        available quantity of ``product`` and of every other product whose
        stock message is pending (STO01 takes many offers and runs about once
        a minute); those messages are done with this one."""
        if self.code != "mirakl":
            return super()._export_stock(product, message)
        if not product.default_code:
            raise PermanentError(f"{product.display_name} has no SKU (internal reference)")
        others = self._mirakl_take_pending_stock(message)
        products = product
        for other in others:
            products |= other._record()
        rows = [
            outbound.stock_row(
                line_product.default_code,
                self._get_available_quantity(line_product),
                self.mirakl_warehouse_code,
            )
            for line_product in products
        ]
        # A 429 goes back to the outbox with its Retry-After, no sleeping in a job.
        client = self._mirakl_client(max_attempts=outbound.EXPORT_MAX_ATTEMPTS, max_retry_wait=0)
        import_id = (client.import_stock(rows) or {}).get("import_id")
        others.write(
            {
                "state": "done",
                "result": f"Sent with import {import_id} (message {message.id})",
                "sent_at": fields.Datetime.now(),
                "error": False,
            }
        )
        summary = ", ".join(f"{row['offer_sku']}: {row['quantity']}" for row in rows)
        return f"Import {import_id}: {summary}"[:250]

    def _export_stock_levels(self, levels, message):
        """Override of `retail_connector_base`: one STO01 import for the
        rows of a resync chunk."""
        if self.code != "mirakl":
            return super()._export_stock_levels(levels, message)
        rows = [
            outbound.stock_row(level["sku"], level["quantity"], self.mirakl_warehouse_code)
            for level in levels
        ]
        client = self._mirakl_client(max_attempts=outbound.EXPORT_MAX_ATTEMPTS, max_retry_wait=0)
        import_id = (client.import_stock(rows) or {}).get("import_id")
        return f"Import {import_id}: {len(rows)} offers"

    def _get_stock_resync_chunk_size(self):
        """Override of `retail_connector_base`: STO01 is a file, and runs
        about once a minute: large chunks."""
        if self.code != "mirakl":
            return super()._get_stock_resync_chunk_size()
        return outbound.STOCK_RESYNC_CHUNK_SIZE

    def _mirakl_take_pending_stock(self, message):
        """The other pending stock messages of this backend, locked; those
        whose own job is running (their row is locked) are left to it."""
        cr = self.env.cr
        try:
            with cr.savepoint():
                cr.execute(
                    SQL(
                        """
                        SELECT id FROM retail_outbox
                         WHERE backend_id = %s AND kind = 'stock' AND state = 'pending'
                           AND res_model = 'product.product' AND id != %s
                         ORDER BY id
                           FOR NO KEY UPDATE SKIP LOCKED
                        """,
                        self.id,
                        message.id,
                    )
                )
                ids = [row[0] for row in cr.fetchall()]
        except psycopg2.errors.SerializationFailure:
            # Another job sent some of them since this transaction began.
            _logger.info("Outbox %s: pending stock changed meanwhile, sent alone", message.id)
            return message.browse()
        others = message.browse(ids)
        others.invalidate_recordset()
        return others.filtered(
            lambda m: m.state == "pending" and (m._record().default_code if m._record() else False)
        )

    # Cancellations (OR29) and refunds (OR28) decided in Odoo

    def _export_cancellation(self, order, message):
        """Override of `retail_connector_base`: OR29 cancels the whole order
        (before it ships); an order the marketplace already cancelled is done."""
        if self.code != "mirakl":
            return super()._export_cancellation(order, message)
        client = self._mirakl_client()
        order_id = order.retail_external_id
        try:
            client.cancel(order_id)
        except MiraklRequestError:
            state = self._mirakl_order_state(client, order_id)
            if state in outbound.CANCELLED_STATES:
                return f"Order {order_id} was already {state.lower()} on the marketplace."
            raise
        return f"Order {order_id} cancelled on the marketplace (OR29)."

    def _export_refund(self, credit_note, message):
        """Override of `retail_connector_base`: OR28 refunds the credited
        lines of the marketplace order, shipping included.

        A refund sent twice is paid twice: when the marketplace's answer is
        lost, the message fails for a person to check the order instead of
        being retried.
        """
        if self.code != "mirakl":
            return super()._export_refund(credit_note, message)
        if not self.mirakl_refund_reason_code:
            raise PermanentError("Set the refund reason code on the backend to send refunds")
        refunds = self._mirakl_refund_lines(credit_note)
        if not refunds:
            raise PermanentError(
                f"{credit_note.display_name} credits no line of a marketplace order"
            )
        try:
            answer = self._mirakl_client().refund(refunds) or {}
        except MiraklOutcomeUnknown as exc:
            raise PermanentError(
                f"The marketplace may have recorded the refund ({exc}): check the order "
                "there before sending it again"
            ) from exc
        ids = [str(r.get("refund_id")) for r in answer.get("refunds") or [] if r.get("refund_id")]
        # OR11 lists these refunds on the order's lines later: recorded now,
        # they are known there and draft no second credit note.
        sent = {entry["order_line_id"]: entry for entry in refunds}
        order = credit_note.invoice_line_ids.sale_line_ids.order_id[:1]
        for answered in answer.get("refunds") or []:
            entry = sent.get(answered.get("order_line_id"), {})
            if answered.get("refund_id") and order:
                self.env["retail.order.refund"]._record_sent(
                    self,
                    order,
                    credit_note,
                    str(answered["refund_id"]),
                    entry.get("amount", 0.0) + entry.get("shipping_amount", 0.0),
                    shipping=entry.get("shipping_amount", 0.0),
                )
        return f"Refunded on the marketplace (OR28): {', '.join(ids) or 'no id returned'}"

    def _mirakl_refund_lines(self, credit_note):
        """The OR28 entries of ``credit_note``'s marketplace lines and shipping."""
        lines = []
        shipping = 0.0
        shipping_product = self.env.ref("retail_connector_base.product_retail_shipping")
        for line in credit_note.invoice_line_ids.filtered(lambda i: i.display_type == "product"):
            amount = (
                line.price_total if line.tax_ids.filtered("price_include") else line.price_subtotal
            )
            if line.product_id == shipping_product:
                shipping += amount
                continue
            sale_line = line.sale_line_ids.filtered("retail_line_id")[:1]
            if sale_line:
                lines.append((sale_line.retail_line_id, amount, line.quantity))
        return outbound.refund_entries(lines, shipping, self.mirakl_refund_reason_code)
