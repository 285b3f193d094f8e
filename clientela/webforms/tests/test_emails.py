"""The one place e-mails of a submission are composed: welcome and double opt-in messages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from clientela.webforms.emails import compose_submission_emails
from clientela.webforms.models import PendingConsent, Submission
from clientela.webforms.services.submitting import process_received
from clientela.webforms.tests.factories import answer, webinar_form

pytestmark = pytest.mark.django_db


def submit(lang: str) -> Submission:
    form = webinar_form(
        welcome_subject_es="Bienvenida, {{ first_name }}", welcome_body_es="Hola {{ first_name }}:\nGracias.",
        welcome_subject_en="Welcome, {{ first_name }}", welcome_body_en="Hi {{ first_name }},\nThanks.",
    )  # fmt: skip
    data = answer(form, first_name="<b>Ana</b>", email="ana@example.co", language=lang,
                  **{f"consent_{form.consents.get().pk}": "1"})  # fmt: skip
    url = reverse("webforms:public", kwargs={"public_id": form.public_id})
    assert (
        Client().post(url + f"?lang={lang}", data, HTTP_ACCEPT="application/json").status_code
        == 201
    )
    assert process_received() == 1
    return Submission.objects.get()


def test_it_composes_the_welcome_and_the_confirmation_in_spanish() -> None:
    submission = submit("es")
    assert submission.contact is not None
    welcome, confirm = compose_submission_emails(
        submission, submission.contact, list(PendingConsent.objects.all())
    )
    assert welcome.kind == "welcome" and welcome.to == "ana@example.co" and welcome.language == "es"
    assert welcome.subject == "Bienvenida, <b>Ana</b>"
    assert "Hola <b>Ana</b>:" in welcome.text
    assert "&lt;b&gt;Ana&lt;/b&gt;" in welcome.html and "<b>Ana</b>" not in welcome.html
    assert confirm.kind == "confirm" and "/f/confirm/" in confirm.text
    assert "Confirme" in confirm.subject or "Confirm" in confirm.subject


def test_it_composes_them_in_english_for_an_english_contact() -> None:
    submission = submit("en")
    assert submission.contact is not None and submission.contact.language == "en"
    welcome, confirm = compose_submission_emails(
        submission, submission.contact, list(PendingConsent.objects.all())
    )
    assert welcome.subject == "Welcome, <b>Ana</b>" and welcome.language == "en"
    assert confirm.subject.startswith("Confirm your subscription")
    assert "Please confirm" in confirm.text
