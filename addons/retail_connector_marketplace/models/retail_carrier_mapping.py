from odoo import fields, models


class RetailCarrierMapping(models.Model):
    """How a marketplace operator names one of Odoo's carriers (Mirakl OR23).

    A line without an Odoo carrier is the backend's default, used for
    deliveries that have no carrier.
    """

    _name = "retail.carrier.mapping"
    _description = "Retail Carrier Mapping"
    _order = "backend_id, carrier_id"

    backend_id = fields.Many2one("retail.backend", required=True, index=True, ondelete="cascade")
    carrier_id = fields.Many2one(
        "delivery.carrier",
        string="Odoo carrier",
        ondelete="cascade",
        help="Empty: the default for deliveries without a carrier.",
    )
    operator_carrier_code = fields.Char(
        string="Operator carrier code",
        help="The code of a carrier the operator knows (e.g. UPS). Empty: send the name and URL.",
    )
    operator_carrier_name = fields.Char(
        string="Carrier name", help="Sent when there is no code (default: the Odoo carrier's name)."
    )
    operator_carrier_url = fields.Char(
        string="Tracking URL", help="Sent with the name when there is no code."
    )

    _backend_carrier_uniq = models.UniqueIndex(
        "(backend_id, COALESCE(carrier_id, 0))",
        "One mapping per carrier and backend.",
    )
