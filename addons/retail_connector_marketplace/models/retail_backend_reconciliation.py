from datetime import UTC

from odoo import models

from .. import reconciliation
from ..client import MAX_PAGE_SIZE


class RetailBackend(models.Model):
    """What the marketplace holds, for the base's drift measurement
    (``retail.reconciler``): OR11, OF21, STO02 and STO03."""

    _inherit = "retail.backend"

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
