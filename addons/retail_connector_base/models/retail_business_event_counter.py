from odoo import fields, models


class RetailBusinessEventCounter(models.Model):
    """The last sequence number given to the events of one business object
    (``order/42``): consumers order and deduplicate by it. Written only by
    ``retail.business.event._next_sequence`` (one upsert)."""

    _name = "retail.business.event.counter"
    _description = "Retail Business Event Sequence"
    _rec_name = "subject_key"

    subject_key = fields.Char(required=True, readonly=True)
    last_sequence = fields.Integer(required=True, readonly=True)

    _subject_key_uniq = models.Constraint("UNIQUE(subject_key)", "One counter per object.")
