"""The demo's sales plan: a target for every rep and pipeline, the last 12 months and next 3."""

from __future__ import annotations

import pytest
from django.db.models import Count
from django.utils import timezone

from clientela.deals.models import Pipeline
from clientela.demo.sales import seed_sales_plan
from clientela.demo.seeding import load_demo
from clientela.sales.models import SalesTarget
from clientela.sales.queries import add_months, company_zone

pytestmark = pytest.mark.django_db


def test_it_gives_every_rep_a_target_per_pipeline_for_fifteen_months():
    load_demo(contacts=300)
    pipelines = Pipeline.objects.filter(is_archived=False).count()
    this_month = timezone.localtime(timezone.now(), company_zone()).date().replace(day=1)

    per_rep = dict(
        SalesTarget.objects.values_list("owner__username").annotate(n=Count("id")).order_by()
    )
    months = set(SalesTarget.objects.values_list("month", flat=True))

    assert per_rep == {"ana": 15 * pipelines, "carlos": 15 * pipelines, "luisa": 15 * pipelines}
    assert min(months) == add_months(this_month, -11)
    assert max(months) == add_months(this_month, 3)
    assert SalesTarget.objects.filter(pipeline__name="Lotes en Florida", amount__gt=0).exists()
    assert seed_sales_plan() == 0  # once
