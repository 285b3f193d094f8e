"""Building blocks for conditions over a column: its Q per operator and its loader.

`column_q` is the SQL meaning of each positive operator over one column (or expression);
`registry.matches` is the Python meaning. Conditions over other tables wrap `column_q` in an
``Exists`` so every compiled condition is a total predicate: never NULL, so ``NOT`` is exact.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import F, Q
from django.db.models.expressions import BaseExpression
from django.db.models.lookups import (
    Contains,
    EndsWith,
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    In,
    LessThan,
    LessThanOrEqual,
    StartsWith,
)

from clientela.segments.registry import Condition, Context, Kind, birthday_window, fold
from clientela.segments.sql import Fold, Number


def _bounds(ctx: Context, kind: Kind, low: dt.date | None, high: dt.date | None) -> tuple[Any, Any]:
    """Day bounds [low, high] as what the column stores: dates, or instants for timestamps."""
    if kind == Kind.DATETIME:
        return (
            ctx.start_of(low) if low else None,
            ctx.start_of(high + dt.timedelta(days=1)) if high else None,
        )
    return low, high


def date_range(ctx: Context, op: str, operand: Any) -> tuple[dt.date | None, dt.date | None]:
    """Return the closed day range [low, high] a date operator selects (None: unbounded)."""
    today = ctx.today
    if op == "on":
        return operand, operand
    if op == "before":
        return None, operand - dt.timedelta(days=1)
    if op == "after":
        return operand + dt.timedelta(days=1), None
    if op == "between_dates":
        return operand[0], operand[1]
    days = dt.timedelta(days=int(operand))
    if op == "in_last_days":
        return today - days, today
    if op == "more_than_days_ago":
        return None, today - days - dt.timedelta(days=1)
    if op == "in_next_days":
        return today, today + days
    raise ValueError(op)


def column_q(
    path: str,
    kind: Kind,
    condition: Condition,
    ctx: Context,
    *,
    expression: BaseExpression | None = None,
    nullable: bool = True,
    iso_text: bool = False,
) -> Q:
    """Return the positive operator of `condition` over the column `path` (or `expression`)."""
    op, operand = condition.positive, condition.value
    target: Any = expression if expression is not None else F(path)
    present = Q(**{f"{path}__isnull": False}) if nullable and expression is None else Q()
    if op == "is_empty":
        empty = (
            Q(**{f"{path}__isnull": True})
            if nullable and expression is None
            else Q(pk__isnull=True)
        )
        if kind in (Kind.TEXT, Kind.CHOICE):
            empty |= Q(Exact(target, ""))
        return empty
    if kind == Kind.TEXT:
        lookup = {
            "is": Exact,
            "contains": Contains,
            "starts_with": StartsWith,
            "ends_with": EndsWith,
        }[op]
        return present & Q(lookup(Fold(target), fold(str(operand))))
    if kind == Kind.CHOICE:
        return present & Q(In(target, list(operand)))
    if kind == Kind.BOOLEAN:
        return present & Q(Exact(target, op == "is_true"))
    if kind == Kind.NUMBER:
        if op == "between":
            return (
                present
                & Q(GreaterThanOrEqual(target, Number(operand[0])))
                & Q(LessThanOrEqual(target, Number(operand[1])))
            )
        lookup = {
            "eq": Exact,
            "gt": GreaterThan,
            "gte": GreaterThanOrEqual,
            "lt": LessThan,
            "lte": LessThanOrEqual,
        }[op]
        return present & Q(lookup(target, Number(operand)))
    if kind == Kind.BIRTHDAY:
        return present & birthday_q(path, op, operand, ctx)
    if kind in (Kind.DATE, Kind.DATETIME):
        low, high = date_range(ctx, op, operand)
        q = present
        start, end = _bounds(ctx, kind, low, high)
        if iso_text:  # dates kept as ISO text (custom fields): day order is text order
            start = start.isoformat() if start is not None else None
            end = end.isoformat() if end is not None else None
        if start is not None:
            q &= Q(GreaterThanOrEqual(target, start))
        if end is not None:
            q &= (
                Q(LessThan(target, end))
                if kind == Kind.DATETIME
                else Q(LessThanOrEqual(target, end))
            )
        return q
    raise ValueError(f"no column operator for {kind}/{op}")


# The most days each month can have (29 February included).
LONGEST_MONTH = {month: 30 if month in (4, 6, 9, 11) else 31 for month in range(1, 13)} | {2: 29}


def birthday_q(path: str, op: str, operand: Any, ctx: Context) -> Q:
    """Birthdays by month, or within the next N days (29 February celebrated on the 28th)."""
    if op == "in_month":
        return Q(**{f"{path}__month": int(operand)})
    by_month: dict[int, list[int]] = defaultdict(list)
    for month, day in birthday_window(ctx.today, int(operand)):
        by_month[month].append(day)
    # Only (month, day) ranges OR-ed together, nothing else: each arm can then be read from
    # the live-birthday index and estimated from its statistics (segments migration 0002).
    q: Q | None = None
    for month, days in sorted(by_month.items()):
        for first, last in _runs(sorted(days)):
            # Bounds every date meets are left out (day ≥ 1, day ≤ the month's longest).
            bounds: dict[str, int] = {f"{path}__month": month}
            if first > 1:
                bounds[f"{path}__day__gte"] = first
            if last < LONGEST_MONTH[month]:
                bounds[f"{path}__day__lte"] = last
            q = Q(**bounds) if q is None else q | Q(**bounds)
    return q if q is not None else Q(pk__isnull=True)


def _runs(days: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for day in days:
        if runs and day == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def chunks(ids: Sequence[int], size: int = 900) -> list[Sequence[int]]:
    """Id lists small enough for one IN (...) on SQLite."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def column_loader(
    model: Any, path: str, transform: Callable[[Any], Any] | None = None
) -> Callable[..., dict[int, Any]]:
    """Return a loader reading one column of Contact (or a path from it) for many contacts."""

    def load(ids: Sequence[int], condition: Condition, ctx: Context) -> dict[int, Any]:
        values: dict[int, Any] = {}
        for part in chunks(list(ids)):
            for pk, value in model.objects.filter(pk__in=part).values_list("pk", path):
                values[pk] = transform(value) if transform else value
        return values

    return load
