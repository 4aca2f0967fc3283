import fnmatch
import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class RetailExceptionRoute(models.Model):
    """Who acts on a group of failures: the first rule (by sequence) whose
    conditions all match a new group assigns it to a team, a user and an
    activity type. Empty conditions match anything."""

    _name = "retail.exception.route"
    _description = "Retail Exception Routing Rule"
    _order = "sequence, id"

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    source = fields.Selection(selection="_selection_source")
    pattern = fields.Char(
        string="Fingerprint pattern",
        help="A regular expression searched (case-insensitive) in the group's kind and "
        "message pattern, e.g. 'unknown sku' or 'ValueError', or the fingerprint itself.",
    )
    topic = fields.Char(help="A topic, with * as wildcard: 'order.*'.")
    backend_id = fields.Many2one("retail.backend", ondelete="cascade")
    hold_reason = fields.Char(help="Text contained in the hold reason (case-insensitive).")
    team_id = fields.Many2one("crm.team", string="Sales team")
    user_id = fields.Many2one("res.users", string="User", help="Defaults to the team's leader.")
    activity_type_id = fields.Many2one("mail.activity.type", help="Defaults to a To-Do.")

    @api.model
    def _selection_source(self):
        return self.env["retail.exception.group"]._selection_source()

    @api.constrains("pattern")
    def _check_pattern(self):
        for route in self.filtered("pattern"):
            try:
                re.compile(route.pattern)
            except re.error as exc:
                raise ValidationError(
                    self.env._(
                        "The pattern of rule %(name)s is not valid: %(error)s",
                        name=route.name,
                        error=exc,
                    )
                ) from None

    @api.model
    def _find_route(self, group, entry):
        """The first rule matching ``group`` as first seen in ``entry``."""
        for route in self.search([]):
            if route._matches(group, entry):
                return route
        return self.browse()

    def _matches(self, group, entry):
        self.ensure_one()
        if self.source and self.source != group.source:
            return False
        if self.backend_id and self.backend_id.id != entry.backend_id:
            return False
        if self.topic and not fnmatch.fnmatchcase(entry.topic or "", self.topic):
            return False
        if self.hold_reason and (
            group.source != "hold" or self.hold_reason.lower() not in entry.message.lower()
        ):
            return False
        if self.pattern:
            text = f"{group.fingerprint}\n{group.kind}: {group.pattern}"
            if not re.search(self.pattern, text, re.IGNORECASE):
                return False
        return True
