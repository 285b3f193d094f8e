"""Conditions over a contact's deals (the deals app): how many, won amount, last win, open stage.

Registered here because segments sits above deals in the stack: deals knows nothing of
segments. A deal counts for its contact (a deal with only a company counts for nobody: the
company's people are not all its buyers). Windows count calendar days in the company's time
zone, today included, as the purchase conditions do: a deal's *opened* day for the count, its
*won* day for the won amount.

* ``deal_count``: number of deals, optionally in one pipeline and one state (open, won, lost),
  opened in the last N days;
* ``deal_won_amount``: the sum of won deals in the company currency, optionally in one
  pipeline and won in the last N days;
* ``last_deal_won``: the day of the latest won deal;
* ``deal_in_stage``: has an open deal sitting in stage S now.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from clientela.deals.choices import StageKind
from clientela.deals.models import Deal, Pipeline, Stage
from clientela.segments.conditions.base import chunks, column_q, date_range
from clientela.segments.registry import (
    Condition,
    ConditionSpec,
    Context,
    Kind,
    Param,
    register_condition,
)

DEALS = _("Deals")
NUMBER_OPS = ("eq", "neq", "gt", "gte", "lt", "lte", "between")


def _pipeline_choices() -> list[tuple[str, Any]]:
    return [("", _("Any pipeline"))] + [
        (str(pk), name)
        for pk, name in Pipeline.objects.order_by("position", "id").values_list("pk", "name")
    ]


def _state_choices() -> list[tuple[str, Any]]:
    return [("", _("Any state")), *StageKind.choices]


def _stage_choices() -> list[tuple[str, Any]]:
    return [
        (str(pk), f"{pipeline} · {name}")
        for pk, pipeline, name in Stage.objects.filter(kind=StageKind.OPEN)
        .order_by("pipeline__position", "pipeline_id", "position", "id")
        .values_list("pk", "pipeline__name", "name")
    ]


PIPELINE = Param("pipeline", _("Pipeline (empty: any)"), choices=_pipeline_choices, required=False)
STATE = Param("state", _("State (empty: any)"), choices=_state_choices, required=False)
OPENED = Param("days", _("Opened in the last … days (empty: ever)"), days=True, required=False)
WON_WITHIN = Param("days", _("Won in the last … days (empty: ever)"), days=True, required=False)
STAGE = Param("stage", _("Stage"), choices=_stage_choices)


def _id(raw: Any) -> int | None:
    """Return a chosen record id, or None for "any" (validation let only listed ids through)."""
    try:
        return int(str(raw)) if raw not in (None, "") else None
    except ValueError:
        return 0


def _window_start(condition: Condition, ctx: Context) -> dt.date | None:
    days = condition.params.get("days")
    return None if days is None else ctx.today - dt.timedelta(days=int(days))


@dataclass(frozen=True)
class _Row:
    """What the reference path needs of one deal."""

    pipeline_id: int
    stage_id: int
    state: str
    amount: Decimal
    opened: dt.date
    closed: dt.date | None


def _rows(ids: Sequence[int], ctx: Context) -> dict[int, list[_Row]]:
    rows: dict[int, list[_Row]] = defaultdict(list)
    for part in chunks(list(ids)):
        for (
            contact_id,
            pipeline_id,
            stage_id,
            state,
            amount,
            created,
            closed,
        ) in Deal.objects.filter(contact_id__in=part).values_list(
            "contact_id",
            "pipeline_id",
            "stage_id",
            "state",
            "amount_company",
            "created_at",
            "closed_at",
        ):
            rows[contact_id].append(
                _Row(
                    pipeline_id,
                    stage_id,
                    state,
                    amount,
                    ctx.local_date(created),
                    ctx.local_date(closed) if closed is not None else None,
                )
            )
    return rows


def _between(day: dt.date | None, start: dt.date | None, ctx: Context) -> bool:
    return start is None or (day is not None and start <= day <= ctx.today)


# --- Number of deals ---------------------------------------------------------------------------


def _counted(condition: Condition, ctx: Context) -> QuerySet[Deal]:
    deals = Deal.objects.filter(contact_id=OuterRef("pk"))
    pipeline = _id(condition.params.get("pipeline"))
    if pipeline is not None:
        deals = deals.filter(pipeline_id=pipeline)
    state = condition.params.get("state")
    if state:
        deals = deals.filter(state=str(state))
    start = _window_start(condition, ctx)
    if start is not None:
        deals = deals.filter(
            created_at__gte=ctx.start_of(start),
            created_at__lt=ctx.start_of(ctx.today + dt.timedelta(days=1)),
        )
    return deals


def _count_q(condition: Condition, ctx: Context) -> Q:
    deals = _counted(condition, ctx)
    if condition.positive == "gte" and condition.value == 1:
        return Q(Exists(deals))
    per_contact = deals.order_by().values("contact_id").annotate(n=Count("id")).values("n")
    count = Coalesce(Subquery(per_contact), Value(0))
    return column_q("deals", Kind.NUMBER, condition, ctx, expression=count)


def _count_load(ids: Sequence[int], condition: Condition, ctx: Context) -> dict[int, Any]:
    pipeline = _id(condition.params.get("pipeline"))
    state = condition.params.get("state") or None
    start = _window_start(condition, ctx)
    rows = _rows(ids, ctx)
    return {
        pk: sum(
            1
            for row in rows.get(pk, ())
            if (pipeline is None or row.pipeline_id == pipeline)
            and (state is None or row.state == state)
            and _between(row.opened, start, ctx)
        )
        for pk in ids
    }


# --- Won amount --------------------------------------------------------------------------------


def _won(condition: Condition, ctx: Context) -> QuerySet[Deal]:
    deals = Deal.objects.filter(contact_id=OuterRef("pk"), state=StageKind.WON)
    pipeline = _id(condition.params.get("pipeline"))
    if pipeline is not None:
        deals = deals.filter(pipeline_id=pipeline)
    start = _window_start(condition, ctx)
    if start is not None:
        deals = deals.filter(
            closed_at__gte=ctx.start_of(start),
            closed_at__lt=ctx.start_of(ctx.today + dt.timedelta(days=1)),
        )
    return deals


def _amount_q(condition: Condition, ctx: Context) -> Q:
    money: DecimalField[Decimal, Decimal] = DecimalField(max_digits=20, decimal_places=2)
    per_contact = (
        _won(condition, ctx)
        .order_by()
        .values("contact_id")
        .annotate(total=Sum("amount_company"))
        .values("total")
    )
    total = Coalesce(Subquery(per_contact), Value(Decimal(0), output_field=money))
    return column_q("deals", Kind.NUMBER, condition, ctx, expression=total)


def _amount_load(ids: Sequence[int], condition: Condition, ctx: Context) -> dict[int, Any]:
    pipeline = _id(condition.params.get("pipeline"))
    start = _window_start(condition, ctx)
    rows = _rows(ids, ctx)
    return {
        pk: sum(
            (
                row.amount
                for row in rows.get(pk, ())
                if row.state == StageKind.WON
                and (pipeline is None or row.pipeline_id == pipeline)
                and _between(row.closed, start, ctx)
            ),
            Decimal(0),
        )
        for pk in ids
    }


# --- Last won deal -----------------------------------------------------------------------------


def _last_won_q(condition: Condition, ctx: Context) -> Q:
    """Last win within [low, high]: a win in the range and none after it (as last purchase)."""
    won = Deal.objects.filter(
        contact_id=OuterRef("pk"), state=StageKind.WON, closed_at__isnull=False
    )
    if condition.positive == "is_empty":
        return ~Q(Exists(won))
    low, high = date_range(ctx, condition.positive, condition.value)
    within = won if low is None else won.filter(closed_at__gte=ctx.start_of(low))
    if high is None:
        return Q(Exists(within))
    after = ctx.start_of(high + dt.timedelta(days=1))
    return Q(Exists(within.filter(closed_at__lt=after))) & ~Q(
        Exists(won.filter(closed_at__gte=after))
    )


def _last_won_load(ids: Sequence[int], condition: Condition, ctx: Context) -> dict[int, Any]:
    rows = _rows(ids, ctx)
    return {
        pk: max(
            (
                row.closed
                for row in rows.get(pk, ())
                if row.state == StageKind.WON and row.closed is not None
            ),
            default=None,
        )
        for pk in ids
    }


# --- Open deal in a stage ----------------------------------------------------------------------


def _in_stage_q(condition: Condition, ctx: Context) -> Q:
    stage = _id(condition.params.get("stage")) or 0
    return Q(
        Exists(Deal.objects.filter(contact_id=OuterRef("pk"), stage_id=stage, state=StageKind.OPEN))
    )


def _in_stage_load(ids: Sequence[int], condition: Condition, ctx: Context) -> dict[int, Any]:
    stage = _id(condition.params.get("stage"))
    rows = _rows(ids, ctx)
    return {
        pk: any(row.stage_id == stage and row.state == StageKind.OPEN for row in rows.get(pk, ()))
        for pk in ids
    }


def _in_stage_show(value: Any) -> str:
    return str(_("yes") if value else _("no"))


def register_deal_conditions() -> None:
    """Register the deal conditions (SegmentsConfig.ready)."""
    register_condition(
        ConditionSpec(
            field="deal_count",
            label=_("Number of deals"),
            group=DEALS,
            kind=Kind.NUMBER,
            compile=_count_q,
            load=_count_load,
            operators=NUMBER_OPS,
            params=(PIPELINE, STATE, OPENED),
            time_relative=True,
        )
    )
    register_condition(
        ConditionSpec(
            field="deal_won_amount",
            label=_("Amount of won deals (company currency)"),
            group=DEALS,
            kind=Kind.NUMBER,
            compile=_amount_q,
            load=_amount_load,
            operators=NUMBER_OPS,
            params=(PIPELINE, WON_WITHIN),
            time_relative=True,
        )
    )
    register_condition(
        ConditionSpec(
            field="last_deal_won",
            label=_("Last deal won on"),
            group=DEALS,
            kind=Kind.DATE,
            compile=_last_won_q,
            load=_last_won_load,
            time_relative=True,
        )
    )
    register_condition(
        ConditionSpec(
            field="deal_in_stage",
            label=_("Has an open deal in the stage"),
            group=DEALS,
            kind=Kind.FLAG,
            compile=_in_stage_q,
            load=_in_stage_load,
            params=(STAGE,),
            show=_in_stage_show,
        )
    )
