from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _action_done(self, cancel_backorder=False):
        """Override of `stock`: owe channels the new stock levels."""
        moves = super()._action_done(cancel_backorder=cancel_backorder)
        self._retail_enqueue_stock_levels(moves)
        return moves

    def _action_assign(self, force_qty=False):
        """Override of `stock`: reservations change what is available to sell."""
        result = super()._action_assign(force_qty=force_qty)
        self._retail_enqueue_stock_levels(self)
        return result

    def _retail_enqueue_stock_levels(self, moves):
        Outbox = self.env["retail.outbox"].sudo()
        Backend = self.env["retail.backend"].sudo()
        for company in moves.company_id:
            backends = Backend._get_stock_export_backends(company)
            if not backends:
                continue
            products = moves.filtered(
                lambda m, c=company: m.company_id == c and m.product_id.is_storable
            ).product_id
            for backend in backends:
                for product in products:
                    Outbox._enqueue(
                        backend,
                        "stock",
                        product,
                        dedup_key=f"stock/{product.id}",
                        delay=backend.stock_export_delay,
                    )
