from odoo import fields, models

from ..matching import DEFAULT_AUTO_THRESHOLD, DEFAULT_REVIEW_THRESHOLD


class RetailBackend(models.Model):
    _inherit = "retail.backend"

    identity_auto_threshold = fields.Float(
        string="Auto-link from (match probability)",
        digits=(6, 4),
        default=DEFAULT_AUTO_THRESHOLD,
        required=True,
        help="An incoming customer whose estimated probability of being an existing one "
        "reaches this is that customer (unless a company meets a person or identifiers "
        "conflict). The probability comes from the score (bits: each field agreeing or "
        "not adds its weight) and the prior chance that two customers are one.",
    )
    identity_review_threshold = fields.Float(
        string="Suggest from (match probability)",
        digits=(6, 4),
        default=DEFAULT_REVIEW_THRESHOLD,
        required=True,
        help="Between this probability and the auto-link one, the customer is created "
        "separately and the pair is put in the review queue.",
    )
    identity_default_country_id = fields.Many2one(
        "res.country",
        string="Customers' default country",
        help="Reads phone numbers and postal codes the channel sends without a country. "
        "Empty: the company's country.",
    )
    identity_priority = fields.Integer(
        string="Identity priority",
        default=10,
        help="When two customers are merged, attributes ruled by channel priority keep "
        "the value of the customer bound to the channel with the highest priority. "
        "Contacts entered in Odoo rank below every channel for these attributes.",
    )
    identity_decision_count = fields.Integer(
        string="Identity decisions", compute="_compute_identity_decision_count"
    )

    _identity_thresholds_check = models.Constraint(
        "CHECK(identity_review_threshold <= identity_auto_threshold)",
        "The review threshold cannot be above the auto-link threshold.",
    )
    _identity_probabilities_check = models.Constraint(
        "CHECK(identity_review_threshold >= 0 AND identity_auto_threshold <= 1)",
        "The identity thresholds are match probabilities, between 0 and 1.",
    )

    def _compute_identity_decision_count(self):
        groups = self.env["retail.identity.decision"]._read_group(
            [("backend_id", "in", self.ids)], ["backend_id"], ["__count"]
        )
        counts = {backend.id: count for backend, count in groups}
        for backend in self:
            backend.identity_decision_count = counts.get(backend.id, 0)

    def _get_partner_update_fields(self):
        """Override of `retail_connector_base`: whether an email is a marketplace
        relay goes with the email."""
        names = super()._get_partner_update_fields()
        if "email" in names:
            names.add("retail_email_relay")
        return names

    def _get_identity_default_country(self):
        """The country of customers who give none (ISO code, or ``None``)."""
        self.ensure_one()
        country = self.identity_default_country_id or self.company_id.country_id
        return country.code or None

    def action_view_identity_decisions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "retail_identity_resolution.retail_identity_decision_action"
        )
        action["domain"] = [("backend_id", "=", self.id)]
        action["context"] = {"create": False}
        return action
