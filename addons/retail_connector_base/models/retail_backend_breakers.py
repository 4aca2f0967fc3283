from odoo import fields, models

from ..services.circuit_breaker import BackendBreaker


class RetailBackend(models.Model):
    """The circuit breakers of the backend's channel API: one per host and
    endpoint family, made on first use with these settings."""

    _inherit = "retail.backend"

    breaker_failure_threshold = fields.Integer(
        string="Failures before pausing calls",
        default=5,
        required=True,
        help="Failed calls in a row (unreachable, timeout, 5xx) after which calls to that "
        "endpoint of the channel pause: work waits and one call probes it later.",
    )
    breaker_cooldown_seconds = fields.Integer(
        string="Probe the channel every (seconds)",
        default=60,
        required=True,
        help="How long calls to an endpoint that is down pause before one call probes it.",
    )
    breaker_ids = fields.One2many("retail.circuit.breaker", "backend_id", string="Circuit breakers")

    _breaker_settings_positive = models.Constraint(
        "CHECK(breaker_failure_threshold > 0 AND breaker_cooldown_seconds >= 0)",
        "A breaker opens after at least one failure, and its cooldown is not negative.",
    )

    def _get_api_breaker(self):
        """The :class:`~..api_client.Breaker` the backend's API client calls
        through (``retail.circuit.breaker``)."""
        self.ensure_one()
        return BackendBreaker(self.sudo())
