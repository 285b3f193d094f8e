"""Inbound leads end to end: Meta against a local Graph API, Google, the signed JSON webhook."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clientela.contacts.models import Contact
from clientela.testing.fake_meta import fake_graph, notification, signature
from clientela.webforms.choices import ContactTarget, LeadSourceKind, SubmissionState
from clientela.webforms.inbound import signed
from clientela.webforms.models import LeadSource, Submission
from clientela.webforms.services.submitting import process_received
from clientela.webforms.tests.factories import FormFieldFactory, LeadSourceFactory

pytestmark = pytest.mark.django_db


def _url(source: LeadSource) -> str:
    name = {"meta": "hook_meta", "google": "hook_google", "webhook": "hook_json"}[source.kind]
    return reverse(f"webforms:{name}", kwargs={"public_id": source.public_id})


def test_it_answers_metas_handshake_only_with_the_sources_verify_token() -> None:
    source = LeadSourceFactory.create()
    client = Client()
    ok = client.get(_url(source), {"hub.mode": "subscribe", "hub.challenge": "8831",
                                   "hub.verify_token": source.verify_token})  # fmt: skip
    assert (ok.status_code, ok.content) == (200, b"8831")
    bad = client.get(_url(source), {"hub.mode": "subscribe", "hub.challenge": "8831",
                                    "hub.verify_token": "guess"})  # fmt: skip
    assert bad.status_code == 403
    source.refresh_from_db()
    assert source.refused == 1


def test_a_meta_lead_is_fetched_from_the_graph_api_and_becomes_a_contact(settings: Any) -> None:
    source = LeadSourceFactory.create()
    FormFieldFactory.create(form=source.form, target=ContactTarget.LAST_NAME)
    with fake_graph(access_token="EAAtoken", app_secret="meta-app-secret") as graph:
        settings.CLIENTELA = {**settings.CLIENTELA, "META_GRAPH_URL": graph.url}
        graph.add_lead("900001", {"full_name": "Laura Gómez", "email": "laura@example.co",
                                  "city": "Medellín", "proyecto": "Torre Norte"})  # fmt: skip
        body = notification("900001")
        client = Client()
        response = client.post(
            _url(source), body, content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=signature(body, "meta-app-secret"),
        )  # fmt: skip
        assert response.status_code == 200, response.content
        # Meta retries deliveries: the same notice is the same lead.
        again = client.post(
            _url(source), body, content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=signature(body, "meta-app-secret"),
        )  # fmt: skip
        assert again.status_code == 200
        assert not graph.requests  # fetched by the worker, once
        assert process_received() == 1
        assert len(graph.requests) == 1
    submission = Submission.objects.get()
    assert submission.state == SubmissionState.PROCESSED and submission.source == "meta"
    contact = Contact.objects.get(email="laura@example.co")
    assert (contact.first_name, contact.last_name, contact.city) == ("Laura", "Gómez", "Medellín")
    assert contact.first_utm_source == "facebook"
    assert submission.payload["_lead"]["answers"] == {"proyecto": "Torre Norte"}
    source.refresh_from_db()
    assert (source.received, source.refused) == (1, 0)


def test_a_meta_lead_waits_for_the_graph_api_and_is_retried(settings: Any) -> None:
    from clientela.webforms.services.submitting import process_submission

    source = LeadSourceFactory.create()
    with fake_graph(access_token="EAAtoken", app_secret="meta-app-secret") as graph:
        settings.CLIENTELA = {**settings.CLIENTELA, "META_GRAPH_URL": graph.url}
        graph.add_lead("900002", {"first_name": "Pablo", "email": "pablo@example.co"})
        graph.fail_next = 1
        body = notification("900002")
        Client().post(_url(source), body, content_type="application/json",
                      HTTP_X_HUB_SIGNATURE_256=signature(body, "meta-app-secret"))  # fmt: skip
        assert Submission.objects.get().state == SubmissionState.RECEIVED
        assert process_received() == 0
        submission = Submission.objects.get()
        assert submission.state == SubmissionState.FAILED and "500" in submission.error
        assert process_submission(submission.pk).state == SubmissionState.PROCESSED
    assert Contact.objects.filter(email="pablo@example.co").exists()


def test_it_refuses_a_meta_notification_signed_with_another_secret() -> None:
    source = LeadSourceFactory.create()
    body = notification("900003")
    response = Client().post(_url(source), body, content_type="application/json",
                             HTTP_X_HUB_SIGNATURE_256=signature(body, "not-ours"))  # fmt: skip
    assert response.status_code == 403 and b"signature" not in response.content
    assert not Submission.objects.exists()


def _google(source: LeadSource, key: str, lead_id: str = "lead-1") -> Any:
    body = {
        "lead_id": lead_id, "google_key": key, "api_version": "1.0", "form_id": 1,
        "campaign_id": 2, "is_test": True,
        "user_column_data": [
            {"column_id": "FULL_NAME", "string_value": "Pedro Ruiz"},
            {"column_id": "EMAIL", "string_value": "pedro@example.co"},
        ],
    }  # fmt: skip
    return Client().post(_url(source), json.dumps(body), content_type="application/json")


def test_a_google_lead_needs_the_sources_key_and_is_taken_once() -> None:
    source = LeadSourceFactory.create(kind=LeadSourceKind.GOOGLE)
    assert _google(source, "wrong").status_code == 403
    first = _google(source, source.secret)
    assert first.status_code == 200, first.content
    assert _google(source, source.secret).json() == first.json()
    assert process_received() == 1
    contact = Contact.objects.get(email="pedro@example.co")
    assert contact.first_utm_source == "google"
    assert Submission.objects.count() == 1


def test_a_signed_json_lead_is_mapped_and_stale_or_forged_ones_are_refused() -> None:
    source = LeadSourceFactory.create(
        kind=LeadSourceKind.WEBHOOK,
        mapping={"email": "person.mail", "first_name": "person.name"},
        id_path="id",
    )
    body = json.dumps({"id": "crm-1", "person": {"mail": "sol@example.co", "name": "Sol"}})
    client = Client()

    def post(header: str) -> Any:
        return client.post(_url(source), body, content_type="application/json",
                           HTTP_X_CLIENTELA_SIGNATURE=header)  # fmt: skip

    now = int(time.time())
    assert post(signed.sign(body.encode(), "other", now)).status_code == 403
    assert post(signed.sign(body.encode(), source.secret, now - 600)).status_code == 403
    assert post("").status_code == 403
    ok = post(signed.sign(body.encode(), source.secret, now))
    assert ok.status_code == 200, ok.content
    assert post(signed.sign(body.encode(), source.secret, now + 1)).status_code == 200
    assert process_received() == 1
    assert Contact.objects.filter(email="sol@example.co", first_name="Sol").count() == 1
    assert Submission.objects.count() == 1
    source.refresh_from_db()
    assert source.refused == 3


def test_unknown_paused_or_mismatched_sources_answer_404() -> None:
    meta = LeadSourceFactory.create(is_active=False)
    google = LeadSourceFactory.create(kind=LeadSourceKind.GOOGLE)
    client = Client()
    assert client.post(_url(meta), b"{}", content_type="application/json").status_code == 404
    wrong_kind = reverse("webforms:hook_meta", kwargs={"public_id": google.public_id})
    assert client.post(wrong_kind, b"{}", content_type="application/json").status_code == 404
    assert client.post("/hooks/json/x%2F..", b"{}", content_type="text/plain").status_code == 404


def test_the_source_screens_show_the_url_and_secret(client: Any, personas: Any) -> None:
    from clientela.webforms.tests.factories import webinar_form

    form = webinar_form()
    client.force_login(personas.marketer)
    response = client.post(
        reverse("webforms:source_create"),
        {"name": "Google Ads", "kind": "google", "form": form.pk, "is_active": "on"},
    )
    assert response.status_code == 302, response.content
    source = LeadSource.objects.get()
    page = client.get(reverse("webforms:source_edit", args=[source.pk])).content.decode()
    assert source.secret in page and f"/hooks/google/{source.public_id}" in page
    listing = client.get(reverse("webforms:sources"))
    assert listing.status_code == 200 and "Google Ads" in listing.content.decode()
    bad = client.post(reverse("webforms:source_edit", args=[source.pk]),
                      {"name": "", "form": form.pk, "mapping": "sin igual"})  # fmt: skip
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()


def test_it_refuses_leads_carrying_text_no_database_can_store() -> None:
    google = LeadSourceFactory.create(kind=LeadSourceKind.GOOGLE)
    assert _google(google, google.secret, lead_id="lead-\x00").status_code == 403
    source = LeadSourceFactory.create(
        kind=LeadSourceKind.WEBHOOK, mapping={"email": "email", "city": "city"}, id_path="id"
    )
    body = json.dumps({"id": "x1", "email": "a@example.co", "city": "Cali\x00"})
    header = signed.sign(body.encode(), source.secret, int(time.time()))
    response = Client().post(_url(source), body, content_type="application/json",
                             HTTP_X_CLIENTELA_SIGNATURE=header)  # fmt: skip
    assert response.status_code == 403
    assert not Submission.objects.exists()
    google.refresh_from_db()
    assert google.refused == 1
