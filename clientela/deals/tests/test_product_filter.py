"""The product filter of the board, the list and the sales reports: deals with a line of it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from clientela.catalog.tests.factories import UniqueItemFactory
from clientela.core.testing import client_for
from clientela.deals import lines as deal_lines
from clientela.deals.queries import DealFilters, filter_deals
from clientela.deals.tests.factories import EnteredDealFactory, real_estate_pipeline
from clientela.orders.tests.factories import ExchangeRateFactory
from clientela.sales.queries import ReportFilters, funnel

pytestmark = pytest.mark.django_db


def test_deals_narrow_to_those_with_a_product(personas: Any, client: Any) -> None:
    ExchangeRateFactory.create(currency="USD", date=dt.date(2020, 1, 1))
    pipeline = real_estate_pipeline()
    plot, other = UniqueItemFactory.create(), UniqueItemFactory.create()
    with_plot = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline)
    deal_lines.add_line(with_plot, actor=personas.rep, product=plot)
    elsewhere = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline)
    deal_lines.add_line(elsewhere, actor=personas.rep, product=other)
    EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline)
    found = filter_deals(personas.manager, DealFilters(product_id=plot.pk))
    assert list(found) == [with_plot]
    today = dt.date.today()
    steps = funnel(
        personas.manager,
        ReportFilters(pipeline=pipeline, since=today, until=today, product_id=plot.pk),
    )
    assert steps[0].reached == 1
    page = client_for(client, personas.manager).get(
        reverse("deals:deal_list"), {"pipeline": pipeline.pk, "product": plot.pk}
    )
    assert [d.pk for d in page.context["page"].rows] == [with_plot.pk]
    assert client.get(reverse("sales:overview"), {"product": plot.pk}).status_code == 200
