"""The demo's sales: two pipelines, deals in every stage with their history, next steps."""

from __future__ import annotations

import pytest
from django.db.models import Count, F, Min
from django.utils import timezone

from clientela.activities.models import Activity
from clientela.deals.models import Deal, Pipeline, StageHistory
from clientela.demo.deals import seed_deals
from clientela.demo.seeding import load_demo
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db


def test_it_gives_the_demo_both_pipelines_and_deals_in_every_stage():
    load_demo(contacts=400)
    lots = Pipeline.objects.get(name="Lotes en Florida")
    assert Pipeline.objects.filter(name="Reventa y arriendos", is_archived=False).exists()
    names = [s.name for s in lots.stages.order_by("position")]
    assert names == [
        "Nuevo", "Agendado", "Asistió a la cita", "Cotizado", "Nutrición", "Cierre ganado",
        "Cierre perdido",
    ]  # fmt: skip
    assert 1200 <= Deal.objects.count() <= 1500
    reached = set(
        StageHistory.objects.filter(deal__pipeline=lots).values_list("stage__name", flat=True)
    )
    assert reached == set(names)
    current = set(Deal.objects.filter(pipeline=lots).values_list("stage__name", flat=True))
    assert current == set(names)
    assert set(Deal.objects.values_list("owner__username", flat=True)) <= {"ana", "carlos", "luisa"}
    assert not Deal.objects.filter(state="lost", lost_reason__isnull=True).exists()
    assert Activity.objects.filter(deal__isnull=False, done_at__isnull=True).exists()


def test_it_dates_no_deal_before_its_contact_or_after_now():
    load_demo(contacts=200)
    assert not Deal.objects.filter(created_at__lt=F("contact__created_at")).exists()
    assert not StageHistory.objects.filter(entered_at__gt=timezone.now()).exists()
    first_stay = StageHistory.objects.values("deal").annotate(first=Min("entered_at"))
    assert all(row["first"] is not None for row in first_stay)
    open_stays = (
        StageHistory.objects.filter(left_at__isnull=True).values("deal").annotate(n=Count("id"))
    )
    assert {row["n"] for row in open_stays} == {1}
    assert (
        Event.objects.filter(verb="deal_moved").count()
        == StageHistory.objects.count() - Deal.objects.count()
    )
    assert seed_deals() == 0  # once
