import math

from odoo import api, fields, models
from odoo.tools import SQL

from ..exceptions import PermanentError

# Runtime value: when the last full resync of a backend was queued.
LAST_QUEUED_AT = "stock_resync_queued_at"
# The dedup key of a backend's pending resync plan (one at a time).
PLAN_KEY = "stock_resync"


class RetailStockResync(models.AbstractModel):
    """A full stock resync of a backend: every product the channel sells
    gets Odoo's available quantity, whatever was sent before.

    It runs through the outbox (kind ``stock_resync``), so it waits while
    the backend is paused, is retried and dead-lettered like any message:

    1. the *plan* (a message about the backend, without payload) asks the
       backend which products the channel sells
       (``_get_stock_resync_products``) and writes one message per chunk of
       ``_get_stock_resync_chunk_size`` products (payload: run, chunk,
       products and their channel references); older chunks still pending
       are superseded;
    2. each *chunk* sends the quantities of the moment it runs through the
       backend's ``_export_stock_levels`` and records them in its payload.
    """

    _name = "retail.stock.resync"
    _description = "Retail Stock Resync"

    @api.model
    def _queue(self, backend):
        """Owe ``backend`` a full resync (one pending plan per backend)."""
        backend._set_runtime_values(
            {LAST_QUEUED_AT: fields.Datetime.to_string(fields.Datetime.now())}
        )
        return (
            self.env["retail.outbox"]
            .sudo()
            ._enqueue(backend, "stock_resync", backend, dedup_key=PLAN_KEY)
        )

    @api.model
    def _get_last_queued_at(self, backend):
        value = backend._get_runtime_value(LAST_QUEUED_AT)
        return fields.Datetime.to_datetime(value) if value else None

    @api.model
    def _send(self, backend, message):
        """Send ``message``, a step of a resync of ``backend``."""
        if not message.payload:
            return self._plan(backend, message)
        return self._send_chunk(backend, message)

    @api.model
    def _plan(self, backend, message):
        products = backend._get_stock_resync_products()
        size = max(backend._get_stock_resync_chunk_size(), 1)
        items = [[product.id, ref] for product, ref in products.items()]
        superseded = self._supersede_pending_chunks(backend, message)
        count = math.ceil(len(items) / size)
        Outbox = self.env["retail.outbox"].sudo()
        chunks = Outbox.create(
            [
                {
                    "backend_id": backend.id,
                    "kind": "stock_resync",
                    "res_model": backend._name,
                    "res_id": backend.id,
                    "dedup_key": f"{PLAN_KEY}/{message.id}/{index + 1}",
                    "payload": {
                        "run": message.id,
                        "chunk": index + 1,
                        "chunks": count,
                        "products": items[index * size : (index + 1) * size],
                    },
                }
                for index in range(count)
            ]
        )
        chunks._schedule()
        message.payload = {"run": message.id, "chunks": count, "products": len(items)}
        summary = f"{len(items)} products in {count} chunk(s) of at most {size}"
        if superseded:
            summary += f"; {superseded} pending chunk(s) of an older resync superseded"
        return summary

    @api.model
    def _supersede_pending_chunks(self, backend, message):
        """Close the pending chunks of older resyncs (the new one sends newer
        quantities); chunks being sent (locked) are left to their job."""
        self.env.cr.execute(
            SQL(
                """
                UPDATE retail_outbox
                   SET state = 'done', result = %s,
                       write_date = now() at time zone 'UTC', write_uid = %s
                 WHERE id IN (SELECT id FROM retail_outbox
                               WHERE backend_id = %s AND kind = 'stock_resync'
                                 AND state = 'pending' AND dedup_key LIKE %s
                                 FOR NO KEY UPDATE SKIP LOCKED)
                """,
                f"Superseded by resync {message.id}.",
                self.env.uid,
                backend.id,
                f"{PLAN_KEY}/%",
            )
        )
        count = self.env.cr.rowcount
        self.env["retail.outbox"].invalidate_model(["state", "result"])
        return count

    @api.model
    def _send_chunk(self, backend, message):
        payload = dict(message.payload)
        Product = self.env["product.product"].with_context(active_test=False)
        levels = []
        for product_id, ref in payload.get("products") or []:
            product = Product.browse(product_id).exists()
            if not product or not product.default_code:
                continue  # deleted or unmapped since the plan
            available = backend._get_available_quantity(product)
            levels.append(
                {
                    "product": product,
                    "sku": product.default_code,
                    "quantity": max(math.floor(available), 0),
                    "ref": ref,
                }
            )
        label = f"Chunk {payload.get('chunk')}/{payload.get('chunks')}"
        if not levels:
            return f"{label}: no product left to send."
        answer = backend._export_stock_levels(levels, message)
        if not answer:
            raise PermanentError(f"{label}: the channel export returned nothing")
        payload["sent"] = {level["sku"]: level["quantity"] for level in levels}
        message.payload = payload
        return f"{label}: {len(levels)} SKUs set. {answer}"

    @api.model
    def _get_status(self, backend):
        """A line on the last resync of ``backend``: its chunks by state."""
        if not backend.id:
            return False
        Outbox = self.env["retail.outbox"].sudo()
        plan = Outbox.search(
            [
                ("backend_id", "=", backend.id),
                ("kind", "=", "stock_resync"),
                ("dedup_key", "=", PLAN_KEY),
            ],
            limit=1,
            order="id desc",
        )
        if not plan:
            return False
        if plan.state != "done":
            return self.env._(
                "Queued on %(date)s (%(state)s)", date=plan.create_date, state=plan.state
            )
        chunks = Outbox.search(
            [
                ("backend_id", "=", backend.id),
                ("kind", "=", "stock_resync"),
                ("dedup_key", "=like", f"{PLAN_KEY}/{plan.id}/%"),
            ]
        )
        counts = {
            state: len(chunks.filtered(lambda c, s=state: c.state == s))
            for state in ("done", "pending", "failed", "dead")
        }
        sent = sum(len((c.payload or {}).get("sent") or {}) for c in chunks)
        return self.env._(
            "%(date)s: %(chunks)s chunk(s), %(done)s sent, %(pending)s pending, "
            "%(failed)s failed; %(sent)s SKUs set",
            date=plan.sent_at or plan.create_date,
            chunks=len(chunks),
            done=counts["done"],
            pending=counts["pending"],
            failed=counts["failed"] + counts["dead"],
            sent=sent,
        )
