"""E-mail and phone normalisation: the shortcut for plain addresses agrees with email-validator."""

from __future__ import annotations

import pytest
from django.utils import translation
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from clientela.contacts.normalize import (
    MAX_EMAIL_LENGTH,
    InvalidValue,
    normalize_email,
    normalize_phone,
)

ATEXT = "abcXYZ0189_!#$%&'*+-/=?^`{|}~"


def library_verdict(address: str) -> str | None:
    """What email-validator alone says: the lower-cased normalised address, or None.

    A blank cell is no address at all (""), as normalize_email has always answered.
    """
    if not address.strip():
        return ""
    try:
        return validate_email(address.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def our_verdict(address: str) -> str | None:
    normalize_email.cache_clear()
    try:
        return normalize_email(address)
    except InvalidValue:
        return None


local_parts = st.one_of(
    st.text(alphabet=ATEXT + ".", min_size=0, max_size=70),
    st.text(alphabet=ATEXT + '.ñéü "<>@()[]\\,;:', min_size=0, max_size=20),
    st.sampled_from(["postmaster", "Abuse", "maría", '"quoted"', "a..b", ".a", "a.", "José.Pérez"]),
)
# fmt: off
SAMPLE_DOMAINS = [
    "gmail.com", "Hotmail.COM", "empresa.com.co", "localhost", "mail.local", "a.test",
    "x.invalid", "ejemplo.onion", "123.456", "xn--bcher-kva.com", "bücher.com",
    "[127.0.0.1]", "correo.co.", "-bad.co", "bad-.co", "a" * 64 + ".co", "", "co",
]
# fmt: on
labels = st.text(alphabet="abcXYZ09-", min_size=0, max_size=64)
domains = st.one_of(
    st.lists(labels, min_size=1, max_size=4).map(".".join),
    st.sampled_from(SAMPLE_DOMAINS),
)


@settings(max_examples=3000, deadline=None)
@given(local=local_parts, at=st.sampled_from(["@", "@@", ""]), domain=domains)
@example(local="ana.gomez", at="@", domain="Gmail.com")
@example(local="a" * 64, at="@", domain=("b" * 60 + ".") * 3 + "co")
@example(local="x", at="@", domain="xn--bcher-kva.com")
@example(local="Postmaster", at="@", domain="empresa.com.co")
def test_normalize_email_agrees_with_email_validator(local: str, at: str, domain: str) -> None:
    address = f"{local}{at}{domain}"
    assert our_verdict(address) == library_verdict(address)


@pytest.mark.parametrize(
    ("given_value", "expected"),
    [
        ("  Ana.Gomez@Gmail.COM ", "ana.gomez@gmail.com"),
        ("Ana <ana@empresa.com.co>", None),  # display names are not addresses we store
        ("maría@bücher.com", "maría@bücher.com"),
        ("ana@xn--bcher-kva.com", "ana@bücher.com"),
        ("ana@@gmail.com", None),
        ("ana@localhost", None),
        ("a" * 250 + "@b.co", None),
    ],
)
def test_normalize_email_examples(given_value: str, expected: str | None) -> None:
    assert our_verdict(given_value) == expected


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("es", "“ana@@gmail.com” no es un correo electrónico válido."),
        ("en", "“ana@@gmail.com” is not a valid e-mail address."),
    ],
)
def test_invalid_email_message_names_the_value(language: str, message: str) -> None:
    normalize_email.cache_clear()
    with translation.override(language), pytest.raises(InvalidValue) as raised:
        normalize_email("ana@@gmail.com")
    assert str(raised.value) == message


def test_max_length_is_the_libraries() -> None:
    local = "a" * 64
    domain = ("b" * 61 + ".") * 3
    longest = f"{local}@{domain}{'c' * (MAX_EMAIL_LENGTH - len(local) - 1 - len(domain))}"
    assert len(longest) == MAX_EMAIL_LENGTH
    assert our_verdict(longest) == library_verdict(longest) == longest
    assert our_verdict(longest + "c") is None


@pytest.mark.parametrize(
    ("given_value", "region", "expected"),
    [
        ("300 123 4567", "CO", "+573001234567"),
        ("(300) 123-4567", "CO", "+573001234567"),
        ("+57 300 1234567", "MX", "+573001234567"),
        ("601 7654321", "CO", "+576017654321"),
    ],
)
def test_normalize_phone(given_value: str, region: str, expected: str) -> None:
    assert normalize_phone(given_value, region) == expected


@pytest.mark.parametrize("given_value", ["12", "300 123", "llámame"])
def test_invalid_phone_is_rejected_with_the_value(given_value: str) -> None:
    with pytest.raises(InvalidValue, match=given_value):
        normalize_phone(given_value, "CO")


@pytest.mark.parametrize(
    ("given_value", "expected", "shown"),
    [
        ("601 234 5678 ext 9", "+576012345678;ext=9", "+57 601 2345678 ext. 9"),
        ("+57 601 2345678 ext. 123", "+576012345678;ext=123", "+57 601 2345678 ext. 123"),
        ("6012345678 x 45", "+576012345678;ext=45", "+57 601 2345678 ext. 45"),
        ("+576012345678;ext=9", "+576012345678;ext=9", "+57 601 2345678 ext. 9"),
    ],
)
def test_it_keeps_a_phone_extension_and_shows_it(given_value: str, expected: str, shown: str):
    from clientela.contacts.models import Contact
    from clientela.contacts.normalize import PHONE_MAX_LENGTH, format_phone

    assert normalize_phone(given_value, "CO") == expected
    assert format_phone(expected) == shown
    assert Contact._meta.get_field("phone").max_length == PHONE_MAX_LENGTH


def test_it_refuses_an_extension_longer_than_nine_digits() -> None:
    with translation.override("en"), pytest.raises(InvalidValue, match="at most 9 digits"):
        normalize_phone("601 234 5678 ext 1234567890", "CO")
    with translation.override("es"), pytest.raises(InvalidValue, match="máximo 9 dígitos"):
        normalize_phone("601 234 5678 ext 1234567890", "CO")
    # The longest number with the longest extension fits the column.
    from clientela.contacts.normalize import PHONE_MAX_LENGTH

    assert len("+" + "9" * 15 + ";ext=" + "9" * 9) == PHONE_MAX_LENGTH
