import logging
from datetime import timedelta

from odoo import api, fields, models

from ..triage import TriageEntry

_logger = logging.getLogger(__name__)

CURSOR_PARAM = "retail_connector_base.triage_cursor"
# Records are read again this long before the cursor: a transaction that
# committed late (a long job) wrote a write_date older than the cursor.
# Reading twice is harmless: occurrences are upserted.
CURSOR_OVERLAP = timedelta(minutes=10)
# Models whose failed jobs are triaged through their own records.
JOBS_TRIAGED_BY_RECORD = ("retail.event", "retail.outbox")


class RetailExceptionGroup(models.Model):
    """The triage sources: where failures come from. A module adds a source
    by extending :meth:`_get_triage_sources` and writing its collector."""

    _inherit = "retail.exception.group"

    @api.model
    def _get_triage_sources(self):
        """``[(code, label, collector method name)]``.

        A collector ``(since=None, ids=None)`` returns the :class:`TriageEntry`
        of its failing records changed since ``since`` (or among ``ids``).
        """
        return [
            ("event", "Inbound event", "_triage_collect_events"),
            ("job", "Job", "_triage_collect_jobs"),
            ("hold", "Order hold", "_triage_collect_holds"),
            ("outbox", "Outbound delivery", "_triage_collect_outbox"),
        ]

    @api.model
    def _triage_collect_events(self, since=None, ids=None):
        events = (
            self.env["retail.event"]
            .sudo()
            .search_fetch(
                self._triage_domain([("state", "in", ("failed", "dead"))], since, ids),
                ["backend_id", "topic", "error", "write_date"],
            )
        )
        return [
            TriageEntry.of("event", e, e.error, e.write_date, e.backend_id.id, e.topic)
            for e in events
        ]

    @api.model
    def _triage_collect_jobs(self, since=None, ids=None):
        jobs = (
            self.env["queue.job"]
            .sudo()
            .search_fetch(
                self._triage_domain(
                    [("state", "=", "failed"), ("model_name", "not in", JOBS_TRIAGED_BY_RECORD)],
                    since,
                    ids,
                    # queue.job keeps no write_date: a failed job was started last.
                    date_field="date_started",
                ),
                [
                    "model_name",
                    "method_name",
                    "exc_name",
                    "exc_message",
                    "date_started",
                    "date_created",
                ],
            )
        )
        return [
            TriageEntry.of(
                "job",
                job,
                job.exc_message,
                job.date_started or job.date_created,
                topic=f"{job.model_name}.{job.method_name}",
                kind=(job.exc_name or "").rsplit(".", 1)[-1] or None,
            )
            for job in jobs
        ]

    @api.model
    def _triage_collect_holds(self, since=None, ids=None):
        """One entry per reason of a held order: an order held for an
        unknown SKU and a missing tax belongs to both groups."""
        orders = (
            self.env["sale.order"]
            .sudo()
            .search_fetch(
                self._triage_domain(
                    [("retail_on_hold", "=", True), ("retail_backend_id", "!=", False)], since, ids
                ),
                ["retail_backend_id", "retail_hold_reason", "write_date"],
            )
        )
        return [
            TriageEntry.of("hold", order, reason, order.write_date, order.retail_backend_id.id)
            for order in orders
            for reason in (order.retail_hold_reason or "").split("\n")
            if reason.strip()
        ]

    @api.model
    def _triage_collect_outbox(self, since=None, ids=None):
        messages = (
            self.env["retail.outbox"]
            .sudo()
            .search_fetch(
                self._triage_domain([("state", "in", ("failed", "dead"))], since, ids),
                ["backend_id", "kind", "error", "write_date"],
            )
        )
        return [
            TriageEntry.of("outbox", m, m.error, m.write_date, m.backend_id.id, m.kind)
            for m in messages
        ]

    @api.model
    def _triage_domain(self, domain, since, ids, date_field="write_date"):
        if ids is not None:
            return [*domain, ("id", "in", list(ids))]
        if since:
            return [*domain, (date_field, ">=", since)]
        return domain

    # The cron

    @api.model
    def _cron_triage(self):
        """Group what failed since the last run, then close the occurrences
        whose records no longer fail."""
        params = self.env["ir.config_parameter"].sudo()
        started = fields.Datetime.now()
        cursor = params.get_param(CURSOR_PARAM)
        since = fields.Datetime.to_datetime(cursor) - CURSOR_OVERLAP if cursor else None
        groups = self._triage_collect(since)
        self._sweep_resolved()
        params.set_param(CURSOR_PARAM, fields.Datetime.to_string(started))
        _logger.info("Triage: %s group(s) touched", len(groups))
        return groups

    @api.model
    def _triage_collect(self, since=None):
        """Record the failures of every source changed since ``since``."""
        entries = []
        for _code, _label, method in self._get_triage_sources():
            entries += getattr(self, method)(since=since)
        return self._record_occurrences(entries)

    @api.model
    def _sweep_resolved(self):
        """Mark resolved the open occurrences whose record no longer fails
        the same way, and the groups left without an open one."""
        Occurrence = self.env["retail.exception.occurrence"]
        open_occurrences = Occurrence.search([("state", "=", "open")])
        if not open_occurrences:
            return
        collectors = {code: method for code, _label, method in self._get_triage_sources()}
        resolved = Occurrence.browse()
        for source in set(open_occurrences.mapped("source")):
            of_source = open_occurrences.filtered(lambda o, s=source: o.source == s)
            still = {
                (entry.res_id, entry.fingerprint.key)
                for entry in getattr(self, collectors[source])(ids=set(of_source.mapped("res_id")))
            }
            resolved |= of_source.filtered(
                lambda o, still=still: (o.res_id, o.group_id.fingerprint) not in still
            )
        if resolved:
            resolved.write({"state": "resolved", "resolved_at": fields.Datetime.now()})
            groups = resolved.group_id
            groups._refresh_figures()
            done = groups.filtered(lambda g: g.state == "open" and not g.open_count)
            done.write({"state": "resolved"})
            for group in done:
                group.activity_ids.action_feedback(
                    feedback=self.env._("Every failure of the group is resolved.")
                )
