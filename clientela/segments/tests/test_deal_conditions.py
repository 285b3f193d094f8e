"""Segments over deals: how many, won amount, last win, open stage — and they follow the deals.

The random equivalence test holds SQL and the reference path to the same members; these say
what each condition means on a world small enough to read, and that moving a deal moves its
contact in or out of a segment through the incremental refresh.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from clientela.contacts.tests.factories import ContactFactory
from clientela.deals import services as deal_services
from clientela.deals.tests.factories import DealFactory, real_estate_pipeline, stage_named
from clientela.segments import services
from clientela.segments.engine import explain, members
from clientela.segments.models import Membership
from clientela.segments.registry import Context
from clientela.segments.tree import DefinitionError, parse

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 6, 15, 0, tzinfo=dt.UTC)


def _members(definition: dict[str, Any]) -> set[int]:
    return set(members(parse(definition), Context(now=NOW)).values_list("pk", flat=True))


def _deal(contact: Any, stage: Any, owner: Any, *, amount: str, opened: int, closed: int | None):
    return DealFactory.create(
        contact=contact,
        owner=owner,
        pipeline=stage.pipeline,
        stage=stage,
        amount=Decimal(amount),
        created_at=NOW - dt.timedelta(days=opened),
        closed_at=None if closed is None else NOW - dt.timedelta(days=closed),
    )


@pytest.fixture
def world(personas: Any) -> Any:
    lots, houses = real_estate_pipeline("Lotes"), real_estate_pipeline("Casas")
    ana, beto, carla, dora = (ContactFactory.create(first_name=n) for n in "ABCD")
    rep = personas.rep
    # Ana: won a plot 10 days ago, won a house 400 days ago, one quoted plot open.
    _deal(ana, stage_named(lots, "Cierre ganado"), rep, amount="100", opened=40, closed=10)
    _deal(ana, stage_named(houses, "Cierre ganado"), rep, amount="900", opened=500, closed=400)
    _deal(ana, stage_named(lots, "Cotizado"), rep, amount="50", opened=5, closed=None)
    # Beto: lost a plot, has an open one at the start of the funnel.
    _deal(beto, stage_named(lots, "Cierre perdido"), rep, amount="70", opened=90, closed=60)
    _deal(beto, stage_named(lots, "Nuevo"), rep, amount="30", opened=1, closed=None)
    # Carla: won a house 45 days ago.
    _deal(carla, stage_named(houses, "Cierre ganado"), rep, amount="300", opened=80, closed=45)
    # Dora: no deal at all.
    return {"lots": lots, "houses": houses, "ana": ana, "beto": beto, "carla": carla, "dora": dora}


def test_the_number_of_deals_by_pipeline_state_and_window(world: Any) -> None:
    ana, beto, carla, dora = (world[k].pk for k in ("ana", "beto", "carla", "dora"))
    lots = str(world["lots"].pk)
    assert _members({"field": "deal_count", "op": "gte", "value": 1}) == {ana, beto, carla}
    assert _members({"field": "deal_count", "op": "eq", "value": 0}) == {dora}
    assert _members({"field": "deal_count", "op": "gte", "value": 2, "pipeline": lots}) == {
        ana,
        beto,
    }
    assert _members({"field": "deal_count", "op": "gte", "value": 1, "state": "lost"}) == {beto}
    # Opened in the last 7 days: Ana's quote and Beto's new lead.
    assert _members({"field": "deal_count", "op": "gte", "value": 1, "days": 7}) == {ana, beto}
    assert _members({"field": "deal_count", "op": "between", "value": [2, 3], "state": "won"}) == {
        ana
    }


def test_the_won_amount_counts_won_deals_in_the_company_currency(world: Any) -> None:
    ana, carla = world["ana"].pk, world["carla"].pk
    assert _members({"field": "deal_won_amount", "op": "eq", "value": 1000}) == {ana}
    assert _members({"field": "deal_won_amount", "op": "gte", "value": 300}) == {ana, carla}
    # Won in the last 30 days: only Ana's plot (100); Beto's lost deal never counts.
    assert _members({"field": "deal_won_amount", "op": "gt", "value": 0, "days": 30}) == {ana}
    houses = str(world["houses"].pk)
    assert _members({"field": "deal_won_amount", "op": "lt", "value": 500, "pipeline": houses}) == {
        world["beto"].pk,
        carla,
        world["dora"].pk,
    }


def test_the_last_win_and_the_open_stage(world: Any) -> None:
    ana, beto, carla = world["ana"].pk, world["beto"].pk, world["carla"].pk
    assert _members({"field": "last_deal_won", "op": "in_last_days", "value": 30}) == {ana}
    assert _members({"field": "last_deal_won", "op": "more_than_days_ago", "value": 30}) == {carla}
    assert _members({"field": "last_deal_won", "op": "is_empty"}) == {beto, world["dora"].pk}
    quoted = str(stage_named(world["lots"], "Cotizado").pk)
    assert _members({"field": "deal_in_stage", "op": "yes", "stage": quoted}) == {ana}
    assert beto not in _members({"field": "deal_in_stage", "op": "yes", "stage": quoted})


def test_it_says_why_with_the_contacts_own_figures(world: Any) -> None:
    tree = parse(
        {
            "all": [
                {"field": "deal_won_amount", "op": "gte", "value": 500},
                {"field": "last_deal_won", "op": "in_last_days", "value": 30},
            ]
        }
    )
    why = explain(tree, world["ana"].pk, Context(now=NOW))
    assert why.matched
    assert [child.value for child in why.children] == [
        "1000.00",
        str(NOW.date() - dt.timedelta(days=10)),
    ]
    assert not explain(tree, world["carla"].pk, Context(now=NOW)).matched


def test_a_stage_or_pipeline_must_be_one_that_exists(world: Any) -> None:
    with pytest.raises(DefinitionError):
        parse({"field": "deal_in_stage", "op": "yes", "stage": "999999"})
    with pytest.raises(DefinitionError):
        parse({"field": "deal_in_stage", "op": "yes"})
    with pytest.raises(DefinitionError):
        parse({"field": "deal_count", "op": "gte", "value": 1, "pipeline": "x' OR 1=1"})


def test_moving_a_deal_moves_its_contact_through_the_segment(personas: Any) -> None:
    pipeline = real_estate_pipeline()
    contact = ContactFactory.create(owner=personas.rep)
    deal = deal_services.create_deal(
        actor=personas.rep, title="Lote 7", pipeline=pipeline, contact=contact
    )
    quoted = stage_named(pipeline, "Cotizado")
    segment = services.create_segment(
        actor=personas.marketer,
        data={
            "name": "Cotizados",
            "definition": {"field": "deal_in_stage", "op": "yes", "stage": str(quoted.pk)},
        },
    )
    entered = Membership.objects.filter(segment=segment, left_at__isnull=True)
    assert not entered.exists()
    deal_services.move_deal(deal, stage=quoted, actor=personas.rep)
    services.drain_pending()
    assert list(entered.values_list("contact_id", flat=True)) == [contact.pk]
    deal.refresh_from_db()
    deal_services.move_deal(deal, stage=stage_named(pipeline, "Cierre ganado"), actor=personas.rep)
    services.drain_pending()
    assert not entered.exists()
    assert Membership.objects.get(segment=segment, contact=contact).left_at is not None
