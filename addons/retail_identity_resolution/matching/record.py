"""The comparable view of a customer: every key computed once."""

from dataclasses import dataclass

from ..normalize import (
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
    """A customer as the matcher sees it: normalized keys, nothing else."""

    ref: object = None  # partner id, or None for an incoming customer
    is_company: bool = False
    name: str | None = None  # as typed, for explanations
    name_key: str | None = None  # normalize_name
    name_tokens: tuple = ()  # normalized tokens (accents/case/titles removed)
    phonetic_key: str | None = None
    email_key: str | None = None
    email_is_relay: bool = False  # marketplace relay address: weak evidence
    phone_key: str | None = None  # E.164
    street_key: str | None = None
    house_number: str | None = None
    zip_key: str | None = None
    city_key: str | None = None
    country_code: str | None = None


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
):
    """Return the :class:`IdentityRecord` of raw customer values.

    ``country_code`` is the address's country; ``default_country`` (the
    backend's or company's) reads national phone numbers and postal codes
    when the address has none.
    """
    country = (country_code or default_country or "").upper() or None
    tokens = name_tokens(name, is_company=is_company)
    street_key, house_number = normalize_street(street, street2)
    return IdentityRecord(
        ref=ref,
        is_company=bool(is_company),
        name=name or None,
        name_key=normalize_name(name),
        name_tokens=tokens,
        phonetic_key=phonetic_key(tokens),
        email_key=normalize_email(email),
        email_is_relay=bool(email_is_relay and email),
        phone_key=normalize_phone(phone, country),
        street_key=street_key,
        house_number=house_number,
        zip_key=normalize_zip(zip, country),
        city_key=normalize_city(city),
        country_code=(country_code or "").upper() or None,
    )
