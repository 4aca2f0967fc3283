from odoo import api, fields, models
from odoo.exceptions import UserError

from ..explanation import render_explanation

SUGGESTION_STATES = [
    ("open", "To review"),
    ("deferred", "Later"),
    ("confirmed", "Merged"),
    ("rejected", "Not the same person"),
]
# States a pair is never proposed again from.
CLOSED_STATES = ("confirmed", "rejected")
PARTNER = "res.partner"


class RetailIdentitySuggestion(models.Model):
    """Two customers that may be one person, for a back-office user to
    decide: merge them, or remember they are two people."""

    _name = "retail.identity.suggestion"
    _description = "Possible duplicate customers"
    _order = "score desc, id desc"

    partner_a_id = fields.Many2one(
        PARTNER,
        string="Customer A",
        required=True,
        index=True,
        ondelete="cascade",
        context={"active_test": False},
        help="The older of the two: the one kept by a merge.",
    )
    partner_b_id = fields.Many2one(
        PARTNER,
        string="Customer B",
        required=True,
        index=True,
        ondelete="cascade",
        context={"active_test": False},
    )
    score = fields.Float(digits=(6, 1), help="How alike they are, in bits.")
    explanation = fields.Json(
        string="Explanation rows", help="Each field's contribution to the score."
    )
    explanation_html = fields.Html(
        string="Explanation", compute="_compute_explanation_html", sanitize=False
    )
    state = fields.Selection(
        SUGGESTION_STATES, required=True, default="open", index=True, copy=False
    )
    source = fields.Selection(
        [("import", "Import"), ("update", "Channel update"), ("batch", "Deduplication run")],
        required=True,
        default="import",
    )
    backend_id = fields.Many2one(
        "retail.backend", string="Channel", ondelete="set null", index="btree_not_null"
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    decision_id = fields.Many2one(
        "retail.identity.decision", ondelete="set null", index="btree_not_null"
    )
    merge_id = fields.Many2one("retail.identity.merge", ondelete="set null", copy=False)
    merge_state = fields.Selection(related="merge_id.state", string="Merge state")
    reviewer_id = fields.Many2one("res.users", string="Reviewed by", readonly=True, copy=False)
    review_date = fields.Datetime(string="Reviewed on", readonly=True, copy=False)
    both_active = fields.Boolean(
        compute="_compute_both_active",
        search="_search_both_active",
        help="Neither customer was merged into another since.",
    )

    # Side by side
    partner_a_email = fields.Char(related="partner_a_id.email", string="Email A")
    partner_b_email = fields.Char(related="partner_b_id.email", string="Email B")
    partner_a_phone = fields.Char(related="partner_a_id.phone", string="Phone A")
    partner_b_phone = fields.Char(related="partner_b_id.phone", string="Phone B")
    partner_a_address = fields.Char(compute="_compute_side_by_side", string="Address A")
    partner_b_address = fields.Char(compute="_compute_side_by_side", string="Address B")
    partner_a_channels = fields.Char(compute="_compute_side_by_side", string="Channels A")
    partner_b_channels = fields.Char(compute="_compute_side_by_side", string="Channels B")
    partner_a_since = fields.Datetime(related="partner_a_id.create_date", string="Created A")
    partner_b_since = fields.Datetime(related="partner_b_id.create_date", string="Created B")

    _pair_uniq = models.Constraint(
        "UNIQUE(partner_a_id, partner_b_id)", "This pair of customers is already proposed."
    )
    _pair_ordered = models.Constraint(
        "CHECK(partner_a_id < partner_b_id)", "Customer A is the older of the pair."
    )
    _state_score_idx = models.Index("(state, score DESC)")

    @api.depends("partner_a_id", "partner_b_id")
    def _compute_display_name(self):
        for suggestion in self:
            suggestion.display_name = self.env._(
                "%(a)s / %(b)s",
                a=suggestion.partner_a_id.display_name,
                b=suggestion.partner_b_id.display_name,
            )

    @api.depends("explanation")
    def _compute_explanation_html(self):
        field_labels, outcome_labels, headers = self.env[
            "retail.identity.decision"
        ]._explanation_labels()
        headers = (*headers[:3], self.env._("Compared (A / B)"))
        for suggestion in self:
            suggestion.explanation_html = render_explanation(
                suggestion.explanation or [], field_labels, outcome_labels, headers
            )

    @api.depends("partner_a_id.active", "partner_b_id.active")
    def _compute_both_active(self):
        for suggestion in self:
            suggestion.both_active = (
                suggestion.partner_a_id.active and suggestion.partner_b_id.active
            )

    def _search_both_active(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            return NotImplemented
        domain = [("partner_a_id.active", "=", True), ("partner_b_id.active", "=", True)]
        if (operator == "=") == value:
            return domain
        return ["|", ("partner_a_id.active", "=", False), ("partner_b_id.active", "=", False)]

    def _compute_side_by_side(self):
        Binding = self.env["retail.binding"].sudo()
        partners = self.partner_a_id | self.partner_b_id
        channels = {}
        for binding in Binding.search(
            [("res_model", "=", PARTNER), ("res_id", "in", partners.ids)]
        ):
            channels.setdefault(binding.res_id, []).append(binding.display_name)
        for suggestion in self:
            for side in ("a", "b"):
                partner = suggestion[f"partner_{side}_id"]
                suggestion[f"partner_{side}_address"] = ", ".join(
                    filter(
                        None, (partner.street, partner.zip, partner.city, partner.country_id.name)
                    )
                )
                suggestion[f"partner_{side}_channels"] = ", ".join(channels.get(partner.id, []))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            a, b = vals.get("partner_a_id"), vals.get("partner_b_id")
            if a and b and a > b:
                vals["partner_a_id"], vals["partner_b_id"] = b, a
        return super().create(vals_list)

    @api.model
    def _find_pair(self, partner, other):
        low, high = sorted((partner.id, other.id))
        return self.search([("partner_a_id", "=", low), ("partner_b_id", "=", high)], limit=1)

    @api.model
    def _propose(self, partner, other, *, source, backend=None, decision=None):
        """Put the pair (``partner``, ``other``) in the review queue with its
        score; return the suggestion, or nothing when the pair was already
        decided (a rejected pair is never proposed again)."""
        if partner == other:
            return self.browse()
        known = self._find_pair(partner, other)
        if known:
            return self.browse() if known.state in CLOSED_STATES else known
        a, b = (partner, other) if partner.id < other.id else (other, partner)
        record_a = a._retail_identity_record()
        frequencies = self.env[PARTNER]._retail_identity_frequencies([record_a])
        score = (
            self.env["retail.identity.field.rule"]
            ._match_model()
            .score(record_a, b._retail_identity_record(), frequencies)
        )
        return self.sudo().create(
            {
                "partner_a_id": a.id,
                "partner_b_id": b.id,
                "score": score.total,
                "explanation": score.explain(),
                "source": source,
                "backend_id": backend.id if backend else False,
                "decision_id": decision.id if decision else False,
            }
        )

    @api.model
    def _is_rejected(self, partner, other):
        """Whether a person said ``partner`` and ``other`` are two people."""
        return self._find_pair(partner, other).state == "rejected"

    @api.model
    def _rejected_partners(self, partner):
        """The customers a person said are not ``partner``."""
        pairs = self.search(
            [
                ("state", "=", "rejected"),
                "|",
                ("partner_a_id", "=", partner.id),
                ("partner_b_id", "=", partner.id),
            ]
        )
        return (pairs.partner_a_id | pairs.partner_b_id) - partner

    def _set_reviewed(self, state):
        self.write(
            {"state": state, "reviewer_id": self.env.user.id, "review_date": fields.Datetime.now()}
        )

    def action_confirm(self):
        """Merge B into A (the older), through the reversible merge."""
        Merge = self.env["retail.identity.merge"]
        for suggestion in self:
            if suggestion.state in CLOSED_STATES:
                raise UserError(self.env._("%s is already decided.", suggestion.display_name))
            merge = Merge._merge_partners(
                suggestion.partner_a_id,
                suggestion.partner_b_id,
                suggestion=suggestion,
                reason=self.env._("Confirmed in the review queue."),
            )
            suggestion._set_reviewed("confirmed")
            suggestion.merge_id = merge
        return True

    def action_reject(self):
        """Remember that the two are different people: never proposed again."""
        self._set_reviewed("rejected")
        return True

    def action_defer(self):
        self._set_reviewed("deferred")
        return True

    def action_reopen(self):
        self.filtered(lambda s: s.state in ("deferred", "rejected")).write(
            {"state": "open", "reviewer_id": False, "review_date": False}
        )
        return True

    def action_open_merge(self):
        self.ensure_one()
        return self.merge_id._get_records_action()
