"""The API of lead sources and routing rules: what it shows (never the secrets), what it writes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from clientela.testing.access import bearer_headers
from clientela.timeline.models import Event
from clientela.webforms.choices import AssignmentStrategy, LeadSourceKind, SourceVerb
from clientela.webforms.models import AssignmentRule, LeadSource
from clientela.webforms.services import assigning
from clientela.webforms.tests.factories import LeadSourceFactory, webinar_form

pytestmark = pytest.mark.django_db

SOURCES = "/api/v1/lead-sources"
RULES = "/api/v1/routing-rules"


def get(user: Any, url: str, **query: Any) -> Any:
    headers: dict[str, Any] = {**bearer_headers(user), "HTTP_ACCEPT_LANGUAGE": "en"}
    return Client().get(url, query, **headers)


def send(user: Any, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    headers: dict[str, Any] = {**bearer_headers(user), "HTTP_ACCEPT_LANGUAGE": "en"}
    call = getattr(Client(), method.lower())
    if body is None:
        return call(url, **headers)
    return call(url, body, content_type="application/json", **headers)


def test_it_lists_lead_sources_with_their_url_and_never_their_secrets(
    personas: Any, django_assert_num_queries: Any
) -> None:
    form = webinar_form()
    meta = LeadSourceFactory.create(name="Meta Ads", form=form)
    google = LeadSourceFactory.create(name="Google Ads", kind=LeadSourceKind.GOOGLE, form=form)
    hook = LeadSourceFactory.create(
        name="Portal inmobiliario", kind=LeadSourceKind.WEBHOOK, form=form,
        mapping={"email": "contact.email"}, id_path="id",
    )  # fmt: skip
    headers: dict[str, Any] = bearer_headers(personas.marketer)
    client = Client()
    client.get("/api/v1/me", **headers)  # notes the token's last use once
    with django_assert_num_queries(3):  # the token with its user and role; the count; the rows
        response = client.get(SOURCES, **headers)
    assert response.status_code == 200
    items = response.json()["items"]
    assert [s["name"] for s in items] == ["Google Ads", "Meta Ads", "Portal inmobiliario"]
    by_kind = {s["kind"]: s for s in items}
    assert by_kind["meta"]["hook_url"] == f"http://testserver/hooks/meta/{meta.public_id}"
    assert by_kind["google"]["hook_url"].endswith(f"/hooks/google/{google.public_id}")
    assert by_kind["webhook"]["mapping"] == {"email": "contact.email"}
    assert by_kind["webhook"]["form_id"] == form.pk
    text = response.content.decode()
    for source in (meta, google, hook):
        for secret in (source.secret, source.verify_token):
            assert secret not in text
    assert meta.app_secret not in text and meta.access_token not in text
    one = get(personas.admin, f"{SOURCES}/{hook.pk}")
    assert one.status_code == 200 and one.json()["id_path"] == "id"
    assert hook.secret not in one.content.decode()


def test_lead_sources_are_for_form_managers_only(personas: Any) -> None:
    source = LeadSourceFactory.create()
    assert get(personas.manager, SOURCES).status_code == 403
    assert get(personas.rep, f"{SOURCES}/{source.pk}").status_code == 403
    assert get(personas.admin, f"{SOURCES}/{source.pk + 100}").status_code == 404


def test_it_lists_routing_rules_in_the_order_they_are_tried(
    personas: Any, django_assert_num_queries: Any
) -> None:
    form = webinar_form()
    first = assigning.save_rule(None, actor=personas.manager, data={
        "name": "Webinar Medellín", "strategy": AssignmentStrategy.ROUND_ROBIN,
        "members": [personas.rep2.pk, personas.rep.pk], "forms": [form.public_id],
        "cities": "Medellín", "sla_hours": 4, "task_es": "Llamar ya", "task_en": "Call now",
        "fallback_owner": personas.manager.pk,
    })  # fmt: skip
    assigning.save_rule(None, actor=personas.manager, data={
        "name": "Resto", "strategy": AssignmentStrategy.FIXED, "fixed_owner": personas.rep.pk,
        "sla_hours": 24, "task_es": "Llamar", "task_en": "",
    })  # fmt: skip
    headers: dict[str, Any] = bearer_headers(personas.manager)
    client = Client()
    client.get("/api/v1/me", **headers)
    # the token with its user and role; the count; the rules with their people; the members
    with django_assert_num_queries(4):
        response = client.get(RULES, **headers)
    items = response.json()["items"]
    assert [r["name"] for r in items] == ["Webinar Medellín", "Resto"]
    rule = items[0]
    assert rule["member_ids"] == sorted([personas.rep.pk, personas.rep2.pk])
    assert rule["criteria"]["forms"] == [form.public_id]
    assert rule["criteria"]["cities"] == ["Medellín"]
    assert (rule["strategy"], rule["sla_hours"], rule["fallback_owner_id"]) == (
        "round_robin", 4, personas.manager.pk,
    )  # fmt: skip
    assert items[1]["fixed_owner_id"] == personas.rep.pk and items[1]["member_ids"] == []
    one = get(personas.admin, f"{RULES}/{first.pk}")
    assert one.status_code == 200 and one.json()["task_es"] == "Llamar ya"


def test_routing_rules_are_for_those_who_route_leads_only(personas: Any) -> None:
    rule = assigning.save_rule(None, actor=personas.manager, data={
        "name": "Todos", "strategy": AssignmentStrategy.FIXED, "fixed_owner": personas.rep.pk,
        "task_es": "Llamar",
    })  # fmt: skip
    assert get(personas.marketer, RULES).status_code == 403
    refused = get(personas.rep, f"{RULES}/{rule.pk}")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Your role cannot change lead routing."
    assert get(personas.manager, f"{RULES}/{rule.pk + 100}").status_code == 404


def test_it_creates_a_lead_source_and_shows_its_secrets_only_then(personas: Any) -> None:
    form = webinar_form()
    created = send(personas.marketer, "POST", SOURCES, {
        "name": "Portal inmobiliario", "kind": "webhook", "form_id": form.pk,
        "mapping": {"email": "lead.email", "first_name": "lead.name"}, "id_path": "lead.id",
    })  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    source = LeadSource.objects.get(pk=body["id"])
    assert (body["verify_token"], body["secret"]) == (source.verify_token, source.secret)
    assert body["hook_url"].endswith(f"/hooks/json/{source.public_id}")
    assert source.mapping == {"email": "lead.email", "first_name": "lead.name"}
    assert source.created_by == personas.marketer
    assert Event.objects.filter(target_id=source.pk, verb=SourceVerb.SAVED, via="api").count() == 1
    again = get(personas.marketer, f"{SOURCES}/{source.pk}").content.decode()
    assert source.secret not in again and source.verify_token not in again


def test_it_refuses_a_bad_lead_source_field_by_field(personas: Any) -> None:
    refused = send(personas.marketer, "POST", SOURCES, {
        "name": "", "kind": "webhook", "form_id": 999_999, "mapping": {"salary": "x"},
    })  # fmt: skip
    assert refused.status_code == 400
    fields = refused.json()["errors"]
    assert set(fields) >= {"name", "form", "mapping"}
    assert "These are not contact fields: salary." in fields["mapping"]
    assert not LeadSource.objects.exists()


def test_it_changes_a_lead_source_keeping_its_secrets_and_refusing_a_stale_version(
    personas: Any,
) -> None:
    source = LeadSourceFactory.create(name="Meta", app_secret="app-secret-1")
    url = f"{SOURCES}/{source.pk}"
    changed = send(personas.admin, "PATCH", url, {"name": "Meta Ads", "version": source.version})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["name"], changed.json()["version"]) == ("Meta Ads", source.version + 1)
    source.refresh_from_db()
    assert (source.app_secret, source.form_id) == ("app-secret-1", source.form_id)
    stale = send(personas.admin, "PATCH", url, {"is_active": False, "version": 1})
    assert stale.status_code == 409
    source.refresh_from_db()
    assert source.is_active
    unchanged = send(personas.admin, "PATCH", url, {})
    assert unchanged.json()["version"] == source.version  # nothing sent: no new version


def test_it_deletes_a_lead_source_and_refuses_those_who_may_not(personas: Any) -> None:
    source = LeadSourceFactory.create()
    url = f"{SOURCES}/{source.pk}"
    assert send(personas.manager, "DELETE", url).status_code == 403
    assert send(personas.rep, "PATCH", url, {"name": "x"}).status_code == 403
    assert send(personas.rep, "POST", SOURCES, {
        "name": "x", "kind": "google", "form_id": source.form_id,
    }).status_code == 403  # fmt: skip
    assert send(personas.marketer, "DELETE", url).status_code == 204
    assert not LeadSource.objects.filter(pk=source.pk).exists()
    assert send(personas.marketer, "DELETE", url).status_code == 404


def test_it_creates_changes_moves_and_deletes_routing_rules(personas: Any) -> None:
    form = webinar_form()
    first = send(personas.manager, "POST", RULES, {
        "name": "Webinar", "member_ids": [personas.rep.pk, personas.rep2.pk],
        "criteria": {"forms": [form.public_id], "countries": ["co"]}, "sla_hours": 2,
        "task_es": "Llamar ya",
    })  # fmt: skip
    assert first.status_code == 201, first.content
    rule = first.json()
    assert rule["strategy"] == "round_robin" and rule["position"] == 1
    assert rule["criteria"] == {"forms": [form.public_id], "countries": ["CO"]}
    assert rule["member_ids"] == sorted([personas.rep.pk, personas.rep2.pk])
    second = send(personas.admin, "POST", RULES, {
        "name": "Resto", "strategy": "fixed", "fixed_owner_id": personas.rep.pk,
        "task_en": "Call",
    }).json()  # fmt: skip
    assert second["position"] == 2

    url = f"{RULES}/{rule['id']}"
    changed = send(personas.manager, "PATCH", url, {"sla_hours": 8, "version": rule["version"]})
    assert changed.status_code == 200, changed.content
    after = changed.json()
    assert (after["sla_hours"], after["name"], after["member_ids"]) == (
        8, "Webinar", rule["member_ids"],
    )  # fmt: skip
    assert after["criteria"] == rule["criteria"]  # what was not sent stays
    assert send(personas.manager, "PATCH", url, {"name": "x", "version": 1}).status_code == 409

    moved = send(personas.manager, "POST", f"{RULES}/{second['id']}/move", {"direction": "up"})
    assert moved.status_code == 200
    assert [r["name"] for r in moved.json()["items"]] == ["Resto", "Webinar"]

    assert send(personas.manager, "DELETE", url).status_code == 204
    assert list(AssignmentRule.objects.values_list("name", flat=True)) == ["Resto"]


def test_it_refuses_a_bad_routing_rule_field_by_field(personas: Any) -> None:
    refused = send(personas.manager, "POST", RULES, {
        "name": "Webinar", "member_ids": [], "sla_hours": 0, "criteria": {"planets": ["Mars"]},
    })  # fmt: skip
    assert refused.status_code == 400
    assert refused.json()["errors"]["criteria"] == ["These are not routing criteria: planets."]
    refused = send(personas.manager, "POST", RULES, {"name": "", "sla_hours": 0})
    fields = refused.json()["errors"]
    assert set(fields) >= {"name", "members", "sla_hours", "task_es"}
    assert send(personas.marketer, "POST", RULES, {"name": "x"}).status_code == 403
    assert not AssignmentRule.objects.exists()
