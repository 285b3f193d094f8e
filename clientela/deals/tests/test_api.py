"""The pipelines and deals API: lists and filters, create with conversion, PATCH, move, 409."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from clientela.deals.models import Deal, StageHistory
from clientela.deals.tests.factories import DealFactory, build_world, stage_named
from clientela.orders import services as order_services
from clientela.testing.access import bearer_headers

pytestmark = pytest.mark.django_db

DEALS = "/api/v1/deals"


def _send(client: Client, method: str, path: str, user: Any, body: Any = None) -> Any:
    kwargs: dict[str, Any] = {**bearer_headers(user), "HTTP_ACCEPT_LANGUAGE": "en"}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(path, **kwargs)


def test_it_lists_pipelines_with_their_stages_in_order(client: Client, personas: Any) -> None:
    world = build_world(personas)
    body = _send(client, "get", "/api/v1/pipelines", personas.rep).json()
    mine = next(p for p in body if p["id"] == world.pipeline.pk)
    assert [s["name"] for s in mine["stages"]][:3] == ["Nuevo", "Agendado", "Asistió a la cita"]
    assert mine["stages"][-1]["kind"] == "lost"
    reasons = _send(client, "get", "/api/v1/pipelines/lost-reasons", personas.rep).json()
    assert {"id": world.reason.pk, "name": world.reason.name} in reasons


def test_it_lists_only_visible_deals_with_filters(client: Client, personas: Any) -> None:
    world = build_world(personas)
    body = _send(client, "get", DEALS, personas.rep).json()
    assert [item["id"] for item in body["items"]] == [world.deal.pk]
    everyone = _send(client, "get", f"{DEALS}?pipeline={world.pipeline.pk}", personas.manager)
    assert {i["id"] for i in everyone.json()["items"]} == {world.deal.pk, world.other_deal.pk}
    by_owner = _send(client, "get", f"{DEALS}?owner={personas.rep2.pk}", personas.manager).json()
    assert [i["id"] for i in by_owner["items"]] == [world.other_deal.pk]
    won = _send(client, "get", f"{DEALS}?state=won", personas.manager).json()
    assert won["items"] == []


def test_it_pins_the_query_count_of_a_list_page(client: Client, personas: Any) -> None:
    world = build_world(personas)
    nuevo = stage_named(world.pipeline, "Nuevo")
    for _ in range(3):
        DealFactory.create(
            owner=personas.rep, pipeline=world.pipeline, stage=nuevo, contact=world.contact
        )
    _send(client, "get", DEALS, personas.rep)  # warm the token and role caches
    with CaptureQueriesContext(connection) as few:
        _send(client, "get", DEALS, personas.rep)
    for _ in range(10):
        DealFactory.create(
            owner=personas.rep, pipeline=world.pipeline, stage=nuevo, contact=world.contact
        )
    with CaptureQueriesContext(connection) as many:
        body = _send(client, "get", DEALS, personas.rep).json()
    assert len(many) == len(few) and body["count"] == 14


def test_it_creates_a_deal_converted_at_the_days_rate(client: Client, personas: Any) -> None:
    world = build_world(personas)
    order_services.set_rate(actor=personas.admin, currency="USD", day="2020-01-01", rate="4000")
    answer = _send(
        client, "post", DEALS, personas.rep,
        {"title": "Lote 7", "pipeline": world.pipeline.pk, "amount": "30000.50",
         "currency": "USD", "contact": world.contact.pk, "authority": "family"},
    )  # fmt: skip
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["amount_company"], body["company_currency"]) == ("120002000.00", "COP")
    assert body["stage"]["name"] == "Nuevo" and body["authority"] == "family"


def test_it_answers_field_errors(client: Client, personas: Any) -> None:
    world = build_world(personas)
    missing_rate = _send(
        client, "post", DEALS, personas.rep,
        {"title": "Lote 7", "pipeline": world.pipeline.pk, "amount": 10, "currency": "EUR"},
    )  # fmt: skip
    assert missing_rate.status_code == 400
    assert "EUR" in missing_rate.json()["errors"]["currency"][0]
    bad = _send(
        client, "post", DEALS, personas.rep,
        {"title": "x" * 201, "pipeline": world.pipeline.pk, "amount": -1, "nope": 1},
    )  # fmt: skip
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) >= {"title", "amount", "nope"}
    lost = _send(
        client, "post", f"{DEALS}/{world.deal.pk}/move", personas.rep, {"stage": world.lost.pk}
    )
    assert lost.status_code == 400
    assert lost.json()["errors"]["lost_reason"] == ["Say why the deal was lost."]
    assert Deal.objects.count() == 2


def test_it_moves_and_answers_409_with_the_current_version(client: Client, personas: Any) -> None:
    world = build_world(personas)
    url = f"{DEALS}/{world.deal.pk}/move"
    first = _send(client, "post", url, personas.rep, {"stage": world.next_stage.pk, "version": 1})
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = _send(client, "post", url, personas.manager, {"stage": world.won.pk, "version": 1})
    assert stale.status_code == 409
    assert stale.json()["version"] == 2 and "Agendado" in stale.json()["detail"]
    lost = _send(
        client, "post", url, personas.manager,
        {"stage": world.lost.pk, "lost_reason": world.reason.pk, "version": 2},
    )  # fmt: skip
    assert lost.json()["state"] == "lost" and lost.json()["lost_reason"]["id"] == world.reason.pk
    assert StageHistory.objects.filter(deal=world.deal).count() == 3


def test_it_patches_only_the_fields_sent(client: Client, personas: Any) -> None:
    world = build_world(personas)
    url = f"{DEALS}/{world.deal.pk}"
    answer = _send(client, "patch", url, personas.rep, {"attendance": "no_show", "version": 1})
    assert answer.status_code == 200
    assert (answer.json()["attendance"], answer.json()["title"]) == ("no_show", world.deal.title)
    stale = _send(client, "patch", url, personas.rep, {"title": "Otro", "version": 1})
    assert stale.status_code == 409 and stale.json()["version"] == 2
    taken = _send(client, "patch", url, personas.rep, {"owner": personas.rep2.pk})
    assert taken.status_code == 403


def test_it_deletes_a_deal(client: Client, personas: Any) -> None:
    world = build_world(personas)
    assert _send(client, "delete", f"{DEALS}/{world.deal.pk}", personas.rep).status_code == 204
    assert not Deal.objects.filter(pk=world.deal.pk).exists()
    assert _send(client, "get", f"{DEALS}/{world.deal.pk}", personas.rep).status_code == 404
