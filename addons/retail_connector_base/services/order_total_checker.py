from decimal import Decimal

from odoo import api, models
from odoo.tools import float_compare


class RetailOrderTotalChecker(models.AbstractModel):
    """Compares Odoo's amounts of an imported order with the channel's.

    A channel and Odoo may round tax differently: Shopify rounds the tax of
    each line, an Odoo company may round the sum of each tax
    (``company.tax_calculation_rounding_method``). A difference that
    rounding explains is not a reason to hold the order: Odoo's lines take
    the channel's amounts (``extra_tax_data``, Odoo's own per-line manual
    tax amounts, which ``sale`` carries to the invoice), the order goes
    through with the difference noted. Any other difference holds it.
    """

    _name = "retail.order.total.checker"
    _description = "Retail Order Total Checker"

    @api.model
    def _holds(self, sale_order, order):
        """A hold when Odoo's amounts differ from the channel's by more than
        rounding explains (see :meth:`_rounding_bound`)."""
        differences = self._differences(sale_order, order)
        if not differences:
            return []
        if self._rounding_explains(sale_order, order, differences) and self._align(
            sale_order, order
        ):
            self._note_rounding(sale_order, differences)
            return []
        return [
            self.env._(
                "Odoo's amounts differ from the channel's (%(currency)s): %(details)s. "
                "Check the taxes and discounts, then retry.",
                currency=sale_order.currency_id.name,
                details=self._describe(differences, with_difference=True),
            )
        ]

    @api.model
    def _differences(self, sale_order, order):
        """``[(label, odoo, channel)]`` for each amount that differs, as
        decimals at the currency's precision."""
        currency = sale_order.currency_id
        totals = order.totals
        untaxed = totals.untaxed if totals.untaxed is not None else totals.total - totals.tax
        quantum = Decimal(1).scaleb(-currency.decimal_places)
        return [
            (label, Decimal(str(odoo)).quantize(quantum), channel.quantize(quantum))
            for label, odoo, channel in (
                (self.env._("untaxed"), sale_order.amount_untaxed, untaxed),
                (self.env._("tax"), sale_order.amount_tax, totals.tax),
                (self.env._("total"), sale_order.amount_total, totals.total),
            )
            if float_compare(odoo, float(channel), precision_rounding=currency.rounding)
        ]

    @api.model
    def _describe(self, differences, with_difference=False):
        if with_difference:
            template = "%(label)s: channel %(channel)s, Odoo %(odoo)s (difference %(diff)s)"
        else:
            template = "%(label)s: channel %(channel)s, Odoo %(odoo)s"
        return "; ".join(
            self.env._(template, label=label, channel=channel, odoo=odoo, diff=odoo - channel)
            for label, odoo, channel in differences
        )

    @api.model
    def _rounding_bound(self, sale_order, order):
        """The largest difference (in currency units) rounding can explain.

        Rounding the tax of each line moves each (line, tax) amount by at
        most half a unit (a cent in EUR); rounding the sum of a tax once
        moves it by at most half a unit more. So the two conventions differ
        by at most half a unit per taxed line (shipping and discount lines
        included) and per tax rate, and since both results are whole units,
        by the integer part of that. The same holds for the untaxed amount
        of tax-included prices (the price minus the tax) and for the total
        of tax-excluded prices (the price plus the tax).
        """
        quantum = Decimal(1).scaleb(-sale_order.currency_id.decimal_places)
        taxed = [
            tax_line.rate
            for line in (*order.lines, *order.shipping_lines, *order.discount_lines)
            for tax_line in line.tax_lines
            if tax_line.rate
        ]
        return quantum * ((len(taxed) + len(set(taxed))) // 2)

    @api.model
    def _rounding_explains(self, sale_order, order, differences):
        bound = self._rounding_bound(sale_order, order)
        return all(abs(odoo - channel) <= bound for _label, odoo, channel in differences)

    # Taking the channel's amounts

    @api.model
    def _align(self, sale_order, order):
        """Give each taxed line of ``sale_order`` the channel's untaxed and
        tax amounts of its channel line; return whether Odoo's amounts are
        then the channel's. When they are not (a line the channel gave no
        tax for, a tax of another rate), nothing is changed."""
        pairs = self._channel_lines(sale_order, order)
        if pairs is None:
            return False
        before = {line: line.extra_tax_data for line, _values in pairs}
        for line, values in pairs:
            line.extra_tax_data = values
        self._recompute_amounts(sale_order, [line for line, _values in pairs])
        if not self._differences(sale_order, order):
            return True
        for line, data in before.items():
            line.extra_tax_data = data
        self._recompute_amounts(sale_order, list(before))
        return False

    @api.model
    def _recompute_amounts(self, sale_order, lines):
        """Recompute the amounts of ``lines`` and of their order, which
        ``sale`` does not recompute when ``extra_tax_data`` changes."""
        lines = sale_order.order_line.browse([line.id for line in lines])
        lines.modified(["tax_ids"])
        lines._compute_amount()
        sale_order._compute_amounts()
        sale_order._compute_tax_totals()

    @api.model
    def _channel_lines(self, sale_order, order):
        """``[(sale line, extra_tax_data)]`` for each taxed line of the
        order, from its channel line; ``None`` when a taxed line has no
        channel line or the channel's taxes don't fit the line's."""
        shipping = self.env.ref("retail_connector_base.product_retail_shipping")
        discount = self.env.ref("retail_connector_base.product_retail_discount")
        priced = sale_order.order_line.filtered(lambda line: not line.display_type)
        by_line_id = {line.retail_line_id: line for line in priced if line.retail_line_id}
        shipping_lines = priced.filtered(
            lambda line: line.product_id == shipping and not line.retail_line_id
        )
        discount_lines = priced.filtered(
            lambda line: line.product_id == discount and not line.retail_line_id
        )
        if len(shipping_lines) != len(order.shipping_lines) or len(discount_lines) != len(
            order.discount_lines
        ):
            return None
        channel = {}
        for line in order.lines:
            if line.external_id in by_line_id:
                gross = line.unit_price * line.quantity - line.discount
                channel[by_line_id[line.external_id]] = (gross, line.tax_lines, 1)
        for sale_line, line in zip(shipping_lines, order.shipping_lines, strict=True):
            channel[sale_line] = (line.price - line.discount, line.tax_lines, 1)
        for sale_line, line in zip(discount_lines, order.discount_lines, strict=True):
            channel[sale_line] = (-line.amount, line.tax_lines, -1)
        pairs = []
        for sale_line in priced.filtered("tax_ids"):
            if sale_line not in channel:
                return None
            values = self._line_tax_data(sale_line, order, *channel[sale_line])
            if values is None:
                return None
            pairs.append((sale_line, values))
        return pairs

    @api.model
    def _line_tax_data(self, sale_line, order, gross, tax_lines, sign):
        """Odoo's ``extra_tax_data`` fixing ``sale_line``'s untaxed and tax
        amounts to the channel's; ``None`` if its taxes don't fit."""
        taxes = sale_line.tax_ids
        amounts = {}
        for tax_line in tax_lines:
            if not tax_line.rate:
                continue
            tax = taxes.filtered(
                lambda t, rate=tax_line.rate: (
                    not float_compare(t.amount, float(rate) * 100, precision_digits=4)
                )
            )[:1]
            if not tax or str(tax.id) in amounts:
                return None
            amounts[str(tax.id)] = sign * abs(tax_line.amount)
        if set(amounts) != {str(tax.id) for tax in taxes}:
            return None
        untaxed = gross - sum(amounts.values()) if order.taxes_included else gross
        return {
            "currency_id": sale_line.currency_id.id,
            "price_unit": sale_line.price_unit,
            "discount": sale_line.discount,
            "quantity": sale_line.product_uom_qty,
            "manual_total_excluded_currency": float(untaxed),
            "manual_tax_amounts": {
                tax_id: {"base_amount_currency": float(untaxed), "tax_amount_currency": float(tax)}
                for tax_id, tax in amounts.items()
            },
        }

    @api.model
    def _note_rounding(self, sale_order, differences):
        """Tell a person what rounding changed, on the order and in its chatter."""
        method = sale_order.company_id.tax_calculation_rounding_method
        convention = (
            self.env._("rounds tax per line")
            if method == "round_per_line"
            else self.env._("rounds tax globally")
        )
        note = self.env._(
            "Rounding difference (%(currency)s): %(details)s. Odoo's company %(convention)s; "
            "the order and its invoice carry the tax the channel charged.",
            currency=sale_order.currency_id.name,
            details=self._describe(differences),
            convention=convention,
        )
        sale_order.retail_rounding_note = note
        sale_order.message_post(body=note, subtype_xmlid="mail.mt_note")
