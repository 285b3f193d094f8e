"""The public form: validation in the visitor's language, JSON or pages, anti-spam, CORS,
redirects, idempotency, and what a submission does to the contact."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clientela.contacts.choices import ConsentStatus, LifecycleStage
from clientela.contacts.models import Consent, Contact
from clientela.contacts.tests.factories import ContactFactory
from clientela.timeline.models import Event
from clientela.webforms import antispam
from clientela.webforms.choices import FormStatus, SubmissionState
from clientela.webforms.models import Form, Submission
from clientela.webforms.services.submitting import process_received
from clientela.webforms.tests.factories import answer, webinar_form

pytestmark = pytest.mark.django_db


def url(form: Form) -> str:
    return reverse("webforms:public", kwargs={"public_id": form.public_id})


def post_json(client: Client, form: Form, data: dict[str, Any], **headers: Any) -> Any:
    return client.post(
        url(form), json.dumps(data), content_type="application/json",
        HTTP_ACCEPT="application/json", **headers,
    )  # fmt: skip


def test_it_shows_the_hosted_form_in_the_visitors_language() -> None:
    form = webinar_form()
    spanish = Client().get(url(form))
    english = Client().get(url(form) + "?lang=en")
    assert spanish.status_code == 200 and "Enviar" in spanish.content.decode()
    assert "Send" in english.content.decode()
    assert 'name="_token"' in spanish.content.decode()
    assert "frame-ancestors 'none'" in spanish["Content-Security-Policy"]


def test_it_takes_the_language_from_accept_language() -> None:
    form = webinar_form()
    response = Client().get(url(form), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "Send" in response.content.decode()


def test_it_answers_field_errors_as_json_in_spanish_and_english() -> None:
    form = webinar_form()
    data = answer(form, first_name="", email="no-es-correo")
    spanish = post_json(Client(), form, data)
    assert spanish.status_code == 400
    errors = spanish.json()["errors"]
    assert errors["first_name"] == ["Este campo es obligatorio."]
    assert "email" in errors
    english = post_json(
        Client(), form, answer(form, first_name="", email="x"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.json()["errors"]["first_name"] == ["This field is required."]
    assert not Submission.objects.exists() and not Contact.objects.exists()


def test_it_rerenders_the_form_with_errors_in_place_for_a_plain_post() -> None:
    form = webinar_form()
    response = Client().post(url(form), answer(form, first_name="Ana", email="mal"))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-errors-for="email"' in body and 'value="Ana"' in body


def test_it_creates_the_contact_with_utm_consent_pending_and_timeline() -> None:
    form = webinar_form()
    data = answer(
        form, first_name="Ana", email="Ana@Example.co", phone="300 123 4567", city="Cali",
        utm_source="facebook", utm_medium="paid", utm_campaign="webinar-mayo",
        product="Torre Norte", **{f"consent_{form.consents.get().pk}": "1"},
        _page="https://www.example.co/webinar?utm_source=facebook",
    )  # fmt: skip
    response = post_json(Client(), form, data, HTTP_USER_AGENT="Mozilla/5.0 prueba")
    assert response.status_code == 201, response.content
    reference = response.json()["reference"]
    assert Submission.objects.get(reference=reference).state == SubmissionState.RECEIVED
    assert process_received() == 1
    submission = Submission.objects.get(reference=reference)
    assert submission.state == SubmissionState.PROCESSED
    contact = submission.contact
    assert contact is not None
    assert (contact.email, contact.phone, contact.city) == (
        "ana@example.co",
        "+573001234567",
        "Cali",
    )
    assert contact.first_utm_source == contact.last_utm_source == "facebook"
    assert contact.lifecycle_stage == LifecycleStage.LEAD and contact.source == "form"
    assert contact.owner_id is None and contact.created_via == "form"
    consent = Consent.objects.get(contact=contact)
    assert consent.status == ConsentStatus.PENDING
    proof = json.loads(consent.proof)
    assert proof["consent_text_version"] == 1 and proof["user_agent"] == "Mozilla/5.0 prueba"
    assert proof["page_url"].startswith("https://www.example.co/webinar")
    event = Event.objects.get(verb="form_submitted", contact_id=contact.pk)
    assert event.actor is None and event.via == "form" and event.data["form"] == form.name
    assert submission.payload["first_name"] == "Ana"  # raw, as received


def test_it_never_blanks_a_filled_field_and_keeps_the_first_touch() -> None:
    form = webinar_form()
    known = ContactFactory.create(
        first_name="Ana", email="ana@example.co", phone="+573001234567", city="Medellín",
        first_utm_source="google", lifecycle_stage=LifecycleStage.SUBSCRIBER,
    )  # fmt: skip
    known.first_touch_at = known.created_at
    known.save()
    data = answer(form, first_name="Ana María", email="ana@example.co", phone="", city="",
                  utm_source="facebook")  # fmt: skip
    assert post_json(Client(), form, data).status_code == 201
    assert process_received() == 1
    known.refresh_from_db()
    assert known.first_name == "Ana María"
    assert known.city == "Medellín" and known.phone == "+573001234567"
    assert known.first_utm_source == "google" and known.last_utm_source == "facebook"
    assert known.lifecycle_stage == LifecycleStage.LEAD
    assert Contact.objects.count() == 1


def test_it_finds_the_contact_by_phone_when_the_email_is_new() -> None:
    form = webinar_form()
    known = ContactFactory.create(email="", phone="+573001234567")
    data = answer(form, first_name="Luis", email="luis@example.co", phone="3001234567")
    assert post_json(Client(), form, data).status_code == 201
    assert process_received() == 1
    known.refresh_from_db()
    assert known.email == "luis@example.co" and Contact.objects.count() == 1


def test_it_never_moves_a_customer_back_to_lead() -> None:
    form = webinar_form()
    known = ContactFactory.create(email="eva@example.co", lifecycle_stage=LifecycleStage.CUSTOMER)
    assert (
        post_json(
            Client(), form, answer(form, first_name="Eva", email="eva@example.co")
        ).status_code
        == 201
    )
    known.refresh_from_db()
    assert known.lifecycle_stage == LifecycleStage.CUSTOMER


def test_it_makes_one_submission_and_one_contact_of_a_double_post() -> None:
    form = webinar_form()
    data = answer(form, first_name="Ana", email="ana@example.co")
    first = post_json(Client(), form, data)
    second = post_json(Client(), form, data)
    assert first.status_code == second.status_code == 201
    assert first.json()["reference"] == second.json()["reference"]
    assert process_received() == 1 and process_received() == 0
    assert Submission.objects.count() == 1 and Contact.objects.count() == 1


def test_it_refuses_the_honeypot_the_time_trap_and_a_missing_proof_of_work() -> None:
    form = webinar_form()
    base = {"first_name": "Bot", "email": "bot@example.co"}
    honeypot = answer(form, website="http://spam.example", **base)
    fast = answer(form, token=antispam.issue_render_token(form.public_id), **base)
    no_pow = {k: v for k, v in answer(form, **base).items() if k != "altcha"}
    forged = answer(form, token="forged:token", **base)
    for data in (honeypot, fast, no_pow, forged):
        response = post_json(Client(), form, data)
        assert response.status_code == 400
        assert "__all__" in response.json()["errors"]
    form.refresh_from_db()
    assert form.spam_count == 4
    assert not Submission.objects.exists() and not Contact.objects.exists()


def test_it_refuses_a_replayed_proof_of_work_for_another_rendering() -> None:
    form = webinar_form()
    first = answer(form, first_name="Ana", email="ana@example.co")
    assert post_json(Client(), form, first).status_code == 201
    replay = answer(form, first_name="Bot", email="bot@example.co", altcha=first["altcha"])
    response = post_json(Client(), form, replay)
    assert response.status_code == 400 and Submission.objects.count() == 1


def test_it_limits_the_rate_per_ip_and_per_form(settings: Any) -> None:
    settings.CLIENTELA = {**settings.CLIENTELA, "FORM_RATE_IP": "3/m"}
    form = webinar_form()
    statuses = [post_json(Client(), form, {"email": "x"}).status_code for _ in range(5)]
    assert statuses[:3] == [400, 400, 400] and statuses[3:] == [429, 429]
    other_ip = post_json(Client(REMOTE_ADDR="10.0.0.9"), form, {"email": "x"})
    assert other_ip.status_code == 400
    settings.CLIENTELA = {**settings.CLIENTELA, "FORM_RATE_IP": "1000/m", "FORM_RATE_FORM": "2/m"}
    second = webinar_form()
    statuses = [
        post_json(Client(REMOTE_ADDR=f"10.1.0.{n}"), second, {"email": "x"}).status_code
        for n in range(4)
    ]
    assert statuses == [400, 400, 429, 429]


def test_behind_a_proxy_it_limits_each_visitor_by_the_address_the_proxy_names(
    settings: Any,
) -> None:
    settings.CLIENTELA = {**settings.CLIENTELA, "FORM_RATE_IP": "2/m",
                          "CLIENT_IP_HEADER": "X-Real-IP"}  # fmt: skip
    form = webinar_form()
    proxy = Client(REMOTE_ADDR="10.0.0.1")  # every request reaches Clientela from the proxy
    first = [post_json(proxy, form, {"email": "x"}, HTTP_X_REAL_IP="203.0.113.7").status_code
             for _ in range(3)]  # fmt: skip
    second = post_json(proxy, form, {"email": "x"}, HTTP_X_REAL_IP="203.0.113.8")
    assert first == [400, 400, 429] and second.status_code == 400
    # The same visitor from a fresh connection is still over its rate.
    again = post_json(Client(REMOTE_ADDR="10.0.0.2"), form, {"email": "x"},
                      HTTP_X_REAL_IP="203.0.113.7")  # fmt: skip
    assert again.status_code == 429
    # The consent proof keeps the visitor's address, not the proxy's.
    data = answer(form, first_name="Ana", email="ana@example.co",
                  **{f"consent_{form.consents.get().pk}": "1"})  # fmt: skip
    stored = post_json(Client(REMOTE_ADDR="10.0.0.3"), form, data, HTTP_X_REAL_IP="203.0.113.9")
    assert stored.status_code == 201, stored.content
    assert process_received() == 1
    submission = Submission.objects.get(reference=stored.json()["reference"])
    assert submission.ip == "203.0.113.9"
    proof = json.loads(Consent.objects.get(contact=submission.contact).proof)
    assert proof["ip"] == "203.0.113.9"


def test_it_answers_a_preflight_only_for_allowed_origins() -> None:
    form = webinar_form(allowed_origins=["https://www.example.co"])
    allowed = Client().options(
        url(form), HTTP_ORIGIN="https://www.example.co",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )  # fmt: skip
    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == "https://www.example.co"
    other = Client().options(url(form), HTTP_ORIGIN="https://evil.example")
    assert other.status_code == 403 and "Access-Control-Allow-Origin" not in other
    response = post_json(Client(), form, {"email": "x"}, HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in response


def test_it_redirects_only_to_an_allowed_host() -> None:
    form = webinar_form(redirect_url="https://www.example.co/gracias")
    response = Client().post(url(form), answer(form, first_name="Ana", email="ana@example.co"))
    assert response.status_code == 303 and response["Location"] == "https://www.example.co/gracias"
    Form.objects.filter(pk=form.pk).update(redirect_url="https://evil.example/x")
    response = Client().post(url(form), answer(form, first_name="Eva", email="eva@example.co"))
    assert response.status_code == 200 and "Gracias" in response.content.decode()


def test_it_shows_the_thank_you_page_in_english() -> None:
    form = webinar_form()
    response = Client().post(
        url(form) + "?lang=en", answer(form, first_name="Ana", email="ana@example.co")
    )
    assert response.status_code == 200 and "Thank you! We will write" in response.content.decode()


def test_it_answers_404_for_drafts_and_unknown_forms() -> None:
    form = webinar_form(status=FormStatus.DRAFT)
    assert Client().get(url(form)).status_code == 404
    response = post_json(Client(), form, {})
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert Client().get("/f/doesnotexist12345").status_code == 404


def test_it_serves_the_embed_script_and_a_challenge() -> None:
    form = webinar_form(allowed_origins=["https://www.example.co"])
    script = Client().get(reverse("webforms:embed", kwargs={"public_id": form.public_id}))
    assert script.status_code == 200 and script["Content-Type"].startswith("text/javascript")
    text = script.content.decode()
    assert "<" not in text.split("var C = ", 1)[1].split(";\n", 1)[0]  # HTML travels escaped
    challenge = Client().get(
        reverse("webforms:altcha", kwargs={"public_id": form.public_id}),
        HTTP_ORIGIN="https://www.example.co",
    )
    assert challenge.status_code == 200 and "signature" in challenge.json()
    assert challenge["Access-Control-Allow-Origin"] == "https://www.example.co"


def test_it_frames_the_iframe_version_only_in_allowed_origins() -> None:
    form = webinar_form(allowed_origins=["https://www.example.co"])
    response = Client().get(url(form) + "?embed=1")
    assert "frame-ancestors https://www.example.co" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response
    assert f'action="{url(form)}?embed=1"' in response.content.decode()
    thanks = Client().post(
        url(form) + "?embed=1", answer(form, first_name="Ana", email="ana@example.co")
    )
    assert "frame-ancestors https://www.example.co" in thanks["Content-Security-Policy"]


def test_it_keeps_a_failed_submission_and_retries_it() -> None:
    from clientela.webforms import services

    form = webinar_form()
    submission = Submission.objects.create(form=form, payload={"email": "no-valido"})
    done = services.process_submission(submission.pk)
    assert done.state == SubmissionState.FAILED and done.attempts == 1 and "email" in done.error
    Submission.objects.filter(pk=done.pk).update(
        payload={"first_name": "Ana", "email": "ana@example.co"}
    )
    assert services.retry_failed_submissions() == 1
    done.refresh_from_db()
    assert done.state == SubmissionState.PROCESSED and done.contact is not None


def test_it_fills_a_time_trap_token_that_expired(settings: Any) -> None:
    form = webinar_form()
    old = antispam.issue_render_token(form.public_id, now=time.time() - 90000)
    response = post_json(
        Client(), form, answer(form, token=old, first_name="Ana", email="a@example.co")
    )
    assert response.status_code == 400
