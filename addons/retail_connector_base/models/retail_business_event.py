import json
import logging

import psycopg2

from odoo import api, fields, models, tools
from odoo.tools import SQL

from ..business_events import catalogue, envelope
from ..business_events.http_sender import new_message_id

_logger = logging.getLogger(__name__)

# The context key naming the backend whose inbound event is being applied
# (set by ``retail.event._apply``): a change made there is the channel's own.
SOURCE_BACKEND_KEY = "retail_source_backend_id"
# Errors that retry the change rather than lose its event.
CONCURRENCY_ERRORS = (
    psycopg2.errors.SerializationFailure,
    psycopg2.errors.DeadlockDetected,
    psycopg2.errors.LockNotAvailable,
)


class RetailBusinessEvent(models.Model):
    """Something that happened in Odoo, told to other systems: a sibling of
    ``retail.outbox``, written in the transaction of the change (a rolled
    back change publishes nothing, a committed one is never lost) with one
    ``retail.business.event.delivery`` per subscriber that hears it.

    Emitting never breaks the change: it runs in a savepoint and an error
    is logged, not raised. Nothing is written while no subscriber exists.
    """

    _name = "retail.business.event"
    _description = "Retail Business Event"
    _order = "id desc"
    _rec_name = "uid"

    uid = fields.Char(string="Event id", required=True, readonly=True, index=True)
    event_type = fields.Selection(
        [(t, t) for t in catalogue.EVENT_TYPES], string="Type", required=True, readonly=True
    )
    occurred_at = fields.Datetime(required=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    backend_id = fields.Many2one(
        "retail.backend",
        string="Channel",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The channel the object belongs to (an order's channel).",
    )
    source_backend_id = fields.Many2one(
        "retail.backend",
        string="Caused by channel",
        readonly=True,
        ondelete="set null",
        help="Empty when the change was made in Odoo.",
    )
    subject_key = fields.Char(readonly=True, index=True, help="kind/id the sequence counts over.")
    sequence = fields.Integer(readonly=True)
    res_model = fields.Char(readonly=True)
    res_id = fields.Many2oneReference(model_field="res_model", readonly=True)
    payload = fields.Json(readonly=True, help="The event as delivered (echo false).")
    delivery_ids = fields.One2many("retail.business.event.delivery", "event_id", readonly=True)

    _uid_uniq = models.Constraint("UNIQUE(uid)", "An event id is unique.")

    # Emitting

    @api.model
    def _emit(self, event_type, record, data, *, subject=None, backend=None, company=None):
        """Record ``event_type`` about ``record`` with ``data`` (the type's
        canonical data, see ``business_events/envelope.py``, or a function
        returning it: built inside the protection, so a payload that can't
        be built is logged, never raised) and owe it to every subscriber
        that hears it.

        :param subject: ``(kind, id)`` the sequence counts over (default:
            the catalogue's kind and ``record.id``)
        :param backend: the channel ``record`` belongs to
        :return: the event, or an empty recordset (no subscriber, or an error)
        """
        if not self._sinks_configured():
            return self.browse()
        try:
            with self.env.cr.savepoint():
                return self.sudo()._create_event(
                    event_type, record, data, subject, backend, company
                )
        except CONCURRENCY_ERRORS:
            # Another transaction numbered this object's events meanwhile:
            # the whole change is retried (as its own conflicts are), so that
            # its event is never lost.
            raise
        except Exception:  # an event never breaks the change
            _logger.exception("Business event %s about %s not recorded", event_type, record)
            return self.browse()

    def _create_event(self, event_type, record, data, subject, backend, company):
        kind, subject_id = subject or (catalogue.subject_kind(event_type), str(record.id))
        subject_key = f"{kind}/{subject_id}"
        if callable(data):
            data = data()
        source = self._source()
        company = company or getattr(record, "company_id", False) or self.env.company
        backend = backend or self.env["retail.backend"]
        uid = new_message_id()
        now = fields.Datetime.now()
        payload = envelope.build(
            event_type,
            data,
            id=uid,
            time=now.isoformat() + "+00:00",
            source=self._source_values(source),
            subject={"kind": kind, "id": subject_id},
            sequence=self._next_sequence(subject_key),
            company_id=company.id,
        )
        event = self.create(
            {
                "uid": uid,
                "event_type": event_type,
                "occurred_at": now,
                "company_id": company.id,
                "backend_id": backend.id,
                "source_backend_id": source.id,
                "subject_key": subject_key,
                "sequence": payload["sequence"],
                "res_model": record._name,
                "res_id": record.id,
                "payload": payload,
            }
        )
        event._fan_out()
        return event

    def _source(self):
        backend_id = self.env.context.get(SOURCE_BACKEND_KEY)
        return (
            self.env["retail.backend"].browse(backend_id).exists()
            if backend_id
            else (self.env["retail.backend"])
        )

    @api.model
    def _source_values(self, backend):
        if not backend:
            return {"kind": "odoo"}
        return {
            "kind": "channel",
            "backend_id": backend.id,
            "channel": backend.code,
            "backend_name": backend.name,
        }

    def _next_sequence(self, subject_key):
        """The next number of ``subject_key``: its counter row stays locked
        until the transaction ends, so numbers follow commit order."""
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO retail_business_event_counter (subject_key, last_sequence)
                VALUES (%s, 1)
                ON CONFLICT (subject_key)
                DO UPDATE SET last_sequence = retail_business_event_counter.last_sequence + 1
                RETURNING last_sequence
                """,
                subject_key,
            )
        )
        return self.env.cr.fetchone()[0]

    def _fan_out(self):
        """One delivery per subscription that hears the event, scheduled."""
        self.ensure_one()
        subscriptions = self.env["retail.business.event.subscription"]._hearing(self)
        if subscriptions:
            deliveries = self.env["retail.business.event.delivery"].create(
                [
                    {
                        "event_id": self.id,
                        "subscription_id": subscription.id,
                        "subject_key": self.subject_key,
                        "sequence": self.sequence,
                    }
                    for subscription in subscriptions
                ]
            )
            deliveries._schedule()

    @api.model
    @tools.ormcache()
    def _sinks_configured(self):
        """Whether any subscription is enabled (cached; subscriptions clear it)."""
        return bool(
            self.env["retail.business.event.subscription"]
            .sudo()
            .search_count([("state", "=", "enabled")], limit=1)
        )

    def _body_for(self, subscription):
        """The bytes delivered to ``subscription``: the event, marked as an
        echo for the channel that caused it."""
        payload = dict(self.payload)
        payload["echo"] = bool(
            subscription.channel_backend_id
            and subscription.channel_backend_id == self.source_backend_id
        )
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
