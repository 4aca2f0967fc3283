from datetime import UTC

from odoo import models

from odoo.addons.retail_connector_base.polling import POLL_STREAM

from ..adapters.mirakl import polled_order
from ..client import MAX_PAGE_SIZE


class RetailBackend(models.Model):
    """A Mirakl seller account's poll: the base's loop reads OR11."""

    _inherit = "retail.backend"

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
