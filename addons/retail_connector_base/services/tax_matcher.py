from odoo import api, models
from odoo.tools import float_compare


class RetailTaxMatcher(models.AbstractModel):
    """Finds the Odoo sales taxes matching a channel's tax lines."""

    _name = "retail.tax.matcher"
    _description = "Retail Tax Matcher"

    @api.model
    def _match(self, backend, tax_lines, taxes_included):
        """Return ``(tax ids, hold reason or None)`` for ``tax_lines``.

        A tax matches by rate, as a sales percentage tax of the backend's
        company that includes the price exactly when the channel's does.
        Zero-rate lines need no tax.
        """
        tax_ids = []
        missing = []
        for tax_line in tax_lines:
            if not tax_line.rate:
                continue
            tax = self._find(backend.company_id, float(tax_line.rate) * 100, taxes_included)
            if tax:
                tax_ids.append(tax.id)
            else:
                missing.append(tax_line)
        if not missing:
            return tax_ids, None
        kind = self.env._("included in price") if taxes_included else self.env._("excluded")
        rates = ", ".join(f"{float(t.rate) * 100:g} %" for t in missing)
        return tax_ids, self.env._(
            "No sales tax of %(rates)s (%(kind)s) in company %(company)s: create it, then retry.",
            rates=rates,
            kind=kind,
            company=backend.company_id.name,
        )

    @api.model
    def _find(self, company, percent, price_include):
        candidates = self.env["account.tax"].search(
            [
                ("company_id", "=", company.id),
                ("type_tax_use", "=", "sale"),
                ("amount_type", "=", "percent"),
            ],
            order="sequence, id",
        )
        return candidates.filtered(
            lambda tax: (
                not float_compare(tax.amount, percent, precision_digits=4)
                and tax.price_include == price_include
            )
        )[:1]
