"""The board and the move API read what they show in a fixed number of queries."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clientela.activities.models import Activity
from clientela.deals.choices import StageKind
from clientela.deals.models import Deal, StageHistory
from clientela.deals.stage_rules import add_stage_rule
from clientela.deals.tests.factories import DealFactory, build_world
from clientela.deals.tests.test_api import DEALS
from clientela.deals.tests.test_views import signed_in
from clientela.testing.access import bearer_headers
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db

# Besides the cards (see `_card_queries`): session, user, role; the pipeline tabs (the board's
# pipeline found among them); the filters' owners, tags, custom fields and products; the
# stages; the GROUP BY; the lost reasons.
BOARD_QUERIES = 11
# Token; the deal with its contact, company, owner, stage, repeat-sale flag and whether its
# pipeline is open to the reader; the stage with its pipeline and whether it has rules (the
# three compiled once per process); then, in the transaction: the lock, the stay closed, the
# stay opened, the deal, its event and its contact's segment mark.
MOVE_QUERIES = 9


def _card_queries(columns: int) -> int:
    """The first cards of every column: one UNION ALL on PostgreSQL, one each on SQLite."""
    return 1 if connection.features.supports_slicing_ordering_in_compound else columns


def _statements(captured: CaptureQueriesContext) -> list[str]:
    # Savepoints are the test's transaction around the move's, not the move's own work.
    return [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]


@pytest.mark.parametrize("role", ["manager", "rep"])
def test_the_board_reads_every_column_in_a_fixed_number_of_queries(
    client: Client, personas: Any, role: str
) -> None:
    world = build_world(personas)
    open_stages = list(world.pipeline.stages.filter(kind=StageKind.OPEN))
    for stage in open_stages:
        for _ in range(3):
            DealFactory.create(owner=personas.rep, pipeline=world.pipeline, stage=stage)
    signed_in(client, getattr(personas, role))
    url = reverse("deals:pipeline_board", args=[world.pipeline.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        page = client.get(url)
    filled = [c for c in page.context["columns"] if c.count]
    assert len(filled) == len(open_stages)
    assert all(len(c.cards) == c.count for c in filled)  # every card came back, in its column
    assert all(card.stage_id == c.stage.pk for c in filled for card in c.cards)
    assert len(captured) == BOARD_QUERIES + _card_queries(len(filled)), [
        q["sql"][:120] for q in captured.captured_queries
    ]


def test_a_move_through_the_api_is_a_fixed_number_of_queries(client: Client, personas: Any) -> None:
    world = build_world(personas)
    url = f"{DEALS}/{world.deal.pk}/move"
    headers: dict[str, Any] = {**bearer_headers(personas.rep), "HTTP_ACCEPT_LANGUAGE": "en"}

    def move(stage: int) -> Any:
        body = json.dumps({"stage": stage})
        return client.post(url, data=body, content_type="application/json", **headers)

    assert move(world.deal.stage_id).status_code == 200  # nothing moves; the token is used
    with CaptureQueriesContext(connection) as captured:
        moved = move(world.next_stage.pk)
    assert moved.status_code == 200, moved.content
    body = moved.json()
    assert (body["stage"]["id"], body["version"], body["repeat_sale"]) == (
        world.next_stage.pk, 2, False,
    )  # fmt: skip
    assert body["contact"] == {"id": world.contact.pk, "name": str(world.contact)}
    assert StageHistory.objects.filter(deal=world.deal, left_at__isnull=True).get().stage_id == (
        world.next_stage.pk
    )
    assert Event.objects.filter(verb="deal_moved", target_id=str(world.deal.pk)).count() == 1
    statements = _statements(captured)
    assert len(statements) == MOVE_QUERIES, statements
    assert Deal.objects.get(pk=world.deal.pk).stage_id == world.next_stage.pk


def test_a_move_through_the_api_into_a_stage_with_rules_gives_the_task(
    client: Client, personas: Any
) -> None:
    world = build_world(personas)
    add_stage_rule(
        world.next_stage, actor=personas.admin, values={"subject": "Llamar", "due_hours": 24}
    )
    headers: dict[str, Any] = {**bearer_headers(personas.manager), "HTTP_ACCEPT_LANGUAGE": "en"}
    url = f"{DEALS}/{world.deal.pk}/move"
    body = json.dumps({"stage": world.next_stage.pk})
    moved = client.post(url, data=body, content_type="application/json", **headers)
    assert moved.status_code == 200, moved.content
    task = Activity.objects.get(deal_id=world.deal.pk, subject="Llamar")
    assert task.owner_id == personas.rep.pk  # the deal's owner, though the manager moved it
    # A move to the stage it is in changes nothing and names the same stage and pipeline.
    again = client.post(url, data=body, content_type="application/json", **headers).json()
    assert (again["version"], again["stage"]["name"], again["pipeline"]["name"]) == (
        2, world.next_stage.name, world.pipeline.name,
    )  # fmt: skip
    assert Activity.objects.filter(deal_id=world.deal.pk, subject="Llamar").count() == 1
