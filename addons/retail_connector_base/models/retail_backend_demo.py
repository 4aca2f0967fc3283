from odoo import api, fields, models

from ..demo_catalogue import DEMO_BACKEND_NAME, DEMO_PRODUCTS, DEMO_TAX_PERCENT


class RetailBackendDemo(models.AbstractModel):
    """The demo channel: a generic backend fed by the simulator in
    tools/demo_channel. Nothing of it exists until someone asks for it
    (``make demo``, ``docker compose --profile demo up``). Inherited by
    ``retail.backend`` only."""

    _name = "retail.backend.demo"
    _description = "Retail Backend Demo"

    is_demo = fields.Boolean(
        string="Demo channel",
        readonly=True,
        copy=False,
        help="Fed by the demo simulator (tools/demo_channel): its orders and customers are "
        "made up. Archive it, or drop the database, when the demo is over.",
    )

    @api.model
    def _create_demo_channel(self):
        """Create (or find again) the active demo backend of the current
        company, its products and a sales tax for them.

        :return: what the simulator needs, as JSON-ready values: the webhook
            path and URL, the secret, the currency, the tax rate and the products
        """
        backend = self.with_context(active_test=False).search(
            [("is_demo", "=", True), ("company_id", "=", self.env.company.id)], limit=1
        )
        if not backend:
            backend = self.create({"name": DEMO_BACKEND_NAME, "code": "generic", "is_demo": True})
        if not backend.webhook_secret:
            backend.action_generate_webhook_secret()
        backend.active = True
        if backend.state != "active":
            backend.action_activate()
        products = self._get_demo_products()
        self._get_demo_tax()
        return {
            "backend": backend.name,
            "webhook_path": f"/retail/webhook/{backend.webhook_token}",
            "webhook_url": backend.webhook_url,
            "secret": backend.webhook_secret,
            "currency": backend.company_id.currency_id.name,
            "tax_rate": str(DEMO_TAX_PERCENT / 100),
            "products": [
                {"sku": product.default_code, "name": product.name, "price": price}
                for product, price in products
            ],
        }

    @api.model
    def _get_demo_products(self):
        """``[(product, unit price)]`` of the demo catalogue, created when missing."""
        Product = self.env["product.product"].with_context(active_test=False)
        found = {
            p.default_code: p
            for p in Product.search([("default_code", "in", [sku for sku, *_ in DEMO_PRODUCTS])])
        }
        missing = [row for row in DEMO_PRODUCTS if row[0] not in found]
        created = Product.create(
            [
                {"name": name, "default_code": sku, "type": "consu", "list_price": float(price)}
                for sku, name, price in missing
            ]
        )
        found.update({p.default_code: p for p in created})
        return [(found[sku], price) for sku, _name, price in DEMO_PRODUCTS]

    @api.model
    def _get_demo_tax(self):
        """The company's sales tax the demo orders carry (excluded from prices)."""
        company = self.env.company
        tax = self.env["retail.tax.matcher"]._find(company, DEMO_TAX_PERCENT, False)
        if tax:
            return tax
        name = f"Demo sales tax {DEMO_TAX_PERCENT:g}%"
        # Its own group: the company's default one is named after another rate.
        group = self.env["account.tax.group"].create({"name": name, "company_id": company.id})
        return self.env["account.tax"].create(
            {
                "name": name,
                "amount": DEMO_TAX_PERCENT,
                "amount_type": "percent",
                "type_tax_use": "sale",
                "price_include_override": "tax_excluded",
                "tax_group_id": group.id,
                "company_id": company.id,
            }
        )
