"""Sign-in, lockout, two-factor sign-in, language persistence and session endings."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from clientela.accounts import services
from clientela.accounts.choices import AccountVerb
from clientela.accounts.models import ApiToken
from clientela.timeline.models import Event

LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def _english(client: Client) -> None:
    """Read the messages in English (the msgids); Spanish is the default."""
    client.cookies["django_language"] = "en"


def sign_in(client: Client, username: str, password: str, **extra: Any) -> Any:
    """Post the password step of the sign-in form."""
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def code_for(device: TOTPDevice, offset_steps: int = 0) -> str:
    """The 6-digit code an authenticator app shows now for this device."""
    return f"{totp(device.bin_key, step=device.step, drift=offset_steps):06d}"


def test_it_shows_the_login_page_to_anonymous_visitors(client: Client, db: Any) -> None:
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b"/i18n/setlang/" in response.content  # language switch on the public page


def test_it_sends_anonymous_visitors_to_the_login_page(client: Client, db: Any) -> None:
    response = client.get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_it_signs_in_and_records_a_login_event(client: Client, personas: Any) -> None:
    response = sign_in(client, "rep", personas.password, next="/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    assert client.session["_auth_user_id"] == str(personas.rep.pk)
    event = Event.objects.get(verb=AccountVerb.LOGIN)
    assert event.actor == personas.rep
    assert event.target_id == str(personas.rep.pk)


def test_it_ignores_a_next_url_pointing_to_another_site(client: Client, personas: Any) -> None:
    response = sign_in(client, "rep", personas.password, next="https://evil.example/")
    assert response["Location"] == reverse("core:home")


def test_it_refuses_a_wrong_password_with_a_clear_message(client: Client, personas: Any) -> None:
    response = sign_in(client, "rep", "not-the-password")
    assert response.status_code == 200
    assert "Wrong username or password. Both are case-sensitive." in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert Event.objects.filter(
        verb=AccountVerb.LOGIN_FAILED, target_id=str(personas.rep.pk)
    ).exists()


def test_it_refuses_an_inactive_account(client: Client, personas: Any) -> None:
    personas.rep.is_active = False
    personas.rep.save()
    response = sign_in(client, "rep", personas.password)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_it_requires_both_fields(client: Client, db: Any) -> None:
    response = client.post(LOGIN, {"username": "", "password": ""})
    assert response.status_code == 200
    assert response.content.decode().count("This field is required.") == 2


def test_it_locks_sign_in_after_five_failures(client: Client, personas: Any) -> None:
    for _attempt in range(4):
        assert sign_in(client, "rep", "wrong").status_code == 200
    locked = sign_in(client, "rep", "wrong")
    assert locked.status_code == 429
    assert "Sign-in temporarily locked" in locked.content.decode()
    assert "Try again in 15 minutes." in locked.content.decode()
    # Even the right password is refused while the lock lasts.
    response = sign_in(client, "rep", personas.password)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked (username + IP).
    assert sign_in(Client(), "rep2", personas.password).status_code == 302


def test_it_unlocks_after_the_cool_off(client: Client, personas: Any) -> None:
    with time_machine.travel("2026-03-01 10:00 -0500", tick=False):
        for _attempt in range(5):
            sign_in(client, "rep", "wrong")
        assert sign_in(client, "rep", personas.password).status_code == 429
    with time_machine.travel("2026-03-01 10:16 -0500", tick=False):
        assert sign_in(client, "rep", personas.password).status_code == 302


def test_it_shows_the_lockout_page_in_the_visitors_language(personas: Any) -> None:
    client = Client()
    for _attempt in range(5):
        response = sign_in(client, "rep", "wrong")
    assert response["Content-Language"] == "es"
    client = Client(REMOTE_ADDR="10.0.0.9")
    client.cookies["django_language"] = "en"
    for _attempt in range(5):
        response = sign_in(client, "rep", "wrong")
    assert response.status_code == 429
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in response.content.decode()


@pytest.fixture
def two_factor_user(personas: Any) -> tuple[Any, TOTPDevice]:
    """The rep with a confirmed authenticator device."""
    device = TOTPDevice.objects.create(user=personas.rep, name="Clientela", confirmed=True)
    return personas.rep, device


def test_it_asks_for_a_code_before_signing_in_a_two_factor_user(
    client: Client, personas: Any, two_factor_user: Any
) -> None:
    response = sign_in(client, "rep", personas.password, next="/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login_verify"))
    # Not signed in yet: protected pages still send the visitor to the login page.
    assert "_auth_user_id" not in client.session
    assert client.get("/accounts/profile/").status_code == 302
    assert not Event.objects.filter(verb=AccountVerb.LOGIN).exists()
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Enter your code" in page.content.decode()


def test_it_signs_in_with_the_right_code(
    client: Client, personas: Any, two_factor_user: Any
) -> None:
    _user, device = two_factor_user
    step = sign_in(client, "rep", personas.password, next="/accounts/profile/")
    response = client.post(step["Location"], {"otp_token": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    assert client.session["_auth_user_id"] == str(personas.rep.pk)
    assert client.session["otp_device_id"] == device.persistent_id
    assert client.get("/accounts/profile/").status_code == 200
    assert Event.objects.get(verb=AccountVerb.LOGIN).data == {"two_factor": True}


def test_it_accepts_a_code_typed_with_a_space(
    client: Client, personas: Any, two_factor_user: Any
) -> None:
    _user, device = two_factor_user
    sign_in(client, "rep", personas.password)
    code = code_for(device)
    response = client.post(
        reverse("accounts:login_verify"), {"otp_token": f"{code[:3]} {code[3:]}"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(personas.rep.pk)


def test_it_refuses_a_wrong_code(client: Client, personas: Any, two_factor_user: Any) -> None:
    _user, device = two_factor_user
    sign_in(client, "rep", personas.password)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("accounts:login_verify"), {"otp_token": wrong})
    assert response.status_code == 200
    assert "That code is not valid." in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert Event.objects.filter(verb=AccountVerb.LOGIN_FAILED, data__step="two_factor").exists()


@pytest.mark.parametrize("typed", ["", "12345", "abcdef", "1234567"])
def test_it_explains_a_malformed_code(
    client: Client, personas: Any, two_factor_user: Any, typed: str
) -> None:
    sign_in(client, "rep", personas.password)
    response = client.post(reverse("accounts:login_verify"), {"otp_token": typed})
    assert response.status_code == 200
    assert "Enter the 6-digit code from your app." in response.content.decode()


def test_it_throttles_repeated_wrong_codes(
    client: Client, personas: Any, two_factor_user: Any
) -> None:
    _user, device = two_factor_user
    with time_machine.travel("2026-03-01 10:00 -0500", tick=False):
        sign_in(client, "rep", personas.password)
        client.post(reverse("accounts:login_verify"), {"otp_token": "000000"})
        # Right away even the right code waits for the back-off to pass.
        response = client.post(reverse("accounts:login_verify"), {"otp_token": code_for(device)})
        assert "Wait a few seconds" in response.content.decode()
        assert "_auth_user_id" not in client.session
    with time_machine.travel("2026-03-01 10:00:05 -0500", tick=False):
        response = client.post(reverse("accounts:login_verify"), {"otp_token": code_for(device)})
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(personas.rep.pk)


def test_it_starts_over_after_too_many_wrong_codes(
    client: Client, personas: Any, two_factor_user: Any, settings: Any
) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    sign_in(client, "rep", personas.password)
    for _attempt in range(5):
        response = client.post(reverse("accounts:login_verify"), {"otp_token": "000000"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert client.get(reverse("accounts:login_verify")).status_code == 302


def test_it_expires_the_code_step(client: Client, personas: Any, two_factor_user: Any) -> None:
    _user, device = two_factor_user
    with time_machine.travel("2026-03-01 10:00 -0500", tick=False):
        sign_in(client, "rep", personas.password)
    with time_machine.travel("2026-03-01 10:06 -0500", tick=False):
        response = client.post(reverse("accounts:login_verify"), {"otp_token": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


def test_it_does_not_offer_the_code_step_without_a_password(client: Client, db: Any) -> None:
    response = client.get(reverse("accounts:login_verify"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")


def test_it_keeps_the_language_choice_across_sign_ins(client: Client, personas: Any) -> None:
    sign_in(client, "rep", personas.password)
    assert client.get("/accounts/profile/")["Content-Language"] == "es"
    response = client.post(
        reverse("accounts:set_language"), {"language": "en", "next": "/accounts/profile/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    assert client.get("/accounts/profile/")["Content-Language"] == "en"
    personas.rep.refresh_from_db()
    assert personas.rep.language == "en"
    # A fresh browser (no cookie) gets English as soon as the user signs in.
    other = Client()
    assert other.get(LOGIN)["Content-Language"] == "es"  # no cookie: the default
    sign_in(other, "rep", personas.password)
    assert other.get("/accounts/profile/")["Content-Language"] == "en"


def test_it_ignores_an_unknown_language(client: Client, personas: Any) -> None:
    client.force_login(personas.rep)
    response = client.post(reverse("accounts:set_language"), {"language": "fr"})
    assert response.status_code == 302
    personas.rep.refresh_from_db()
    assert personas.rep.language == "es"


def test_it_switches_the_login_page_language(db: Any) -> None:
    client = Client()
    assert client.get(LOGIN)["Content-Language"] == "es"
    response = client.post("/i18n/setlang/", {"language": "en", "next": LOGIN})
    assert response.status_code == 302
    page = client.get(LOGIN)
    assert page["Content-Language"] == "en"
    assert "Español" in page.content.decode()  # offers the way back


def test_it_ends_other_sessions_when_the_password_changes(client: Client, personas: Any) -> None:
    laptop, phone = client, Client()
    sign_in(laptop, "rep", personas.password)
    sign_in(phone, "rep", personas.password)
    assert phone.get("/accounts/profile/").status_code == 200
    response = laptop.post(
        reverse("accounts:password_change"),
        {
            "old_password": personas.password,
            "new_password": "Otra-clave-muy-larga-2026",
            "new_password_again": "Otra-clave-muy-larga-2026",
        },
    )
    assert response.status_code == 302
    assert laptop.get("/accounts/profile/").status_code == 200  # this session stays
    stale = phone.get("/accounts/profile/")
    assert stale.status_code == 302
    assert stale["Location"].startswith(LOGIN)


def test_it_ends_the_session_and_tokens_of_a_deactivated_user(
    client: Client, personas: Any
) -> None:
    sign_in(client, "rep", personas.password)
    token, _raw = services.create_token(personas.rep, actor=personas.rep)
    assert client.get("/accounts/profile/").status_code == 200
    admin = Client()
    admin.force_login(personas.admin)
    response = admin.post(
        reverse("accounts:user_edit", args=[personas.rep.pk]),
        {
            "first_name": "Rep",
            "role": personas.roles["comercial"].pk,
            "language": "es",
            # is_active left unchecked: deactivate
        },
    )
    assert response.status_code == 302
    after = client.get("/accounts/profile/")
    assert after.status_code == 302
    assert after["Location"].startswith(LOGIN)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


def test_it_signs_out_by_post(client: Client, personas: Any) -> None:
    client.force_login(personas.rep)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
