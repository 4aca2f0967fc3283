import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tools import SQL

from .res_partner import PROVISIONAL_KEYS_CONTEXT_KEY
from .retail_identity_survivorship_rule import field_value_json

_logger = logging.getLogger(__name__)

PARTNER = "res.partner"
NO_TRACKING = {"tracking_disable": True, "mail_notrack": True, "mail_create_nolog": True}


class RetailIdentityMerge(models.Model):
    """One customer merged into another, recorded well enough to undo it.

    The merge moves every row that points at the merged customer (foreign
    keys, ``res_model``/``res_id`` pairs such as channel bindings and
    messages, reference fields) to the kept one, writes the surviving values
    on the kept customer and archives the merged one. Each moved row and
    each overwritten value is recorded here; undo puts them back as long as
    nothing new was attached to the kept customer since.

    The rows are moved by ``retail.identity.repointer`` (its SQL in
    ``repoint.py``); the values kept are chosen by the survivorship rules
    (``retail.identity.survivorship.rule``).
    """

    _name = "retail.identity.merge"
    _description = "Customer merge"
    _order = "id desc"

    dst_partner_id = fields.Many2one(
        PARTNER, string="Kept customer", required=True, index=True, ondelete="cascade"
    )
    src_partner_id = fields.Many2one(
        PARTNER,
        string="Merged customer",
        required=True,
        index=True,
        ondelete="cascade",
        context={"active_test": False},
        help="Archived by the merge; undo brings it back.",
    )
    state = fields.Selection(
        [("done", "Merged"), ("undone", "Undone")], required=True, default="done", index=True
    )
    auto = fields.Boolean(string="Automatic", help="Merged by an auto-link, not by a person.")
    reason = fields.Text()
    suggestion_id = fields.Many2one(
        "retail.identity.suggestion", ondelete="set null", index="btree_not_null"
    )
    user_id = fields.Many2one("res.users", string="Merged by", default=lambda self: self.env.user)
    undo_user_id = fields.Many2one("res.users", string="Undone by", readonly=True)
    undo_date = fields.Datetime(string="Undone on", readonly=True)
    line_ids = fields.One2many("retail.identity.merge.line", "merge_id", string="What moved")
    moved_count = fields.Integer(string="Rows moved", compute="_compute_moved_count", store=True)
    src_was_active = fields.Boolean(default=True)
    old_values = fields.Json(help="Values of the kept customer the merge overwrote.")
    new_values = fields.Json(help="The values the merge wrote on the kept customer.")
    watermarks = fields.Json(help="Highest row id per table at the merge: newer rows are new.")
    value_changes = fields.Html(
        string="Values changed", compute="_compute_value_changes", sanitize=False
    )

    @api.depends("line_ids.row_count")
    def _compute_moved_count(self):
        for merge in self:
            merge.moved_count = sum(merge.line_ids.mapped("row_count"))

    @api.depends("src_partner_id", "dst_partner_id")
    def _compute_display_name(self):
        for merge in self:
            merge.display_name = self.env._(
                "%(src)s into %(dst)s",
                src=merge.src_partner_id.display_name,
                dst=merge.dst_partner_id.display_name,
            )

    @api.depends("old_values", "new_values")
    def _compute_value_changes(self):
        Partner = self.env[PARTNER]
        for merge in self:
            rows = Markup()
            for name, old in (merge.old_values or {}).items():
                field = Partner._fields.get(name)
                if not field:
                    continue
                new = (merge.new_values or {}).get(name)
                rows += Markup("<tr><td>%s</td><td>%s</td><td>%s</td></tr>") % (
                    field.string,
                    self._format_value(field, old),
                    self._format_value(field, new),
                )
            merge.value_changes = rows and (
                Markup(
                    '<table class="table table-sm"><thead><tr><th>%s</th><th>%s</th>'
                    "<th>%s</th></tr></thead><tbody>%s</tbody></table>"
                )
                % (self.env._("Field"), self.env._("Before"), self.env._("After"), rows)
            )

    @api.model
    def _format_value(self, field, value):
        if value in (False, None, ""):
            return ""
        if field.type == "many2one":
            return self.env[field.comodel_name].sudo().browse(value).display_name
        if field.type == "selection":
            return dict(field._description_selection(self.env)).get(value, value)
        return str(value)

    # ------------------------------------------------------------------
    # Merge
    # ------------------------------------------------------------------

    @api.model
    def _merge_partners(
        self, dst, src, *, suggestion=None, auto=False, reason="", keys_provisional=False
    ):
        """Merge customer ``src`` into ``dst``; return the merge record.

        Built on Odoo's partner merge (its discovery of the foreign keys to
        ``res_partner``) but reversible: every moved row and every value
        overwritten on ``dst`` is recorded, and ``src`` is archived instead
        of deleted. Survivorship rules choose the values ``dst`` keeps;
        marketing consent keeps any opt-out. ``dst`` holds the identity keys
        of ``src`` too (provisional with ``keys_provisional``: an auto merge
        on weak evidence).
        """
        self.check_access("create")
        dst.ensure_one()
        src.ensure_one()
        dst = dst.sudo().with_context(active_test=False, **NO_TRACKING)
        src = src.sudo().with_context(active_test=False, **NO_TRACKING)
        self._lock_partners(dst | src)
        self._check_mergeable(dst, src)
        values = self.env["retail.identity.survivorship.rule"]._get_surviving_values(dst, src)
        old_values = {name: field_value_json(dst, name) for name in values}
        src_was_active = src.active
        lines = self.env["retail.identity.repointer"].sudo()._repoint(src, dst)
        # Before the surviving values are written: the keys they bring are
        # the merged customer's, taken back by an undo.
        gained_keys = self._copy_identity_keys(dst, src, provisional=keys_provisional)
        if values:
            dst.with_context(**{PROVISIONAL_KEYS_CONTEXT_KEY: keys_provisional}).write(values)
        if src_was_active:
            src.write({"active": False})
        merge = self.sudo().create(
            {
                "dst_partner_id": dst.id,
                "src_partner_id": src.id,
                "suggestion_id": suggestion.id if suggestion else False,
                "auto": auto,
                "reason": reason,
                "user_id": self.env.user.id,
                "src_was_active": src_was_active,
                "old_values": old_values,
                "new_values": {name: field_value_json(dst, name) for name in values},
                "line_ids": [Command.create(line) for line in lines],
            }
        )
        if gained_keys:
            self.env["retail.identity.key"].sudo().browse(gained_keys).write({"merge_id": merge.id})
        merge._post_note(
            self.env._(
                "%(src)s was merged into this customer (%(merge)s).",
                src=src.display_name,
                merge=merge.display_name,
            ),
            self.env._(
                "Merged into %(dst)s (%(merge)s).", dst=dst.display_name, merge=merge.display_name
            ),
        )
        dst._retail_emit_merged(src, merge)
        self.env.flush_all()
        merge.watermarks = self.env["retail.identity.repointer"].sudo()._get_watermarks()
        _logger.info(
            "Customer %s merged into %s (%s rows moved, merge %s, auto=%s)",
            src.id,
            dst.id,
            merge.moved_count,
            merge.id,
            auto,
        )
        return self.browse(merge.id)

    @api.model
    def _copy_identity_keys(self, dst, src, provisional=False):
        """``dst`` holds the identity keys of ``src`` too (``src`` keeps its
        own, for an undo); return the ids of the keys ``dst`` gained."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO retail_identity_key
                       (partner_id, kind, value, weight, backend_id, provisional, decision_id,
                        first_seen, last_seen, create_uid, write_uid, create_date, write_date)
                SELECT %(dst)s, kind, value, weight, backend_id, provisional OR %(provisional)s,
                       decision_id, first_seen, last_seen, %(uid)s, %(uid)s,
                       now() at time zone 'UTC', now() at time zone 'UTC'
                  FROM retail_identity_key
                 WHERE partner_id = %(src)s
                 ORDER BY kind, value
                ON CONFLICT (partner_id, kind, value) DO UPDATE
                   SET provisional = retail_identity_key.provisional AND EXCLUDED.provisional,
                       first_seen = LEAST(retail_identity_key.first_seen, EXCLUDED.first_seen),
                       last_seen = GREATEST(retail_identity_key.last_seen, EXCLUDED.last_seen)
             RETURNING id, xmax = 0
                """,
                dst=dst.id,
                src=src.id,
                provisional=bool(provisional),
                uid=self.env.uid,
            )
        )
        gained = [key_id for key_id, inserted in self.env.cr.fetchall() if inserted]
        self.env["retail.identity.key"].invalidate_model()
        self.env["res.partner"].invalidate_model(["retail_identity_key_ids"])
        return gained

    @api.model
    def _lock_partners(self, partners):
        """Hold the two customers until the transaction ends, so that an
        import or another merge touching them waits for this one."""
        self.env.cr.execute(
            SQL("SELECT id FROM res_partner WHERE id IN %s FOR UPDATE", tuple(partners.ids))
        )

    @api.model
    def _check_mergeable(self, dst, src):
        if not dst.exists() or not src.exists():
            raise UserError(self.env._("Both customers must exist to be merged."))
        if dst == src:
            raise UserError(self.env._("A customer cannot be merged into itself."))
        if not dst.active:
            raise UserError(
                self.env._("%s is archived: merge into an active customer.", dst.display_name)
            )
        if dst.is_company != src.is_company:
            raise UserError(self.env._("A company and a person are never merged."))
        Partner = dst.env[PARTNER]
        if Partner.search_count([("id", "child_of", src.id), ("id", "=", dst.id)]) or (
            Partner.search_count([("id", "child_of", dst.id), ("id", "=", src.id)])
        ):
            raise UserError(self.env._("A contact cannot be merged with its parent."))
        if src.user_ids:
            raise UserError(
                self.env._(
                    "%s is the contact of a user: merge the other customer into it instead.",
                    src.display_name,
                )
            )
        if self.env["res.company"].sudo().search_count([("partner_id", "=", src.id)]):
            raise UserError(
                self.env._("%s is the contact of a company of this database.", src.display_name)
            )
        if self.sudo().search_count([("src_partner_id", "=", src.id), ("state", "=", "done")]):
            raise UserError(self.env._("%s is already merged.", src.display_name))

    # ------------------------------------------------------------------
    # Undo
    # ------------------------------------------------------------------

    def _check_undoable(self):
        self.ensure_one()
        if self.state != "done":
            raise UserError(self.env._("%s is already undone.", self.display_name))
        if not self.src_partner_id.exists() or not self.dst_partner_id.exists():
            raise UserError(self.env._("One of the two customers was deleted: cannot undo."))
        partners = (self.src_partner_id | self.dst_partner_id).ids
        later = self.sudo().search(
            [
                ("id", ">", self.id),
                ("state", "=", "done"),
                "|",
                ("dst_partner_id", "in", partners),
                ("src_partner_id", "in", partners),
            ],
            limit=1,
        )
        if later:
            raise UserError(self.env._("Undo the later merge %s first.", later.display_name))
        new = (
            self.env["retail.identity.repointer"]
            .sudo()
            ._get_new_attachments(self.dst_partner_id, self.watermarks or {})
        )
        if new:
            raise UserError(
                self.env._(
                    "Cannot undo: records were attached to %(partner)s since the merge: "
                    "%(what)s. Move them away first, or leave the customers merged.",
                    what=", ".join(f"{label} ({count})" for label, count in sorted(new.items())),
                    partner=self.dst_partner_id.display_name,
                )
            )

    def action_undo(self):
        """Put every moved row back, restore the kept customer's values and
        reactivate the merged one; refused once something new was attached
        to the kept customer."""
        self.check_access("write")
        for merge in self:
            merge._lock_partners(merge.src_partner_id | merge.dst_partner_id)
            merge._check_undoable()
            merge.sudo()._undo()
        return True

    def _undo(self):
        self.ensure_one()
        self.env["retail.identity.repointer"]._restore(
            self.line_ids.sorted("id", reverse=True), self.src_partner_id, self.dst_partner_id
        )
        dst = self.dst_partner_id.with_context(active_test=False, **NO_TRACKING)
        src = self.src_partner_id.with_context(active_test=False, **NO_TRACKING)
        new_values = self.new_values or {}
        restore = {
            name: old
            for name, old in (self.old_values or {}).items()
            if name in dst._fields and field_value_json(dst, name) == new_values.get(name)
        }
        if restore:
            dst.write(restore)
        if self.src_was_active:
            src.write({"active": True})
        # The keys the kept customer gained by the merge go with it.
        self.env["retail.identity.key"].sudo().search(
            [("merge_id", "=", self.id), ("partner_id", "=", dst.id)]
        ).unlink()
        self.write(
            {"state": "undone", "undo_user_id": self.env.uid, "undo_date": fields.Datetime.now()}
        )
        self._post_note(
            self.env._("The merge of %s was undone.", src.display_name),
            self.env._("The merge into %s was undone.", dst.display_name),
        )

    def _post_note(self, dst_note, src_note):
        self.ensure_one()
        for partner, note in ((self.dst_partner_id, dst_note), (self.src_partner_id, src_note)):
            partner.sudo().with_context(active_test=False).message_post(
                body=note, subtype_xmlid="mail.mt_note"
            )
