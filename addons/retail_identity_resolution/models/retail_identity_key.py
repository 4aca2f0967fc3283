from odoo import api, fields, models
from odoo.tools import SQL

from ..identity_keys import KEY_KINDS, KEY_WEIGHTS


class RetailIdentityKey(models.Model):
    """One identity of a customer: an email, a phone or an address (as the
    blocking keys it is found by) it was seen with, on its form, from a
    channel or on a customer merged into it. Customers are searched and
    matched by all of them; the form's own email and phone are never changed
    by them.

    A key from a link made on weak evidence is *provisional*: it attracts no
    other customer until a person confirms the link or stronger evidence
    brings it again.
    """

    _name = "retail.identity.key"
    _description = "Customer identity key"
    _order = "partner_id, kind, value"
    _rec_name = "value"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, ondelete="cascade", index=True
    )
    kind = fields.Selection(KEY_KINDS, required=True)
    value = fields.Char(required=True, help="Normalized, as customers are matched on.")
    weight = fields.Float(
        digits=(4, 1), help="How much sharing this key says: the heaviest candidates are scored."
    )
    backend_id = fields.Many2one(
        "retail.backend",
        string="Seen on",
        ondelete="set null",
        help="The channel that last sent it; empty: the customer's form.",
    )
    provisional = fields.Boolean(
        default=False,
        help="Brought by a link made on weak evidence: attracts no other customer until "
        "a person confirms the link or stronger evidence brings it again.",
    )
    decision_id = fields.Many2one(
        "retail.identity.decision",
        string="Decision",
        ondelete="set null",
        index="btree_not_null",
        help="The resolver's decision that brought it.",
    )
    merge_id = fields.Many2one(
        "retail.identity.merge",
        string="Merge",
        ondelete="set null",
        index="btree_not_null",
        help="The merge that brought it from the merged customer (undone with it).",
    )
    first_seen = fields.Datetime(readonly=True)
    last_seen = fields.Datetime(readonly=True)

    _partner_kind_value_uniq = models.Constraint(
        "UNIQUE(partner_id, kind, value)", "A customer holds a key once."
    )
    # The candidate search: one index range scan per key.
    _kind_value_idx = models.Index("(kind, value, partner_id) WHERE NOT provisional")

    @api.model
    def _upsert(self, rows):
        """Insert or refresh ``rows``: dicts of ``partner_id``, ``kind``,
        ``value`` and optionally ``backend_id``, ``provisional``,
        ``decision_id``, ``merge_id``. A key already held stays confirmed if
        it was; a confirmed one confirms it. Raw SQL: run on every partner
        write and import, one statement."""
        unique = {}
        for row in rows:
            key = (row["partner_id"], row["kind"], row["value"])
            if key in unique:
                row = dict(
                    row, provisional=unique[key].get("provisional") and row.get("provisional")
                )
            unique[key] = row
        if not unique:
            return
        values = [
            SQL(
                "(%s, %s, %s, %s, %s, %s, %s, %s, now() at time zone 'UTC', "
                "now() at time zone 'UTC', %s, %s, now() at time zone 'UTC', "
                "now() at time zone 'UTC')",
                row["partner_id"],
                row["kind"],
                row["value"],
                KEY_WEIGHTS[row["kind"]],
                row.get("backend_id") or None,
                bool(row.get("provisional")),
                row.get("decision_id") or None,
                row.get("merge_id") or None,
                self.env.uid,
                self.env.uid,
            )
            # Sorted: two imports upserting the same keys wait, never deadlock.
            for _key, row in sorted(unique.items())
        ]
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO retail_identity_key
                       (partner_id, kind, value, weight, backend_id, provisional, decision_id,
                        merge_id, first_seen, last_seen, create_uid, write_uid, create_date,
                        write_date)
                VALUES %s
                ON CONFLICT (partner_id, kind, value) DO UPDATE
                   SET provisional = retail_identity_key.provisional AND EXCLUDED.provisional,
                       decision_id = CASE WHEN EXCLUDED.provisional
                                          THEN retail_identity_key.decision_id
                                          ELSE COALESCE(EXCLUDED.decision_id,
                                                        retail_identity_key.decision_id) END,
                       backend_id = COALESCE(EXCLUDED.backend_id, retail_identity_key.backend_id),
                       last_seen = EXCLUDED.last_seen,
                       write_uid = EXCLUDED.write_uid,
                       write_date = EXCLUDED.write_date
                """,
                SQL(", ").join(values),
            )
        )
        self.invalidate_model()
        self.env["res.partner"].invalidate_model(["retail_identity_key_ids"])

    def _confirm(self):
        """A person (or strong evidence) said these keys are the customer's."""
        self.filtered("provisional").write({"provisional": False})
