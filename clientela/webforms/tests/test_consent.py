"""Double opt-in: the pending consent becomes active on the confirmation click, with its proof;
tampered and expired links are refused; a second click changes nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clientela.contacts.choices import ConsentStatus
from clientela.contacts.models import Consent
from clientela.webforms import services
from clientela.webforms.models import PendingConsent
from clientela.webforms.services.submitting import process_received
from clientela.webforms.tests.factories import answer, webinar_form

pytestmark = pytest.mark.django_db


def submit_with_consent() -> PendingConsent:
    form = webinar_form()
    data = answer(
        form, first_name="Ana", email="ana@example.co",
        _page="https://www.example.co/webinar", **{f"consent_{form.consents.get().pk}": "on"},
    )  # fmt: skip
    response = Client().post(
        reverse("webforms:public", kwargs={"public_id": form.public_id}), data,
        HTTP_ACCEPT="application/json", HTTP_USER_AGENT="Firefox prueba",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    assert process_received() == 1
    return PendingConsent.objects.get()


def confirm_url(token: str) -> str:
    return reverse("webforms:confirm", kwargs={"token": token})


def test_it_activates_the_consent_on_the_click_with_its_proof() -> None:
    pending = submit_with_consent()
    response = Client().get(
        confirm_url(services.confirmation_token(pending)), HTTP_USER_AGENT="Chrome clic"
    )
    assert response.status_code == 200 and "confirmada" in response.content.decode()
    latest = Consent.objects.filter(contact=pending.contact).order_by("-recorded_at", "-id").first()
    assert latest is not None and latest.status == ConsentStatus.GRANTED
    proof = json.loads(latest.proof)
    assert proof["consent_text_version"] == 1 and proof["confirm_user_agent"] == "Chrome clic"
    assert (
        proof["user_agent"] == "Firefox prueba"
        and proof["page_url"] == "https://www.example.co/webinar"
    )
    assert proof["form"] == pending.submission.form.public_id and proof["confirmed_at"]
    again = Client().get(confirm_url(services.confirmation_token(pending)))
    assert again.status_code == 200
    assert (
        Consent.objects.filter(contact=pending.contact, status=ConsentStatus.GRANTED).count() == 1
    )


def test_it_refuses_a_tampered_or_expired_link() -> None:
    pending = submit_with_consent()
    token = services.confirmation_token(pending)
    tampered = token[:-2] + ("aa" if not token.endswith("aa") else "bb")
    assert Client().get(confirm_url(tampered)).status_code == 404
    assert Client().get(confirm_url("nada")).status_code == 404
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert Client().get(confirm_url(token)).status_code == 404
    assert not Consent.objects.filter(status=ConsentStatus.GRANTED).exists()


def test_it_keeps_every_version_of_a_consent_text(personas: Any) -> None:
    form = webinar_form()
    consent = form.consents.get()
    services.update_consent(
        consent, actor=personas.marketer,
        data={"purpose": "marketing", "channel": "email", "text_es": "Nuevo texto legal."},
    )  # fmt: skip
    consent.refresh_from_db()
    assert consent.version == 2
    assert list(consent.texts.values_list("version", flat=True)) == [2, 1]
    services.update_consent(
        consent, actor=personas.marketer,
        data={"purpose": "marketing", "channel": "email", "text_es": "Nuevo texto legal.",
              "required": "on"},
    )  # fmt: skip
    consent.refresh_from_db()
    assert consent.version == 2 and consent.required


def test_it_exports_the_proof_from_the_contact_screen(personas: Any) -> None:
    from clientela.core.testing import client_for

    pending = submit_with_consent()
    Client().get(confirm_url(services.confirmation_token(pending)), HTTP_USER_AGENT="Chrome clic")
    web = client_for(Client(), personas.admin)
    card = web.get(reverse("contacts:contact_detail", args=[pending.contact_id])).content.decode()
    export_url = reverse("contacts:contact_consent_export", args=[pending.contact_id, "csv"])
    assert export_url in card
    response = web.get(export_url)
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response.status_code == 200
    assert (
        "Chrome clic" in body
        and "Firefox prueba" in body
        and "https://www.example.co/webinar" in body
    )


def test_it_keeps_a_granted_marketing_consent_when_the_person_submits_again() -> None:
    pending = submit_with_consent()
    Client().get(confirm_url(services.confirmation_token(pending)))
    form = pending.submission.form
    data = answer(form, first_name="Ana", email="ana@example.co",
                  **{f"consent_{form.consents.get().pk}": "1"})  # fmt: skip
    url = reverse("webforms:public", kwargs={"public_id": form.public_id})
    assert Client().post(url, data, HTTP_ACCEPT="application/json").status_code == 201
    assert process_received() == 1
    latest = Consent.objects.filter(contact=pending.contact).order_by("-recorded_at", "-id").first()
    assert latest is not None and latest.status == ConsentStatus.GRANTED
    assert PendingConsent.objects.count() == 1
