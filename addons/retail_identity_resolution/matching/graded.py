"""Graded comparisons: how far apart two values are, in typed faults.

Each function returns a similarity in [0, 1] (``None`` when one side has
nothing) whose steps are faults: ``1 - 0.1 * faults`` for names (a typo in a
word is one fault, a missing word two, an initial three, another word five), so
the field rules' levels (``min_similarity``) read as "no fault", "one typo",
"two small faults"... (an initial is three: at most "weak") rather than as a
blend of string distances.
"""

import functools
from itertools import permutations

from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from ..normalize import canonical_given_name

FAULT = 0.1
# Faults of one word against another.
TYPO, SLIP, INITIAL, MISSING, REPLACED = 1, 2, 3, 2, 5


@functools.lru_cache(maxsize=65536)  # names repeat: a batch compares the same words often
def word_faults(a, b):
    """Faults between two name words: 0 the same, 1 a typo, 2 a worse slip,
    3 an initial for the name (a relative shares it), 5 another word."""
    if a == b:
        return 0
    if len(a) == 1 or len(b) == 1:
        return INITIAL if a[0] == b[0] else REPLACED
    distance = DamerauLevenshtein.distance(a, b)
    similarity = JaroWinkler.similarity(a, b)
    shortest = min(len(a), len(b))
    if distance <= 1 or (similarity >= 0.93 and distance <= 2):
        return TYPO
    # Two slips in a short first name make another one ("Hélène"/"Céline").
    if distance <= 2 and (shortest >= 7 or similarity >= 0.9):
        return SLIP
    if shortest >= 3 and (a.startswith(b) or b.startswith(a)):
        return SLIP  # a name cut short
    return REPLACED


def _faults(a, b):
    """Faults of two words as typed or as their formal names, whichever is
    fewer: "Bob"/"Robert" agree, and "Joe"/"Joel" stays a typo although
    "Joe" reads as "Joseph"."""
    faults = word_faults(a, b)
    if faults:
        formal = canonical_given_name(a), canonical_given_name(b)
        if formal != (a, b):
            faults = min(faults, word_faults(*formal))
    return faults


def _alignment_faults(short, long_):
    """Fewest faults pairing each word of ``short`` with one of ``long_``
    (the extra words of ``long_`` are missing ones)."""
    missing = MISSING * (len(long_) - len(short))
    if len(long_) > 5:  # a pathological name: greedy pairing
        remaining = list(long_)
        total = 0
        for word in short:
            best = min(remaining, key=lambda other, w=word: _faults(w, other))
            total += _faults(word, best)
            remaining.remove(best)
        return total + missing
    best = min(
        sum(_faults(w, o) for w, o in zip(short, chosen, strict=False))
        for chosen in permutations(long_, len(short))
    )
    return best + missing


def name_faults(tokens_a, tokens_b):
    """Faults between two names, free of word order and nicknames; names
    typed glued or split ("Marieclaire", "Elk I") are compared whole too."""
    a, b = tuple(tokens_a), tuple(tokens_b)
    return _name_faults(*sorted((a, b)))


@functools.lru_cache(maxsize=65536)  # a name meets the same names again and again
def _name_faults(a, b):
    if sorted(map(canonical_given_name, a)) == sorted(map(canonical_given_name, b)):
        return 0
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    faults = _alignment_faults(short, long_)
    if len(a) != len(b) or faults >= REPLACED:
        glued = max(
            fuzz.ratio("".join(sorted(a)), "".join(sorted(b))),
            fuzz.ratio("".join(a), "".join(b)),
        )
        if glued >= 95:
            faults = min(faults, TYPO)
        elif glued >= 88:
            faults = min(faults, SLIP)
    return faults


def graded_name_similarity(tokens_a, tokens_b):
    """``1 - 0.1 * faults`` of two names (see :func:`name_faults`)."""
    if not tokens_a or not tokens_b:
        return None
    return max(0.0, 1.0 - FAULT * name_faults(tokens_a, tokens_b))


def _street_pair_similarity(a, b):
    return (
        max(
            fuzz.ratio(a, b),
            fuzz.token_sort_ratio(a, b),
        )
        / 100
    )


def street_similarity(a, b):
    """The street names (house number apart), either address line of one
    against either of the other: a flat name and a street typed in each
    other's place still agree, a little less."""
    lines_a = [line for line in (a.street_key, a.street2_key) if line]
    lines_b = [line for line in (b.street_key, b.street2_key) if line]
    if not lines_a or not lines_b:
        return None
    best = 0.0
    for i, line_a in enumerate(lines_a):
        for j, line_b in enumerate(lines_b):
            similarity = _street_pair_similarity(line_a, line_b)
            if i or j:
                similarity *= 0.98
            best = max(best, similarity)
    return best


# Two address lines agree from this similarity on (a typo or two).
SAME_LINE = 0.9
# Words of a second address line that name no place: a flat, a floor or a
# building anyone on the street may live in ("Apt 4", "2e étage", "Bât. B").
PREMISES_DESIGNATORS = frozenset(
    {
        "apt", "appt", "app", "appartement", "apartment", "flat", "flt", "unit", "suite",
        "ste", "room", "etage", "floor", "flr", "level", "lvl", "bat", "batiment", "bldg",
        "building", "block", "blk", "stock", "lot", "wohnung", "piso", "porte", "door",
        "escalier", "esc", "rdc", "box", "bp", "cedex",
    }
)  # fmt: skip


def named_premises(line):
    """Whether an address line names a place (a building, an estate, a
    hostel: a word of four letters or more that is not a flat, floor or
    building designator)."""
    return any(
        len(word) >= 4 and word.isalpha() and word not in PREMISES_DESIGNATORS
        for word in line.split()
    )


def same_premises(a, b):
    """Whether both records have two address lines and both agree (in either
    order), the second one naming a place: the same street and the same
    building, estate or hostel, so a house number typed otherwise is a slip,
    not another door. A flat or floor alone ("Apt 4") tells nothing: many
    on a street have one."""
    if not (a.street_key and a.street2_key and b.street_key and b.street2_key):
        return False
    if not named_premises(a.street2_key):
        return False
    for first, second in (
        (b.street_key, b.street2_key),
        (b.street2_key, b.street_key),
    ):
        if (
            _street_pair_similarity(a.street_key, first) >= SAME_LINE
            and _street_pair_similarity(a.street2_key, second) >= SAME_LINE
        ):
            return True
    return False


def house_similarity(a, b):
    """1 the same number, 0.8 a slip ("26"/"62", "530"/"53") or another
    number in the same premises (both address lines agree: see
    :func:`same_premises`), else 0."""
    if not a.house_number or not b.house_number:
        return None
    if a.house_number == b.house_number:
        return 1.0
    x, y = a.house_number, b.house_number
    if DamerauLevenshtein.distance(x, y) <= 1 or x.startswith(y) or y.startswith(x):
        return 0.8
    if same_premises(a, b):
        return 0.8
    return 0.0


def _other_country(a, b):
    return a.country_code and b.country_code and a.country_code != b.country_code


def zip_similarity(a, b):
    """1 the same postal code, 0.8 one slip of the keyboard, else 0 (and 0 in
    another country)."""
    if not a.zip_key or not b.zip_key:
        return None
    if _other_country(a, b):
        return 0.0
    if a.zip_key == b.zip_key:
        return 1.0
    return 0.8 if DamerauLevenshtein.distance(a.zip_key, b.zip_key) <= 1 else 0.0


def city_similarity(a, b):
    """1 the same city, its Jaro-Winkler similarity when a typo apart (from
    0.85), else 0 (and 0 in another country)."""
    if not a.city_key or not b.city_key:
        return None
    if _other_country(a, b):
        return 0.0
    if a.city_key == b.city_key:
        return 1.0
    # a space typed apart ("shoalhave nheads") is a typo like another
    similarity = JaroWinkler.similarity(a.city_key.replace(" ", ""), b.city_key.replace(" ", ""))
    return min(similarity, 0.99) if similarity >= 0.85 else 0.0


def graded_locality_similarity(a, b):
    """Postal code and city as one field (they go together: counted apart,
    one place would count twice): 1 both agree (or the one both have), 0.85
    one a typo away and the other agreeing, 0.6 only one of them agrees (a
    code mistyped beyond a slip, a suburb's name) or each is a typo away,
    else 0 (and 0 in another country)."""
    zip_level = zip_similarity(a, b)
    city_level = city_similarity(a, b)
    if zip_level is None and city_level is None:
        return None
    if _other_country(a, b):
        return 0.0
    levels = [level for level in (zip_level, city_level) if level is not None]
    if all(level == 1.0 for level in levels):
        return 1.0
    if zip_level == 1.0 and city_level is not None and city_level > 0:
        return 0.85  # a typo in the city
    if city_level == 1.0 and zip_level is not None and zip_level > 0:
        return 0.85  # a slip in the postal code
    if city_level and city_level >= 0.85 and zip_level is None:
        return 0.85
    if zip_level == 1.0:
        return 0.6  # another city name for the same code (a suburb)
    if city_level == 1.0:
        return 0.6
    if zip_level and city_level:
        return 0.6  # a slip in the postal code and a typo in the city
    return 0.0
