"""The activities API: list filters and paging, create and log, complete and reschedule."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from clientela.activities.models import Activity
from clientela.activities.tests.factories import ActivityFactory, build_world
from clientela.contacts.tests.factories import EnteredContactFactory
from clientela.testing.access import bearer_headers

pytestmark = pytest.mark.django_db

BASE = "/api/v1/activities"


def _send(client: Client, method: str, path: str, user: Any, body: Any = None) -> Any:
    kwargs: dict[str, Any] = {**bearer_headers(user), "HTTP_ACCEPT_LANGUAGE": "en"}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(path, **kwargs)


def test_it_lists_only_visible_activities_with_filters(client: Client, personas: Any) -> None:
    world = build_world(personas)
    body = _send(client, "get", BASE, personas.rep).json()
    ids = {item["id"] for item in body["items"]}
    assert world.task.pk in ids and world.call.pk in ids and world.other_task.pk not in ids
    open_only = _send(client, "get", f"{BASE}?state=open", personas.rep).json()
    assert [item["id"] for item in open_only["items"]] == [world.task.pk]
    calls = _send(client, "get", f"{BASE}?kind=call&contact={world.contact.pk}", personas.rep)
    assert [item["id"] for item in calls.json()["items"]] == [world.call.pk]
    hidden = _send(client, "get", f"{BASE}?contact={world.other_contact.pk}", personas.rep)
    assert hidden.json()["items"] == []


def test_it_pages_with_a_cursor(client: Client, personas: Any) -> None:
    for _ in range(5):
        ActivityFactory.create(owner=personas.rep)
    first = _send(client, "get", f"{BASE}?limit=2", personas.rep).json()
    assert first["count"] == 5 and len(first["items"]) == 2 and first["next"]
    second = _send(client, "get", first["next"], personas.rep).json()
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}


def test_it_creates_a_task_and_logs_a_call(client: Client, personas: Any) -> None:
    contact = EnteredContactFactory.create(actor=personas.rep)
    due = (timezone.now() + dt.timedelta(days=1)).isoformat()
    task = _send(client, "post", BASE, personas.rep,
                 {"subject": "Llamar dentro de 24 h", "contact": contact.pk, "due_at": due})  # fmt: skip
    assert task.status_code == 201, task.content
    assert task.json()["is_done"] is False and task.json()["owner"]["id"] == personas.rep.pk
    call = _send(client, "post", BASE, personas.rep,
                 {"kind": "call", "done": True, "contact": contact.pk, "outcome": "voicemail"})  # fmt: skip
    assert (
        call.status_code == 201 and call.json()["done_at"] and call.json()["outcome"] == "voicemail"
    )
    refused = _send(
        client, "post", BASE, personas.rep, {"kind": "task", "done": True, "subject": "x"}
    )
    assert refused.status_code == 400 and "kind" in refused.json()["errors"]


def test_it_completes_reschedules_and_refuses_a_stale_version(
    client: Client, personas: Any
) -> None:
    task = ActivityFactory.create(owner=personas.rep)
    path = f"{BASE}/{task.pk}"
    later = (timezone.now() + dt.timedelta(days=5)).replace(microsecond=0)
    moved = _send(client, "patch", path, personas.rep, {"due_at": later.isoformat(), "version": 1})
    assert moved.status_code == 200 and moved.json()["version"] == 2
    stale = _send(client, "patch", path, personas.rep, {"done": True, "version": 1})
    assert stale.status_code == 409
    done = _send(client, "patch", path, personas.rep, {"done": True, "version": 2})
    assert done.json()["is_done"] is True
    reopened = _send(client, "patch", path, personas.rep, {"done": False})
    assert reopened.json()["is_done"] is False


def test_it_refuses_giving_a_task_to_another_rep_without_the_right(
    client: Client, personas: Any
) -> None:
    refused = _send(client, "post", BASE, personas.rep, {"subject": "x", "owner": personas.rep2.pk})
    assert refused.status_code == 403
    given = _send(
        client, "post", BASE, personas.manager, {"subject": "x", "owner": personas.rep2.pk}
    )
    assert given.status_code == 201
    assert Activity.objects.get().owner == personas.rep2


def test_it_answers_hostile_input_with_400(client: Client, personas: Any) -> None:
    for body in (
        {"subject": "x", "unknown": 1},
        {"subject": "x" * 201},
        {"subject": "x", "duration_minutes": -1},
        {"subject": "x", "contact": 10**30},
        {"subject": "x", "due_at": "mañana"},
        {"kind": "fax", "subject": "x"},
    ):
        assert _send(client, "post", BASE, personas.rep, body).status_code == 400, body
    assert _send(client, "get", f"{BASE}?owner=-1", personas.rep).status_code == 400
    assert not Activity.objects.exists()
