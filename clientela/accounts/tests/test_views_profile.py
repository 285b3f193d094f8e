"""The profile page: language, password, two-factor set-up and API tokens."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from clientela.accounts import services
from clientela.accounts.choices import AccountVerb
from clientela.accounts.models import ApiToken
from clientela.accounts.queries import active_token
from clientela.timeline.models import Event

PROFILE = "/accounts/profile/"


@pytest.fixture
def rep_client(client: Client, personas: Any) -> Client:
    """The rep signed in, reading English (the msgids)."""
    client.force_login(personas.rep)
    client.cookies["django_language"] = "en"
    return client


def test_it_shows_the_profile_page(rep_client: Client, personas: Any) -> None:
    response = rep_client.get(PROFILE)
    assert response.status_code == 200
    text = response.content.decode()
    assert "My profile" in text
    assert "Set up two-factor sign-in" in text
    assert "You have no API tokens." in text


def test_it_saves_the_language_from_the_profile(rep_client: Client, personas: Any) -> None:
    response = rep_client.post(
        reverse("accounts:set_language"), {"language": "en", "next": PROFILE}
    )
    assert response["Location"] == PROFILE
    assert response.cookies["django_language"].value == "en"
    personas.rep.refresh_from_db()
    assert personas.rep.language == "en"


def test_it_refuses_a_wrong_current_password(rep_client: Client, personas: Any) -> None:
    response = rep_client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "nope",
            "new_password": "Otra-clave-muy-larga-2026",
            "new_password_again": "Otra-clave-muy-larga-2026",
        },
    )
    assert response.status_code == 200
    assert "Your current password is not correct." in response.content.decode()
    personas.rep.refresh_from_db()
    assert personas.rep.check_password(personas.password)


def test_it_refuses_new_passwords_that_differ(rep_client: Client, personas: Any) -> None:
    response = rep_client.post(
        reverse("accounts:password_change"),
        {
            "old_password": personas.password,
            "new_password": "Otra-clave-muy-larga-2026",
            "new_password_again": "Otra-clave-muy-larga-2027",
        },
    )
    assert "The two new passwords do not match." in response.content.decode()


def test_it_refuses_a_weak_new_password(rep_client: Client, personas: Any) -> None:
    response = rep_client.post(
        reverse("accounts:password_change"),
        {"old_password": personas.password, "new_password": "123", "new_password_again": "123"},
    )
    text = response.content.decode()
    assert "This password is too short. It must contain at least 8 characters." in text
    assert "This password is entirely numeric." in text
    personas.rep.refresh_from_db()
    assert personas.rep.check_password(personas.password)


def test_it_changes_the_password_and_records_it(rep_client: Client, personas: Any) -> None:
    response = rep_client.post(
        reverse("accounts:password_change"),
        {
            "old_password": personas.password,
            "new_password": "Otra-clave-muy-larga-2026",
            "new_password_again": "Otra-clave-muy-larga-2026",
        },
        follow=True,
    )
    assert "Your password was changed." in response.content.decode()
    personas.rep.refresh_from_db()
    assert personas.rep.check_password("Otra-clave-muy-larga-2026")
    assert Event.objects.filter(verb=AccountVerb.PASSWORD, target_id=str(personas.rep.pk)).exists()


def _secret_from(page: str) -> str:
    match = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page)
    assert match, "the set-up page shows the secret"
    return match.group(1).replace(" ", "")


def test_it_sets_up_two_factor_with_a_real_code(rep_client: Client, personas: Any) -> None:
    import base64

    page = rep_client.get(reverse("accounts:totp_setup"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "<svg" in text  # inline QR code
    secret = _secret_from(text)
    # Reloading keeps the same secret (the device is created once).
    assert _secret_from(rep_client.get(reverse("accounts:totp_setup")).content.decode()) == secret
    key = base64.b32decode(secret)
    response = rep_client.post(reverse("accounts:totp_setup"), {"otp_token": f"{totp(key):06d}"})
    assert response.status_code == 302
    device = TOTPDevice.objects.get(user=personas.rep)
    assert device.confirmed
    assert "Two-factor sign-in is on" in rep_client.get(PROFILE).content.decode()


def test_it_refuses_a_wrong_set_up_code(rep_client: Client, personas: Any) -> None:
    rep_client.get(reverse("accounts:totp_setup"))
    device = TOTPDevice.objects.get(user=personas.rep)
    wrong = f"{(totp(device.bin_key) + 1) % 1_000_000:06d}"
    response = rep_client.post(reverse("accounts:totp_setup"), {"otp_token": wrong})
    assert response.status_code == 200
    assert "That code is not valid." in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed


def test_it_turns_two_factor_off_with_the_password(rep_client: Client, personas: Any) -> None:
    TOTPDevice.objects.create(user=personas.rep, confirmed=True)
    wrong = rep_client.post(reverse("accounts:totp_disable"), {"password": "nope"})
    assert "Your current password is not correct." in wrong.content.decode()
    assert TOTPDevice.objects.filter(user=personas.rep).exists()
    response = rep_client.post(reverse("accounts:totp_disable"), {"password": personas.password})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=personas.rep).exists()


def test_it_creates_a_token_and_shows_it_once(rep_client: Client, personas: Any) -> None:
    response = rep_client.post(reverse("accounts:token_create"), {"name": "Hoja de cálculo"})
    assert response.status_code == 200
    text = response.content.decode()
    raw = re.search(r'data-testid="new-token">([^<]+)<', text)
    assert raw
    token = active_token(raw.group(1))
    assert token is not None
    assert token.user == personas.rep
    assert token.name == "Hoja de cálculo"
    # The next visit lists it without its value.
    again = rep_client.get(PROFILE).content.decode()
    assert raw.group(1) not in again
    assert token.prefix in again


def test_it_revokes_my_own_token(rep_client: Client, personas: Any) -> None:
    token, raw = services.create_token(personas.rep, actor=personas.rep)
    response = rep_client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    assert active_token(raw) is None


def test_it_hides_other_peoples_tokens(rep_client: Client, personas: Any) -> None:
    token, raw = services.create_token(personas.rep2, actor=personas.rep2)
    response = rep_client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    assert active_token(raw) is not None


def test_it_lets_an_admin_revoke_anyones_token(client: Client, personas: Any) -> None:
    token, _raw = services.create_token(personas.rep2, actor=personas.rep2)
    client.force_login(personas.admin)
    next_url = reverse("accounts:user_edit", args=[personas.rep2.pk])
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]), {"next": next_url})
    assert response["Location"] == next_url
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
