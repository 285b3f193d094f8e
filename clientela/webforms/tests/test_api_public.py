"""The public form post and the inbound lead webhooks answer as the OpenAPI document says.

Each test sends exactly what the document describes (`clientela.testing.openapi` refuses a
request that does not match it) and checks the answer against the document and the status
the test expects, so the hand-written description cannot drift from the views.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from clientela.contacts.models import Contact
from clientela.testing.fake_meta import fake_graph, notification, signature
from clientela.testing.openapi import call_documented, json_body
from clientela.webforms.choices import LeadSourceKind
from clientela.webforms.inbound import signed
from clientela.webforms.models import Submission
from clientela.webforms.services.submitting import process_received
from clientela.webforms.tests.factories import LeadSourceFactory, answer, webinar_form

pytestmark = pytest.mark.django_db

FORM = "/f/{public_id}"
JSON = "application/json"
FORM_ENCODED = "application/x-www-form-urlencoded"


def test_the_documented_json_post_answers_201_with_the_reference() -> None:
    form = webinar_form()
    response = call_documented(
        "POST", FORM, path_parameters={"public_id": form.public_id},
        headers={"Accept": JSON}, media_type=JSON,
        body=answer(form, first_name="Ana", email="ana@example.co", utm_source="facebook"),
    )  # fmt: skip
    assert response.status_code == 201
    submission = Submission.objects.get(reference=response.json()["reference"])
    assert submission.state == "received" and submission.contact is None  # the worker's job
    assert process_received() == 1
    submission.refresh_from_db()
    assert submission.contact is not None and submission.contact.email == "ana@example.co"


def test_the_documented_json_post_answers_400_with_field_errors_in_the_visitors_language() -> None:
    form = webinar_form()
    response = call_documented(
        "POST", FORM, path_parameters={"public_id": form.public_id},
        headers={"Accept": JSON, "Accept-Language": "en"}, media_type=JSON,
        body=answer(form, first_name="", email="not-an-address"),
    )  # fmt: skip
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["first_name"] == ["This field is required."] and "email" in errors
    assert not Submission.objects.exists()


def test_the_documented_form_post_answers_the_thank_you_page_or_the_allowed_redirect() -> None:
    form = webinar_form()
    page = call_documented(
        "POST", FORM, path_parameters={"public_id": form.public_id}, media_type=FORM_ENCODED,
        body=answer(form, first_name="Ana", email="ana@example.co"),
    )  # fmt: skip
    assert page.status_code == 200 and "Gracias" in page.text
    redirecting = webinar_form(redirect_url="https://www.example.co/gracias")
    redirect = call_documented(
        "POST", FORM, path_parameters={"public_id": redirecting.public_id},
        media_type=FORM_ENCODED, body=answer(redirecting, first_name="Eva", email="eva@example.co"),
    )  # fmt: skip
    assert redirect.status_code == 303
    assert redirect.headers["location"] == ["https://www.example.co/gracias"]
    assert process_received() == 2 and Contact.objects.count() == 2


def test_the_documented_post_to_an_unknown_form_answers_404() -> None:
    response = call_documented(
        "POST", FORM, path_parameters={"public_id": "no-such-form-0000"},
        headers={"Accept": JSON}, media_type=JSON, body={"email": "ana@example.co"},
    )  # fmt: skip
    assert response.status_code == 404 and "__all__" in response.json()["errors"]


def test_the_documented_form_post_answers_429_past_the_rate(settings: Any) -> None:
    settings.CLIENTELA = {**settings.CLIENTELA, "FORM_RATE_IP": "1/m"}
    form = webinar_form()
    statuses = [
        call_documented(
            "POST", FORM, path_parameters={"public_id": form.public_id},
            headers={"Accept": JSON}, media_type=JSON, body={"email": "x"},
        ).status_code
        for _ in range(2)
    ]  # fmt: skip
    assert statuses == [400, 429]


META = "/hooks/meta/{public_id}"


def test_the_documented_meta_handshake_answers_the_challenge_or_403() -> None:
    source = LeadSourceFactory.create()
    query = {"hub.mode": "subscribe", "hub.verify_token": source.verify_token,
             "hub.challenge": "1158201444"}  # fmt: skip
    ok = call_documented("GET", META, path_parameters={"public_id": source.public_id}, query=query)
    assert (ok.status_code, ok.text) == (200, "1158201444")
    wrong = call_documented(
        "GET", META, path_parameters={"public_id": source.public_id},
        query={**query, "hub.verify_token": "guess"},
    )  # fmt: skip
    assert wrong.status_code == 403


def test_the_documented_meta_notification_is_taken_and_a_forged_one_refused(
    settings: Any,
) -> None:
    source = LeadSourceFactory.create()
    body = json.loads(notification("900011"))  # exactly what Meta sends
    with fake_graph(access_token="EAAtoken", app_secret="meta-app-secret") as graph:
        settings.CLIENTELA = {**settings.CLIENTELA, "META_GRAPH_URL": graph.url}
        graph.add_lead("900011", {"full_name": "Laura Gómez", "email": "laura@example.co"})
        forged = call_documented(
            "POST", META, path_parameters={"public_id": source.public_id}, media_type=JSON,
            body=body, headers={"X-Hub-Signature-256": signature(json_body(body), "not-ours")},
        )  # fmt: skip
        assert forged.status_code == 403 and forged.json() == {"detail": "refused"}
        taken = call_documented(
            "POST", META, path_parameters={"public_id": source.public_id}, media_type=JSON,
            body=body,
            headers={"X-Hub-Signature-256": signature(json_body(body), "meta-app-secret")},
        )  # fmt: skip
        assert taken.status_code == 200 and taken.json() == {"received": 1}
        assert process_received() == 1
    assert Contact.objects.filter(email="laura@example.co").exists()


GOOGLE = "/hooks/google/{public_id}"


def _google_lead(key: str) -> dict[str, Any]:
    return {
        "lead_id": "TeSter-123-ABCDEFGHIJKLMNOPQRSTUVWXYZ", "google_key": key,
        "api_version": "1.0", "form_id": 40000000, "campaign_id": 20000000,
        "adgroup_id": 30000000, "creative_id": 50000000, "gcl_id": "TeSter-123", "is_test": True,
        "user_column_data": [
            {"column_name": "Full Name", "string_value": "Pedro Ruiz", "column_id": "FULL_NAME"},
            {"column_name": "User Email", "string_value": "pedro@example.co", "column_id": "EMAIL"},
            {"column_name": "¿Qué proyecto?", "string_value": "Torre Norte",
             "column_id": "QUESTION_1"},
        ],
    }  # fmt: skip


def test_the_documented_google_lead_answers_its_reference_once_and_403_for_a_wrong_key() -> None:
    source = LeadSourceFactory.create(kind=LeadSourceKind.GOOGLE)
    path = {"public_id": source.public_id}
    wrong = call_documented("POST", GOOGLE, path_parameters=path, media_type=JSON,
                            body=_google_lead("not-the-key"))  # fmt: skip
    assert wrong.status_code == 403
    first = call_documented(
        "POST", GOOGLE, path_parameters=path, media_type=JSON, body=_google_lead(source.secret)
    )
    again = call_documented(
        "POST", GOOGLE, path_parameters=path, media_type=JSON, body=_google_lead(source.secret)
    )
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() and Submission.objects.count() == 1


JSON_HOOK = "/hooks/json/{public_id}"


def test_the_documented_signed_json_lead_is_taken_and_a_stale_one_refused() -> None:
    source = LeadSourceFactory.create(
        kind=LeadSourceKind.WEBHOOK,
        mapping={"email": "contact.email", "first_name": "contact.name"},
        id_path="id",
    )
    body = {"id": "crm-77", "contact": {"email": "sol@example.co", "name": "Sol"}}
    now = int(time.time())
    path = {"public_id": source.public_id}
    stale = call_documented(
        "POST", JSON_HOOK, path_parameters=path, media_type=JSON, body=body,
        headers={"X-Clientela-Signature": signed.sign(json_body(body), source.secret, now - 600)},
    )  # fmt: skip
    assert stale.status_code == 403
    taken = call_documented(
        "POST", JSON_HOOK, path_parameters=path, media_type=JSON, body=body,
        headers={"X-Clientela-Signature": signed.sign(json_body(body), source.secret, now)},
    )  # fmt: skip
    assert taken.status_code == 200
    assert process_received() == 1
    submission = Submission.objects.get(reference=taken.json()["reference"])
    assert submission.contact is not None and submission.contact.email == "sol@example.co"


def test_the_documented_hooks_answer_404_for_an_unknown_source_and_429_past_the_rate(
    settings: Any,
) -> None:
    unknown = call_documented(
        "POST", GOOGLE, path_parameters={"public_id": "no-such-source-00"}, media_type=JSON,
        body=_google_lead("x"),
    )  # fmt: skip
    assert unknown.status_code == 404
    settings.CLIENTELA = {**settings.CLIENTELA, "HOOK_RATE_IP": "1/m"}
    source = LeadSourceFactory.create(kind=LeadSourceKind.GOOGLE)
    statuses = [
        call_documented("POST", GOOGLE, path_parameters={"public_id": source.public_id},
                        media_type=JSON, body=_google_lead("wrong")).status_code
        for _ in range(2)
    ]  # fmt: skip
    assert statuses == [403, 429]


def test_a_request_the_document_does_not_describe_is_refused_by_the_helper() -> None:
    """The helper itself: an undocumented header or a body off the schema fails the test."""
    source = LeadSourceFactory.create(kind=LeadSourceKind.GOOGLE)
    path = {"public_id": source.public_id}
    with pytest.raises(AssertionError, match="undocumented header"):
        call_documented("POST", GOOGLE, path_parameters=path, media_type=JSON,
                        body=_google_lead("k"), headers={"X-Made-Up": "1"})  # fmt: skip
    with pytest.raises(AssertionError, match="not what the document describes"):
        call_documented("POST", GOOGLE, path_parameters=path, media_type=JSON,
                        body={"google_key": "k"})  # fmt: skip
    with pytest.raises(AssertionError, match="required"):
        call_documented("POST", JSON_HOOK, path_parameters=path, media_type=JSON, body={})
