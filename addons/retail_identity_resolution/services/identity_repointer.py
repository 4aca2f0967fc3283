import logging

from odoo import api, models
from odoo.tools import SQL, ormcache
from odoo.tools.sql import table_columns

from .. import repoint
from ..repoint import PARTNER

_logger = logging.getLogger(__name__)

# Never re-pointed: identity resolution's own history (merges, suggestions,
# decisions say which customer they were about) and Odoo's merge wizard.
SKIPPED_TABLE_PREFIXES = ("retail_identity_", "base_partner_merge_")
# A reference that names the record itself rather than something attached to it.
SKIPPED_REFERENCE_MODELS = frozenset({"ir.model.data"})
# Chatter a merged customer gets since the merge does not prevent its undo:
# it stays with the kept customer.
CHATTER_TABLE_PREFIXES = ("mail_", "bus_", "discuss_")


class RetailIdentityRepointer(models.AbstractModel):
    """What points at a customer, and moving it to another one: the rows a
    merge re-points (foreign keys to ``res_partner``, ``res_model``/``res_id``
    pairs such as channel bindings and messages, reference fields), their
    undo, and what was attached to the kept customer since. The columns come
    from the registry here; the SQL is in :mod:`..repoint`."""

    _name = "retail.identity.repointer"
    _description = "Customer merge: moving what points at a customer"

    # Finding the columns

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

    # Moving rows

    @api.model
    def _repoint(self, src, dst):
        """Move what points at ``src`` to ``dst``; return the merge lines."""
        self.env.flush_all()
        lines = repoint.repoint(self.env.cr, self._get_moves(src, dst))
        self.env.invalidate_all()
        return lines

    @api.model
    def _restore(self, lines, src, dst):
        """Undo: move back to ``src`` what ``lines`` (merge lines, newest
        first) moved to ``dst``."""
        self.env.flush_all()
        repoint.restore(self.env.cr, lines, src.id, dst.id)
        self.env.invalidate_all()

    # Telling new rows from moved ones

    @api.model
    def _get_watermarks(self):
        """Highest id of every watched table, to tell new rows from old ones."""
        tables = sorted({table for table, _column, _cond, _fmt in self._get_watched_columns()})
        return repoint.max_ids(self.env.cr, tables)

    @api.model
    def _get_new_attachments(self, partner, watermarks):
        """``{model description: count}`` of what points at ``partner`` and
        was created after ``watermarks`` (see :meth:`_get_watermarks`)."""
        conditions = {}
        for table, column, condition, value_format in self._get_watched_columns():
            value = value_format % partner.id if value_format else partner.id
            where = SQL("%s = %s", SQL.identifier(column), value)
            if condition:
                where = SQL("(%s AND %s)", where, condition)
            conditions.setdefault(table, []).append(where)
        table_models = {
            Model._table: Model for Model in self.env.registry.values() if not Model._abstract
        }
        found = {}
        for table, count in repoint.count_new_rows(self.env.cr, conditions, watermarks):
            if count:
                Model = table_models.get(table)
                label = Model._description if Model is not None else table
                found[label] = found.get(label, 0) + count
        return found
