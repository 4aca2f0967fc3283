from odoo import fields, models


class RetailBusinessEventSubscriptionHealth(models.Model):
    """How a subscriber is doing, written by its delivery jobs.

    Kept off the subscription on purpose: every business transaction that
    owes a subscriber an event references the subscription's row (the
    delivery's foreign key); jobs updating that row would make those
    transactions fail to serialize. Nothing references this one."""

    _name = "retail.business.event.subscription.health"
    _description = "Retail Business Event Subscriber Health"
    _rec_name = "subscription_id"

    subscription_id = fields.Many2one(
        "retail.business.event.subscription", required=True, ondelete="cascade", readonly=True
    )
    consecutive_failures = fields.Integer(readonly=True, default=0)
    failing_since = fields.Datetime(readonly=True)
    last_success_at = fields.Datetime(readonly=True)
    last_error = fields.Text(readonly=True)

    _subscription_uniq = models.Constraint(
        "UNIQUE(subscription_id)", "One health record per subscription."
    )
