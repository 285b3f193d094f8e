"""Conditions over a contact's purchases (the orders app): count, total, last purchase, product.

Counts and totals may look at a window ("in the last N days", by the order's calendar day in
the company's time zone); a contact with no purchase has a count and a total of 0 and no last
purchase date. Refunds are negative amounts and lower the total, as in the value pages.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Exists, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Round
from django.db.models.lookups import Contains, Exact
from django.utils.translation import gettext_lazy as _

from clientela.orders.models import Order, OrderLine
from clientela.segments.conditions.base import chunks, column_q, date_range
from clientela.segments.registry import (
    Condition,
    ConditionSpec,
    Context,
    Kind,
    Param,
    fold,
    register_condition,
)
from clientela.segments.sql import Fold

PURCHASES = _("Purchases")
WINDOW = Param("days", _("In the last … days (empty: ever)"), days=True, required=False)
NUMBER_OPS = ("eq", "neq", "gt", "gte", "lt", "lte", "between")


def _window_start(condition: Condition, ctx: Context) -> dt.date | None:
    days = condition.params.get("days")
    return None if days is None else ctx.today - dt.timedelta(days=int(days))


def _orders(condition: Condition, ctx: Context) -> Any:
    orders = Order.objects.filter(contact_id=OuterRef("pk"))
    start = _window_start(condition, ctx)
    return (
        orders if start is None else orders.filter(ordered_on__gte=start, ordered_on__lte=ctx.today)
    )


def _aggregate(condition: Condition, ctx: Context, aggregate: Any, zero: Any) -> Any:
    per_contact = (
        _orders(condition, ctx)
        .order_by()
        .values("contact_id")
        .annotate(value=aggregate)
        .values("value")
    )
    return Coalesce(Subquery(per_contact), zero)


def _count_q(condition: Condition, ctx: Context) -> Q:
    if condition.positive == "gte" and condition.value == 1:
        return Q(Exists(_orders(condition, ctx)))
    return column_q(
        "orders",
        Kind.NUMBER,
        condition,
        ctx,
        expression=_aggregate(condition, ctx, Count("id"), Value(0)),
    )


def _total_q(condition: Condition, ctx: Context) -> Q:
    money: DecimalField[Decimal, Decimal] = DecimalField(max_digits=20, decimal_places=2)
    total = _aggregate(
        condition,
        ctx,
        Round(Sum("amount_company_currency"), 2),
        Value(Decimal(0), output_field=money),
    )
    return column_q("orders", Kind.NUMBER, condition, ctx, expression=total)


def _last_q(condition: Condition, ctx: Context) -> Q:
    """Last purchase day within [low, high]: a purchase in the range and none after it.

    Two EXISTS over the (contact, day) index instead of each contact's MAX(day) in a
    correlated subquery: PostgreSQL turns them into semi- and anti-joins (segment-1m: a
    500,000-member "bought in the last 365 days" refreshed in a fraction of the time).
    """
    orders = Order.objects.filter(contact_id=OuterRef("pk"))
    if condition.positive == "is_empty":
        return ~Q(Exists(orders))
    low, high = date_range(ctx, condition.positive, condition.value)
    within = orders
    if low is not None:
        within = within.filter(ordered_on__gte=low)
    if high is None:
        return Q(Exists(within))
    return Q(Exists(within.filter(ordered_on__lte=high))) & ~Q(
        Exists(orders.filter(ordered_on__gt=high))
    )


def _rows(ids: Sequence[int]) -> dict[int, list[tuple[dt.date, Decimal]]]:
    rows: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for part in chunks(list(ids)):
        for contact_id, day, amount in Order.objects.filter(contact_id__in=part).values_list(
            "contact_id", "ordered_on", "amount_company_currency"
        ):
            rows[contact_id].append((day, amount))
    return rows


def _in_window(day: dt.date, condition: Condition, ctx: Context) -> bool:
    start = _window_start(condition, ctx)
    return start is None or start <= day <= ctx.today


def _count_load(ids: Sequence[int], condition: Condition, ctx: Context) -> dict[int, Any]:
    rows = _rows(ids)
    return {
        pk: sum(1 for day, _amount in rows.get(pk, ()) if _in_window(day, condition, ctx))
        for pk in ids
    }


def _total_load(ids: Sequence[int], condition: Condition, ctx: Context) -> dict[int, Any]:
    rows = _rows(ids)
    return {
        pk: sum(
            (amount for day, amount in rows.get(pk, ()) if _in_window(day, condition, ctx)),
            Decimal(0),
        )
        for pk in ids
    }


def _last_load(ids: Sequence[int], condition: Condition, ctx: Context) -> dict[int, Any]:
    rows = _rows(ids)
    return {
        pk: max((day for day, _amount in rows[pk]), default=None) if pk in rows else None
        for pk in ids
    }


def _product_q(condition: Condition, ctx: Context) -> Q:
    wanted = fold(str(condition.value))
    lines = OrderLine.objects.filter(order__contact_id=OuterRef("pk")).filter(
        Q(Exact(Fold("sku"), wanted)) | Q(Contains(Fold("product_name"), wanted))
    )
    start = _window_start(condition, ctx)
    if start is not None:
        lines = lines.filter(order__ordered_on__gte=start, order__ordered_on__lte=ctx.today)
    return Q(Exists(lines))


def _product_load(ids: Sequence[int], condition: Condition, ctx: Context) -> dict[int, Any]:
    bought: dict[int, list[tuple[str, str, dt.date]]] = defaultdict(list)
    for part in chunks(list(ids)):
        for contact_id, sku, name, day in OrderLine.objects.filter(
            order__contact_id__in=part
        ).values_list("order__contact_id", "sku", "product_name", "order__ordered_on"):
            bought[contact_id].append((sku, name, day))
    return {pk: tuple(bought.get(pk, ())) for pk in ids}


def _product_predicate(condition: Condition, value: Any, ctx: Context) -> bool:
    wanted = fold(str(condition.value))
    return any(
        (fold(sku) == wanted or wanted in fold(name)) and _in_window(day, condition, ctx)
        for sku, name, day in value or ()
    )


def _product_show(value: Any) -> str:
    names = sorted({name for _sku, name, _day in value or ()})
    return ", ".join(names[:5]) + (" …" if len(names) > 5 else "") if names else "—"


def register_purchase_conditions() -> None:
    """Register the purchase conditions (SegmentsConfig.ready)."""
    register_condition(
        ConditionSpec(
            field="purchase_count",
            label=_("Number of purchases"),
            group=PURCHASES,
            kind=Kind.NUMBER,
            compile=_count_q,
            load=_count_load,
            operators=NUMBER_OPS,
            params=(WINDOW,),
            time_relative=True,
        )
    )
    register_condition(
        ConditionSpec(
            field="purchase_total",
            label=_("Total spent (company currency)"),
            group=PURCHASES,
            kind=Kind.NUMBER,
            compile=_total_q,
            load=_total_load,
            operators=NUMBER_OPS,
            params=(WINDOW,),
            time_relative=True,
        )
    )
    register_condition(
        ConditionSpec(
            field="last_purchase",
            label=_("Last purchase date"),
            group=PURCHASES,
            kind=Kind.DATE,
            compile=_last_q,
            load=_last_load,
            time_relative=True,
        )
    )
    register_condition(
        ConditionSpec(
            field="product",
            label=_("Bought the product"),
            group=PURCHASES,
            kind=Kind.TEXT,
            compile=_product_q,
            load=_product_load,
            operators=("has", "has_not"),
            params=(WINDOW,),
            predicate=_product_predicate,
            show=_product_show,
            time_relative=True,
        )
    )
