"""Similarity of two records on one field, in [0, 1], or ``None`` when one
side has nothing to compare (the field then weighs nothing)."""

import jellyfish
from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler, Levenshtein

from ..normalize import canonical_given_name
from .graded import (
    city_similarity,
    graded_locality_similarity,
    graded_name_similarity,
    house_similarity,
    street_similarity,
    zip_similarity,
)

# An initial ("S. Denis") or a lone word ("Denis") fits every name it
# starts or is part of, including a relative's: at most "partial".
INITIAL_SIMILARITY = 0.85
LONE_WORD_SIMILARITY = 0.85


def _token_similarity(a, b):
    if a == b:
        return 1.0
    if len(a) == 1 or len(b) == 1:  # an initial stands for any name it starts
        return INITIAL_SIMILARITY if a[0] == b[0] else 0.0
    return JaroWinkler.similarity(a, b)


def name_similarity(tokens_a, tokens_b):
    """Similarity of two names, free of word order and nicknames.

    Each word of the shorter name is paired with its best match in the
    other; the score blends the weakest pair and the mean, so one very
    different word (another first name: a household member) sinks it while a
    typo barely does. Names typed glued ("Marieclaire") are compared whole
    too. A one-word name against a longer one, or an initial, is at most
    "partial".
    """
    if not tokens_a or not tokens_b:
        return None
    a = sorted(canonical_given_name(t) for t in tokens_a)
    b = sorted(canonical_given_name(t) for t in tokens_b)
    if a == b:
        return 1.0
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    remaining = list(long_)
    pairs = []
    for token in sorted(short, key=len, reverse=True):
        best = max(remaining, key=lambda other, t=token: _token_similarity(t, other))
        pairs.append(_token_similarity(token, best))
        remaining.remove(best)
    aligned = 0.5 * min(pairs) + 0.5 * sum(pairs) / len(pairs)
    glued = 0.0
    if len(a) != len(b):  # "Marie Claire" / "Marieclaire", "Ja Xson" / "Jaxson"
        glued = (
            max(
                fuzz.ratio("".join(a), "".join(b)),
                fuzz.ratio("".join(tokens_a), "".join(tokens_b)),
            )
            / 100
        )
    similarity = max(aligned, glued)
    if len(short) == 1 and len(long_) > 1:
        similarity = min(similarity, LONE_WORD_SIMILARITY)
    elif len(short) != len(long_):
        similarity *= 0.98  # a middle name only one side typed
    return similarity


def address_similarity(a, b):
    """House number must agree (different numbers: another address); the
    street names are compared fuzzily once their type is normalized."""
    if not a.street_key or not b.street_key:
        return None
    similarity = (
        max(
            fuzz.ratio(a.street_key, b.street_key),
            fuzz.token_sort_ratio(a.street_key, b.street_key),
        )
        / 100
    )
    if not (a.house_number and b.house_number):
        similarity *= 0.9
    elif a.house_number != b.house_number:
        # "26"/"62", "105"/"15": a slip of the keyboard; "8"/"105": another door.
        typo = jellyfish.damerau_levenshtein_distance(a.house_number, b.house_number) <= 1
        similarity = similarity * 0.85 if typo else 0.0
    return similarity


def locality_similarity(a, b):
    """Postal code first, city when a code is missing or mistyped; another
    country is another place."""
    if a.country_code and b.country_code and a.country_code != b.country_code:
        return 0.0
    city = None
    if a.city_key and b.city_key:
        city = 1.0 if a.city_key == b.city_key else JaroWinkler.similarity(a.city_key, b.city_key)
    if a.zip_key and b.zip_key:
        if a.zip_key == b.zip_key:
            return 1.0
        if city is not None and city >= 0.9:
            return 0.9 if Levenshtein.distance(a.zip_key, b.zip_key) <= 1 else 0.85
        return 0.0
    if city is None:
        return None
    return 0.9 if city == 1.0 else (0.8 if city >= 0.9 else 0.0)


def _exact(value_a, value_b):
    if not value_a or not value_b:
        return None
    return 1.0 if value_a == value_b else 0.0


def _shared(values_a, values_b):
    if not values_a or not values_b:
        return None
    return 1.0 if values_a & values_b else 0.0


def email_similarity(a, b):
    """Real mailboxes only, any of those each is known by: a marketplace
    relay address says nothing against a real one (see
    :func:`relay_email_similarity`)."""
    if (a.email_is_relay and not a.emails) or (b.email_is_relay and not b.emails):
        return None
    return _shared(a.emails, b.emails)


def relay_email_similarity(a, b):
    """Two relay addresses: the same buyer on the same marketplace, at best."""
    if not (a.email_is_relay and b.email_is_relay):
        return None
    return _exact(a.email_key, b.email_key)


def phone_similarity(a, b):
    return _shared(a.phones, b.phones)


def _exact_on(attribute):
    return lambda a, b: _exact(getattr(a, attribute), getattr(b, attribute))


def _show_address(record):
    return " ".join(filter(None, (record.house_number, record.street_key))) or None


def _show_locality(record):
    return " ".join(filter(None, (record.zip_key, record.city_key, record.country_code))) or None


def _name_terms(record):
    return tuple(canonical_given_name(t) for t in record.name_tokens if len(t) > 1)


def _street_terms(record):
    return (record.street_key,) if record.street_key else ()


# field -> ({comparator: function}, value shown in explanations, frequency
# key of the identifiers a shared value of weighs less, terms whose
# frequency adjusts an agreement: a common surname or street weighs less).
# "address" and "locality" are the coarse fields of 19.0.1.3 and before,
# kept for the rules a database may still hold.
FIELDS = {
    "name": (
        {
            "graded": lambda a, b: graded_name_similarity(a.name_tokens, b.name_tokens),
            "fuzzy": lambda a, b: name_similarity(a.name_tokens, b.name_tokens),
            "exact": _exact_on("name_key"),
        },
        lambda r: r.name,
        None,
        _name_terms,
    ),
    "email": ({"exact": email_similarity}, lambda r: r.email_key, "email", None),
    "email_relay": (
        {"exact": relay_email_similarity},
        lambda r: r.email_key if r.email_is_relay else None,
        "email",
        None,
    ),
    "phone": ({"exact": phone_similarity}, lambda r: r.phone_key, "phone", None),
    "house": ({"graded": house_similarity}, lambda r: r.house_number, None, None),
    "street": (
        {"graded": street_similarity},
        lambda r: " / ".join(filter(None, (r.street_key, r.street2_key))) or None,
        None,
        _street_terms,
    ),
    "zip": ({"graded": zip_similarity}, lambda r: r.zip_key, None, None),
    "city": ({"graded": city_similarity}, lambda r: r.city_key, None, None),
    "address": (
        {
            "fuzzy": address_similarity,
            "exact": lambda a, b: (
                None
                if not (a.street_key and b.street_key)
                else float((a.street_key, a.house_number) == (b.street_key, b.house_number))
            ),
        },
        _show_address,
        None,
        None,
    ),
    "locality": (
        {"graded": graded_locality_similarity, "fuzzy": locality_similarity},
        _show_locality,
        None,
        None,
    ),
}
