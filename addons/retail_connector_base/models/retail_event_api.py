from pydantic import ValidationError as PydanticValidationError

from odoo import fields, models

from .. import schemas
from ..exceptions import PermanentError
from ..utils import permanent_error_from_pydantic

# Topics of events the Channel API stores: their body is the canonical object.
API_TOPIC_MODELS = {
    "order.submitted": schemas.Order,
}


class RetailEvent(models.Model):
    """Events submitted through the Channel API (source ``api``): the body
    is already a canonical object, whatever the backend's channel."""

    _inherit = "retail.event"

    api_key_id = fields.Many2one(
        "retail.api.key", string="API key", readonly=True, index="btree_not_null"
    )
    api_external_id = fields.Char(
        string="API record id",
        readonly=True,
        index="btree_not_null",
        help="The channel's id of the record an API call submitted, to answer "
        "GET /orders/{external_id} before the import.",
    )

    def _apply(self):
        """Override: an API event's body is canonical, no adapter reads it."""
        if self.source != "api" or self.topic not in API_TOPIC_MODELS:
            return super()._apply()
        if self.body_purged:
            raise PermanentError("the raw body was purged; the event can't be processed")
        try:
            canonical = API_TOPIC_MODELS[self.topic].model_validate_json(self.body)
        except PydanticValidationError as exc:
            raise permanent_error_from_pydantic(exc) from None
        return self._apply_canonical(canonical)

    def _apply_now(self):
        """Apply a just-stored API event in the request, in a savepoint, and
        retire its job; on failure the job stays queued and does the work.

        :return: ``None`` when applied, else why not (the job tries again)
        """
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                outcome, reason = self._apply()
        except Exception as exc:  # noqa: BLE001 - the queued job retries and records it
            return str(exc) or type(exc).__name__
        self.write(
            {
                "state": outcome,
                "state_reason": reason,
                "attempts": 1,
                "processed_at": fields.Datetime.now(),
            }
        )
        job = self.sudo().job_id
        if job:
            job.write(
                {
                    "state": "done",
                    "date_done": fields.Datetime.now(),
                    "result": "Applied in the API request.",
                }
            )
        return None
