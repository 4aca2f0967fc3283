"""A customer's personal data held in Odoo, exported as JSON, whatever the
channel: what a data request (GDPR and similar laws) is answered with."""

import json

from odoo import api, models

from .. import privacy


class RetailCustomerExporter(models.AbstractModel):
    """Collects a channel customer's personal data into a JSON export."""

    _name = "retail.customer.exporter"
    _description = "Retail Customer Data Exporter"

    @api.model
    def _export_data(self, partners, orders):
        """The personal data Odoo holds about ``partners`` (with their
        addresses, channel bindings and posted invoices) and ``orders``, as
        JSON-able values: ``{"customers": [...], "orders": [...]}``."""
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
                        ("move_type", "in", privacy.CUSTOMER_MOVE_TYPES),
                        ("state", "=", "posted"),
                    ],
                    order="invoice_date, id",
                )
            )
            customers.append(
                {
                    **privacy.contact_data(partner),
                    "addresses": [privacy.contact_data(child) for child in family - partner],
                    "channel_bindings": [
                        privacy.binding_data(binding) for binding in bindings.sorted("id")
                    ],
                    "invoices": [privacy.invoice_data(move) for move in invoices],
                }
            )
        return {
            "customers": customers,
            "orders": [privacy.order_data(order) for order in orders.sorted("id")],
        }

    @api.model
    def _create_export(self, record, name, data):
        """Store ``data`` as the JSON file ``name`` attached to ``record``
        (the request it answers); erasing the export is unlinking it.

        :return: the ``ir.attachment``
        """
        return (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": name,
                    "res_model": record._name,
                    "res_id": record.id,
                    "mimetype": "application/json",
                    "raw": json.dumps(data, indent=2, ensure_ascii=False).encode(),
                }
            )
        )
