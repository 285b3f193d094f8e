"""The demo's catalogue: 240 plots with photos, sold to won deals and reserved by open ones."""

from __future__ import annotations

import pytest
from django.db.models import F

from clientela.catalog.models import PriceChange, Product, ProductPhoto
from clientela.deals.models import Deal, DealLine
from clientela.demo.seeding import load_demo
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db


def test_the_demo_plots_follow_the_demo_deals() -> None:
    load_demo(contacts=400)
    plots = Product.objects.filter(kind="unique")
    assert plots.count() >= 200
    assert ProductPhoto.objects.filter(product__in=plots).count() == plots.count()
    assert not plots.filter(latitude__isnull=True).exists()
    states = {p.deal_id: p.status for p in plots.exclude(deal_id=None)}
    deals = dict(Deal.objects.filter(pk__in=states).values_list("pk", "state"))
    assert {states[pk] for pk, state in deals.items() if state == "won"} == {"sold"}
    assert {states[pk] for pk, state in deals.items() if state == "open"} == {"reserved"}
    assert plots.filter(status="available").count() >= 60
    # Each held plot is its deal's line, at the deal's amount.
    lines = DealLine.objects.filter(product__in=plots).select_related("deal", "product")
    assert lines.count() == len(states)
    held_by = dict(plots.values_list("pk", "deal_id"))
    assert all(
        line.total == line.deal.amount and held_by.get(line.product_id or 0) == line.deal_id
        for line in lines
    )
    # No event or price change before the record it tells of.
    product_ids = {str(pk) for pk in plots.values_list("pk", flat=True)}
    events = Event.objects.filter(target_type="catalog.product", target_id__in=product_ids)
    created = dict(plots.values_list("pk", "created_at"))
    assert all(e.created_at >= created[int(e.target_id)] for e in events)
    assert PriceChange.objects.filter(changed_at__lt=F("product__created_at")).count() == 0
