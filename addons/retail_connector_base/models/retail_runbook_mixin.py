from odoo import api, fields, models

from ..triage import alert_page, failure_page, hold_page, runbook_url
from ..triage.runbooks import RUNBOOK_BASE_URL_PARAM


class RetailRunbookMixin(models.AbstractModel):
    """A link to the runbook page (``docs/runbooks/``) that says what a
    record means, how to check it, how to fix it and when to escalate. The
    docs' address is a setting: the repository's by default, or a copy the
    company hosts."""

    _name = "retail.runbook.mixin"
    _description = "Retail Runbook Link"

    runbook_url = fields.Char(string="Runbook", compute="_compute_runbook_url")

    def _compute_runbook_url(self):
        for record in self:
            page = record._get_runbook_page()
            record.runbook_url = self._runbook_url(page) if page else False

    def _get_runbook_page(self):
        """The page of this record, relative to the runbooks' base URL."""
        return None

    @api.model
    def _runbook_url(self, page):
        base = self.env["ir.config_parameter"].sudo().get_param(RUNBOOK_BASE_URL_PARAM)
        return runbook_url(base, page)


class RetailExceptionGroup(models.Model):
    _name = "retail.exception.group"
    _inherit = ["retail.exception.group", "retail.runbook.mixin"]

    def _get_runbook_page(self):
        if self.source == "hold":
            return hold_page(self.hold_reason or self.example)
        return failure_page(self.source) if self.source else None


class RetailAnomalyAlert(models.Model):
    _name = "retail.anomaly.alert"
    _inherit = ["retail.anomaly.alert", "retail.runbook.mixin"]

    def _get_runbook_page(self):
        return alert_page(self.kind) if self.kind else None


class RetailCircuitBreaker(models.Model):
    _name = "retail.circuit.breaker"
    _inherit = ["retail.circuit.breaker", "retail.runbook.mixin"]

    def _get_runbook_page(self):
        return alert_page("circuit_breaker_open")


class SaleOrder(models.Model):
    _inherit = "sale.order"

    retail_hold_runbook_url = fields.Char(
        string="Hold runbook", compute="_compute_retail_hold_runbook_url"
    )

    @api.depends("retail_hold_reason")
    def _compute_retail_hold_runbook_url(self):
        Runbook = self.env["retail.runbook.mixin"]
        for order in self:
            order.retail_hold_runbook_url = (
                Runbook._runbook_url(hold_page(order.retail_hold_reason))
                if order.retail_hold_reason
                else False
            )
