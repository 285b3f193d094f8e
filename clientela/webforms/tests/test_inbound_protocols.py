"""The ad platforms' protocols on their own: handshakes, signatures, payloads, the Graph fetch."""

from __future__ import annotations

import json
import time

import pytest

from clientela.testing.fake_meta import fake_graph, notification, signature
from clientela.webforms.inbound import InboundRefused, google, meta, signed


def test_it_answers_metas_handshake_only_with_the_right_verify_token() -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "vt-123", "hub.challenge": "1158201444"}
    assert meta.challenge_answer(params, "vt-123") == "1158201444"
    for wrong in ({**params, "hub.verify_token": "nope"}, {**params, "hub.mode": "x"}):
        with pytest.raises(InboundRefused):
            meta.challenge_answer(wrong, "vt-123")
    with pytest.raises(InboundRefused):
        meta.challenge_answer(params, "")


def test_it_refuses_a_notification_whose_signature_is_not_the_apps() -> None:
    body = notification("900001")
    meta.check_signature(body, signature(body, "s3cret"), "s3cret")
    for header in (signature(body, "other"), "sha1=abc", "", signature(body + b" ", "s3cret")):
        with pytest.raises(InboundRefused):
            meta.check_signature(body, header, "s3cret")


def test_it_fetches_each_notified_lead_from_the_graph_api() -> None:
    with fake_graph(access_token="EAAtoken", app_secret="s3cret") as graph:
        graph.add_lead(
            "900001",
            {
                "full_name": "Laura Gómez Díaz",
                "email": "laura@example.co",
                "phone_number": "+573001112233",
                "city": "Medellín",
                "¿qué_proyecto_le_interesa?": "Torre Norte",
            },
        )
        [notice] = meta.lead_notices(notification("900001"))
        data = meta.fetch_lead(
            notice, base_url=graph.url, access_token="EAAtoken", app_secret="s3cret"
        )
        lead = meta.read_lead(data, notice)
        assert lead.fields == {
            "first_name": "Laura",
            "last_name": "Gómez Díaz",
            "email": "laura@example.co",
            "phone": "+573001112233",
            "city": "Medellín",
        }
        assert lead.extra == {"¿qué_proyecto_le_interesa?": "Torre Norte"}
        assert lead.attribution["utm_source"] == "facebook"
        assert (lead.source, lead.external_id) == ("meta", "900001")
        with pytest.raises(InboundRefused, match="400"):
            meta.fetch_lead(notice, base_url=graph.url, access_token="bad", app_secret="s3cret")
        graph.fail_next = 1
        with pytest.raises(InboundRefused, match="500"):
            meta.fetch_lead(
                notice, base_url=graph.url, access_token="EAAtoken", app_secret="s3cret"
            )


def test_it_ignores_changes_that_are_not_leads_and_refuses_garbage() -> None:
    body = json.dumps(
        {"object": "page", "entry": [{"changes": [{"field": "feed", "value": {"x": 1}}]}]}
    ).encode()
    assert meta.lead_notices(body) == []
    for garbage in (b"", b"[]", b"{", json.dumps({"object": "user"}).encode(), b"\xff"):
        with pytest.raises(InboundRefused):
            meta.lead_notices(garbage)


def _google_body(**overrides: object) -> bytes:
    body = {
        "lead_id": "TeSter-123-ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijklmnopqrstuvwxyz-0123456789",
        "user_column_data": [
            {"column_name": "Full Name", "string_value": "Pedro Ruiz", "column_id": "FULL_NAME"},
            {"column_name": "User Email", "string_value": "pedro@example.co", "column_id": "EMAIL"},
            {"column_name": "Presupuesto", "string_value": "300M", "column_id": "BUDGET_Q"},
        ],
        "api_version": "1.0",
        "form_id": 40000000000,
        "campaign_id": 20000000000,
        "google_key": "gk-secret",
        "is_test": True,
        "gcl_id": "gclid-abc",
    }
    body.update(overrides)
    return json.dumps(body).encode()


def test_it_reads_a_google_ads_lead_only_with_the_forms_key() -> None:
    lead = google.read_webhook(_google_body(), "gk-secret")
    assert lead.fields == {"first_name": "Pedro", "last_name": "Ruiz", "email": "pedro@example.co"}
    assert lead.extra == {"Presupuesto": "300M"}
    assert lead.is_test and lead.attribution["gclid"] == "gclid-abc"
    assert "google_key" not in lead.raw
    for body, key in (
        (_google_body(google_key="other"), "gk-secret"),
        (_google_body(), ""),
        (_google_body(lead_id=""), "gk-secret"),
        (b"not json", "gk-secret"),
    ):
        with pytest.raises(InboundRefused):
            google.read_webhook(body, key)


def test_it_verifies_the_generic_webhook_signature_and_its_clock() -> None:
    body = json.dumps({"id": "crm-77", "contact": {"email": "x@example.co"}}).encode()
    now = time.time()
    header = signed.sign(body, "whsec", int(now))
    key = signed.check_signature(body, header, "whsec", now=now)
    assert len(key) == 64
    stale = signed.sign(body, "whsec", int(now) - 301)
    for wrong in (stale, signed.sign(body, "other", int(now)), "t=abc,v1=00", ""):
        with pytest.raises(InboundRefused):
            signed.check_signature(body, wrong, "whsec", now=now)
    lead = signed.read_webhook(
        body, mapping={"email": "contact.email", "city": "contact.city"}, id_path="id",
        replay_key=key,
    )  # fmt: skip
    assert (lead.fields, lead.external_id) == ({"email": "x@example.co"}, "crm-77")


def test_it_picks_values_by_dotted_path_without_tripping_on_shapes() -> None:
    doc = {"a": [{"b": "uno"}, {"b": 2}], "c": {"d": None}, "e": True}
    assert signed.pick(doc, "a.0.b") == "uno"
    assert signed.pick(doc, "a.1.b") == "2"
    for path in ("a.9.b", "c.d", "e", "a", "x.y.z", "a.b"):
        assert signed.pick(doc, path) == ""
