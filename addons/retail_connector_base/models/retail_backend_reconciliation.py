from datetime import timedelta

from odoo import api, fields, models

from odoo.addons.queue_job.job import identity_exact

from ..exceptions import PermanentError


class RetailBackendReconciliation(models.AbstractModel):
    """What a backend needs to measure its drift from the channel: the
    schedule, the run job (``retail.reconciler``) and the hooks a channel
    module implements. Inherited by ``retail.backend`` only."""

    _name = "retail.backend.reconciliation"
    _description = "Retail Backend Reconciliation"

    reconcile_window_days = fields.Integer(
        string="Reconcile the last (days)",
        default=7,
        required=True,
        help="Each reconciliation compares the orders the channel and Odoo created in this "
        "many past days, and the stock of every SKU.",
    )
    reconcile_run_ids = fields.One2many(
        "retail.reconciliation.run", "backend_id", string="Reconciliation runs"
    )
    reconcile_last_run_id = fields.Many2one(
        "retail.reconciliation.run",
        string="Last reconciliation",
        compute="_compute_reconcile_last_run",
    )
    reconcile_order_drift = fields.Float(
        string="Order drift (‰)",
        compute="_compute_reconcile_last_run",
        help="Orders that differ per 1,000 compared, in the last reconciliation.",
    )

    _reconcile_window_positive = models.Constraint(
        "CHECK(reconcile_window_days > 0)", "The reconciliation window needs at least one day."
    )

    def _compute_reconcile_last_run(self):
        Run = self.env["retail.reconciliation.run"]
        for backend in self:
            run = Run.search(
                [("backend_id", "=", backend.id), ("state", "=", "done")],
                order="started_at desc, id desc",
                limit=1,
            )
            backend.reconcile_last_run_id = run
            backend.reconcile_order_drift = run.order_drift_rate

    @api.model
    def _cron_reconcile(self):
        """Queue a reconciliation of every active backend that supports it
        and was not reconciled in the last day."""
        since = fields.Datetime.now() - timedelta(days=1)
        for backend in self.search([("state", "=", "active")]).filtered("support_reconciliation"):
            recent = self.env["retail.reconciliation.run"].search_count(
                [("backend_id", "=", backend.id), ("started_at", ">", since)], limit=1
            )
            if not recent:
                backend._queue_reconcile()

    def action_reconcile_now(self):
        """Reconcile now, without waiting for the cron."""
        for backend in self.filtered("support_reconciliation"):
            backend._queue_reconcile()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"type": "success", "message": self.env._("Reconciliation queued.")},
        }

    def action_view_reconciliation_runs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "retail_connector_base.retail_reconciliation_run_action"
        )
        action["domain"] = [("backend_id", "=", self.id)]
        action["context"] = {"default_backend_id": self.id}
        return action

    def _queue_reconcile(self):
        self.ensure_one()
        return self.with_delay(
            channel=self._get_job_channel("batch"),
            identity_key=identity_exact,
            description=f"Reconcile {self.name} with its channel",
        )._reconcile()

    def _reconcile(self, since=None, until=None):
        """Job: compare the channel with Odoo over the window, repair what
        can be, record the run (see ``retail.reconciler``).

        :param since: naive UTC start (default: ``reconcile_window_days`` ago)
        :param until: naive UTC end (default: now)
        :return: a summary for the job's result
        """
        self.ensure_one()
        if not self.support_reconciliation:
            return "This backend's channel can't be reconciled."
        return self.env["retail.reconciler"]._run(self, since=since, until=until)

    # Hooks of the channel modules

    def _reconcile_fetch_orders(self, since, until):
        """Hook: yield an :class:`~..reconciliation.OrderSummary` for each
        order the channel created in ``[since, until)`` (naive UTC), with the
        :class:`~..polling.PolledRecord` that imports it in ``record``.

        :raise TransientError: when the channel is unavailable (the run is retried)
        """
        raise PermanentError(f"Channel {self.code} can't be reconciled")

    def _reconcile_fetch_orders_by_ids(self, external_ids):
        """Hook: the :class:`~..reconciliation.OrderSummary` of the orders
        ``external_ids`` the channel still has (those Odoo dates in the
        window but the channel's window didn't return). None by default: the
        orders are then missing in the channel."""
        return []

    def _reconcile_fetch_stock(self, skus):
        """Hook: ``{sku: quantity}`` the channel offers for sale, for the
        ``skus`` (a list of every SKU Odoo stocks: read them in the pages the
        channel prefers) it knows; a SKU it doesn't sell is left out."""
        raise PermanentError(f"Channel {self.code} can't report its stock")

    def _reconcile_fetch_stock_refusals(self, since):
        """Hook: ``{sku: reason}`` of the stock updates sent since ``since``
        (naive UTC) that the channel refused after taking them (an import's
        error report). None by default."""
        return {}
