"""Pure normalisation of contact data: e-mail, phone (E.164), names and search keys."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import phonenumbers
from django.utils.translation import gettext as _
from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import DOT_ATOM_TEXT


class InvalidValue(ValueError):
    """A value that cannot be normalised; the message is shown to the user."""


# The longest address RFC 5321 lets through (what email-validator enforces).
MAX_EMAIL_LENGTH = 254


@lru_cache(maxsize=65536)
def normalize_email(value: str) -> str:
    """Validate an e-mail address (syntax only, no DNS) and return its normalised form.

    Most addresses are plain ASCII `local@domain` whose local part is an RFC 5322 dot-atom
    (email-validator's own pattern): for those the library's verdict depends only on the
    domain, so the domain is validated once (cached) and the address is put together here.
    Every other address — quoted, internationalised, with a display name, IDNA, too long —
    goes through the full `validate_email`.
    """
    value = value.strip()
    if not value:
        return ""
    local, at, domain = value.rpartition("@")
    if at and len(value) <= MAX_EMAIL_LENGTH and value.isascii() and DOT_ATOM_TEXT.match(local):
        normalized_domain = _email_domain(domain)
        if normalized_domain is not None and normalized_domain == domain.lower():
            return f"{local}@{normalized_domain}".lower()
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidValue(
            _("“%(value)s” is not a valid e-mail address.") % {"value": value}
        ) from exc
    # Domains are case-insensitive; local parts technically are not, but every mailbox
    # provider our users meet treats them so, and dedupe needs one spelling.
    return result.normalized.lower()


@lru_cache(maxsize=4096)
def _email_domain(domain: str) -> str | None:
    """email-validator's normalised form of an address's domain, or None if it rejects it."""
    try:
        return validate_email(f"a@{domain}", check_deliverability=False).domain
    except EmailNotValidError:
        return None


# E.164 ("+" and at most 15 digits) and an extension of at most 9 digits (";ext=123456789").
PHONE_MAX_LENGTH = 30
EXTENSION_MAX_DIGITS = 9


@lru_cache(maxsize=65536)
def normalize_phone(value: str, region: str = "CO") -> str:
    """Parse a phone number written any usual way and return it in E.164 (+573001234567).

    An extension ("601 234 5678 ext 9", "x 45") is kept in RFC 3966's syntax
    (+576012345678;ext=9): a switchboard number without it does not reach the person.
    """
    value = value.strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidValue(_("“%(value)s” is not a phone number.") % {"value": value}) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidValue(
            _("“%(value)s” is not a valid phone number for %(region)s.")
            % {"value": value, "region": phonenumbers.region_code_for_number(number) or region}
        )
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not number.extension:
        return e164
    if len(number.extension) > EXTENSION_MAX_DIGITS:
        raise InvalidValue(
            _("“%(value)s”: an extension has at most %(digits)s digits.")
            % {"value": value, "digits": EXTENSION_MAX_DIGITS}
        )
    return f"{e164};ext={number.extension}"


def format_phone(e164: str) -> str:
    """Show an E.164 number in international format for people (+57 300 1234567 ext. 9)."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def clean_name(value: str) -> str:
    """Trim and collapse inner whitespace of a name as typed."""
    return " ".join(value.split())


def fold(value: str) -> str:
    """Lower-case without accents, for search and similarity (José → jose)."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def search_key(*parts: str) -> str:
    """Return the text kept in `search_text`: folded names, e-mail and phone digits."""
    out = []
    for part in parts:
        if part:
            out.append(fold(part))
            if part.startswith("+"):
                out.append(part[1:])
    return " ".join(out)


def name_key(first_name: str, last_name: str) -> str:
    """Return a comparison key for duplicate detection: folded name tokens in sorted order."""
    return " ".join(sorted(fold(f"{first_name} {last_name}").split()))
