"""The SQL of a merge's re-pointing: moving the rows that point at one
customer to another, and back on undo. Plain Python on a database cursor,
no ORM: ``retail.identity.repointer`` finds the columns to move (from the
registry) and keeps the ORM's cache in step.

A *move* is a dict describing one column that may point at the merged
customer: ``kind`` ("column" for a foreign key or a ``res_model``/``res_id``
pair, "relation" for a many2many table, "reference" for a reference field),
``table_name``, ``column_name``, ``other_column`` (the other column of a
relation table), ``res_model``, the ``old`` and ``new`` values and an extra
SQL ``condition``. A *line* is what a move moved (``record_ids``, the row ids
or, for a relation, the other column's values): the undo data of the merge,
stored as ``retail.identity.merge.line``.
"""

import logging

import psycopg2

from odoo.tools import SQL, mute_logger

_logger = logging.getLogger(__name__)

PARTNER = "res.partner"


def _sorted_ids(rows):
    return sorted(row[0] for row in rows)


def move_rows(cr, table, column, old, new, condition=None):
    """Set ``column`` from ``old`` to ``new`` in ``table``; return the ids
    moved. If the rows cannot move at once (a unique constraint or index,
    a check), they move one by one and a row that would collide stays."""
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


def move_relation(cr, table, column, other, old, new, others=None):
    """Many2many rows: move ``column`` from ``old`` to ``new`` unless the
    pair already exists; return the ``other`` values moved."""
    condition = SQL("TRUE")
    if others is not None:
        condition = SQL("rel.%s IN %s", SQL.identifier(other), tuple(others))
    cr.execute(
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
    return _sorted_ids(cr.fetchall())


def used_moves(cr, moves):
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
    cr.execute(SQL(" UNION ALL ").join(queries))
    return [moves[index] for (index,) in cr.fetchall()]


def repoint(cr, moves):
    """Apply the ``moves`` that have rows; return the lines of what moved."""
    lines = []
    for move in used_moves(cr, moves):
        table, column = move["table_name"], move["column_name"]
        if move["kind"] == "relation":
            ids = move_relation(cr, table, column, move["other_column"], move["old"], move["new"])
        else:
            ids = move_rows(cr, table, column, move["old"], move["new"], move["condition"])
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
    return lines


def restore(cr, lines, src_id, dst_id):
    """Put back, from partner ``dst_id`` to ``src_id``, the rows ``lines``
    (objects with the attributes of a line, newest first) moved."""
    for line in lines:
        ids = line.record_ids or []
        if not ids:
            continue
        if line.kind == "relation":
            move_relation(
                cr, line.table_name, line.column_name, line.other_column, dst_id, src_id, ids
            )
            continue
        old, new = dst_id, src_id
        if line.kind == "reference":
            old, new = f"{PARTNER},{dst_id}", f"{PARTNER},{src_id}"
        move_rows(cr, line.table_name, line.column_name, old, new, SQL("id IN %s", tuple(ids)))


def max_ids(cr, tables):
    """``{table: highest row id}`` (0 for an empty table)."""
    if not tables:
        return {}
    cr.execute(
        SQL(" UNION ALL ").join(
            SQL("SELECT %s, COALESCE(MAX(id), 0) FROM %s", table, SQL.identifier(table))
            for table in tables
        )
    )
    return dict(cr.fetchall())


def count_new_rows(cr, conditions, watermarks):
    """``[(table, count)]`` of the rows of each table of ``conditions``
    (``{table: [SQL condition, ...]}``) above its watermark that meet one of
    its conditions."""
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
        return []
    cr.execute(SQL(" UNION ALL ").join(queries))
    return cr.fetchall()
