"""Normalization of the identifiers customers are matched on.

Pure functions: the same person typed two ways must give the same key.
"""

import re
import unicodedata

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
