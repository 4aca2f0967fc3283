from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..triage import suggest_cause

GROUP_STATES = [("open", "Open"), ("resolved", "Resolved"), ("ignored", "Ignored")]
TRENDS = [("rising", "Rising"), ("steady", "Steady"), ("falling", "Falling")]
MANAGER_GROUP = "retail_connector_base.group_retail_connect_manager"


class RetailExceptionGroup(models.Model):
    """Failures that share a fingerprint (their kind and their message with
    ids, numbers and names taken out): one line for support instead of one
    per order, assigned by the routing rules and acted on in bulk.

    Occurrences come from the triage sources
    (``retail_exception_group_sources.py``), collected by a cron.
    """

    _name = "retail.exception.group"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Retail Exception Group"
    _order = "state, last_seen desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    fingerprint = fields.Char(required=True, readonly=True, index=True)
    source = fields.Selection(
        selection="_selection_source", required=True, readonly=True, index=True
    )
    kind = fields.Char(readonly=True, help="Where the failure comes from and its error kind.")
    pattern = fields.Text(
        readonly=True, help="The message with its variable parts (ids, names...) taken out."
    )
    example = fields.Text(readonly=True, help="One message as it was raised.")
    example_ref = fields.Char(string="Example record", readonly=True)
    topics = fields.Char(readonly=True)
    hold_reason = fields.Char(readonly=True, help="For holds: the reason as first seen.")
    state = fields.Selection(GROUP_STATES, required=True, default="open", tracking=True)
    occurrence_ids = fields.One2many(
        "retail.exception.occurrence", "group_id", string="Failing records", readonly=True
    )
    count = fields.Integer(string="Occurrences", readonly=True)
    open_count = fields.Integer(string="Still failing", readonly=True)
    count_24h = fields.Integer(string="Last 24 h", readonly=True)
    count_prev_24h = fields.Integer(string="24 h before", readonly=True)
    trend = fields.Selection(TRENDS, readonly=True)
    first_seen = fields.Datetime(readonly=True)
    last_seen = fields.Datetime(readonly=True, index=True)
    backend_ids = fields.Many2many("retail.backend", string="Affected backends", readonly=True)
    route_id = fields.Many2one("retail.exception.route", string="Routing rule", readonly=True)
    team_id = fields.Many2one("crm.team", string="Team", tracking=True)
    user_id = fields.Many2one("res.users", string="Assigned to", tracking=True)
    cause_rule = fields.Char(readonly=True)
    suggestion = fields.Text(
        string="Likely cause", readonly=True, help="Computed here from rules on the fingerprint."
    )
    ignore_reason = fields.Text(readonly=True, tracking=True)
    ignored_by_id = fields.Many2one("res.users", string="Ignored by", readonly=True)
    ignored_at = fields.Datetime(readonly=True)

    _fingerprint_uniq = models.Constraint("UNIQUE(fingerprint)", "One group per fingerprint.")

    @api.model
    def _selection_source(self):
        return [(code, label) for code, label, _method in self._get_triage_sources()]

    @api.depends("kind", "pattern")
    def _compute_name(self):
        for group in self:
            pattern = (group.pattern or "").splitlines()[0] if group.pattern else ""
            group.name = f"{group.kind}: {pattern[:120]}"

    # Recording occurrences

    @api.model
    def _record_occurrences(self, entries):
        """Attach failures to their groups, creating the missing groups.

        :param entries: :class:`TriageEntry` values from the triage sources
        :return: the groups touched
        """
        Occurrence = self.env["retail.exception.occurrence"]
        groups = self.browse()
        by_key = {}
        for entry in entries:
            by_key.setdefault(entry.fingerprint.key, []).append(entry)
        existing = {g.fingerprint: g for g in self.search([("fingerprint", "in", list(by_key))])}
        new_groups = self.browse()
        for key, key_entries in by_key.items():
            group = existing.get(key)
            if not group:
                group = self._create_from_entry(key_entries[0])
                new_groups |= group
            groups |= group
            Occurrence._upsert(group, key_entries)
        groups._refresh_figures()
        reopened = (groups - new_groups).filtered(lambda g: g.state == "resolved" and g.open_count)
        reopened.write({"state": "open"})
        (new_groups | reopened)._raise_activity()
        return groups

    @api.model
    def _create_from_entry(self, entry):
        rule, cause = suggest_cause(entry.fingerprint.kind, entry.fingerprint.pattern, entry.topic)
        group = self.create(
            {
                "fingerprint": entry.fingerprint.key,
                "source": entry.source,
                "kind": entry.fingerprint.kind,
                "pattern": entry.fingerprint.pattern,
                "example": entry.message,
                "example_ref": f"{entry.res_model},{entry.res_id}",
                "hold_reason": entry.message if entry.source == "hold" else False,
                "cause_rule": rule,
                "suggestion": cause,
            }
        )
        group._apply_route(entry)
        return group

    def _apply_route(self, entry):
        route = self.env["retail.exception.route"]._find_route(self, entry)
        if route:
            self.write(
                {
                    "route_id": route.id,
                    "team_id": route.team_id.id,
                    "user_id": (route.user_id or route.team_id.user_id).id,
                }
            )

    def _raise_activity(self):
        """One activity per group that (re)opens, for its assignee; never
        one per order."""
        default_type = self.env.ref("mail.mail_activity_data_todo")
        fallback_user = self.env.ref("base.user_admin", raise_if_not_found=False)
        for group in self:
            if group.activity_ids:
                continue
            user = group.user_id or fallback_user
            if not user:
                continue
            group.activity_schedule(
                activity_type_id=(group.route_id.activity_type_id or default_type).id,
                user_id=user.id,
                summary=self.env._("Retail failures: %s", group.name[:80]),
                note=group._activity_note(),
            )

    def _activity_note(self):
        """What the activity of a new group tells its assignee (hook)."""
        self.ensure_one()
        return self.suggestion or False

    def _refresh_figures(self):
        """Counts, first/last seen, trend, backends and topics of the groups,
        from their occurrences (one grouped query each)."""
        if not self:
            return
        Occurrence = self.env["retail.exception.occurrence"]
        now = fields.Datetime.now()
        day, two_days = now - timedelta(days=1), now - timedelta(days=2)
        domain = [("group_id", "in", self.ids)]
        totals = {
            g.id: (count, first, last)
            for g, count, first, last in Occurrence._read_group(
                domain, ["group_id"], ["__count", "seen_at:min", "seen_at:max"]
            )
        }
        open_counts = dict(
            Occurrence._read_group([*domain, ("state", "=", "open")], ["group_id"], ["__count"])
        )
        recent = dict(
            Occurrence._read_group([*domain, ("seen_at", ">=", day)], ["group_id"], ["__count"])
        )
        before = dict(
            Occurrence._read_group(
                [*domain, ("seen_at", ">=", two_days), ("seen_at", "<", day)],
                ["group_id"],
                ["__count"],
            )
        )
        backends = {}
        topics = {}
        for group, backend, topic in Occurrence._read_group(
            domain, ["group_id", "backend_id", "topic"]
        ):
            if backend:
                backends.setdefault(group.id, set()).add(backend.id)
            if topic:
                topics.setdefault(group.id, set()).add(topic)
        for group in self:
            count, first, last = totals.get(group.id, (0, False, False))
            last_day, day_before = recent.get(group, 0), before.get(group, 0)
            group.write(
                {
                    "count": count,
                    "first_seen": first,
                    "last_seen": last,
                    "open_count": open_counts.get(group, 0),
                    "count_24h": last_day,
                    "count_prev_24h": day_before,
                    "trend": "rising"
                    if last_day > day_before
                    else "falling"
                    if last_day < day_before
                    else "steady",
                    "backend_ids": [fields.Command.set(sorted(backends.get(group.id, ())))],
                    "topics": ", ".join(sorted(topics.get(group.id, ()))) or False,
                }
            )

    # Bulk actions

    def _open_records(self, source, model):
        """The records of ``model`` still failing in the groups' ``source``."""
        occurrences = self.occurrence_ids.filtered(
            lambda o: o.state == "open" and o.source == source and o.res_model == model
        )
        return self.env[model].browse(occurrences.mapped("res_id")).exists()

    def action_replay(self):
        """Replay every failed event, outbound message and job of the groups."""
        self._check_manager()
        events = self._open_records("event", "retail.event").filtered(
            lambda e: e.state in ("failed", "dead")
        )
        messages = self._open_records("outbox", "retail.outbox").filtered(
            lambda m: m.state in ("failed", "dead")
        )
        jobs = self._open_records("job", "queue.job").sudo().filtered(lambda j: j.state == "failed")
        if not (events or messages or jobs):
            raise UserError(self.env._("Nothing of these groups is waiting to be replayed."))
        if events:
            events.action_replay()
        if messages:
            messages.action_replay()
        if jobs:
            jobs.requeue()
        replayed = len(events) + len(messages) + len(jobs)
        for group in self:
            group.message_post(body=self.env._("Replayed %s failed record(s).", replayed))
        return self._notify(self.env._("%s record(s) queued again.", replayed))

    def action_retry_import(self):
        """Import the held orders of the groups again (after fixing the cause)."""
        self._check_manager()
        orders = self._open_records("hold", "sale.order").filtered("retail_on_hold")
        if not orders:
            raise UserError(self.env._("No order of these groups is on hold."))
        orders.action_retail_retry()
        self._sweep_resolved()
        released = orders.filtered(lambda o: not o.retail_on_hold)
        for group in self:
            group.message_post(
                body=self.env._(
                    "Import retried for %(count)s order(s); %(released)s released.",
                    count=len(orders),
                    released=len(released),
                )
            )
        return self._notify(
            self.env._(
                "%(released)s of %(count)s order(s) released.",
                released=len(released),
                count=len(orders),
            )
        )

    def action_open_ignore_wizard(self):
        self._check_manager()
        return {
            "type": "ir.actions.act_window",
            "res_model": "retail.exception.ignore.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_group_ids": [fields.Command.set(self.ids)]},
        }

    def _ignore(self, reason):
        """Stop raising activities for the groups; ``reason`` is kept."""
        self._check_manager()
        if not (reason or "").strip():
            raise UserError(self.env._("Say why these failures are ignored."))
        self.write(
            {
                "state": "ignored",
                "ignore_reason": reason,
                "ignored_by_id": self.env.uid,
                "ignored_at": fields.Datetime.now(),
            }
        )
        for group in self:
            group.activity_ids.action_feedback(feedback=reason)

    def action_reopen(self):
        self._check_manager()
        self.write({"state": "open", "ignore_reason": False, "ignored_by_id": False})

    def action_open_occurrences(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": "retail.exception.occurrence",
            "view_mode": "list,form",
            "domain": [("group_id", "=", self.id)],
        }

    def _check_manager(self):
        if not self.env.user.has_group(MANAGER_GROUP):
            raise UserError(self.env._("Only Retail Connect managers act on failure groups."))

    def _notify(self, message):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": message,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
