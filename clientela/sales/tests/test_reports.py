"""The sales reports' arithmetic: funnel, close rate, durations, forecast, plan projection."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from clientela.deals.models import Deal, StageHistory
from clientela.deals.queries import DealFilters, filter_deals
from clientela.deals.services import refresh_furthest_positions
from clientela.deals.tests.factories import DealFactory, real_estate_pipeline, stage_named
from clientela.sales.queries import (
    ReportFilters,
    close_rates,
    close_total,
    customers,
    durations,
    forecast,
    funnel,
    lost_reasons_report,
    plan_by_month,
    plan_vs_actual,
    projection,
    rep_activity,
)
from clientela.sales.tests.factories import (
    DoneActivityFactory,
    SalesTargetFactory,
    StageHistoryFactory,
    deal_on_path,
)

pytestmark = pytest.mark.django_db

OPENED = timezone.now() - dt.timedelta(days=30)


def _filters(pipeline, **extra):
    today = timezone.localdate()
    return ReportFilters(
        pipeline=pipeline, since=today - dt.timedelta(days=90), until=today, **extra
    )


def _bulk_path(pipeline, owner, names, count):
    """`count` deals that went through `names`, with their stays, in two bulk inserts."""
    stages = [stage_named(pipeline, n) for n in names]
    deals = Deal.objects.bulk_create(
        [
            DealFactory.build(
                owner=owner, pipeline=pipeline, stage=stages[-1], created_at=OPENED,
                stage_entered_at=OPENED,
            )
            for _ in range(count)
        ]
    )  # fmt: skip
    StageHistory.objects.bulk_create(
        [
            StageHistoryFactory.build(
                deal=deal, stage=stage, entered_at=OPENED + dt.timedelta(hours=i),
                left_at=OPENED + dt.timedelta(hours=i + 1) if i < len(stages) - 1 else None,
            )
            for deal in deals
            for i, stage in enumerate(stages)
        ]
    )  # fmt: skip
    refresh_furthest_positions(deal_ids=[d.pk for d in deals])


def test_the_briefs_500_300_120_funnel_reads_60_and_40_percent(personas):
    pipeline = real_estate_pipeline()
    _bulk_path(pipeline, personas.rep, ["Nuevo"], 200)
    _bulk_path(pipeline, personas.rep, ["Nuevo", "Agendado"], 180)
    _bulk_path(pipeline, personas.rep, ["Nuevo", "Agendado", "Asistió a la cita"], 120)

    steps = funnel(personas.manager, _filters(pipeline))

    reached = {s.stage.name: s.reached for s in steps}
    assert [reached["Nuevo"], reached["Agendado"], reached["Asistió a la cita"]] == [500, 300, 120]
    by_name = {s.stage.name: s for s in steps}
    assert by_name["Agendado"].conversion == Decimal("60.0")
    assert by_name["Agendado"].drop_off == 200
    assert by_name["Asistió a la cita"].conversion == Decimal("40.0")
    assert by_name["Asistió a la cita"].drop_off == 180
    assert by_name["Nuevo"].conversion is None
    assert "Cierre perdido" not in by_name  # lost stages are not steps of the funnel


def test_a_deal_that_skipped_stages_has_passed_them_and_a_lost_one_stops_where_it_was(personas):
    pipeline = real_estate_pipeline()
    deal_on_path(personas.rep, pipeline, ["Nuevo", "Cotizado"], opened=OPENED)
    deal_on_path(personas.rep, pipeline, ["Agendado", "Cierre perdido"], opened=OPENED)
    deal_on_path(personas.rep, pipeline, ["Nuevo", "Cierre ganado"], opened=OPENED)

    reached = {s.stage.name: s.reached for s in funnel(personas.manager, _filters(pipeline))}

    assert reached == {
        "Nuevo": 3, "Agendado": 3, "Asistió a la cita": 2, "Cotizado": 2, "Nutrición": 1,
        "Cierre ganado": 1,
    }  # fmt: skip


def test_the_drill_down_lists_exactly_the_deals_a_step_counts(personas):
    pipeline = real_estate_pipeline()
    skipped = deal_on_path(personas.rep, pipeline, ["Nuevo", "Cotizado"], opened=OPENED)
    deal_on_path(personas.rep, pipeline, ["Nuevo"], opened=OPENED)
    deal_on_path(personas.rep, pipeline, ["Nuevo", "Cierre perdido"], opened=OPENED)
    deal_on_path(
        personas.rep, pipeline, ["Nuevo", "Agendado"], opened=OPENED - dt.timedelta(days=400)
    )
    f = _filters(pipeline)
    agendado = stage_named(pipeline, "Agendado")

    listed = filter_deals(
        personas.manager,
        DealFilters(
            pipeline_id=pipeline.pk, reached_stage_id=agendado.pk,
            created_from=f.since, created_to=f.until,
        ),
    )  # fmt: skip

    step = next(s for s in funnel(personas.manager, f) if s.stage == agendado)
    assert list(listed) == [skipped]
    assert step.reached == 1


def test_a_rep_reads_the_funnel_of_their_own_deals_only(personas):
    pipeline = real_estate_pipeline()
    deal_on_path(personas.rep, pipeline, ["Nuevo", "Agendado"], opened=OPENED)
    deal_on_path(personas.rep2, pipeline, ["Nuevo"], opened=OPENED)
    deal_on_path(personas.rep2, pipeline, ["Nuevo"], opened=OPENED)

    def first(user):
        return funnel(user, _filters(pipeline))[0].reached

    assert (first(personas.manager), first(personas.rep), first(personas.rep2)) == (3, 1, 2)


def test_close_rate_is_won_over_closed_by_rep_source_and_month(personas):
    pipeline = real_estate_pipeline()
    for _ in range(3):
        deal_on_path(
            personas.rep, pipeline, ["Nuevo", "Cierre ganado"], opened=OPENED, source="web"
        )
    deal_on_path(personas.rep, pipeline, ["Nuevo", "Cierre perdido"], opened=OPENED, source="web")
    deal_on_path(personas.rep2, pipeline, ["Nuevo", "Cierre perdido"], opened=OPENED, source="")
    deal_on_path(personas.rep2, pipeline, ["Nuevo"], opened=OPENED)  # still open: not closed
    f = _filters(pipeline)

    by_owner = {r.key: r for r in close_rates(personas.manager, f, "owner")}
    by_source = {r.key: r for r in close_rates(personas.manager, f, "source")}
    total = close_total(close_rates(personas.manager, f, "month"))

    assert (by_owner[personas.rep.pk].won, by_owner[personas.rep.pk].lost) == (3, 1)
    assert by_owner[personas.rep.pk].rate == Decimal("75.0")
    assert by_owner[personas.rep2.pk].rate == Decimal("0.0")
    assert by_source["web"].rate == Decimal("75.0")
    assert (total.won, total.closed) == (3, 5)
    assert total.rate == Decimal("60.0")
    assert total.won_amount == Decimal("75000000.00")


def test_durations_average_opened_to_won_and_each_stage_stay(personas):
    pipeline = real_estate_pipeline()
    deal_on_path(personas.rep, pipeline, ["Nuevo", "Agendado", "Cierre ganado"], opened=OPENED,
                 days_per_stage=2)  # fmt: skip
    deal_on_path(personas.rep, pipeline, ["Nuevo", "Agendado", "Cierre ganado"], opened=OPENED,
                 days_per_stage=4)  # fmt: skip

    result = durations(personas.manager, _filters(pipeline))

    assert result.won == 2
    assert result.average_to_win == dt.timedelta(days=6)  # (4 + 8) / 2
    stays = {s.stage.name: s for s in result.stages}
    assert stays["Nuevo"].average == dt.timedelta(days=3)
    assert stays["Agendado"].stays == 2
    assert stays["Agendado"].days == Decimal("3.0")
    assert stays["Cotizado"].average is None


def test_forecast_weights_each_open_deal_by_its_stage_probability(personas):
    pipeline = real_estate_pipeline()
    today = timezone.localdate()
    next_month = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=15)
    agendado, cotizado = stage_named(pipeline, "Agendado"), stage_named(pipeline, "Cotizado")
    DealFactory.create(owner=personas.rep, pipeline=pipeline, stage=agendado,
                       amount=Decimal("1000.00"), expected_close=today)  # fmt: skip
    DealFactory.create(owner=personas.rep, pipeline=pipeline, stage=cotizado,
                       amount=Decimal("2000.00"), expected_close=next_month)  # fmt: skip
    DealFactory.create(owner=personas.rep, pipeline=pipeline, stage=stage_named(pipeline, "Cierre ganado"),
                       amount=Decimal("9000.00"), expected_close=today)  # fmt: skip

    months = forecast(personas.manager, _filters(pipeline), today=today)

    assert len(months) == 12
    assert (months[0].deals, months[0].amount, months[0].weighted) == (
        1,
        Decimal("1000.00"),
        Decimal("250.00"),
    )
    assert months[1].weighted == Decimal("1200.00")
    assert sum(m.deals for m in months) == 2  # the won deal is no longer forecast


def test_lost_reasons_and_customers_come_from_the_closed_deals(personas):
    from clientela.contacts.tests.factories import EnteredContactFactory
    from clientela.deals.tests.factories import LostReasonFactory

    pipeline = real_estate_pipeline()
    price = LostReasonFactory.create(name="Precio")
    regular = EnteredContactFactory.create(actor=personas.rep)
    once = EnteredContactFactory.create(actor=personas.rep)
    for _ in range(2):
        deal_on_path(
            personas.rep, pipeline, ["Nuevo", "Cierre ganado"], opened=OPENED, contact=regular
        )
    deal_on_path(personas.rep, pipeline, ["Nuevo", "Cierre ganado"], opened=OPENED, contact=once,
                 amount=Decimal("90000000.00"))  # fmt: skip
    deal_on_path(personas.rep, pipeline, ["Nuevo", "Cierre perdido"], opened=OPENED, lost_reason=price,
                 amount=Decimal("10.00"))  # fmt: skip
    deal_on_path(personas.rep, pipeline, ["Nuevo", "Cierre perdido"], opened=OPENED, lost_reason=price,
                 amount=Decimal("20.00"))  # fmt: skip
    f = _filters(pipeline)

    lost = lost_reasons_report(personas.manager, f)
    best = customers(personas.manager, f)
    regulars = customers(personas.manager, f, regular=True)

    assert [(r.reason, r.deals, r.amount) for r in lost] == [(price, 2, Decimal("30.00"))]
    assert [(c.contact, c.deals) for c in best] == [(once, 1), (regular, 2)]
    assert [(c.contact, c.deals, c.amount) for c in regulars] == [
        (regular, 2, Decimal("50000000.00"))
    ]


def test_rep_activity_counts_done_calls_meetings_and_tasks_per_week(personas):
    pipeline = real_estate_pipeline()
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday() + 7)
    at = timezone.make_aware(dt.datetime.combine(monday, dt.time(10)))
    for kind in ("call", "call", "meeting", "task", "email"):
        DoneActivityFactory.create(owner=personas.rep, kind=kind, done_at=at)
    DoneActivityFactory.create(owner=personas.rep2, kind="call", done_at=at)
    DoneActivityFactory.create(owner=personas.rep, kind="call", done_at=None)  # not done

    manager_rows = rep_activity(personas.manager, _filters(pipeline))
    rep_rows = rep_activity(personas.rep, _filters(pipeline))

    mine = next(r for r in manager_rows if r.owner_id == personas.rep.pk)
    assert (mine.week, mine.calls, mine.meetings, mine.tasks) == (monday, 2, 1, 1)
    assert {r.owner_id for r in manager_rows} == {personas.rep.pk, personas.rep2.pk}
    assert {r.owner_id for r in rep_rows} == {personas.rep.pk}


def test_projection_draws_a_straight_line_in_the_company_time_zone():
    month = dt.date(2026, 11, 1)
    # 10 Nov 15:00 in Bogotá: 10 of 30 days elapsed.
    midway = dt.datetime(2026, 11, 10, 20, 0, tzinfo=dt.UTC)
    assert projection(Decimal("100.00"), month, midway) == Decimal("300.00")
    # 1 Dec 03:00 UTC is still 30 Nov in Bogotá: the month is complete, no stretch.
    late = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
    assert projection(Decimal("100.00"), month, late) == Decimal("100.00")
    assert projection(Decimal("100.00"), dt.date(2026, 12, 1), late) == Decimal("0")
    assert projection(
        Decimal("7"), dt.date(2026, 2, 1), dt.datetime(2026, 2, 7, 17, tzinfo=dt.UTC)
    ) == Decimal("28.00")


def test_plan_vs_actual_reads_targets_wins_and_reach_a_rep_sees_only_their_own(personas):
    pipeline = real_estate_pipeline()
    month = timezone.localdate().replace(day=1)
    SalesTargetFactory.create(owner=personas.rep, pipeline=pipeline, month=month,
                              amount=Decimal("100000000.00"), deals=4)  # fmt: skip
    SalesTargetFactory.create(owner=personas.rep2, pipeline=pipeline, month=month)
    won_at = timezone.make_aware(dt.datetime.combine(month, dt.time(12)))
    deal_on_path(personas.rep, pipeline, ["Nuevo", "Cierre ganado"], opened=won_at, days_per_stage=0,
                 amount=Decimal("25000000.00"))  # fmt: skip

    rows, total = plan_vs_actual(personas.manager, pipeline, month)
    rep_rows, _total = plan_vs_actual(personas.rep, pipeline, month)
    history = plan_by_month(personas.manager, pipeline, month, months=3)

    mine = next(r for r in rows if r.owner == personas.rep)
    assert (mine.won_amount, mine.won_deals) == (Decimal("25000000.00"), 1)
    assert mine.amount_reached == Decimal("25.0")
    assert mine.deals_reached == Decimal("25.0")
    assert total.target_amount == Decimal("200000000.00")
    assert [r.owner for r in rep_rows] == [personas.rep]
    assert history[-1].won_amount == Decimal("25000000.00")
    assert history[-1].reached == Decimal("12.5")
    assert history[0].target_amount == 0
