from odoo import api, models
from odoo.exceptions import UserError

from ..matching import extended_blocking_keys
from ..matching.estimation import estimate, sessions
from ..matching.scoring import DEFAULT_PRIOR

# The prior (lambda) estimation found, as a system parameter.
PRIOR_PARAM = "retail_identity_resolution.prior"
# Contacts estimation reads (the most recent): enough for every level, quick
# enough for a click.
ESTIMATION_SAMPLE = 10_000
# Below this, too few pairs to learn anything.
ESTIMATION_MINIMUM = 50


class RetailIdentityFieldRule(models.Model):
    """Weights learned from the customers themselves (EM, unsupervised):
    ``m`` and ``u`` of every rule and the prior the match probability starts
    from (see ``matching/estimation.py``)."""

    _inherit = "retail.identity.field.rule"

    @api.model
    def _get_prior(self):
        """The prior of the match probability: estimation's, else the
        default (a value out of (0, 1) is ignored)."""
        value = self.env["ir.config_parameter"].sudo().get_param(PRIOR_PARAM)
        try:
            prior = float(value) if value else DEFAULT_PRIOR
        except ValueError:
            return DEFAULT_PRIOR
        return prior if 0 < prior < 1 else DEFAULT_PRIOR

    def action_estimate_from_customers(self):
        """Estimate ``m`` and ``u`` of every active rule and the prior on the
        most recent customers, write them, and say what changed."""
        self.check_access("write")  # the rules are written as superuser below
        partners = self.env["res.partner"].search(
            [("parent_id", "=", False), ("user_ids", "=", False), ("name", "!=", False)],
            order="id desc",
            limit=ESTIMATION_SAMPLE,
        )
        if len(partners) < ESTIMATION_MINIMUM:
            raise UserError(
                self.env._(
                    "Estimation needs at least %(minimum)s customers; there are %(count)s.",
                    minimum=ESTIMATION_MINIMUM,
                    count=len(partners),
                )
            )
        records = list(partners._retail_identity_records().values())
        result = estimate(self._match_model(), records, sessions(records, extended_blocking_keys))
        rules = self.sudo().with_context(active_test=True).search([])
        for rule in rules:
            m, u = result.probabilities.get((rule.field, rule.outcome), (None, None))
            if m is not None:
                rule.write({"m_probability": m, "u_probability": u})
        if result.prior:
            self.env["ir.config_parameter"].sudo().set_param(PRIOR_PARAM, repr(result.prior))
        self.env.registry.clear_cache()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": self.env._("Matching rules estimated"),
                "message": self.env._(
                    "%(customers)s customers, %(pairs)s pairs compared: the rules' m and u "
                    "are the estimates; the prior (two customers being one) is %(prior)s.",
                    customers=len(records),
                    pairs=result.pairs,
                    prior=f"{self._get_prior():.3g}",
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
