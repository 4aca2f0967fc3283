from odoo import api, fields, models

from ..explanation import render_explanation

DECISIONS = [
    ("link", "Linked to the existing customer"),
    ("review", "New customer, pair to review"),
    ("new", "New customer"),
]
STAGES = [
    ("import", "At import"),
    ("update", "Channel update"),
]


class RetailIdentityDecision(models.Model):
    """What the resolver decided about one incoming customer, and why: the
    best candidate, its score against the backend's thresholds, and each
    field's contribution."""

    _name = "retail.identity.decision"
    _description = "Customer identity decision"
    _order = "id desc"
    _rec_name = "customer_name"

    backend_id = fields.Many2one(
        "retail.backend", string="Channel", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    event_id = fields.Many2one("retail.event", ondelete="set null", index="btree_not_null")
    stage = fields.Selection(
        STAGES,
        required=True,
        default="import",
        help="At import: a customer the channel sent for the first time. Channel update: "
        "a customer already bound, matched again because the channel sent more of it.",
    )
    external_id = fields.Char(string="Channel customer id")
    customer_name = fields.Char(string="Incoming customer")
    customer_email = fields.Char(string="Incoming email")
    customer_phone = fields.Char(string="Incoming phone")
    email_is_relay = fields.Boolean(string="Relay email")
    decision = fields.Selection(DECISIONS, required=True, index=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        ondelete="set null",
        index="btree_not_null",
        context={"active_test": False},
        help="The customer the channel's record is bound to after the decision.",
    )
    matched_partner_id = fields.Many2one(
        "res.partner",
        string="Best candidate",
        ondelete="set null",
        index="btree_not_null",
        context={"active_test": False},
    )
    candidate_count = fields.Integer(string="Candidates scored")
    score = fields.Float(digits=(6, 1), help="The best candidate's score, in bits.")
    probability = fields.Float(
        string="Match probability",
        digits=(6, 4),
        help="The estimated probability that the best candidate is the customer: the score "
        "and the prior chance that two customers are one.",
    )
    auto_threshold = fields.Float(string="Auto-link from", digits=(6, 4))
    review_threshold = fields.Float(string="Suggest from", digits=(6, 4))
    blocked = fields.Char(string="Auto-link blocked because")
    explanation = fields.Json(
        string="Explanation rows", help="The best candidate's field contributions."
    )
    explanation_html = fields.Html(
        string="Explanation", compute="_compute_explanation_html", sanitize=False
    )
    summary = fields.Char(compute="_compute_summary")
    suggestion_ids = fields.One2many("retail.identity.suggestion", "decision_id")
    merge_id = fields.Many2one(
        "retail.identity.merge",
        string="Merge",
        ondelete="set null",
        help="The merge this decision made: another customer the incoming one proved to be, "
        "or a bound customer merged once the channel sent more of it.",
    )
    merge_state = fields.Selection(related="merge_id.state", string="Merge state")
    key_ids = fields.One2many(
        "retail.identity.key",
        "decision_id",
        string="Identity keys",
        help="The emails, phones and addresses this decision kept on the customer.",
    )
    provisional_key_count = fields.Integer(
        string="Provisional keys", compute="_compute_provisional_key_count"
    )

    _backend_date_idx = models.Index("(backend_id, create_date)")

    @api.depends("key_ids.provisional")
    def _compute_provisional_key_count(self):
        for decision in self:
            decision.provisional_key_count = len(decision.key_ids.filtered("provisional"))

    @api.depends("explanation")
    def _compute_explanation_html(self):
        labels = self._explanation_labels()
        for decision in self:
            decision.explanation_html = render_explanation(decision.explanation or [], *labels)

    @api.depends("decision", "score", "matched_partner_id", "blocked", "candidate_count")
    def _compute_summary(self):
        for decision in self:
            decision.summary = decision._get_summary()

    def _get_summary(self):
        """One sentence a back-office user reads: what was decided, why."""
        self.ensure_one()
        if not self.matched_partner_id:
            return self.env._("No existing customer shares an email, phone or address key.")
        values = {
            "candidate": self.matched_partner_id.display_name,
            "score": f"{self.score:.1f} bits, p {self.probability:.4f}",
            "auto": f"{self.auto_threshold:.4f}",
            "review": f"{self.review_threshold:.4f}",
        }
        if self.decision == "link":
            return self.env._(
                "Same customer as %(candidate)s: score %(score)s reaches the auto-link "
                "threshold %(auto)s.",
                **values,
            )
        if self.blocked:
            values["blocked"] = self.blocked
            return self.env._(
                "Best candidate %(candidate)s (score %(score)s) cannot be linked "
                "automatically: %(blocked)s.",
                **values,
            )
        if self.decision == "review":
            return self.env._(
                "Maybe %(candidate)s: score %(score)s is between the review threshold "
                "%(review)s and the auto-link threshold %(auto)s.",
                **values,
            )
        return self.env._(
            "Best candidate %(candidate)s scores %(score)s, below the review threshold %(review)s.",
            **values,
        )

    @api.model
    def _explanation_labels(self):
        """(field labels, outcome labels, column headers) of explanation tables."""
        field_labels = dict(self.env["retail.identity.field.rule"]._fields["field"].selection)
        field_labels["blocked"] = self.env._("No auto-link")
        field_labels["merged"] = self.env._("Merged")
        outcome_labels = {
            "agree": self.env._("agree"),
            "close": self.env._("close"),
            "partial": self.env._("partial"),
            "weak": self.env._("weak"),
            "disagree": self.env._("disagree"),
            "missing": self.env._("missing"),
        }
        headers = (
            self.env._("Field"),
            self.env._("Outcome"),
            self.env._("Weight"),
            self.env._("Compared (incoming / existing)"),
        )
        return field_labels, outcome_labels, headers

    @api.model
    def _log_match(self, backend, match, customer=None, partner=None, event=None):
        """Record the decision the resolver's ``match``
        (:class:`~..identity_match.IdentityMatch`) led to, with its
        explanation: about the incoming ``customer`` at import, or about the
        bound ``partner`` matched again (stage "update"); ``event`` is the
        event being applied."""
        score = match.score
        values = {
            "backend_id": backend.id,
            "event_id": event.id if event else False,
            "stage": "update" if partner else "import",
            "decision": match.decision,
            "partner_id": partner.id if partner else False,
            "matched_partner_id": match.partner.id if match.partner else False,
            "candidate_count": match.candidate_count,
            "score": score.total if score else 0.0,
            "probability": score.probability if score else 0.0,
            "auto_threshold": backend.identity_auto_threshold,
            "review_threshold": backend.identity_review_threshold,
            "explanation": score.explain() if score else [],
            "blocked": self._ambiguous_reason(match)
            or (score and score.blocked and self._blocked_reason(score)),
            "email_is_relay": match.record.email_is_relay,
        }
        if customer:
            values.update(
                external_id=customer.external_id,
                customer_name=match.record.name,
                customer_email=customer.email,
                customer_phone=customer.phone
                or (customer.default_address and customer.default_address.phone),
            )
        elif partner:
            binding = self.env["retail.binding"].search(
                [
                    ("backend_id", "=", backend.id),
                    ("res_model", "=", "res.partner"),
                    ("res_id", "=", partner.id),
                ],
                limit=1,
            )
            values.update(
                external_id=binding.external_id,
                customer_name=partner.name,
                customer_email=partner.email,
                customer_phone=partner.phone,
            )
        return self.sudo().create(values)

    @api.model
    def _ambiguous_reason(self, match):
        if not match.ambiguous:
            return False
        return self.env._(
            "it is linkable to several customers who are told apart (%(customers)s)",
            customers=", ".join(partner.display_name for partner, _score in match.ambiguous),
        )

    @api.model
    def _blocked_reason(self, score):
        rows = [row for row in score.explain() if row["field"] == "blocked"]
        return rows[0]["detail"] if rows else score.blocked

    def action_confirm_link(self):
        """A person says this auto-link is right: the emails, phones and
        addresses it brought to the customer (provisional, as the evidence was
        weak) now find the customer like its own."""
        # Reviewing is the users' job; the keys are written by the resolver.
        self.check_access("read")
        self.sudo().key_ids._confirm()
        return True

    def action_open_partner(self):
        self.ensure_one()
        return self.partner_id._get_records_action()
