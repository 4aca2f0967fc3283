from odoo import fields, models


class RetailApiRateBucket(models.Model):
    """The token bucket of one API key (``channel_api/rate_limit.py``):
    shared by every Odoo worker, so a limit holds however many serve a key."""

    _name = "retail.api.rate.bucket"
    _description = "Retail Channel API Rate Bucket"
    _log_access = False

    key_id = fields.Many2one("retail.api.key", required=True, ondelete="cascade")
    tokens = fields.Float(required=True)
    refilled_at = fields.Datetime(required=True)
    taken = fields.Boolean(help="Whether the last request got a token.")

    _key_uniq = models.Constraint("UNIQUE(key_id)", "One bucket per key.")
