from odoo import fields, models

from odoo.addons.retail_connector_base.exceptions import RetailError

from ..client import MiraklClient

MANAGER_GROUP = "retail_connector_base.group_retail_connect_manager"


class RetailBackend(models.Model):
    """A Mirakl seller account: its settings, its API client and its
    buttons. The hooks the base calls for it live beside, one file per
    concern: ``retail_backend_polling.py`` (base's poll loop reads OR11;
    new orders are accepted by ``retail.mirakl.acceptance``),
    ``retail_backend_reconciliation.py`` (drift) and
    ``retail_backend_exports.py`` (the outbox's exports).
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
