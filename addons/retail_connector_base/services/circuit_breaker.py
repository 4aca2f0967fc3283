"""One circuit breaker per downstream endpoint, its state in PostgreSQL.

Every worker shares it: each change is one atomic statement in its own short
transaction (a job that fails and rolls back still counts its failure), and a
transition is won by exactly one transaction (``UPDATE ... WHERE state = ...
RETURNING``), so opening raises one activity however many orders fail at once.

closed --(threshold failures in a row)--> open --(cooldown)--> half_open
half_open --(the one probe succeeds)--> closed; --(it fails)--> open
"""

import contextlib
from datetime import timedelta

import odoo.modules.module
from odoo import api, fields, models
from odoo.tools import SQL

from ..api_client import Breaker

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"


class RetailCircuitBreakerService(models.AbstractModel):
    _name = "retail.circuit.breaker.service"
    _description = "Retail Circuit Breaker Service"

    @contextlib.contextmanager
    def _breaker_env(self):
        """An environment on a transaction of its own (committed on exit);
        in tests the test's own cursor, which nothing else may commit."""
        if odoo.modules.module.current_test:
            yield self.env
            return
        with self.env.registry.cursor() as cr:
            yield self.env(cr=cr)

    @api.model
    def _ensure(self, endpoint, label=None, backend=None, threshold=5, cooldown=30):
        """The breaker id of ``endpoint``, created on first use."""
        with self._breaker_env() as env:
            env.cr.execute(
                SQL(
                    """INSERT INTO retail_circuit_breaker
                           (endpoint, name, backend_id, state, failure_count, open_count,
                            close_count, failure_threshold, cooldown_seconds,
                            create_uid, write_uid, create_date, write_date)
                       VALUES (%s, %s, %s, 'closed', 0, 0, 0, %s, %s,
                               %s, %s, now() at time zone 'UTC', now() at time zone 'UTC')
                       ON CONFLICT (endpoint) DO NOTHING""",
                    endpoint,
                    label or endpoint,
                    backend.id if backend else None,
                    threshold,
                    cooldown,
                    env.uid,
                    env.uid,
                )
            )
            env.cr.execute(
                SQL("SELECT id FROM retail_circuit_breaker WHERE endpoint = %s", endpoint)
            )
            return env.cr.fetchone()[0]

    @api.model
    def _allow(self, endpoint, **create_values):
        """Whether a call to ``endpoint`` may be sent now: always when
        closed; when open, only as the one probe once the cooldown is over.
        ``create_values`` (label, backend, threshold, cooldown) make the
        breaker on first use."""
        return self._check(endpoint, **create_values)[0]

    @api.model
    def _check(self, endpoint, **create_values):
        """``(allowed, retry_at, clean)`` of a call to ``endpoint`` now (see
        :meth:`_allow`): when it is worth trying again if refused, and
        whether the breaker is closed without failures (a success then
        changes nothing)."""
        breaker_id = self._ensure(endpoint, **create_values)
        with self._breaker_env() as env:
            now = fields.Datetime.now()
            env.cr.execute(
                SQL(
                    """UPDATE retail_circuit_breaker
                          SET state = 'half_open', probe_at = %(now)s
                        WHERE id = %(id)s
                          AND (state = 'open' AND opened_at
                                   + cooldown_seconds * interval '1 second' <= %(now)s
                               OR state = 'half_open' AND probe_at
                                   + cooldown_seconds * interval '1 second' <= %(now)s)
                    RETURNING id""",
                    now=now,
                    id=breaker_id,
                )
            )
            if env.cr.fetchone():
                return True, now, False
            env.cr.execute(
                SQL(
                    """SELECT state, failure_count, opened_at, probe_at, cooldown_seconds
                         FROM retail_circuit_breaker WHERE id = %s""",
                    breaker_id,
                )
            )
            state, failures, opened_at, probe_at, cooldown = env.cr.fetchone()
            if state == CLOSED:
                return True, now, not failures
            since = (probe_at if state == HALF_OPEN else opened_at) or now
            return False, max(now, since + timedelta(seconds=cooldown)), False

    @api.model
    def _retry_at(self, endpoint):
        """When a call to ``endpoint`` is worth trying again."""
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """SELECT state, opened_at, probe_at, cooldown_seconds
                     FROM retail_circuit_breaker WHERE endpoint = %s""",
                endpoint,
            )
        )
        row = self.env.cr.fetchone()
        if not row or row[0] == CLOSED:
            return now
        state, opened_at, probe_at, cooldown = row
        since = probe_at if state == HALF_OPEN else opened_at
        return max(now, (since or now) + timedelta(seconds=cooldown))

    @api.model
    def _record_success(self, endpoint):
        """A call succeeded: the breaker closes (counted when it was not)."""
        with self._breaker_env() as env:
            env.cr.execute(
                SQL(
                    """UPDATE retail_circuit_breaker
                          SET state = 'closed', failure_count = 0, close_count = close_count + 1,
                              closed_at = %s, write_date = %s
                        WHERE endpoint = %s AND state != 'closed'
                    RETURNING id""",
                    fields.Datetime.now(),
                    fields.Datetime.now(),
                    endpoint,
                )
            )
            closed = env.cr.fetchone()
            if closed:
                env["retail.circuit.breaker"].browse(closed[0])._on_closed()
            else:
                env.cr.execute(
                    SQL(
                        """UPDATE retail_circuit_breaker SET failure_count = 0
                            WHERE endpoint = %s AND failure_count != 0""",
                        endpoint,
                    )
                )

    @api.model
    def _record_failure(self, endpoint, error):
        """A call failed as the downstream was down: count it; the
        threshold-th failure in a row opens the breaker (once), a failed
        probe opens it again (no new activity)."""
        now = fields.Datetime.now()
        with self._breaker_env() as env:
            env.cr.execute(
                SQL(
                    """UPDATE retail_circuit_breaker
                          SET failure_count = failure_count + 1, last_error = %s,
                              last_failure_at = %s
                        WHERE endpoint = %s
                    RETURNING id""",
                    error[:1000],
                    now,
                    endpoint,
                )
            )
            row = env.cr.fetchone()
            if not row:
                return
            env.cr.execute(
                SQL(
                    """UPDATE retail_circuit_breaker SET state = 'open', opened_at = %s
                        WHERE id = %s AND state = 'half_open'""",
                    now,
                    row[0],
                )
            )
            env.cr.execute(
                SQL(
                    """UPDATE retail_circuit_breaker
                          SET state = 'open', opened_at = %s, open_count = open_count + 1
                        WHERE id = %s AND state = 'closed' AND failure_count >= failure_threshold
                    RETURNING id""",
                    now,
                    row[0],
                )
            )
            if env.cr.fetchone():
                env["retail.circuit.breaker"].browse(row[0])._on_opened()


class BackendBreaker(Breaker):
    """The breakers of one backend's API client (see
    :class:`~..api_client.Breaker`): one per host and endpoint family, made
    on first use with the backend's threshold and cooldown."""

    def __init__(self, backend):
        self.backend = backend
        self.service = backend.env["retail.circuit.breaker.service"]
        self._clean = set()  # endpoints closed without failures when last asked

    def _key(self, endpoint):
        return f"{endpoint} (backend {self.backend.id})"

    def allow(self, endpoint, label):
        key = self._key(endpoint)
        allowed, retry_at, clean = self.service._check(
            key,
            label=f"{self.backend.name}: {label}",
            backend=self.backend,
            threshold=self.backend.breaker_failure_threshold,
            cooldown=self.backend.breaker_cooldown_seconds,
        )
        if clean:
            self._clean.add(key)
        else:
            self._clean.discard(key)
        if allowed:
            return None
        return max((retry_at - fields.Datetime.now()).total_seconds(), 1.0)

    def succeeded(self, endpoint):
        key = self._key(endpoint)
        if key not in self._clean:
            self.service._record_success(key)
            self._clean.add(key)

    def failed(self, endpoint, error):
        key = self._key(endpoint)
        self._clean.discard(key)
        self.service._record_failure(key, error)
