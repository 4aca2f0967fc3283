"""Helpers of the addons' migration scripts (``migrations/<version>/*.py``)."""

from odoo.tools import SQL


def table_columns(cr, table):
    """``{column: data type}`` of ``table`` (fields removed from the code keep
    their columns)."""
    cr.execute(
        SQL(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s",
            table,
        )
    )
    return dict(cr.fetchall())


def move_poll_state(cr, code, cursor, last_at, last_result):
    """Copy a channel's former poll columns of ``retail_backend`` into
    ``retail_poll_cursor`` (stream ``orders``), where no cursor exists yet."""
    columns = table_columns(cr, "retail_backend")
    if not {cursor, last_at, last_result} <= columns.keys():
        return
    cr.execute(
        SQL(
            """
            INSERT INTO retail_poll_cursor (backend_id, company_id, stream, cursor, last_run_at,
                                            last_result, create_date, write_date)
            SELECT id, company_id, 'orders', %s, %s, %s,
                   now() at time zone 'UTC', now() at time zone 'UTC'
              FROM retail_backend
             WHERE code = %s AND (%s IS NOT NULL OR %s IS NOT NULL)
            ON CONFLICT (backend_id, stream) DO NOTHING
            """,
            SQL.identifier(cursor),
            SQL.identifier(last_at),
            SQL.identifier(last_result),
            code,
            SQL.identifier(cursor),
            SQL.identifier(last_at),
        )
    )


def copy_backend_column(cr, code, old, new):
    """``retail_backend.new = old`` on the backends of channel ``code``."""
    if old not in table_columns(cr, "retail_backend"):
        return
    cr.execute(
        SQL(
            "UPDATE retail_backend SET %s = %s WHERE code = %s AND %s IS NOT NULL",
            SQL.identifier(new),
            SQL.identifier(old),
            code,
            SQL.identifier(old),
        )
    )


def move_runtime_values(cr, code, keys):
    """Copy former ``retail_backend`` columns into ``retail_backend_runtime``
    (key = the column's name); datetimes as Odoo's ``YYYY-MM-DD HH:MM:SS``."""
    columns = table_columns(cr, "retail_backend")
    for key in keys:
        if key not in columns:
            continue
        if columns[key].startswith("timestamp"):
            value = SQL("to_jsonb(to_char(%s, 'YYYY-MM-DD HH24:MI:SS'))", SQL.identifier(key))
        else:
            value = SQL("to_jsonb(%s)", SQL.identifier(key))
        cr.execute(
            SQL(
                """
                INSERT INTO retail_backend_runtime (backend_id, key, value, create_date, write_date)
                SELECT id, %s, %s, now() at time zone 'UTC', now() at time zone 'UTC'
                  FROM retail_backend
                 WHERE code = %s AND %s IS NOT NULL
                ON CONFLICT (backend_id, key) DO NOTHING
                """,
                key,
                value,
                code,
                SQL.identifier(key),
            )
        )


def delete_record(env, xmlid):
    """Delete a record a data file no longer declares (``noupdate`` records
    are not removed by the update)."""
    record = env.ref(xmlid, raise_if_not_found=False)
    if record:
        record.unlink()
