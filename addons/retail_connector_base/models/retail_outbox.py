from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

OUTBOX_STATES = [
    ("pending", "Pending"),
    ("done", "Sent"),
    ("failed", "Failed"),
    ("dead", "Dead"),
    ("discarded", "Discarded"),
]
# What a person may discard: what wasn't sent.
DISCARDABLE_STATES = ("pending", "failed", "dead")
MANAGER_GROUP = "retail_connector_base.group_retail_connect_manager"

# Kinds sent in the batch tier: orders never wait behind them.
BATCH_KINDS = ("stock", "stock_resync")


class RetailOutbox(models.Model):
    """What Odoo owes a channel: written in the transaction of the business
    change (a delivery done, stock moved), sent later by a job.

    Stock rows are coalesced: one pending row per product and backend, sent
    with the quantity of the moment it is sent. Attempts, retries and
    failures follow the processing core through ``retail.processing.mixin``.
    """

    _name = "retail.outbox"
    _inherit = ["retail.processing.mixin"]
    _description = "Retail Outbound Message"
    _order = "id desc"
    _processing_job_method = "_send"
    _processing_retry_state = "pending"
    # A discarded message stays discarded, whatever its job does later.
    _processing_final_states = ("done", "discarded")

    backend_id = fields.Many2one("retail.backend", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    kind = fields.Selection(
        [
            ("fulfillment", "Fulfillment"),
            ("stock", "Stock level"),
            ("cancellation", "Cancellation"),
            ("refund", "Refund"),
            ("stock_resync", "Stock resync"),
        ],
        required=True,
        index=True,
    )
    res_model = fields.Char(required=True)
    res_id = fields.Many2oneReference(model_field="res_model", required=True)
    dedup_key = fields.Char(
        help="Rows with the same key are coalesced while pending (stock: one per product)."
    )
    payload = fields.Json(
        readonly=True,
        help="What the message carries beyond its record (a stock resync: its products, "
        "and the quantities sent).",
    )
    state = fields.Selection(OUTBOX_STATES, required=True, default="pending", index=True)
    result = fields.Char(readonly=True, help="What the channel answered.")
    sent_at = fields.Datetime(readonly=True)
    discard_reason = fields.Text(readonly=True, help="Why a person chose not to send it.")
    discarded_by_id = fields.Many2one("res.users", string="Discarded by", readonly=True)
    discarded_at = fields.Datetime(readonly=True)

    _pending_dedup_uniq = models.UniqueIndex(
        "(backend_id, dedup_key) WHERE state = 'pending' AND dedup_key IS NOT NULL",
        "One pending message per key and backend.",
    )

    @api.depends("kind", "res_model", "res_id")
    def _compute_display_name(self):
        for message in self:
            record = message._record()
            message.display_name = f"{message.kind}: {record.display_name if record else '-'}"

    def _record(self):
        self.ensure_one()
        return self.env[self.res_model].browse(self.res_id).exists()

    # Writing

    @api.model
    def _enqueue(self, backend, kind, record, dedup_key=None, delay=0):
        """Owe ``backend`` a ``kind`` message about ``record``.

        With a ``dedup_key``, a message still pending is reused: it will send
        the state of the moment it runs. The pending row is touched, not
        just found: a job already sending it (with a snapshot from before
        this change) makes this transaction wait and be retried, then owe a
        new message; a job starting after it fails to lock a row changed
        since its snapshot and is retried with a fresh one. Either way the
        change is never lost behind a send of the quantity before it.
        """
        if dedup_key:
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO retail_outbox (backend_id, company_id, kind, res_model, res_id,
                                               dedup_key, state, attempts,
                                               create_uid, create_date, write_uid, write_date)
                    VALUES (%s, %s, %s, %s, %s, %s, 'pending', 0,
                            %s, now() at time zone 'UTC', %s, now() at time zone 'UTC')
                    ON CONFLICT (backend_id, dedup_key)
                        WHERE state = 'pending' AND dedup_key IS NOT NULL
                    DO UPDATE SET write_date = EXCLUDED.write_date
                    RETURNING id, xmax = 0
                    """,
                    backend.id,
                    backend.company_id.id,
                    kind,
                    record._name,
                    record.id,
                    dedup_key,
                    self.env.uid,
                    self.env.uid,
                )
            )
            message_id, inserted = self.env.cr.fetchone()
            if not inserted:
                return self.browse()
            message = self.browse(message_id)
        else:
            message = self.create(
                {
                    "backend_id": backend.id,
                    "kind": kind,
                    "res_model": record._name,
                    "res_id": record.id,
                }
            )
        message._schedule(delay)
        return message

    def _schedule(self, delay=0):
        for message in self:
            job = message.with_delay(
                channel=message.backend_id._get_job_channel(
                    "batch" if message.kind in BATCH_KINDS else "realtime"
                ),
                max_retries=message._get_retry_policy().max_attempts,
                eta=delay or None,
                description=f"Send {message.kind} to {message.backend_id.name}",
            )._send()
            message.job_id = job.db_record()

    # Sending (queue_job)

    def _send(self):
        """Job: send the message through the backend's channel
        (``retail.processing.mixin`` runs the attempt and records failures)."""
        return self._run_processing(self._send_locked)

    def _send_locked(self, state, started):
        """One attempt at the message, locked in ``state``: send it unless
        it was sent or given up meanwhile."""
        if state != "pending":
            return f"Already {state}: nothing sent."
        if self.backend_id.state != "active":
            # Paused or draft: nothing leaves; sent on activation.
            return "Backend not active: kept until it is activated."
        record = self._record()
        if not record:
            self.write({"state": "done", "result": "Record deleted: nothing to send."})
            return self.result
        result = self.backend_id._export(self, record)
        self.write(
            {
                "state": "done",
                "result": result,
                "attempts": self.attempts + 1,
                "sent_at": fields.Datetime.now(),
                "error": False,
            }
        )
        return result

    def action_replay(self):
        """Send failed or dead messages again."""
        discarded = self.filtered(lambda m: m.state == "discarded")
        if discarded:
            raise UserError(
                self.env._(
                    "Discarded messages are never sent: %s. Make the change in Odoo again "
                    "to owe the channel a new message.",
                    ", ".join(discarded.mapped("display_name")),
                )
            )
        replayable = self.filtered(lambda m: m.state in ("failed", "dead"))
        if not replayable:
            raise UserError(self.env._("Only failed or dead messages can be sent again."))
        # A newer pending stock message already sends the current quantity.
        superseded = replayable.filtered(
            lambda m: (
                m.dedup_key
                and self.search_count(
                    [
                        ("backend_id", "=", m.backend_id.id),
                        ("dedup_key", "=", m.dedup_key),
                        ("state", "=", "pending"),
                    ],
                    limit=1,
                )
            )
        )
        superseded.write({"state": "done", "result": "Superseded by a newer pending message."})
        to_send = replayable - superseded
        to_send.write({"state": "pending", "attempts": 0, "error": False})
        to_send._schedule()
        return True

    # Discarding

    def action_open_discard_wizard(self):
        """Ask a manager why the selected messages should not be sent."""
        self._check_discardable()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Discard messages"),
            "res_model": "retail.outbox.discard.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_message_ids": [(6, 0, self.ids)]},
        }

    def _check_discardable(self):
        if not self.env.user.has_group(MANAGER_GROUP):
            raise UserError(self.env._("Only a Retail Connect manager may discard messages."))
        if not self:
            raise UserError(self.env._("Select the messages to discard."))
        sent = self.filtered(lambda m: m.state not in DISCARDABLE_STATES)
        if sent:
            raise UserError(
                self.env._(
                    "Only pending, failed or dead messages can be discarded, not: %s.",
                    ", ".join(f"{m.display_name} ({m.state})" for m in sent),
                )
            )

    def _discard(self, reason):
        """Never send these messages: keep why, who and when. A job of theirs
        that runs later finds them discarded and sends nothing."""
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Say why the messages are discarded."))
        self._check_discardable()
        # Wait for a running attempt (it holds the row lock), then decide on
        # the state it left.
        self.env.cr.execute(
            SQL(
                "SELECT id FROM retail_outbox WHERE id IN %s FOR NO KEY UPDATE",
                tuple(self.ids),
            )
        )
        self.invalidate_recordset(["state"])
        self._check_discardable()
        self.sudo().write(
            {
                "state": "discarded",
                "discard_reason": reason,
                "discarded_by_id": self.env.uid,
                "discarded_at": fields.Datetime.now(),
            }
        )
        return True

    # Refunds on their way

    @api.model
    def _refunds_in_flight(self, backend, order):
        """The refund messages of ``order``'s credit notes whose outcome on
        the channel is unknown: being sent now (their row is locked by the
        job) or tried before without an answer (pending with attempts). A
        refund the channel reports meanwhile may be one of them."""
        credit_notes = order.invoice_ids.filtered(lambda move: move.move_type == "out_refund")
        if not credit_notes:
            return self.browse()
        self.env.cr.execute(
            SQL(
                """
                SELECT id, attempts FROM retail_outbox
                 WHERE backend_id = %s AND kind = 'refund' AND state = 'pending'
                   AND res_model = 'account.move' AND res_id IN %s
                """,
                backend.id,
                tuple(credit_notes.ids),
            )
        )
        rows = self.env.cr.fetchall()
        if not rows:
            return self.browse()
        # Rows a running job holds (FOR NO KEY UPDATE) are skipped: in flight.
        self.env.cr.execute(
            SQL(
                "SELECT id FROM retail_outbox WHERE id IN %s FOR SHARE SKIP LOCKED",
                tuple(row[0] for row in rows),
            )
        )
        free = {row[0] for row in self.env.cr.fetchall()}
        return self.browse([id_ for id_, attempts in rows if attempts or id_ not in free])
