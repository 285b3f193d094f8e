"""The drill-down's total comes from the snapshot's cells when they count its filters.

Same figure as counting the rows the list shows, for whoever reads it; a search, a CLV range
or a cohort (which the cells do not key) still count rows, capped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clientela.analytics.models import CustomerValue
from clientela.analytics.queries import NEW_CUSTOMER, DrillFilters, drilldown, drilldown_total
from clientela.analytics.tests.factories import build_world
from clientela.analytics.tests.test_cells import _owned_and_ownerless_customers
from clientela.core.http import PAGE_SIZE
from clientela.core.testing import client_for

pytestmark = pytest.mark.django_db


def _cell_filters(snapshot) -> list[DrillFilters]:
    """No filter, then each value of each filter the cells key, then two together."""
    rows = CustomerValue.objects.filter(snapshot=snapshot)

    def values(name):
        return sorted(set(rows.values_list(name, flat=True)))

    segments = values("segment")
    assert len(segments) > 1, "the world has customers in several segments"
    out = [DrillFilters()]
    out += [DrillFilters(segment=s) for s in segments]
    out += [DrillFilters(previous_segment=p or NEW_CUSTOMER) for p in values("previous_segment")]
    out += [DrillFilters(inactivity=i) for i in values("inactivity")]
    out += [DrillFilters(channel=c) for c in values("channel") if c]
    out.append(DrillFilters(segment=segments[0], channel="website", ordering="last"))
    return out


@pytest.mark.parametrize("persona", ["manager", "rep", "colleague"])
def test_the_total_from_the_cells_is_the_count_of_the_rows_listed(personas, persona):
    # The rep sees her own customers, her department colleague his and hers (a company
    # buying without a contact among them), the manager everyone, ownerless ones included.
    world = build_world(personas)
    snapshot = _owned_and_ownerless_customers(personas, world.today)
    user = getattr(personas, persona)
    filters = _cell_filters(snapshot)
    assert any(f.previous_segment == NEW_CUSTOMER for f in filters)
    totals = {}
    for f in filters:
        total = drilldown_total(user, snapshot, f)
        assert total is not None, f
        assert total == drilldown(user, snapshot, f).count(), f
        totals[dataclasses.astuple(f)] = total
    everyone = totals[dataclasses.astuple(DrillFilters())]
    assert everyone == {"manager": 45, "rep": 2, "colleague": 3}[persona]
    by_segment = [v for f, v in totals.items() if f[0] and not any(f[1:4])]
    assert sum(by_segment) == everyone


@pytest.mark.parametrize(
    "filters",
    [DrillFilters(q="Ana"), DrillFilters(clv_min=1.0), DrillFilters(clv_max=1e12),
     DrillFilters(cohort=dt.date(2020, 1, 1))],
)  # fmt: skip
def test_search_clv_range_and_cohort_count_rows(personas, filters):
    world = build_world(personas)
    assert drilldown_total(personas.rep, world.snapshot, filters) is None
    assert drilldown_total(personas.manager, world.snapshot, filters) is None


def test_a_snapshot_without_owner_cells_counts_rows_for_a_rep(personas):
    world = build_world(personas)
    snapshot = world.snapshot
    snapshot.cells_by_owner = False
    assert drilldown_total(personas.rep, snapshot, DrillFilters()) is None
    everyone = drilldown(personas.manager, snapshot, DrillFilters()).count()
    assert everyone > 40 and drilldown_total(personas.manager, snapshot, DrillFilters()) == everyone
    assert drilldown_total(personas.rep, None, DrillFilters()) is None


def _more_than_a_page(personas, today):
    """Enough customers of the rep for a second page (the first one alone is not counted)."""
    from clientela.contacts.tests.factories import ContactFactory
    from clientela.orders.tests.factories import OrderFactory

    for i in range(PAGE_SIZE + 5):
        contact = ContactFactory.create(
            bare=True, first_name=f"Compra {i}", owner=personas.rep, source="website"
        )
        OrderFactory.create(contact=contact, day=today - dt.timedelta(days=10 + i), amount=5000)


def _page_total(c, query):
    with CaptureQueriesContext(connection) as queries:
        response = c.get(reverse("analytics:customers"), query)
    assert response.status_code == 200
    page = response.context["page"]
    counted = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    return page, counted


def test_the_page_shows_the_cells_total_without_counting_rows(client, personas):
    world = build_world(personas)
    _more_than_a_page(personas, world.today)
    from clientela.analytics.services import compute_customer_value_snapshot

    snapshot = compute_customer_value_snapshot(as_of=world.today)
    c = client_for(client, personas.rep)
    rows = drilldown(personas.rep, snapshot, DrillFilters()).count()
    assert rows > PAGE_SIZE
    page, counted = _page_total(c, {})
    assert (page.total, page.total_is_capped, page.has_next) == (rows, False, True)
    assert counted == []  # a sum over the cells, no COUNT over the rows
    # A CLV range is not keyed by the cells: its total is a (capped) count of the rows.
    ranged = drilldown(personas.rep, snapshot, DrillFilters(clv_min=0.0)).count()
    assert ranged > PAGE_SIZE
    page, counted = _page_total(c, {"clv_min": "0"})
    assert page.total == ranged and len(counted) == 1


def test_the_trash_and_a_new_owner_are_followed_by_the_rows_the_cells_wait_for_the_snapshot(
    personas,
):
    # The list follows the live owner and the trash at once; the total is the dashboard's
    # figure of the snapshot until the next one, which agrees with the rows again.
    from clientela.analytics.services import compute_customer_value_snapshot

    world = build_world(personas)
    world.ana.deleted_at = timezone.now()
    world.ana.save(update_fields=["deleted_at"])
    for user in (personas.rep, personas.manager):
        listed = drilldown(user, world.snapshot, DrillFilters()).count()
        assert drilldown_total(user, world.snapshot, DrillFilters()) == listed + 1
    snapshot = compute_customer_value_snapshot(as_of=world.today)
    for user in (personas.rep, personas.manager):
        listed = drilldown(user, snapshot, DrillFilters()).count()
        assert drilldown_total(user, snapshot, DrillFilters()) == listed
