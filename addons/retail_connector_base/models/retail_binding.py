from odoo import api, fields, models
from odoo.tools import SQL

from ..exceptions import TransientError


class RetailBinding(models.Model):
    """Links an Odoo record to its counterpart in one channel."""

    _name = "retail.binding"
    _description = "Retail Channel Binding"
    _order = "id desc"

    backend_id = fields.Many2one("retail.backend", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    res_model = fields.Char(string="Odoo model", required=True)
    res_id = fields.Many2oneReference(string="Odoo record", model_field="res_model", required=True)
    external_id = fields.Char(required=True, help="The channel's id of the record.")
    external_updated_at = fields.Datetime(
        string="Channel updated at",
        help="The channel's last update applied; older updates are ignored as stale.",
    )
    last_event_id = fields.Many2one("retail.event", ondelete="set null")

    _backend_model_external_uniq = models.Constraint(
        "UNIQUE(backend_id, res_model, external_id)",
        "A channel record can be bound to one Odoo record only.",
    )
    _record_idx = models.Index("(res_model, res_id)")

    @api.depends("backend_id", "external_id")
    def _compute_display_name(self):
        for binding in self:
            binding.display_name = f"{binding.backend_id.name}: {binding.external_id}"

    @api.model
    def _get_applied_updates(self, backend, keys):
        """``{(res_model, external_id): channel update applied}`` of the
        bindings of ``backend`` among ``keys`` (pairs; ``None`` ids ignored)."""
        by_model = {}
        for res_model, external_id in keys:
            if res_model and external_id:
                by_model.setdefault(res_model, []).append(external_id)
        applied = {}
        for res_model, external_ids in by_model.items():
            for binding in self.search(
                [
                    ("backend_id", "=", backend.id),
                    ("res_model", "=", res_model),
                    ("external_id", "in", external_ids),
                ]
            ):
                applied[(res_model, binding.external_id)] = binding.external_updated_at
        return applied

    @api.model
    def _claim(self, backend, res_model, external_id):
        """Lock the binding of one channel record for this transaction, and
        create it first when the record is new; return it.

        A new binding has no Odoo record yet (``res_id`` 0, ``_record()``
        empty) until :meth:`_bind` gives it one; if the import fails, the
        savepoint or transaction that claimed it takes it away again.

        Concurrent importers of one record never meet on the unique key
        (no ``IntegrityError``, no ``bad query`` in the log): the insert
        skips an existing key (``ON CONFLICT DO NOTHING``) and the row is
        then locked (``FOR NO KEY UPDATE``), so a second importer waits for
        the first one's transaction. When that one committed after the
        second one's snapshot (Odoo's REPEATABLE READ), PostgreSQL refuses
        to let the second one go on with a stale view ("could not serialize
        access", 40001): an expected outcome, retried (the event's
        processing retries serialization failures), so not logged here.
        """
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                INSERT INTO retail_binding (
                    backend_id, company_id, res_model, res_id, external_id,
                    create_uid, create_date, write_uid, write_date)
                VALUES (%s, %s, %s, 0, %s, %s, now() at time zone 'UTC',
                        %s, now() at time zone 'UTC')
                ON CONFLICT (backend_id, res_model, external_id) DO NOTHING
                RETURNING id
                """,
                backend.id,
                backend.company_id.id or None,
                res_model,
                external_id,
                self.env.uid,
                self.env.uid,
            ),
            log_exceptions=False,
        )
        row = cr.fetchone()
        if not row:
            cr.execute(
                SQL(
                    """
                    SELECT id FROM retail_binding
                     WHERE backend_id = %s AND res_model = %s AND external_id = %s
                       FOR NO KEY UPDATE
                    """,
                    backend.id,
                    res_model,
                    external_id,
                ),
                log_exceptions=False,
            )
            row = cr.fetchone()
        if not row:  # deleted between the two statements (its backend removed)
            raise TransientError(
                self.env._("The binding of %s changed meanwhile; retried.", external_id)
            )
        return self.browse(row[0])

    @api.model
    def _lock(self, backend, res_model, key):
        """Serialize the work on one channel key across workers (an advisory
        lock held until the transaction ends).

        Where the work creates a binding of that key, use :meth:`_claim`:
        a second worker waiting here keeps the snapshot it had before, does
        not see the first one's binding and fails on the unique key.
        """
        self.env.cr.execute(
            SQL(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                f"retail.binding/{backend.id}/{res_model}/{key}",
            )
        )

    @api.model
    def _find(self, backend, res_model, external_id):
        return self.search(
            [
                ("backend_id", "=", backend.id),
                ("res_model", "=", res_model),
                ("external_id", "=", external_id),
            ],
            limit=1,
        )

    @api.model
    def _bind(self, backend, record, external_id, updated_at=None, event=None, binding=None):
        """Create or move forward the binding of ``record``; return it.

        :param binding: the binding of ``external_id`` when the caller has it
            (from :meth:`_claim`), which saves looking it up
        """
        binding = binding or self._find(backend, record._name, external_id)
        values = {
            "res_id": record.id,
            "external_updated_at": updated_at and updated_at.replace(tzinfo=None),
            "last_event_id": event.id if event else False,
        }
        if binding:
            binding.write(values)
            return binding
        return self.create(
            dict(values, backend_id=backend.id, res_model=record._name, external_id=external_id)
        )

    def _record(self):
        self.ensure_one()
        return self.env[self.res_model].browse(self.res_id).exists()
