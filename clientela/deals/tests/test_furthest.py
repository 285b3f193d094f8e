"""A deal's furthest stage position (the funnel's count) always equals its stage history's."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps

from clientela.deals import services
from clientela.deals.choices import StageKind
from clientela.deals.models import Deal, StageHistory
from clientela.deals.tests.factories import (
    DealFactory,
    EnteredDealFactory,
    LostReasonFactory,
    real_estate_pipeline,
    stage_named,
)

pytestmark = pytest.mark.django_db


def from_history(deal: Deal) -> int | None:
    """The definition: the highest position of its stays in its pipeline's open and won stages."""
    positions = [
        stay.stage.position
        for stay in StageHistory.objects.filter(deal_id=deal.pk).select_related("stage")
        if stay.stage.pipeline_id == deal.pipeline_id and stay.stage.kind != StageKind.LOST
    ]
    return max(positions, default=None)


def assert_exact() -> None:
    """Every deal's stored position equals its history's (read back from the database)."""
    for deal in Deal.objects.order_by("pk"):
        assert deal.furthest_position == from_history(deal), deal.title


@pytest.fixture
def pipeline():
    return real_estate_pipeline()


def test_it_keeps_the_furthest_position_through_every_kind_of_move(personas, pipeline):
    rep = personas.rep
    deal = EnteredDealFactory.create(actor=rep, pipeline=pipeline, title="Lote 12")
    assert Deal.objects.get(pk=deal.pk).furthest_position == 1
    assert_exact()
    deal = services.move_deal(deal, stage=stage_named(pipeline, "Cotizado"), actor=rep)
    assert Deal.objects.get(pk=deal.pk).furthest_position == 4
    deal = services.move_deal(deal, stage=stage_named(pipeline, "Agendado"), actor=rep)
    assert Deal.objects.get(pk=deal.pk).furthest_position == 4  # going back keeps how far it went
    assert_exact()
    reason = LostReasonFactory.create()
    deal = services.move_deal(
        deal, stage=stage_named(pipeline, "Cierre perdido"), actor=rep, lost_reason=reason
    )
    assert Deal.objects.get(pk=deal.pk).furthest_position == 4  # a lost stage is no step
    deal = services.move_deal(deal, stage=stage_named(pipeline, "Nuevo"), actor=rep)  # reopen
    deal = services.move_deal(deal, stage=stage_named(pipeline, "Cierre ganado"), actor=rep)
    assert Deal.objects.get(pk=deal.pk).furthest_position == 6
    assert_exact()


def test_it_starts_at_the_stage_a_deal_is_created_in_and_lost_counts_nothing(personas, pipeline):
    reason = LostReasonFactory.create()
    won = EnteredDealFactory.create(
        actor=personas.rep, pipeline=pipeline, stage=stage_named(pipeline, "Cierre ganado")
    )
    lost = EnteredDealFactory.create(
        actor=personas.rep, pipeline=pipeline, stage=stage_named(pipeline, "Cierre perdido"),
        lost_reason=reason,
    )  # fmt: skip
    assert Deal.objects.get(pk=won.pk).furthest_position == 6
    assert Deal.objects.get(pk=lost.pk).furthest_position is None
    assert_exact()


def test_it_follows_a_deal_into_another_pipeline_and_back(personas, pipeline):
    other = real_estate_pipeline("Casas")
    deal = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline)
    deal = services.move_deal(deal, stage=stage_named(pipeline, "Cotizado"), actor=personas.rep)
    deal = services.move_deal(deal, stage=stage_named(other, "Agendado"), actor=personas.rep)
    assert Deal.objects.get(pk=deal.pk).furthest_position == 2  # its stays there only
    assert_exact()
    deal = services.move_deal(deal, stage=stage_named(pipeline, "Nuevo"), actor=personas.rep)
    assert Deal.objects.get(pk=deal.pk).furthest_position == 4  # it had gone that far before
    assert_exact()


def test_it_starts_the_history_of_a_deal_written_straight_to_the_table(personas, pipeline):
    deal = DealFactory.create(
        owner=personas.rep, pipeline=pipeline, stage=stage_named(pipeline, "Cotizado")
    )
    assert deal.furthest_position is None  # no stays: the funnel does not count it
    assert_exact()
    services.move_deal(deal, stage=stage_named(pipeline, "Nuevo"), actor=personas.rep)
    assert Deal.objects.get(pk=deal.pk).furthest_position == 4
    assert_exact()


def test_it_recomputes_when_stages_are_added_reordered_or_change_kind(personas, pipeline):
    admin, rep = personas.admin, personas.rep
    won = EnteredDealFactory.create(
        actor=rep, pipeline=pipeline, stage=stage_named(pipeline, "Cierre ganado")
    )
    deal = EnteredDealFactory.create(actor=rep, pipeline=pipeline)
    deal = services.move_deal(deal, stage=stage_named(pipeline, "Asistió a la cita"), actor=rep)
    services.add_stage(pipeline, actor=admin, values={"name": "Escrituración"})
    assert Deal.objects.get(pk=won.pk).furthest_position == 7  # the won stage moved on
    assert_exact()
    order = list(pipeline.stages.order_by("-position").values_list("pk", flat=True))
    services.reorder_stages(pipeline, actor=admin, order=order)
    assert_exact()
    services.reorder_stages(pipeline, actor=admin, order=order[::-1])
    empty = stage_named(pipeline, "Asistió a la cita")
    services.move_deal(deal, stage=stage_named(pipeline, "Nuevo"), actor=rep)
    services.update_stage(empty, actor=admin, values={"kind": StageKind.LOST})
    assert Deal.objects.get(pk=deal.pk).furthest_position == 1  # its only step was Nuevo
    assert_exact()


def test_it_moves_a_removed_stages_deals_keeping_their_positions(personas, pipeline):
    rep = personas.rep
    deals = [EnteredDealFactory.create(actor=rep, pipeline=pipeline) for _ in range(2)]
    for deal in deals:
        services.move_deal(deal, stage=stage_named(pipeline, "Nutrición"), actor=rep)
    services.remove_stage(
        stage_named(pipeline, "Nutrición"), actor=personas.admin,
        move_to=stage_named(pipeline, "Agendado"),
    )  # fmt: skip
    assert [d.furthest_position for d in Deal.objects.order_by("pk")] == [5, 5]
    assert_exact()


def test_the_migration_fills_existing_deals_from_their_history(personas, pipeline):
    rep = personas.rep
    deal = EnteredDealFactory.create(actor=rep, pipeline=pipeline)
    services.move_deal(deal, stage=stage_named(pipeline, "Cotizado"), actor=rep)
    bare = DealFactory.create(owner=rep, pipeline=pipeline, stage=stage_named(pipeline, "Nuevo"))
    Deal.objects.update(furthest_position=None)
    migration = importlib.import_module("clientela.deals.migrations.0006_furthest_position")
    migration.fill_furthest(django_apps, None)
    assert Deal.objects.get(pk=deal.pk).furthest_position == 4
    assert Deal.objects.get(pk=bare.pk).furthest_position is None
    assert_exact()
