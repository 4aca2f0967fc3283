"""Blocking: the few keys a candidate must share with a record to be scored.

Each key is one indexed lookup (a stored partner column, see ``res.partner``);
a pair that shares none is never compared. The accuracy benchmark blocks with
this same function, so its recall is the resolver's.
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
