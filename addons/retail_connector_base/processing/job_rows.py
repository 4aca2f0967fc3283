"""Event processing jobs written as SQL rows: the webhook's hot path.

queue_job's own path (``event.with_delay()._process()``) stores a job record
by record through the ORM, which would cost more than the rest of a webhook
request. These builders write the very row it would store, with queue_job's
own encoder and job function (``TestProcessingJobFormat`` compares the two
field by field), in the statement that stores or requeues the events.
"""

import json
import uuid

from psycopg2.extras import Json

from odoo.tools import SQL

from odoo.addons.queue_job.fields import JobEncoder

from ..adapters.base import get_adapter_class
from ..const import EVENT_JOB_PRIORITY

JOB_FUNCTION_NAME = "<retail.event>._process"
# The queue_job columns a new job fills, in the order of _job_row()'s values.
JOB_COLUMNS = SQL(
    "uuid, user_id, company_id, name, model_name, method_name, func_string,"
    " channel_method_name, job_function_id, channel, records, args, kwargs, dependencies,"
    " state, priority, max_retries, retry, date_created"
)
# VALUES lose the columns' types: cast the JSON ones.
JOB_VALUES = SQL(
    "uuid, user_id, company_id, name, model_name, method_name, func_string,"
    " channel_method_name, job_function_id, channel, records::jsonb, args::jsonb,"
    " kwargs::jsonb, dependencies, state, priority, max_retries, retry, date_created"
)


def insert_event(events, settings, event_values, body, source):
    """Store an inbound event unless its key is known, with its processing
    job when the backend is active (or the topic always processed).

    One statement writes both rows. The job is only inserted when the key is
    new; ``ON CONFLICT DO NOTHING`` settles two deliveries of the same key
    racing each other, and the loser's job is deleted before its transaction
    commits. When the winner committed after this transaction's snapshot,
    PostgreSQL refuses the statement (REPEATABLE READ: "could not serialize
    access") and Odoo runs the request again, which then finds the key: an
    expected outcome, so the statement does not log it as a bad query.

    :param events: the ``retail.event`` model, in the environment that writes
    :param settings: the backend's :class:`BackendSettings`
    :return: the new event's id, or ``None`` for a duplicate
    """
    cr = events.env.cr
    text = body.decode() if isinstance(body, bytes) else body
    cr.execute(SQL("SELECT nextval('retail_event_id_seq')"))
    event_id = cr.fetchone()[0]
    enqueue = settings.state == "active" or event_values.always_process
    job_uuid = str(uuid.uuid4())
    if enqueue:
        job = SQL(
            """
            WITH job AS (
                INSERT INTO queue_job (%s)
                SELECT %s FROM (VALUES %s) AS new_job (%s)
                 WHERE NOT EXISTS (
                    SELECT 1 FROM retail_event WHERE backend_id = %s AND event_key = %s)
                RETURNING id
            )
            """,
            JOB_COLUMNS,
            JOB_VALUES,
            _job_row(
                events, event_id, settings, event_values.topic, event_values.event_key, job_uuid
            ),
            JOB_COLUMNS,
            settings.id,
            event_values.event_key,
        )
        job_id, state, source_sql = SQL("job.id"), SQL("'queued'"), SQL("FROM job")
    else:
        job, job_id, state, source_sql = SQL(), SQL("NULL"), SQL("'received'"), SQL()
    cr.execute(
        SQL(
            """
            %s
            INSERT INTO retail_event (
                id, backend_id, company_id, source, topic, event_key, received_at,
                body, body_size, headers, state, attempts, job_id,
                create_uid, create_date, write_uid, write_date)
            SELECT %s, %s, %s, %s, %s, %s, now() at time zone 'UTC',
                   %s, %s, %s, %s, 0, %s,
                   %s, now() at time zone 'UTC', %s, now() at time zone 'UTC'
            %s
            ON CONFLICT (backend_id, event_key) DO NOTHING
            RETURNING id
            """,
            job,
            event_id,
            settings.id,
            settings.company_id,
            source,
            event_values.topic,
            event_values.event_key,
            text,
            len(body),
            Json(event_values.headers or {}),
            state,
            job_id,
            events.env.uid,
            events.env.uid,
            source_sql,
        ),
        log_exceptions=False,
    )
    if cr.fetchone():
        return event_id
    if enqueue:
        cr.execute(SQL("DELETE FROM queue_job WHERE uuid = %s", job_uuid))
    return None


def enqueue_events(events, settings_by_backend):
    """Give each of ``events`` a new processing job and the state
    ``queued``, in one statement.

    :param settings_by_backend: the :class:`BackendSettings` of every
        backend of ``events``, by backend id
    """
    cr = events.env.cr
    cr.execute(
        SQL(
            "SELECT id, backend_id, topic, event_key FROM retail_event WHERE id IN %s",
            tuple(events.ids),
        )
    )
    rows = [
        (event_id, str(uuid.uuid4()), settings_by_backend[backend_id], topic, event_key)
        for event_id, backend_id, topic, event_key in cr.fetchall()
    ]
    cr.execute(
        SQL(
            """
            WITH new_job (%s) AS (VALUES %s),
            job AS (
                INSERT INTO queue_job (%s) SELECT %s FROM new_job RETURNING id, uuid
            )
            UPDATE retail_event event
               SET job_id = job.id, state = 'queued',
                   write_date = now() at time zone 'UTC', write_uid = %s
              FROM job
              JOIN (VALUES %s) AS job_event (uuid, event_id) ON job_event.uuid = job.uuid
             WHERE event.id = job_event.event_id
            """,
            JOB_COLUMNS,
            SQL(", ").join(
                _job_row(events, event_id, settings, topic, key, job_uuid)
                for event_id, job_uuid, settings, topic, key in rows
            ),
            JOB_COLUMNS,
            JOB_VALUES,
            events.env.uid,
            SQL(", ").join(
                SQL("(%s, %s)", job_uuid, event_id) for event_id, job_uuid, *_rest in rows
            ),
        )
    )


def job_channel(settings, topic):
    """The queue_job channel of the tier that processes ``topic`` (the
    channel adapter decides the tier)."""
    try:
        tier = get_adapter_class(settings.code)(settings).job_tier(topic)
    except LookupError:  # a backend of no channel ("none"), or one uninstalled
        tier = "realtime"
    return settings.batch_channel if tier == "batch" else settings.realtime_channel


def _job_row(events, event_id, settings, topic, event_key, job_uuid):
    """The ``queue_job`` row ``with_delay()._process()`` would store for
    event ``event_id``, with queue_job's own encoder and job function.

    ``max_retries`` is the retry policy's ``max_attempts`` (the backend's):
    the policy decides when an event is dead, queue_job's count agrees.
    """
    job_function = events.env["queue.job.function"].job_config(JOB_FUNCTION_NAME)
    return SQL(
        "(%s, %s, %s, %s, 'retail.event', '_process', %s, %s, %s, %s, %s, %s, %s, %s,"
        " 'pending', %s, %s, 0, now() at time zone 'UTC')",
        job_uuid,
        events.env.uid,
        settings.company_id,
        f"Process {settings.code} event {topic} ({event_key})",
        f"retail.event({event_id},)._process()",
        JOB_FUNCTION_NAME,
        job_function.job_function_id,
        job_channel(settings, topic),
        Json(json.dumps(events.browse(event_id), cls=JobEncoder)),
        Json(json.dumps([])),
        Json(json.dumps({})),
        json.dumps({"depends_on": [], "reverse_depends_on": []}),
        EVENT_JOB_PRIORITY,
        settings.max_attempts,
    )
