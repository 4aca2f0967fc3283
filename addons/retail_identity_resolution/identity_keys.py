"""Identity keys: every email, phone and address a customer was seen with,
as the rows of ``retail.identity.key``. Plain Python, no ORM.

The kinds are :func:`~.matching.blocking.extended_blocking_keys`' (keys that
survive two small typos); a marketplace's relay address is kept apart
(``email_relay``): it finds the same relay again but is no evidence of who
the customer is. A candidate is a customer whose keys weigh at least
``MIN_CANDIDATE_WEIGHT`` together with the incoming record's.
"""

from collections import Counter

from .matching import extended_blocking_keys

KEY_KINDS = [
    ("email", "Email"),
    ("phone", "Phone"),
    ("email_relay", "Relay email"),
    ("street_house", "Street + house number"),
    ("zip_house", "Postal code + house number"),
    ("zip_name", "Postal code + name word"),
    ("city_name", "City + name word"),
]
# Kinds that say who the customer is (matched as emails and phones, not only
# searched by).
IDENTIFIER_KINDS = ("email", "phone")
# How much a shared key says: the candidates are those sharing most.
KEY_WEIGHTS = {
    "email": 8.0,
    "phone": 8.0,
    "email_relay": 3.0,
    "street_house": 3.0,
    "zip_house": 2.0,
    "zip_name": 2.0,
    # "John" in London alone finds nobody; with the other name word, or any
    # other key, it does.
    "city_name": 1.0,
}
MIN_CANDIDATE_WEIGHT = 2.0
# Customers scored per incoming record (the heaviest first), and rows read
# per key (the most recent): a key many share costs a bounded search.
MAX_CANDIDATES = 20
ROWS_PER_KEY = 20


def identity_keys(record):
    """Return the sorted ``(kind, value)`` keys of ``record``
    (:class:`~.matching.record.IdentityRecord`)."""
    keys = set()
    for kind, value in extended_blocking_keys(record):
        if kind == "email" and value not in record.emails:
            kind = "email_relay"
        keys.add((kind, value))
    return sorted(keys)


def rank_candidates(rows_per_key, limit=MAX_CANDIDATES):
    """The ranking of ``res.partner._retail_identity_candidates`` in Python:
    from ``{(kind, value): [partner ids holding it, at most ROWS_PER_KEY]}``,
    the partners whose keys weigh ``MIN_CANDIDATE_WEIGHT`` together, the
    ``limit`` first whose keys weigh most, each key's weight shared among
    the partners holding it (ties: the most recent)."""
    weight, share = Counter(), Counter()
    for (kind, _value), rows in rows_per_key.items():
        for partner in rows:
            weight[partner] += KEY_WEIGHTS[kind]
            share[partner] += KEY_WEIGHTS[kind] / len(rows)
    found = [p for p in weight if weight[p] >= MIN_CANDIDATE_WEIGHT]
    found.sort(key=lambda p: (-share[p], -p))
    return found[:limit]
