"""The builder and submissions screens: building a form, pinned query counts, retries, the
export, and hostile values rendered inert on every screen a rep sees."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clientela.core.testing import client_for
from clientela.timeline.models import Event
from clientela.webforms.choices import FormStatus, SubmissionState
from clientela.webforms.models import Form, FormField, Submission
from clientela.webforms.services.submitting import process_received
from clientela.webforms.tests.factories import (
    FormFactory,
    SubmissionFactory,
    answer,
    webinar_form,
)

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&"


def test_it_builds_and_publishes_a_form_on_screen(client: Client, personas: Any) -> None:
    web = client_for(client, personas.marketer)
    response = web.post(reverse("webforms:create"), {"name": "Webinar", "language": "es"})
    form = Form.objects.get()
    assert response.status_code == 302 and form.status == FormStatus.DRAFT
    refused = web.post(reverse("webforms:status", args=[form.pk]), {"status": "published"})
    assert refused.status_code == 302
    form.refresh_from_db()
    assert form.status == FormStatus.DRAFT  # no e-mail or phone field yet
    for target in ("first_name", "email"):
        web.post(
            reverse("webforms:field_add", args=[form.pk]),
            {"kind": "contact", "target": target, "required": "on"},
        )
    email = FormField.objects.get(form=form, target="email")
    web.post(reverse("webforms:field_move", args=[form.pk, email.pk]), {"direction": "up"})
    assert list(form.fields.order_by("position").values_list("target", flat=True)) == [
        "email",
        "first_name",
    ]
    web.post(reverse("webforms:status", args=[form.pk]), {"status": "published"})
    form.refresh_from_db()
    assert form.status == FormStatus.PUBLISHED
    detail = web.get(reverse("webforms:detail", args=[form.pk])).content.decode()
    assert f"/f/{form.public_id}/embed.js" in detail and "?embed=1" in detail
    preview_en = web.get(reverse("webforms:preview", args=[form.pk]) + "?lang=en").content.decode()
    assert "Send" in preview_en and 'lang="en"' in preview_en


def test_it_refuses_a_redirect_outside_the_allow_list(client: Client, personas: Any) -> None:
    form = FormFactory.create()
    web = client_for(client, personas.admin)
    data = {"name": form.name, "language": "es", "lifecycle_stage": "lead", "contact_source": "form",
            "redirect_url": "https://evil.example/phish"}  # fmt: skip
    response = web.post(reverse("webforms:edit", args=[form.pk]), data)
    assert response.status_code == 400 and "www.example.co" in response.content.decode()
    form.refresh_from_db()
    assert form.redirect_url == ""
    data["redirect_url"] = "https://www.example.co/gracias"
    assert web.post(reverse("webforms:edit", args=[form.pk]), data).status_code == 302


def test_the_form_list_pins_its_queries(
    client: Client, personas: Any, django_assert_num_queries: Any
) -> None:
    for _ in range(3):
        SubmissionFactory.create(form=webinar_form())
    web = client_for(client, personas.marketer)
    web.get(reverse("webforms:list"))
    with django_assert_num_queries(4):
        assert web.get(reverse("webforms:list")).status_code == 200
    for _ in range(3):
        webinar_form()
    with django_assert_num_queries(4):
        assert web.get(reverse("webforms:list")).status_code == 200


def test_the_submission_list_pins_its_queries(
    client: Client, personas: Any, django_assert_num_queries: Any
) -> None:
    form = webinar_form()
    for _ in range(5):
        SubmissionFactory.create(form=form)
    web = client_for(client, personas.marketer)
    url = reverse("webforms:submissions", args=[form.pk])
    web.get(url)
    with django_assert_num_queries(5):
        assert web.get(url).status_code == 200
    for _ in range(5):
        SubmissionFactory.create(form=form)
    with django_assert_num_queries(5):
        assert web.get(url + "?state=received").status_code == 200


def test_it_retries_a_failed_submission_from_its_screen(client: Client, personas: Any) -> None:
    form = webinar_form()
    submission = SubmissionFactory.create(
        form=form, state=SubmissionState.FAILED, attempts=1, error="boom",
        payload={"first_name": "Ana", "email": "ana@example.co"},
    )  # fmt: skip
    web = client_for(client, personas.admin)
    listing = web.get(reverse("webforms:submissions", args=[form.pk]) + "?state=failed")
    assert "boom" in listing.content.decode()
    web.post(reverse("webforms:submission", args=[form.pk, submission.pk]))
    submission.refresh_from_db()
    assert submission.state == SubmissionState.PROCESSED and submission.contact is not None
    assert Event.objects.filter(verb="submission_retried").exists()


def test_it_exports_the_submissions_with_an_audit_event(client: Client, personas: Any) -> None:
    form = webinar_form()
    SubmissionFactory.create(form=form, payload={"first_name": '=HYPERLINK("x")'})
    web = client_for(client, personas.marketer)
    response = web.get(reverse("webforms:submission_export", args=[form.pk, "csv"]))
    body = (
        b"".join(response.streaming_content).decode()
        if response.streaming
        else response.content.decode()
    )
    assert response.status_code == 200 and "HYPERLINK" in body
    assert Event.objects.filter(verb="exported").count() == 1


def test_it_renders_hostile_values_inert_on_every_screen(client: Client, personas: Any) -> None:
    form = webinar_form(name=XSS, thank_you_es=XSS)
    FormField.objects.filter(form=form, target="first_name").update(label_es=XSS, help_es=XSS)
    payload = answer(
        form, first_name=XSS, email="ana@example.co", city=XSS, utm_source=XSS,
        product=XSS, _page=XSS,
    )  # fmt: skip
    public = reverse("webforms:public", kwargs={"public_id": form.public_id})
    assert (
        Client().post(public, json.dumps(payload), content_type="application/json").status_code
        == 201
    )
    assert process_received() == 1
    submission = Submission.objects.get()
    assert submission.contact is not None
    web = client_for(client, personas.admin)
    pages = [
        reverse("webforms:list"),
        reverse("webforms:detail", args=[form.pk]),
        reverse("webforms:preview", args=[form.pk]),
        reverse("webforms:submissions", args=[form.pk]),
        reverse("webforms:submission", args=[form.pk, submission.pk]),
        reverse("contacts:contact_detail", args=[submission.contact.pk]),
    ]
    for url in pages:
        body = web.get(url).content.decode()
        assert "<script>alert(1)" not in body, url
        assert "<img src=x onerror" not in body, url
    assert "<script>alert(1)" not in Client().get(public).content.decode()
    thanks = Client().post(public, answer(form, first_name="Eva", email="eva@example.co"))
    assert "<script>alert(1)" not in thanks.content.decode()
