"""Normalization of the identifiers customers are matched on.

Pure functions: the same person typed two ways must give the same key.
"""

import csv
import functools
import re
import unicodedata
from pathlib import Path

import jellyfish
import phonenumbers

# Words that don't tell people apart.
NAME_TITLES = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "m", "mme", "mlle", "herr", "frau", "sr", "sra"}
)

# Providers that ignore dots in the local part and everything after a '+'.
DOT_INSENSITIVE_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
PLUS_TAG_DOMAINS = frozenset(
    {"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "icloud.com", "fastmail.com"}
)
DOMAIN_ALIASES = {"googlemail.com": "gmail.com"}


def normalize_email(email, provider_rules=True):
    """Return the matching key of an email address, or ``None``.

    Case and surrounding spaces never matter; with ``provider_rules``, Gmail
    dots and ``+tags`` of providers that ignore them are dropped too.
    """
    if not email:
        return None
    email = email.strip().lower()
    local, sep, domain = email.rpartition("@")
    if not sep or not local or "." not in domain:
        return None
    domain = domain.rstrip(".")
    if provider_rules:
        domain = DOMAIN_ALIASES.get(domain, domain)
        if domain in PLUS_TAG_DOMAINS:
            local = local.split("+", 1)[0]
        if domain in DOT_INSENSITIVE_DOMAINS:
            local = local.replace(".", "")
    return f"{local}@{domain}" if local else None


def normalize_phone(phone, default_country=None):
    """Return ``phone`` in E.164 (``+33612345678``), or ``None`` if it is not
    a possible number. ``default_country`` (ISO alpha-2) reads national
    numbers."""
    if not phone:
        return None
    try:
        number = phonenumbers.parse(phone, (default_country or "").upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_name(name):
    """Return the matching key of a person's name, or ``None``.

    Accents, case, punctuation, titles and word order don't matter:
    "Dr. Ada LOVELACE" and "lovelace, ada" give the same key.
    """
    if not name:
        return None
    text = unicodedata.normalize("NFKD", name)
    text = "".join(char for char in text if not unicodedata.combining(char)).casefold()
    words = [w for w in re.split(r"[^\w]+", text) if w and w not in NAME_TITLES]
    return " ".join(sorted(words)) or None


# --- Names: tokens, nicknames, phonetic key -----------------------------------

# Legal forms dropped from company names: "ACME SARL" is "Acme".
COMPANY_LEGAL_FORMS = frozenset(
    {
        "sa", "sas", "sasu", "sarl", "eurl", "sci", "gmbh", "ag", "kg", "ug", "ltd", "llc",
        "inc", "corp", "co", "plc", "bv", "nv", "srl", "spa", "sl", "oy", "ab", "as",
    }
)  # fmt: skip

NICKNAMES_FILE = Path(__file__).parent / "data" / "nicknames.csv"


def _fold(text):
    """Lower-case ``text`` without accents (NFKD, combining marks dropped)."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(char for char in text if not unicodedata.combining(char)).casefold()


def name_tokens(name, is_company=False):
    """Return the words of ``name`` as typed, folded (accents, case,
    punctuation) and without titles (or legal forms for a company)."""
    if not name:
        return ()
    dropped = COMPANY_LEGAL_FORMS if is_company else NAME_TITLES
    return tuple(w for w in re.split(r"[^\w]+", _fold(name)) if w and w not in dropped)


@functools.cache
def _nicknames():
    """``{variant: canonical}`` read once from ``data/nicknames.csv``: each
    line is a canonical given name followed by its short forms."""
    table = {}
    with NICKNAMES_FILE.open(encoding="utf-8") as handle:
        for row in csv.reader(handle):
            if not row or row[0].startswith("#"):
                continue
            canonical, *variants = (_fold(cell.strip()) for cell in row)
            for variant in variants:
                table.setdefault(variant, canonical)
    return table


def canonical_given_name(token):
    """Return the formal given name of a nickname ("bob" → "robert"), else
    the token itself."""
    return _nicknames().get(token, token)


def phonetic_key(tokens):
    """Return a sound-alike key of a name's tokens, order-free and
    nickname-free: "Bob Smyth" and "Smith, Robert" share it. ``None`` when
    nothing is left (initials only)."""
    codes = sorted(
        {jellyfish.metaphone(canonical_given_name(t)) for t in tokens if len(t) > 1 and t.isalpha()}
        - {""}
    )
    return "|".join(codes) or None


# --- Addresses -------------------------------------------------------------

# Street types and their many spellings, reduced to one word each.
STREET_TYPES = {
    "st": ("street", "strasse", "str", "st"),
    "av": ("avenue", "ave", "av", "avda", "avenida"),
    "bd": ("boulevard", "blvd", "bd", "bld", "boul"),
    "rd": ("road", "rd"),
    "dr": ("drive", "dr", "drv"),
    "ln": ("lane", "ln"),
    "ct": ("court", "ct", "crt"),
    "pl": ("place", "pl", "plaza", "platz", "plz"),
    "sq": ("square", "sq"),
    "ter": ("terrace", "tce", "terr"),
    "cres": ("crescent", "cres", "cr"),
    "cl": ("close", "cl"),
    "cct": ("circuit", "cct", "cir", "circle"),
    "hwy": ("highway", "hwy"),
    "pde": ("parade", "pde"),
    "wy": ("way", "wy"),
    "rue": ("rue", "r"),
    "ch": ("chemin", "ch", "chem"),
    "imp": ("impasse", "imp"),
    "all": ("allee", "all"),
    "qu": ("quai", "qu"),
    "rte": ("route", "rte"),
    "fg": ("faubourg", "fbg", "fg"),
    "cours": ("cours", "crs"),
    "via": ("via",),
    "calle": ("calle", "cl"),
    "weg": ("weg",),
    "gasse": ("gasse",),
}
_STREET_TYPE_OF = {}
for _canonical, _spellings in STREET_TYPES.items():
    for _spelling in _spellings:
        _STREET_TYPE_OF.setdefault(_spelling, _canonical)
# Street types glued to the name: "Hauptstraße", "Hauptstr." (German
# compounds), "Kruseplace" (a missing space) → "haupt st", "kruse pl".
_GLUED_TYPE = re.compile(
    r"(?<=\w{3})(strasse|str|street|place|avenue|crescent|circuit|terrace|drive|road|lane)$"
)
# Filler words that only some people type.
STREET_FILLERS = frozenset({"de", "du", "des", "la", "le", "les", "l", "d", "the", "of", "del"})
_HOUSE_NUMBER = re.compile(r"^(\d+)([a-z]|bis|ter|quater)?$")
# Full spellings long enough that one typo ("cerscent", "staret", "lace")
# still reads as them: typos are forgiven before the type is abbreviated.
_LONG_STREET_TYPES = {s: c for s, c in _STREET_TYPE_OF.items() if len(s) >= 5}


def _street_type(word):
    """The one spelling of a street type ``word`` is, typos included."""
    if word in _STREET_TYPE_OF:
        return _STREET_TYPE_OF[word]
    if len(word) >= 4:
        for spelling, canonical in _LONG_STREET_TYPES.items():
            if (
                abs(len(spelling) - len(word)) <= 1
                and jellyfish.damerau_levenshtein_distance(spelling, word) <= 1
            ):
                return canonical
    return word


def normalize_street(street, street2=None):
    """Return ``(street_key, house_number)`` of a postal address.

    Street types are reduced to one spelling ("Avenue"/"Ave." → "av"),
    accents, case, punctuation and filler words dropped, and the house number
    taken out wherever it is typed ("12 rue X", "rue X, 12", "Hauptstr. 5a").
    ``street2`` (flat, building) is ignored unless ``street`` is empty.
    """
    text = street or street2
    if not text:
        return None, None
    words = [w for w in re.split(r"[^\w]+", _fold(text)) if w]
    # "12b" or "12 b" / "12 bis" : one house number token
    house = None
    rest = []
    index = 0
    while index < len(words):
        word = words[index]
        match = _HOUSE_NUMBER.match(word)
        if match and house is None:
            suffix = match.group(2) or ""
            following = words[index + 1] if index + 1 < len(words) else ""
            glued = len(following) == 1 and following.isalpha() and following not in _STREET_TYPE_OF
            if not suffix and (following in {"bis", "ter", "quater"} or glued):
                suffix = following
                index += 1
            house = match.group(1).lstrip("0") + suffix[:1]
        elif not word.isdigit():
            glued = _GLUED_TYPE.search(word)
            if glued and word not in _STREET_TYPE_OF:
                rest.extend([word[: glued.start()], _STREET_TYPE_OF[glued.group(1)]])
            elif word not in STREET_FILLERS:
                rest.append(_street_type(word))
        index += 1
    return (" ".join(rest) or None), house


# Countries whose postal codes read with letters kept, in one block.
_ZIP_DIGITS = {"US": 5, "FR": 5, "DE": 5, "IT": 5, "ES": 5, "BE": 4, "AU": 4, "CH": 4, "AT": 4}


def normalize_zip(zip_code, country_code=None):
    """Return a postal code without spaces, dashes or country prefix
    ("F-75011" → "75011", "sw1a 1aa" → "SW1A1AA", US ZIP+4 cut to 5 digits).
    A code that lost its leading zero ("8001" in France) gets it back."""
    if not zip_code:
        return None
    code = re.sub(r"[\s.\-]+", "", str(zip_code)).upper()
    country = (country_code or "").upper()
    code = re.sub(r"^(?:[A-Z]{1,2})(?=\d{4,5}$)", "", code) if country != "GB" else code
    digits = _ZIP_DIGITS.get(country)
    if digits and code.isdigit():
        if len(code) == digits - 1:
            code = "0" + code
        elif country == "US" and len(code) == 9:
            code = code[:5]
    return code or None


def normalize_city(city):
    """Return a city as matched: folded, "St"/"Ste" spelled out, CEDEX and
    district numbers dropped ("ST-DENIS CEDEX 1" → "saint denis")."""
    if not city:
        return None
    words = [w for w in re.split(r"[^\w]+", _fold(city)) if w]
    spelled = {"st": "saint", "ste": "sainte", "mt": "mount", "ft": "fort"}
    words = [spelled.get(w, w) for w in words if w != "cedex" and not w.isdigit()]
    return " ".join(words) or None
