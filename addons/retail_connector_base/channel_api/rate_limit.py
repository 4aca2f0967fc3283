"""A token bucket per API key, kept in PostgreSQL so that every Odoo worker
process draws from the same one.

One upsert refills the bucket by the time elapsed since its last refill and
takes a token if there is one: PostgreSQL's row lock makes concurrent
requests of one key take their turn, whichever worker serves them.
"""

import math
from typing import NamedTuple

from odoo.tools import SQL


class RateDecision(NamedTuple):
    allowed: bool
    limit: int
    remaining: int
    # Seconds until one more request is allowed (0 when allowed).
    retry_after: int
    # Seconds until the bucket is full again.
    reset: int

    def headers(self):
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


def take_token(cr, key_id, per_minute, burst):
    """Take one request's token from the bucket of key ``key_id``.

    ``per_minute`` tokens flow in per minute, up to ``burst``. Runs on
    ``cr`` and should be committed at once (the row stays locked until then).
    """
    rate = per_minute / 60.0
    # The refill as of the moment the row is locked (clock_timestamp(), not
    # the transaction's start): a concurrent request may have just refilled it.
    level = SQL(
        "LEAST(%s, bucket.tokens"
        " + %s * EXTRACT(EPOCH FROM clock_timestamp() - bucket.refilled_at))",
        float(burst),
        rate,
    )
    cr.execute(
        SQL(
            """
            INSERT INTO retail_api_rate_bucket AS bucket (key_id, tokens, refilled_at, taken)
            VALUES (%s, %s, clock_timestamp(), TRUE)
            ON CONFLICT (key_id) DO UPDATE
               SET tokens = %s - CASE WHEN %s >= 1 THEN 1 ELSE 0 END,
                   refilled_at = clock_timestamp(),
                   taken = %s >= 1
         RETURNING tokens, taken
            """,
            key_id,
            float(burst) - 1,
            level,
            level,
            level,
        )
    )
    tokens, taken = cr.fetchone()
    tokens = float(tokens)
    missing = max(burst - tokens, 0.0)
    return RateDecision(
        allowed=bool(taken),
        limit=int(burst),
        remaining=max(math.floor(tokens), 0),
        retry_after=0 if taken else max(math.ceil((1 - tokens) / rate), 1),
        reset=math.ceil(missing / rate) if rate else 0,
    )
