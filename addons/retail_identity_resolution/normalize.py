"""Normalization of the identifiers customers are matched on.

Pure functions: the same person typed two ways must give the same key.
"""

import phonenumbers

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
