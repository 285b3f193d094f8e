"""Sign-in and two-factor services: each change writes its audit event (views only adapt)."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from clientela.accounts import services
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db


def _events(user, verb: str) -> list[Event]:
    return list(Event.objects.filter(verb=verb, target_id=str(user.pk)).order_by("id"))


def test_it_records_a_login_and_whether_a_second_factor_was_used(personas):
    services.record_login(personas.rep, two_factor=True)
    [event] = _events(personas.rep, "login")
    assert event.actor == personas.rep and event.data == {"two_factor": True}


def test_it_records_failed_logins_of_existing_accounts_only(personas):
    services.record_failed_login(personas.rep.username, step="password")
    services.record_failed_login("nobody-here", step="password")
    assert [e.data for e in Event.objects.filter(verb="login_failed")] == [{"step": "password"}]
    assert Event.objects.get(verb="login_failed").actor is None


def test_it_turns_two_factor_on_only_with_a_valid_code_and_audits_it(personas):
    device = TOTPDevice.objects.create(user=personas.rep, name="Clientela", confirmed=False)
    stale = TOTPDevice.objects.create(user=personas.rep, name="old", confirmed=False)
    wrong = (totp(device.bin_key) + 1) % 1_000_000
    assert services.confirm_totp(personas.rep, device_id=device.pk, token=f"{wrong:06d}") is None
    assert not _events(personas.rep, "updated")
    # django-otp throttles after a wrong code; the next try here is a later, separate attempt.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    confirmed = services.confirm_totp(
        personas.rep, device_id=device.pk, token=f"{totp(device.bin_key):06d}"
    )
    assert confirmed is not None and confirmed.confirmed
    assert not TOTPDevice.objects.filter(pk=stale.pk).exists()
    [event] = _events(personas.rep, "updated")
    assert event.data == {"changes": {"two_factor": [False, True]}}
    # Another user's device cannot be confirmed through this user.
    other = TOTPDevice.objects.create(user=personas.rep2, name="x", confirmed=False)
    token = f"{totp(other.bin_key):06d}"
    assert services.confirm_totp(personas.rep, device_id=other.pk, token=token) is None


def test_it_turns_two_factor_off_and_audits_it_once(personas):
    TOTPDevice.objects.create(user=personas.rep, name="Clientela", confirmed=True)
    assert services.disable_totp(personas.rep) is True
    assert services.disable_totp(personas.rep) is False  # already off: nothing to audit
    [event] = _events(personas.rep, "updated")
    assert event.data == {"changes": {"two_factor": [True, False]}}
