import math

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

from ..matching.comparators import FIELDS
from ..matching.scoring import MatchModel

FIELD_SELECTION = [
    ("name", "Name"),
    ("email", "Email"),
    ("email_relay", "Marketplace relay email"),
    ("phone", "Phone"),
    ("house", "House number"),
    ("street", "Street"),
    ("zip", "Postal code"),
    ("city", "City"),
    ("address", "Street and house number (before 19.0.1.4)"),
    ("locality", "Postal code, city, country (before 19.0.1.4)"),
]


class RetailIdentityFieldRule(models.Model):
    """One Fellegi-Sunter parameter pair: how much agreeing (or not) on a
    field says about two records being the same customer."""

    _name = "retail.identity.field.rule"
    _description = "Identity matching field rule"
    _order = "sequence, id"

    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    field = fields.Selection(FIELD_SELECTION, required=True)
    comparator = fields.Selection(
        [("exact", "Exact"), ("fuzzy", "Fuzzy"), ("graded", "Graded")],
        required=True,
        default="exact",
        help="Graded counts typed faults (a typo, a missing word...); fuzzy compares by string "
        "similarity; email and phone are exact only.",
    )
    outcome = fields.Selection(
        [
            ("agree", "Agree"),
            ("close", "Close"),
            ("partial", "Partial"),
            ("weak", "Weak"),
            ("disagree", "Disagree"),
        ],
        required=True,
        help="The level this rule weighs: the first of the field's rules, by decreasing "
        "minimum similarity, that the pair's similarity reaches.",
    )
    min_similarity = fields.Float(
        digits=(3, 2), help="Similarity (0-1) from which a pair reaches this outcome."
    )
    m_probability = fields.Float(
        string="m (same customer)",
        digits=(12, 6),
        required=True,
        help="Probability of this outcome between two records of the same customer.",
    )
    u_probability = fields.Float(
        string="u (different customers)",
        digits=(12, 6),
        required=True,
        help="Probability of this outcome between two records of different customers.",
    )
    weight = fields.Float(
        compute="_compute_weight",
        digits=(6, 2),
        help="log2(m / u): bits added to the score of a pair with this outcome.",
    )
    note = fields.Char()

    _field_outcome_uniq = models.Constraint(
        "UNIQUE(field, outcome)", "A field has one rule per outcome."
    )
    _probabilities_check = models.Constraint(
        "CHECK(m_probability > 0 AND m_probability <= 1 "
        "AND u_probability > 0 AND u_probability <= 1)",
        "Probabilities m and u are in (0, 1].",
    )

    @api.depends("m_probability", "u_probability")
    def _compute_weight(self):
        for rule in self:
            m, u = rule.m_probability, rule.u_probability
            rule.weight = math.log2(m / u) if m > 0 and u > 0 else 0.0

    @api.constrains("field", "comparator")
    def _check_comparator(self):
        for rule in self:
            if rule.comparator not in FIELDS[rule.field][0]:
                raise ValidationError(
                    self.env._("Field %s cannot be compared %s.", rule.field, rule.comparator)
                )

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        self.env.registry.clear_cache()
        return rules

    def write(self, vals):
        result = super().write(vals)
        self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    @api.model
    @tools.ormcache()
    def _match_model(self):
        """Return the :class:`~..matching.scoring.MatchModel` of the active
        rules and the prior, cached until a rule changes or estimation runs
        (it is immutable: share it)."""
        rules = self.sudo().with_context(active_test=True).search([])
        return MatchModel.from_rules(
            [
                {
                    "field": rule.field,
                    "comparator": rule.comparator,
                    "outcome": rule.outcome,
                    "min_similarity": rule.min_similarity,
                    "m_probability": rule.m_probability,
                    "u_probability": rule.u_probability,
                    "sequence": rule.sequence,
                }
                for rule in rules
            ],
            prior=self._get_prior(),
        )
