"""The read-only API of lead sources and routing rules: what it shows, never the secrets."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from clientela.testing.access import bearer_headers
from clientela.webforms.choices import AssignmentStrategy, LeadSourceKind
from clientela.webforms.services import assigning
from clientela.webforms.tests.factories import LeadSourceFactory, webinar_form

pytestmark = pytest.mark.django_db

SOURCES = "/api/v1/lead-sources"
RULES = "/api/v1/routing-rules"


def get(user: Any, url: str, **query: Any) -> Any:
    headers: dict[str, Any] = {**bearer_headers(user), "HTTP_ACCEPT_LANGUAGE": "en"}
    return Client().get(url, query, **headers)


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
