from datetime import timedelta

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .retail_business_event_subscription import MANAGER_GROUP

HEALTH_FIELDS = [
    "health_id",
    "consecutive_failures",
    "failing_since",
    "last_success_at",
    "last_error",
]


class RetailBusinessEventSubscriptionUpkeep(models.Model):
    """A subscriber's health as its deliveries go through or fail: counted
    apart from the subscription (see retail.business.event.subscription.health),
    disabled when it keeps failing, enabled again by a manager."""

    _inherit = "retail.business.event.subscription"

    def _compute_health(self):
        Health = self.env["retail.business.event.subscription.health"].sudo()
        by_subscription = {
            health.subscription_id.id: health
            for health in Health.search([("subscription_id", "in", self.ids)])
        }
        for subscription in self:
            health = by_subscription.get(subscription.id, Health)
            subscription.health_id = health
            subscription.consecutive_failures = health.consecutive_failures
            subscription.failing_since = health.failing_since
            subscription.last_success_at = health.last_success_at
            subscription.last_error = health.last_error

    def _health(self):
        """The subscriber's health record (created if missing)."""
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO retail_business_event_subscription_health
                       (subscription_id, consecutive_failures, create_date, write_date)
                VALUES (%s, 0, now() at time zone 'UTC', now() at time zone 'UTC')
                ON CONFLICT (subscription_id) DO NOTHING
                """,
                self.id,
            )
        )
        self.invalidate_recordset(HEALTH_FIELDS)
        return self.health_id

    def _note_success(self):
        """A delivery went through: the subscriber is not failing (recorded
        at most once a minute while all is well, from a cursor of its own,
        skipped when another job is recording it: never a conflict that
        could undo a delivery)."""
        self.ensure_one()
        recent = fields.Datetime.now() - timedelta(minutes=1)
        if not self.consecutive_failures and self.last_success_at and self.last_success_at > recent:
            return
        with self.env.registry.cursor() as cr:
            cr.execute(
                SQL(
                    """
                    UPDATE retail_business_event_subscription_health
                       SET consecutive_failures = 0, failing_since = NULL,
                           last_success_at = now() at time zone 'UTC'
                     WHERE id IN (SELECT id FROM retail_business_event_subscription_health
                                   WHERE subscription_id = %s FOR UPDATE SKIP LOCKED)
                    """,
                    self.id,
                )
            )
        self.invalidate_recordset(HEALTH_FIELDS)
        self.env["retail.business.event.subscription.health"].invalidate_model()

    def _note_failure(self, message):
        """Count a failed attempt (from a cursor of its own, skipped when
        another job is counting one); disable a subscriber failing
        continuously: ``failure_threshold`` attempts in a row over more than
        ``failure_window_hours`` (a short outage never disables it)."""
        self.ensure_one()
        with self.env.registry.cursor() as cr:
            cr.execute(
                SQL(
                    """
                    UPDATE retail_business_event_subscription_health
                       SET consecutive_failures = COALESCE(consecutive_failures, 0) + 1,
                           last_error = %s,
                           failing_since = COALESCE(failing_since, now() at time zone 'UTC')
                     WHERE id IN (SELECT id FROM retail_business_event_subscription_health
                                   WHERE subscription_id = %s FOR UPDATE SKIP LOCKED)
                    RETURNING consecutive_failures, failing_since
                    """,
                    message,
                    self.id,
                )
            )
            row = cr.fetchone()
            if not row:
                return
            count, failing_since = row
            window = timedelta(hours=self.failure_window_hours)
            if (
                self.state == "enabled"
                and count >= self.failure_threshold
                and failing_since <= fields.Datetime.now() - window
            ):
                self.with_env(self.env(cr=cr))._disable(
                    self.env._(
                        "%(count)s deliveries failed in a row since %(since)s; last error: "
                        "%(error)s",
                        count=count,
                        since=failing_since.strftime("%Y-%m-%d %H:%M UTC"),
                        error=message,
                    )
                )
        self.invalidate_recordset()
        self.env["retail.business.event.subscription.health"].invalidate_model()

    def _disable(self, reason):
        """Stop delivering and tell the owner why."""
        for subscription in self.sudo():
            subscription.write({"state": "disabled", "disabled_reason": reason})
            subscription.message_post(
                body=self.env._(
                    "Subscription %(name)s was disabled: %(reason)s Its undelivered events are "
                    "kept; enable it again once the receiver is fixed.",
                    name=subscription.name,
                    reason=reason,
                ),
                partner_ids=subscription.owner_id.partner_id.ids,
                subtype_xmlid="mail.mt_comment",
            )

    def action_enable(self):
        """Deliver again, starting with what waited."""
        if not self.env.user.has_group(MANAGER_GROUP):
            raise UserError(self.env._("Only a Retail Connect manager may enable subscriptions."))
        self.write({"state": "enabled", "disabled_reason": False})
        for subscription in self:
            subscription._health().sudo().write({"consecutive_failures": 0, "failing_since": False})
        waiting = self.env["retail.business.event.delivery"].search(
            [("subscription_id", "in", self.ids), ("state", "=", "pending")], order="id"
        )
        waiting._schedule()
        return True

    def action_disable(self):
        self._disable(self.env._("disabled by %s.", self.env.user.name))
        return True
