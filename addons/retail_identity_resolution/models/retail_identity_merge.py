import logging
from datetime import datetime

import psycopg2
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tools import SQL, mute_logger, ormcache
from odoo.tools.sql import table_columns

from ..consent import CONSENT_CHANNELS, merge_consent

_logger = logging.getLogger(__name__)

PARTNER = "res.partner"
# Never re-pointed: identity resolution's own history (merges, suggestions,
# decisions say which customer they were about) and Odoo's merge wizard.
SKIPPED_TABLE_PREFIXES = ("retail_identity_", "base_partner_merge_")
# A reference that names the record itself rather than something attached to it.
SKIPPED_REFERENCE_MODELS = frozenset({"ir.model.data"})
# Chatter a merged customer gets since the merge does not prevent its undo:
# it stays with the kept customer.
CHATTER_TABLE_PREFIXES = ("mail_", "bus_", "discuss_")
# Fields survivorship leaves alone: the partner's place in the hierarchy,
# its kind and its company; consent has rules of its own.
UNMERGED_FIELDS = frozenset(
    {
        *models.MAGIC_COLUMNS,
        "parent_id",
        "active",
        "company_id",
        "is_company",
        "type",
        "commercial_partner_id",
    }
)
# A flag saying a value is weak: a marketplace's relay address is never
# preferred to a customer's own, and goes with the address it qualifies.
WEAK_VALUE_FLAGS = {"email": "retail_email_relay"}
NO_TRACKING = {"tracking_disable": True, "mail_notrack": True, "mail_create_nolog": True}


def _sorted_ids(rows):
    return sorted(row[0] for row in rows)


class RetailIdentityMerge(models.Model):
    """One customer merged into another, recorded well enough to undo it.

    The merge moves every row that points at the merged customer (foreign
    keys, ``res_model``/``res_id`` pairs such as channel bindings and
    messages, reference fields) to the kept one, writes the surviving values
    on the kept customer and archives the merged one. Each moved row and
    each overwritten value is recorded here; undo puts them back as long as
    nothing new was attached to the kept customer since.
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
    def _merge_partners(self, dst, src, *, suggestion=None, auto=False, reason=""):
        """Merge customer ``src`` into ``dst``; return the merge record.

        Built on Odoo's partner merge (its discovery of the foreign keys to
        ``res_partner``) but reversible: every moved row and every value
        overwritten on ``dst`` is recorded, and ``src`` is archived instead
        of deleted. Survivorship rules choose the values ``dst`` keeps;
        marketing consent keeps any opt-out.
        """
        self.check_access("create")
        dst.ensure_one()
        src.ensure_one()
        dst = dst.sudo().with_context(active_test=False, **NO_TRACKING)
        src = src.sudo().with_context(active_test=False, **NO_TRACKING)
        self._lock_partners(dst | src)
        self._check_mergeable(dst, src)
        values = self._get_surviving_values(dst, src)
        old_values = {name: self._to_json(dst, name) for name in values}
        src_was_active = src.active
        lines = self.sudo()._repoint(src, dst)
        if values:
            dst.write(values)
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
                "new_values": {name: self._to_json(dst, name) for name in values},
                "line_ids": [Command.create(line) for line in lines],
            }
        )
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
        self.env.flush_all()
        merge.watermarks = merge._get_watermarks()
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
    # Survivorship
    # ------------------------------------------------------------------

    @api.model
    def _to_json(self, partner, name):
        """The value of field ``name`` of ``partner`` as stored in JSON and written back."""
        field = partner._fields[name]
        value = partner[name]
        if field.type == "many2one":
            return value.id or False
        if field.type in ("date", "datetime"):
            return field.to_string(value) if value else False
        if field.type == "reference":
            return f"{value._name},{value.id}" if value else False
        if field.type == "html":
            return str(value) if value else False
        return value

    @api.model
    def _get_default_merged_fields(self, partner):
        """Fields without a survivorship rule: the kept customer's blanks are
        filled from the merged one, as Odoo's partner merge does (a boolean
        has no blank: False is a value)."""
        consent_fields = set(partner._retail_consent_fields())
        return [
            name
            for name, field in partner._fields.items()
            if field.store
            and not field.compute
            and not field.company_dependent
            and field.type not in ("boolean", "one2many", "many2many", "binary", "properties")
            and name not in UNMERGED_FIELDS
            and name not in consent_fields
        ]

    @api.model
    def _get_profile(self, partner):
        """What the strategies compare: channel priority, last update, origin."""
        bindings = (
            self.env["retail.binding"]
            .sudo()
            .search([("res_model", "=", PARTNER), ("res_id", "=", partner.id)])
        )
        updates = [partner.write_date or partner.create_date]
        updates += [date for date in bindings.mapped("external_updated_at") if date]
        return {
            "bound": bool(bindings),
            "priority": max(bindings.backend_id.mapped("identity_priority"), default=None),
            "updated": max((date for date in updates if date), default=datetime.min),
        }

    @api.model
    def _merged_side_wins(self, strategy, kept, merged):
        if strategy == "priority":
            kept_rank = kept["priority"] if kept["priority"] is not None else float("-inf")
            merged_rank = merged["priority"] if merged["priority"] is not None else float("-inf")
            return merged_rank > kept_rank
        if strategy == "recent":
            return merged["updated"] > kept["updated"]
        if strategy == "odoo":
            return kept["bound"] and not merged["bound"]
        return False

    @api.model
    def _get_surviving_values(self, dst, src):
        """The values to write on ``dst``: per attribute, by its rule."""
        kept, merged = self._get_profile(dst), self._get_profile(src)
        attributes = self.env["retail.identity.survivorship.rule"]._get_attributes()
        ruled = {name for _rule, _strategy, names in attributes for name in names}
        attributes += [
            (name, None, (name,))
            for name in self._get_default_merged_fields(dst)
            if name not in ruled
        ]
        values = {}
        for _rule, strategy, attribute_names in attributes:
            names = attribute_names + tuple(
                WEAK_VALUE_FLAGS[name]
                for name in attribute_names
                if WEAK_VALUE_FLAGS.get(name) in dst._fields
            )
            src_values = {name: self._to_json(src, name) for name in names}
            dst_values = {name: self._to_json(dst, name) for name in names}
            if src_values == dst_values or not any(src_values.values()):
                continue
            weaker = self._get_weaker_side(dst, src, attribute_names)
            if weaker == "src":
                continue
            if (
                weaker == "dst"
                or not any(dst_values.values())
                or self._merged_side_wins(strategy, kept, merged)
            ):
                # flags go with their value even when equal (writing an email
                # alone says it is not a relay)
                values.update(
                    {
                        name: value
                        for name, value in src_values.items()
                        if value != dst_values[name] or name not in attribute_names
                    }
                )
        values.update(self._get_surviving_consent(dst, src))
        return values

    @api.model
    def _get_weaker_side(self, dst, src, names):
        """``"src"`` or ``"dst"`` if that side's value is flagged weak and the
        other one's is not (see ``WEAK_VALUE_FLAGS``), else ``None``."""
        for name in names:
            flag = WEAK_VALUE_FLAGS.get(name)
            if not flag or flag not in dst._fields or not (dst[name] and src[name]):
                continue
            if src[flag] and not dst[flag]:
                return "src"
            if dst[flag] and not src[flag]:
                return "dst"
        return None

    @api.model
    def _get_surviving_consent(self, dst, src):
        values = {}
        for channel in CONSENT_CHANNELS:
            kept = dst._retail_consent_state(channel)
            result = merge_consent(kept, src._retail_consent_state(channel))
            if result != kept:
                values.update(dst._retail_consent_values(channel, result))
        return values

    # ------------------------------------------------------------------
    # Moving rows
    # ------------------------------------------------------------------

    @api.model
    @ormcache()
    def _get_fk_columns(self):
        """``((table, column, other), ...)``: the foreign keys to
        ``res_partner`` a merge moves, found the way Odoo's partner merge
        finds them; ``other`` is the other column of a many2many relation
        table (rows without ids), else ``None``. Cached: the schema only
        changes with the registry."""
        Wizard = self.env["base.partner.merge.automatic.wizard"]
        result = []
        for table, column in Wizard._get_fk_on(self.env[PARTNER]._table):
            if table.startswith(SKIPPED_TABLE_PREFIXES):
                continue
            columns = table_columns(self.env.cr, table)
            if "id" in columns:
                result.append((table, column, None))
                continue
            others = [name for name in columns if name != column]
            if len(others) == 1:
                result.append((table, column, others[0]))
            else:
                _logger.warning("Merges skip %s.%s: not a relation table", table, column)
        return tuple(result)

    @api.model
    @ormcache()
    def _get_model_reference_columns(self):
        """``((model, field name, kind), ...)``: ``res_model``/``res_id``
        pairs (kind ``column``) and reference fields (kind ``reference``)."""
        result = []
        for model_name, Model in self.env.registry.items():
            if (
                Model._abstract
                or Model._transient
                or not Model._auto
                or model_name in SKIPPED_REFERENCE_MODELS
                or Model._table.startswith(SKIPPED_TABLE_PREFIXES)
            ):
                continue
            for name, field in Model._fields.items():
                if not field.store or field.compute or field.inherited:
                    continue
                if field.type == "many2one_reference":
                    model_field = Model._fields.get(field.model_field)
                    if model_field and model_field.store:
                        result.append((model_name, name, "column"))
                elif field.type == "reference":
                    result.append((model_name, name, "reference"))
        return tuple(result)

    @api.model
    def _reference_condition(self, Model, fname):
        field = Model._fields[fname]
        condition = SQL("%s = %s", SQL.identifier(Model._fields[field.model_field].name), PARTNER)
        if "res_field" in Model._fields and Model._fields["res_field"].store:
            # the storage of a binary field of the partner itself, not an attachment
            condition = SQL("%s AND res_field IS NULL", condition)
        return condition

    @api.model
    def _move_rows(self, table, column, old, new, condition=None):
        """Set ``column`` from ``old`` to ``new`` in ``table``; return the ids
        moved. If the rows cannot move at once (a unique constraint or index,
        a check), they move one by one and a row that would collide stays."""
        cr = self.env.cr
        table_sql, column_sql = SQL.identifier(table), SQL.identifier(column)
        where = SQL("%s = %s", column_sql, old)
        if condition:
            where = SQL("%s AND %s", where, condition)
        try:
            with mute_logger("odoo.sql_db"), cr.savepoint():
                cr.execute(
                    SQL(
                        "UPDATE %s SET %s = %s WHERE %s RETURNING id",
                        table_sql,
                        column_sql,
                        new,
                        where,
                    )
                )
                return _sorted_ids(cr.fetchall())
        except psycopg2.Error:
            _logger.info("Rows of %s.%s collide: moving them one by one", table, column)
        cr.execute(SQL("SELECT id FROM %s WHERE %s ORDER BY id", table_sql, where))
        moved = []
        for (row_id,) in cr.fetchall():
            try:
                with mute_logger("odoo.sql_db"), cr.savepoint():
                    cr.execute(
                        SQL(
                            "UPDATE %s SET %s = %s WHERE id = %s",
                            table_sql,
                            column_sql,
                            new,
                            row_id,
                        )
                    )
                moved.append(row_id)
            except psycopg2.Error:
                _logger.info("Row %s of %s.%s collides: left in place", row_id, table, column)
        return moved

    @api.model
    def _move_relation(self, table, column, other, old, new, others=None):
        """Many2many rows: move ``column`` from ``old`` to ``new`` unless the
        pair already exists; return the ``other`` values moved."""
        condition = SQL("TRUE")
        if others is not None:
            condition = SQL("rel.%s IN %s", SQL.identifier(other), tuple(others))
        self.env.cr.execute(
            SQL(
                """UPDATE %(table)s AS rel SET %(column)s = %(new)s
                    WHERE rel.%(column)s = %(old)s AND %(condition)s
                      AND NOT EXISTS (SELECT 1 FROM %(table)s AS twin
                                       WHERE twin.%(column)s = %(new)s
                                         AND twin.%(other)s = rel.%(other)s)
                RETURNING rel.%(other)s""",
                table=SQL.identifier(table),
                column=SQL.identifier(column),
                other=SQL.identifier(other),
                old=old,
                new=new,
                condition=condition,
            )
        )
        return _sorted_ids(self.env.cr.fetchall())

    @api.model
    def _get_moves(self, src, dst):
        """Every column a merge of ``src`` into ``dst`` may move rows in."""
        table_models = {
            Model._table: name for name, Model in self.env.registry.items() if not Model._abstract
        }
        moves = []
        for table, column, other in self._get_fk_columns():
            condition = None
            if table == self.env[PARTNER]._table:
                condition = SQL("id NOT IN %s", (src.id, dst.id))
            moves.append(
                {
                    "kind": "relation" if other else "column",
                    "table_name": table,
                    "column_name": column,
                    "other_column": other,
                    "res_model": not other and table_models.get(table),
                    "old": src.id,
                    "new": dst.id,
                    "condition": condition,
                }
            )
        for model_name, fname, kind in self._get_model_reference_columns():
            Model = self.env[model_name]
            reference = kind == "reference"
            moves.append(
                {
                    "kind": kind,
                    "table_name": Model._table,
                    "column_name": fname,
                    "other_column": False,
                    "res_model": model_name,
                    "old": f"{PARTNER},{src.id}" if reference else src.id,
                    "new": f"{PARTNER},{dst.id}" if reference else dst.id,
                    "condition": None if reference else self._reference_condition(Model, fname),
                }
            )
        return moves

    @api.model
    def _get_used_moves(self, moves):
        """The moves that have rows to move: one query for all of them."""
        queries = []
        for index, move in enumerate(moves):
            where = SQL("%s = %s", SQL.identifier(move["column_name"]), move["old"])
            if move["condition"]:
                where = SQL("%s AND %s", where, move["condition"])
            queries.append(
                SQL(
                    "(SELECT %s FROM %s WHERE %s LIMIT 1)",
                    index,
                    SQL.identifier(move["table_name"]),
                    where,
                )
            )
        if not queries:
            return []
        self.env.cr.execute(SQL(" UNION ALL ").join(queries))
        return [moves[index] for (index,) in self.env.cr.fetchall()]

    @api.model
    def _repoint(self, src, dst):
        """Move what points at ``src`` to ``dst``; return the merge lines."""
        self.env.flush_all()
        lines = []
        for move in self._get_used_moves(self._get_moves(src, dst)):
            table, column = move["table_name"], move["column_name"]
            if move["kind"] == "relation":
                ids = self._move_relation(
                    table, column, move["other_column"], move["old"], move["new"]
                )
            else:
                ids = self._move_rows(table, column, move["old"], move["new"], move["condition"])
            if ids:
                lines.append(
                    {
                        "kind": move["kind"],
                        "table_name": table,
                        "column_name": column,
                        "other_column": move["other_column"],
                        "res_model": move["res_model"],
                        "record_ids": ids,
                        "row_count": len(ids),
                    }
                )
        self.env.invalidate_all()
        return lines

    # ------------------------------------------------------------------
    # Undo
    # ------------------------------------------------------------------

    def _get_watched_columns(self):
        """``[(table, column, condition, new value)]`` through which something
        can be attached to a customer, chatter aside."""
        table_models = {
            Model._table: Model for Model in self.env.registry.values() if not Model._abstract
        }
        watched = []
        for table, column, other in self._get_fk_columns():
            if other or table.startswith(CHATTER_TABLE_PREFIXES):
                continue
            Model = table_models.get(table)
            field = Model._fields.get(column) if Model is not None else None
            if field is not None and field.compute:
                continue  # follows another column (a related or computed partner)
            watched.append((table, column, None, None))
        for model_name, fname, kind in self._get_model_reference_columns():
            Model = self.env[model_name]
            if Model._table.startswith(CHATTER_TABLE_PREFIXES):
                continue
            if kind == "column":
                watched.append((Model._table, fname, self._reference_condition(Model, fname), None))
            else:
                watched.append((Model._table, fname, None, PARTNER + ",%s"))
        return watched

    def _get_watermarks(self):
        """Highest id of every watched table, to tell new rows from old ones."""
        self.ensure_one()
        tables = sorted({table for table, _column, _cond, _fmt in self._get_watched_columns()})
        if not tables:
            return {}
        self.env.cr.execute(
            SQL(" UNION ALL ").join(
                SQL("SELECT %s, COALESCE(MAX(id), 0) FROM %s", table, SQL.identifier(table))
                for table in tables
            )
        )
        return dict(self.env.cr.fetchall())

    def _get_new_attachments(self):
        """``{model description: count}`` of what points at the kept customer
        and was created after the merge."""
        self.ensure_one()
        watermarks = self.watermarks or {}
        partner_id = self.dst_partner_id.id
        conditions = {}
        for table, column, condition, value_format in self._get_watched_columns():
            value = value_format % partner_id if value_format else partner_id
            where = SQL("%s = %s", SQL.identifier(column), value)
            if condition:
                where = SQL("(%s AND %s)", where, condition)
            conditions.setdefault(table, []).append(where)
        queries = [
            SQL(
                "SELECT %s, COUNT(*) FROM %s WHERE id > %s AND (%s)",
                table,
                SQL.identifier(table),
                watermarks.get(table, 0),
                SQL(" OR ").join(wheres),
            )
            for table, wheres in conditions.items()
        ]
        if not queries:
            return {}
        self.env.cr.execute(SQL(" UNION ALL ").join(queries))
        table_models = {
            Model._table: Model for Model in self.env.registry.values() if not Model._abstract
        }
        found = {}
        for table, count in self.env.cr.fetchall():
            if count:
                Model = table_models.get(table)
                label = Model._description if Model is not None else table
                found[label] = found.get(label, 0) + count
        return found

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
        new = self.sudo()._get_new_attachments()
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
        self.env.flush_all()
        src_id, dst_id = self.src_partner_id.id, self.dst_partner_id.id
        for line in self.line_ids.sorted("id", reverse=True):
            ids = line.record_ids or []
            if not ids:
                continue
            if line.kind == "relation":
                self._move_relation(
                    line.table_name, line.column_name, line.other_column, dst_id, src_id, ids
                )
                continue
            old, new = dst_id, src_id
            if line.kind == "reference":
                old, new = f"{PARTNER},{dst_id}", f"{PARTNER},{src_id}"
            self._move_rows(
                line.table_name,
                line.column_name,
                old,
                new,
                SQL("id IN %s", tuple(ids)),
            )
        self.env.invalidate_all()
        dst = self.dst_partner_id.with_context(active_test=False, **NO_TRACKING)
        src = self.src_partner_id.with_context(active_test=False, **NO_TRACKING)
        new_values = self.new_values or {}
        restore = {
            name: old
            for name, old in (self.old_values or {}).items()
            if name in dst._fields and self._to_json(dst, name) == new_values.get(name)
        }
        if restore:
            dst.write(restore)
        if self.src_was_active:
            src.write({"active": True})
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
