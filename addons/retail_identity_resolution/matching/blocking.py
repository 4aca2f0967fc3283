"""Blocking: the few keys a candidate must share with a record to be scored.

Each key of :func:`blocking_keys` is one indexed lookup (a stored partner
column, see ``res.partner``); a pair that shares none is never compared. The
accuracy benchmark blocks with this same function, so its recall is the
resolver's.
"""

# Partners taken per key (the most recent): a key many share (a common name
# in a big town) costs a bounded number of comparisons.
CANDIDATES_PER_KEY = 20


def blocking_keys(record):
    """Return ``{key name: value}`` for ``record`` (only keys it has).

    * ``email``, ``phone``: the identifiers themselves;
    * ``zip_phonetic``: postal code + sound-alike name (typos, swapped and
      nick names, a new email and phone at the same address);
    * ``zip_house``: postal code + house number (a name typed very
      differently at the same address);
    * ``phonetic_city``: sound-alike name + city (a postal code mistyped).
    """
    keys = {}
    if record.email_key:
        keys["email"] = record.email_key
    if record.phone_key:
        keys["phone"] = record.phone_key
    if record.zip_key and record.phonetic_key:
        keys["zip_phonetic"] = f"{record.zip_key}|{record.phonetic_key}"
    if record.zip_key and record.house_number:
        keys["zip_house"] = f"{record.zip_key}|{record.house_number}"
    if record.city_key and record.phonetic_key:
        keys["phonetic_city"] = f"{record.phonetic_key}|{record.city_key}"
    return keys


# Kinds of keys, in the order they are looked up.
EXTENDED_KEY_KINDS = ("email", "phone", "zip_name", "city_name", "street_house", "zip_house")


def extended_blocking_keys(record):
    """Return the sorted ``(kind, value)`` keys of ``record`` (only keys it has),
    several per kind: keys that survive two small typos. Measured by the
    accuracy benchmark (``--blocking extended``); the resolver does not look
    them up yet (they need a key table: one partner, many keys).

    * ``email``, ``phone``: every email and phone it is known by;
    * ``zip_name``: postal code + the sound of one name word (one per word:
      typos or a missing word in the others, swapped and nick names);
    * ``city_name``: city + the sound of one name word (a mistyped postal
      code);
    * ``street_house``: street + house number (a name typed very
      differently, a postal code and city mistyped);
    * ``zip_house``: postal code + house number (a street typed otherwise).
    """
    keys = set()
    for email in record.emails | ({record.email_key} if record.email_key else set()):
        keys.add(("email", email))
    for phone in record.phones:
        keys.add(("phone", phone))
    for code in record.name_codes:
        if record.zip_key:
            keys.add(("zip_name", f"{record.zip_key}|{code}"))
        if record.city_key:
            keys.add(("city_name", f"{record.city_key}|{code}"))
    if record.street_key and record.house_number:
        keys.add(("street_house", f"{record.street_key}|{record.house_number}"))
    if record.zip_key and record.house_number:
        keys.add(("zip_house", f"{record.zip_key}|{record.house_number}"))
    return tuple(sorted(keys))
