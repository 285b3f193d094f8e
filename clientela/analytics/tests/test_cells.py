"""The cells a snapshot keeps give exactly the figures its customer rows give."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from clientela.analytics.cohort_queries import cohort_view
from clientela.analytics.ltv_queries import compute_ltv_inputs, group_rows
from clientela.analytics.measures import cells_of
from clientela.analytics.models import OwnerTables
from clientela.analytics.queries import (
    ValueFilters,
    clv_histogram,
    equity_trend,
    get_analytics_settings,
    inactivity_counts,
    segment_grid,
    value_overview,
)
from clientela.analytics.services import compute_customer_value_snapshot
from clientela.analytics.tests.factories import build_world

pytestmark = pytest.mark.django_db


def _figures(user, snapshot, filters):
    settings = get_analytics_settings()
    inputs = compute_ltv_inputs(
        user, as_of=snapshot.as_of, months=filters.months, settings=settings,
        snapshot=snapshot, filters=filters,
    )  # fmt: skip
    groups = {
        by: [
            dataclasses.asdict(r)
            for r in group_rows(
                user,
                snapshot=snapshot,
                inputs=inputs,
                months=filters.months,
                as_of=snapshot.as_of,
                by=by,
            )
        ]
        for by in ("channel", "segment")
    }
    grid = segment_grid(user, snapshot, filters)
    cohorts = cohort_view(user, as_of=snapshot.as_of, months=filters.months, snapshot=snapshot)
    return {
        "overview": value_overview(user, snapshot, filters),
        "inputs": dataclasses.asdict(inputs),
        "groups": groups,
        "grid": [dataclasses.asdict(c) for c in grid.cells],
        "matrix": grid.matrix,
        "inactivity": inactivity_counts(user, snapshot, filters),
        "histogram": clv_histogram(user, snapshot, filters),
        "cohorts": (
            cohorts.cohorts, cohorts.sizes, cohorts.retention, cohorts.revenue,
            cohorts.repurchase, cohorts.churn_by_period,
        ),
        "trend": equity_trend(user, filters),
    }  # fmt: skip


def _close(a, b):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _close(a[key], b[key])
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _close(x, y)
    elif isinstance(a, float) or isinstance(b, float):
        assert float(a) == pytest.approx(float(b), rel=1e-9, abs=1e-9)
    else:
        assert a == b


@pytest.mark.parametrize(
    "filters",
    [ValueFilters(), ValueFilters(months=None), ValueFilters(months=3, channel="facebook"),
     ValueFilters(months=24, segment="champions")],
)  # fmt: skip
def test_the_cells_give_the_figures_of_the_rows(personas, filters):
    world = build_world(personas)
    snapshot = world.snapshot
    assert snapshot.has_cells and cells_of(snapshot).count() < snapshot.customers
    from_cells = _figures(personas.manager, snapshot, filters)
    snapshot.has_cells = False  # what the same manager would read from the rows
    snapshot.cohorts = {}
    _close(from_cells, _figures(personas.manager, snapshot, filters))


def _owned_and_ownerless_customers(personas, today):
    """A company buying without a contact (owned by the rep's department colleague) and a
    contact nobody owns, both with orders, then a new snapshot (the world's is the previous)."""
    from clientela.contacts.tests.factories import CompanyFactory, ContactFactory
    from clientela.orders.tests.factories import OrderFactory

    company = CompanyFactory.create(owner=personas.colleague)
    nobody = ContactFactory.create(owner=None, source="website")
    for days, amount in ((400, 80000), (200, 150000), (40, 60000)):
        day = today - dt.timedelta(days=days)
        OrderFactory.create(contact=None, company=company, day=day, amount=amount)
        OrderFactory.create(contact=nobody, day=day, amount=amount * 2, channel="website")
    return compute_customer_value_snapshot(as_of=today)


@pytest.mark.parametrize("persona", ["manager", "rep", "colleague"])
@pytest.mark.parametrize(
    "filters",
    [ValueFilters(), ValueFilters(months=None), ValueFilters(months=3, channel="facebook"),
     ValueFilters(months=24, segment="champions")],
)  # fmt: skip
def test_owner_cells_give_the_figures_of_the_rows_each_user_sees(personas, filters, persona):
    # The rep sees her own customers; her colleague (department scope) hers and his, a
    # company among them; the manager everyone, the customer without an owner included.
    world = build_world(personas)
    snapshot = _owned_and_ownerless_customers(personas, world.today)
    user = getattr(personas, persona)
    assert snapshot.cells_by_owner and cells_of(snapshot).filter(owner__isnull=True).exists()
    assert set(OwnerTables.objects.filter(snapshot=snapshot).values_list("owner", flat=True)) == {
        personas.rep.pk,
        personas.rep2.pk,
        personas.colleague.pk,
        personas.admin.pk,
    }
    from_cells = _figures(user, snapshot, filters)
    if not (filters.channel or filters.segment):
        customers = {"manager": 45, "rep": 2, "colleague": 3}[persona]
        assert from_cells["overview"]["customers"] == customers
        assert from_cells["cohorts"][1] and from_cells["histogram"]
    # What the same user reads from the rows (and, for the trend, from every snapshot's rows).
    snapshot.cells_by_owner = False
    type(snapshot).objects.update(cells_by_owner=False)
    if persona == "manager":
        snapshot.has_cells = False
        snapshot.cohorts = {}
    from_rows = _figures(user, snapshot, filters)
    _close(from_cells, from_rows)


def test_someone_who_sees_everyone_does_not_see_the_trash_in_the_drill_down(personas):
    from django.utils import timezone

    from clientela.analytics.queries import DrillFilters, drilldown

    world = build_world(personas)
    listed = {row.contact_id for row in drilldown(personas.manager, world.snapshot, DrillFilters())}
    assert world.carla.pk in listed
    world.carla.deleted_at = timezone.now()
    world.carla.save(update_fields=["deleted_at"])
    for user in (personas.manager, personas.rep2):
        rows = drilldown(user, world.snapshot, DrillFilters())
        assert world.carla.pk not in {row.contact_id for row in rows}
    assert len(drilldown(personas.manager, world.snapshot, DrillFilters())) == len(listed) - 1


def test_a_departments_histogram_adds_up_its_owners_grid_counts(personas):
    # The colleague sees his department: his customers and the rep's. Their histogram comes
    # from the two owners' stored grid counts, reading no customer row, and is the histogram
    # of those customers' rows; a snapshot stored without grid counts is binned from the rows.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    world = build_world(personas)
    snapshot = _owned_and_ownerless_customers(personas, world.today)
    user = personas.colleague
    assert (
        OwnerTables.objects.filter(
            snapshot=snapshot,
            owner__in=[personas.rep, personas.colleague],
            clv_counts__isnull=False,
        ).count()
        == 2
    )
    segment = snapshot.rows.filter(contact=world.ana).get().segment
    for filters in (
        ValueFilters(),
        ValueFilters(segment=segment),
        ValueFilters(channel="facebook"),
    ):
        with CaptureQueriesContext(connection) as queries:
            from_tables = clv_histogram(user, snapshot, filters)
        read = [q["sql"] for q in queries if "analytics_" in q["sql"]]
        assert len(read) == 1 and "analytics_ownertables" in read[0], read
        snapshot.cells_by_owner = False
        assert from_tables == clv_histogram(user, snapshot, filters)
        snapshot.cells_by_owner = True
    everyone = clv_histogram(user, snapshot, ValueFilters())
    assert sum(b["count"] for b in everyone) == 3
    OwnerTables.objects.filter(snapshot=snapshot).update(clv_counts=None)
    with CaptureQueriesContext(connection) as queries:
        assert clv_histogram(user, snapshot, ValueFilters()) == everyone
    assert any("analytics_customervalue" in q["sql"] for q in queries) or (
        connection.vendor == "postgresql"  # the rows travel as COPY, which the log misses
    )
