"""Refunds (OR28, or the operator's) and line cancellations (OR30, or the operator's): each
request is checked whole, then applied whole or not at all."""

from decimal import Decimal

from .common import FINAL_LINE_STATES, REFUNDABLE, MiraklError, dec, iso, num, tax_amount


class Adjustments:
    """Refunds and cancellations of order lines (a part of :class:`MarketplaceState`)."""

    def _order_line(self, line_id):
        """(order, line) of an order line id of a request; ORDER_LINE_NOT_FOUND otherwise."""
        order = self.orders.get(str(line_id).rsplit("-", 1)[0])
        for line in (order or {}).get("order_lines", []):
            if line["order_line_id"] == line_id:
                return order, line
        message = f"Order line {line_id} not found"
        raise MiraklError(400, message, "ORDER_LINE_NOT_FOUND", field="order_line_id")

    @staticmethod
    def _cancelled(line):
        cancelations = line["cancelations"]
        return {
            "amount": sum((dec(c["amount"]) for c in cancelations), Decimal(0)),
            "shipping_amount": sum((dec(c["shipping_amount"]) for c in cancelations), Decimal(0)),
            "quantity": sum(c["quantity"] or 0 for c in cancelations),
        }

    def _apply_cancelations(self, requested):
        """OR30: check every line cancellation, then apply them all (or none): units of
        lines of SHIPPING orders; the order's amounts drop by what was cancelled, a line
        with nothing left is CANCELED, an order with no line left too.
        [(order_line_id, cancelation_id)]."""
        reasons = {r["code"] for r in self.reasons if r["type"] == "ORDER_CANCEL"}
        plan, pending = [], {}
        for index, spec in enumerate(requested):
            if not isinstance(spec, dict):
                raise MiraklError(400, f"cancelations[{index}] must be an object")
            line_id = spec.get("order_line_id")
            order, line = self._order_line(line_id)
            if order["order_state"] != "SHIPPING" or line["order_line_state"] != "SHIPPING":
                message = (
                    f"Order line {line_id} ({line['order_line_state']}, order "
                    f"{order['order_state']}) can't be canceled"
                )
                raise MiraklError(400, message, "ORDER_LINE_NOT_CANCELABLE")
            if spec.get("reason_code") not in reasons:
                message = f"Unknown cancelation reason code {spec.get('reason_code')!r}"
                raise MiraklError(400, message, "REASON_CODE_INVALID", field="reason_code")
            quantity = spec.get("quantity")
            if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
                raise MiraklError(400, f"cancelations[{index}]: quantity must be a whole number")
            try:
                amount = dec(spec.get("amount"))
                shipping = dec(spec.get("shipping_amount") or 0)
            except ArithmeticError:
                raise MiraklError(400, f"cancelations[{index}]: amounts must be numbers") from None
            done = pending.setdefault(line_id, self._cancelled(line))
            done["amount"] += amount
            done["shipping_amount"] += shipping
            done["quantity"] += quantity
            too_much = (
                amount < 0
                or shipping < 0
                or done["quantity"] > line["quantity"]
                or done["amount"] > dec(line["price"])
                or done["shipping_amount"] > dec(line["shipping_price"])
            )
            if too_much:
                message = f"The cancelation exceeds what is left on the line {line_id}"
                raise MiraklError(400, message, "CANCELATION_AMOUNT_EXCEEDED")
            plan.append((order, line, spec, amount, shipping, quantity))
        answer, touched = [], {}
        for order, line, spec, amount, shipping, quantity in plan:
            rate = line["taxes"][0]["rate"] if line["taxes"] else 0
            included = order["order_tax_mode"] == "TAX_INCLUDED"
            cancel_id = next(self._cancel_ids)
            line["cancelations"].append(
                {
                    "id": cancel_id,
                    "amount": num(amount),
                    "shipping_amount": num(shipping),
                    "quantity": quantity,
                    "reason_code": spec["reason_code"],
                    "created_date": iso(self.now),
                    "taxes": [{"code": "TVA", "amount": num(tax_amount(amount, rate, included))}],
                    "shipping_taxes": [
                        {"code": "TVA", "amount": num(tax_amount(shipping, rate, included))}
                    ],
                }
            )
            if self._cancelled(line)["quantity"] >= line["quantity"]:
                line["order_line_state"] = "CANCELED"
            touched[order["order_id"]] = order
            answer.append((line["order_line_id"], cancel_id))
        for order in touched.values():
            self._recompute_net(order)
            if all(li["order_line_state"] in FINAL_LINE_STATES for li in order["order_lines"]):
                self._set_state(order, "CANCELED")
            else:
                self._touch(order)
        return answer

    def _recompute_net(self, order):
        """Order amounts after line cancellations (refused lines left out)."""
        price = shipping = Decimal(0)
        for line in order["order_lines"]:
            if line["order_line_state"] == "REFUSED":
                continue
            cancelled = self._cancelled(line)
            price += dec(line["price"]) - cancelled["amount"]
            shipping += dec(line["shipping_price"]) - cancelled["shipping_amount"]
        order["price"] = num(price)
        order["shipping_price"] = num(shipping)
        order["total_price"] = num(price + shipping)

    @staticmethod
    def _refunded(line):
        refunds = line["refunds"]
        return {
            "amount": sum((dec(r["amount"]) for r in refunds), Decimal(0)),
            "shipping_amount": sum((dec(r["shipping_amount"]) for r in refunds), Decimal(0)),
            "quantity": sum(r["quantity"] or 0 for r in refunds),
        }

    def _apply_refunds(self, requested):
        """Check every refund, then apply them all (or none); [(order_line_id, refund_id)]."""
        reasons = {r["code"] for r in self.reasons if r["type"] == "REFUND"}
        plan, pending = [], {}
        for index, spec in enumerate(requested):
            if not isinstance(spec, dict):
                raise MiraklError(400, f"refunds[{index}] must be an object")
            line_id = spec.get("order_line_id")
            order, line = self._order_line(line_id)
            if (
                order["order_state"] not in REFUNDABLE
                or line["order_line_state"] in FINAL_LINE_STATES
            ):
                message = (
                    f"Order line {line_id} ({line['order_line_state']}, order "
                    f"{order['order_state']}) can't be refunded"
                )
                raise MiraklError(400, message, "ORDER_LINE_NOT_REFUNDABLE")
            if spec.get("reason_code") not in reasons:
                message = f"Unknown refund reason code {spec.get('reason_code')!r}"
                raise MiraklError(400, message, "REASON_CODE_INVALID", field="reason_code")
            try:
                amount = dec(spec.get("amount"))
                shipping = dec(spec.get("shipping_amount") or 0)
            except ArithmeticError:
                raise MiraklError(400, f"refunds[{index}]: amounts must be numbers") from None
            quantity = spec.get("quantity")
            if quantity is not None and (not isinstance(quantity, int) or quantity < 0):
                raise MiraklError(400, f"refunds[{index}]: quantity must be a whole number")
            done = pending.setdefault(line_id, self._refunded(line))
            done["amount"] += amount
            done["shipping_amount"] += shipping
            done["quantity"] += quantity or 0
            too_much = (
                amount < 0
                or shipping < 0
                or done["amount"] > dec(line["price"])
                or done["shipping_amount"] > dec(line["shipping_price"])
                or done["quantity"] > line["quantity"]
            )
            if too_much:
                message = f"The refund exceeds what is left to refund on the line {line_id}"
                raise MiraklError(400, message, "REFUND_AMOUNT_EXCEEDED")
            plan.append((order, line, spec, amount, shipping, quantity))
        answer, touched = [], {}
        for order, line, spec, amount, shipping, quantity in plan:
            rate = line["taxes"][0]["rate"] if line["taxes"] else 0
            included = order["order_tax_mode"] == "TAX_INCLUDED"
            refund_id = next(self._refund_ids)
            refund = {
                "id": refund_id,
                "amount": num(amount),
                "shipping_amount": num(shipping),
                "quantity": quantity,
                "reason_code": spec["reason_code"],
                "state": "REFUNDED",
                "created_date": iso(self.now),
                "transaction_date": iso(self.now),
                "taxes": spec.get("taxes")
                or [{"code": "TVA", "amount": num(tax_amount(amount, rate, included))}],
                "shipping_taxes": spec.get("shipping_taxes")
                or [{"code": "TVA", "amount": num(tax_amount(shipping, rate, included))}],
            }
            line["refunds"].append(refund)
            self.refunds[refund_id] = (line["order_line_id"], refund)
            done = self._refunded(line)
            if done["quantity"] >= line["quantity"] or done["amount"] >= dec(line["price"]):
                line["order_line_state"] = "REFUNDED"
            touched[order["order_id"]] = order
            answer.append((line["order_line_id"], refund_id))
        for order in touched.values():
            self._touch(order)  # once per order and call
        return answer
