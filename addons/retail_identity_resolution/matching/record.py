"""The comparable view of a customer: every key computed once."""

from dataclasses import dataclass

import jellyfish

from ..normalize import (
    canonical_given_name,
    name_tokens,
    normalize_city,
    normalize_email,
    normalize_name,
    normalize_phone,
    normalize_street,
    normalize_zip,
    phonetic_key,
)


@dataclass(frozen=True)
class IdentityRecord:
    """A customer as the matcher sees it: normalized keys, nothing else.

    ``emails`` and ``phones`` are every email and phone the customer is known
    by (the one on the form first, then those seen before, on other channels
    or on customers merged into it): any of them agreeing is an agreement.
    """

    ref: object = None  # partner id, or None for an incoming customer
    is_company: bool = False
    name: str | None = None  # as typed, for explanations
    name_key: str | None = None  # normalize_name
    name_tokens: tuple = ()  # normalized tokens (accents/case/titles removed)
    phonetic_key: str | None = None
    name_codes: tuple = ()  # sound of each name word (blocking)
    email_key: str | None = None
    email_is_relay: bool = False  # marketplace relay address: weak evidence
    phone_key: str | None = None  # E.164
    street_key: str | None = None
    house_number: str | None = None
    street2_key: str | None = None  # the second address line, compared too
    zip_key: str | None = None
    city_key: str | None = None
    country_code: str | None = None
    emails: frozenset = frozenset()  # every real email known (email_key among them)
    phones: frozenset = frozenset()  # every phone known (phone_key among them)


def name_word_codes(tokens):
    """The sound of each word of a name (nicknames read as the formal name),
    initials left out: a key per word survives a typo in any other word."""
    return tuple(
        sorted({jellyfish.metaphone(canonical_given_name(t)) for t in tokens if len(t) > 1} - {""})
    )


def record_from_values(
    *,
    ref=None,
    is_company=False,
    name=None,
    email=None,
    phone=None,
    street=None,
    street2=None,
    zip=None,  # the partner field's name
    city=None,
    country_code=None,
    default_country=None,
    email_is_relay=False,
    known_emails=(),
    known_phones=(),
):
    """Return the :class:`IdentityRecord` of raw customer values.

    ``country_code`` is the address's country; ``default_country`` (the
    backend's or company's) reads national phone numbers and postal codes
    when the address has none. ``known_emails``/``known_phones``: normalized
    keys the customer was seen with besides the ones given.
    """
    country = (country_code or default_country or "").upper() or None
    tokens = name_tokens(name, is_company=is_company)
    street_key, house_number = normalize_street(street, street2)
    street2_key = None
    if street and street2:
        street2_key = normalize_street(street2)[0]
    email_key = normalize_email(email)
    phone_key = normalize_phone(phone, country)
    relay = bool(email_is_relay and email)
    emails = {*known_emails, *([email_key] if email_key and not relay else [])}
    phones = {*known_phones, *([phone_key] if phone_key else [])}
    return IdentityRecord(
        ref=ref,
        is_company=bool(is_company),
        name=name or None,
        name_key=normalize_name(name),
        name_tokens=tokens,
        phonetic_key=phonetic_key(tokens),
        name_codes=name_word_codes(tokens),
        email_key=email_key,
        email_is_relay=relay,
        phone_key=phone_key,
        street_key=street_key,
        house_number=house_number,
        street2_key=street2_key,
        zip_key=normalize_zip(zip, country),
        city_key=normalize_city(city),
        country_code=(country_code or "").upper() or None,
        emails=frozenset(filter(None, emails)),
        phones=frozenset(filter(None, phones)),
    )
