from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..triage import Example, NearestFixes
from ..triage.assist import CORRECTION_WEIGHT, DEFAULT_THRESHOLD, assist_text

THRESHOLD_PARAM = "retail_connector_base.triage_suggestion_threshold"
# The resolved groups the assistant learns from: the latest ones.
MAX_EXAMPLES = 5000
SUGGESTION_STATES = [
    ("none", "No suggestion"),
    ("suggested", "Suggested"),
    ("accepted", "Accepted"),
    ("corrected", "Corrected"),
]


class _AssistCache:
    """The assistant of one triage run: built once for every group the
    run creates (no resolution is recorded during a run)."""

    model = None


class RetailExceptionGroup(models.Model):
    """Assistance for a new group, computed here from the groups people
    resolved before (``triage/assist.py``): the likely cause, the fix and
    the team, with a confidence. A person accepts or corrects it when
    recording the resolution, and that teaches the next suggestion. It
    only fills these fields: it never replays, releases or cancels."""

    _inherit = "retail.exception.group"

    suggested_cause = fields.Text(readonly=True)
    suggested_fix = fields.Text(readonly=True)
    suggested_team_id = fields.Many2one("crm.team", string="Suggested team", readonly=True)
    suggestion_confidence = fields.Float(readonly=True, digits=(4, 2))
    suggestion_basis_ids = fields.Many2many(
        "retail.exception.group",
        "retail_exception_group_suggestion_rel",
        "group_id",
        "basis_id",
        string="Similar resolved groups",
        readonly=True,
    )
    suggestion_state = fields.Selection(
        SUGGESTION_STATES, default="none", required=True, readonly=True, tracking=True
    )
    resolution_cause = fields.Text(string="Cause", readonly=True, tracking=True)
    resolution_fix = fields.Text(string="Fix", readonly=True, tracking=True)
    resolution_team_id = fields.Many2one(
        "crm.team", string="Resolved by team", readonly=True, tracking=True
    )
    resolution_user_id = fields.Many2one("res.users", string="Resolution by", readonly=True)
    resolution_date = fields.Datetime(readonly=True)

    @api.model
    def _record_occurrences(self, entries):
        run = self.with_context(retail_assist_cache=_AssistCache())
        groups = super(RetailExceptionGroup, run)._record_occurrences(entries)
        return groups.with_env(self.env)

    @api.model
    def _create_from_entry(self, entry):
        group = super()._create_from_entry(entry)
        group._suggest()
        return group

    def _activity_note(self):
        """Override: the assignee reads the suggestion learnt from resolved
        groups first."""
        note = super()._activity_note()
        if self.suggestion_state != "suggested":
            return note
        learnt = self.env._(
            "Suggested fix (confidence %(confidence)s %%): %(fix)s",
            confidence=round(self.suggestion_confidence * 100),
            fix=self.suggested_fix,
        )
        return Markup("%s<br/>%s") % (learnt, note) if note else learnt

    def _assist_text(self):
        """What the assistant compares: the kind, the message's pattern, an
        example and the topics."""
        self.ensure_one()
        return assist_text(self.kind, self.pattern, self.example, self.topics)

    @api.model
    def _assist_model(self, exclude=()):
        examples = self.search_fetch(
            [("resolution_fix", "!=", False), ("id", "not in", list(exclude))],
            [
                "kind",
                "pattern",
                "example",
                "topics",
                "resolution_cause",
                "resolution_fix",
                "resolution_team_id",
                "suggestion_state",
            ],
            order="resolution_date desc, id desc",
            limit=MAX_EXAMPLES,
        )
        threshold = float(
            self.env["ir.config_parameter"].sudo().get_param(THRESHOLD_PARAM, DEFAULT_THRESHOLD)
        )
        return NearestFixes(
            [
                Example(
                    g.id,
                    g._assist_text(),
                    g.resolution_cause or "",
                    g.resolution_fix,
                    g.resolution_team_id.id or None,
                    CORRECTION_WEIGHT if g.suggestion_state == "corrected" else 1.0,
                )
                for g in examples
            ],
            threshold=threshold,
        )

    def _suggest(self):
        """Compute the suggestion of each group (none below the threshold)."""
        cache = self.env.context.get("retail_assist_cache")
        for group in self:
            if cache is None:
                model = self._assist_model(exclude=group.ids)
            else:
                cache.model = cache.model or self._assist_model()
                model = cache.model
            suggestion = model.suggest(group._assist_text())
            if suggestion is None:
                group.write(
                    {
                        "suggested_cause": False,
                        "suggested_fix": False,
                        "suggested_team_id": False,
                        "suggestion_confidence": 0.0,
                        "suggestion_basis_ids": [fields.Command.clear()],
                        "suggestion_state": "none",
                    }
                )
                continue
            group.write(
                {
                    "suggested_cause": suggestion.cause or False,
                    "suggested_fix": suggestion.fix,
                    "suggested_team_id": suggestion.team or False,
                    "suggestion_confidence": suggestion.confidence,
                    "suggestion_basis_ids": [fields.Command.set(list(suggestion.refs))],
                    "suggestion_state": "suggested",
                }
            )

    def action_suggest_again(self):
        """Ask again (more groups may have been resolved since)."""
        self._check_manager()
        self.filtered(lambda g: g.suggestion_state in ("none", "suggested"))._suggest()
        return True

    def action_accept_suggestion(self):
        """Record the suggestion as this group's resolution."""
        self._check_manager()
        for group in self:
            if group.suggestion_state != "suggested":
                raise UserError(self.env._("%s has no suggestion to accept.", group.name))
            group._record_resolution(
                group.suggested_cause, group.suggested_fix, group.suggested_team_id
            )
        return True

    def action_open_resolve_wizard(self):
        self.ensure_one()
        self._check_manager()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Record the resolution"),
            "res_model": "retail.exception.resolve.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_group_id": self.id},
        }

    def _record_resolution(self, cause, fix, team):
        """Keep what fixed the group (the assistant learns from it): an
        accepted suggestion when it is the suggested fix, else a correction.
        A group with no record still failing is resolved."""
        self.ensure_one()
        self._check_manager()
        if not (fix or "").strip():
            raise UserError(self.env._("Say what fixed these failures."))
        same = " ".join(fix.split()).lower() == " ".join((self.suggested_fix or "").split()).lower()
        if self.suggested_fix:
            state = "accepted" if same and team == self.suggested_team_id else "corrected"
        else:
            state = "none"
        values = {
            "resolution_cause": (cause or "").strip() or False,
            "resolution_fix": fix.strip(),
            "resolution_team_id": team.id,
            "resolution_user_id": self.env.uid,
            "resolution_date": fields.Datetime.now(),
            "suggestion_state": state,
        }
        if self.state == "open" and not self.open_count:
            values["state"] = "resolved"
        self.write(values)
        self.message_post(
            body=self.env._("Resolution recorded: %(fix)s", fix=fix.strip()),
        )
