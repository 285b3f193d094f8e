"""LTV inputs computed from the orders (SQL aggregates), and LTV:CAC per channel and segment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Avg, Count, Max, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from clientela.analytics.clv.summary import DAYS_PER_MONTH
from clientela.analytics.ltv import Message, SegmentInput, payback_months
from clientela.analytics.ltv_report import (
    LtvInputs,
    lifespan_from_churn,
    net_ltv,
    ratio_and_reading,
)
from clientela.analytics.models import AnalyticsSettings, CustomerValue, ValueSnapshot
from clientela.analytics.queries import (
    ValueFilters,
    customer_values_visible_to,
    sees_acquisition_costs,
    visible_orders_sql,
)
from clientela.analytics.rfm import SEGMENT_CODES, SEGMENT_LABELS
from clientela.orders.choices import Channel
from clientela.orders.models import Order
from clientela.orders.queries import (
    CUSTOMER_KEY_SQL,
    LIVE_CUSTOMER_SQL,
    add_months,
    cac_by_channel,
    orders_visible_to,
)

# Cost must be known for at least this share of revenue before margin is taken from orders.
MIN_COST_COVERAGE = 0.5


def period_bounds(months: int | None, as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the last `months` calendar months up to as_of (None: since the first order)."""
    if months:
        return add_months(as_of.replace(day=1), -(months - 1)), as_of
    first = Order.objects.order_by("ordered_on").values_list("ordered_on", flat=True).first()
    return (first or as_of).replace(day=1), as_of


def _period_orders(
    user: Any, start: dt.date, end: dt.date, snapshot: ValueSnapshot | None, filters: ValueFilters
) -> QuerySet[Order]:
    qs = orders_visible_to(user).filter(ordered_on__gte=start, ordered_on__lte=end)
    if snapshot is not None and (filters.channel or filters.segment):
        members = CustomerValue.objects.filter(snapshot=snapshot, contact__isnull=False)
        if filters.channel:
            members = members.filter(channel=filters.channel)
        if filters.segment:
            members = members.filter(segment=filters.segment)
        qs = qs.filter(contact_id__in=members.values("contact_id"))
    return qs


def _annual_churn(user: Any, end: dt.date) -> float | None:
    """Share of the customers who bought in the year before last and not in the last year."""
    year_ago = end - dt.timedelta(days=365)
    two_years_ago = end - dt.timedelta(days=730)
    visible = orders_visible_to(user).filter(contact__isnull=False)
    before = visible.filter(ordered_on__gt=two_years_ago, ordered_on__lte=year_ago)
    recent = visible.filter(ordered_on__gt=year_ago, ordered_on__lte=end)
    prior = before.values("contact_id").distinct().count()
    if not prior:
        return None
    lost = (
        before.exclude(contact_id__in=recent.values("contact_id"))
        .values("contact_id")
        .distinct()
        .count()
    )
    return lost / prior


def compute_ltv_inputs(
    user: Any,
    *,
    as_of: dt.date,
    months: int | None,
    settings: AnalyticsSettings,
    snapshot: ValueSnapshot | None,
    filters: ValueFilters,
) -> LtvInputs:
    """ARPU, AOV, frequency, lifespan, churn, margin, discount rate, CAC and retention per
    segment, from the orders of the period that the user may see."""
    start, end = period_bounds(months, as_of)
    span_months = max(((end - start).days + 1) / DAYS_PER_MONTH, 1e-9)
    orders = _period_orders(user, start, end, snapshot, filters)
    totals = orders.order_by().aggregate(
        revenue=Sum("amount_company_currency"),
        orders=Count("id"),
        contacts=Count("contact_id", distinct=True),
        companies=Count("company_id", distinct=True, filter=Q(contact__isnull=True)),
        cost=Sum("cost_company_currency"),
        costed=Sum("amount_company_currency", filter=Q(cost_company_currency__isnull=False)),
        unattributed=Count("id", filter=Q(channel="")),
    )
    revenue = float(totals["revenue"] or 0)
    count = totals["orders"] or 0
    customers = (totals["contacts"] or 0) + (totals["companies"] or 0)
    costed = float(totals["costed"] or 0)
    margin: float | None = None
    margin_source = ""
    if revenue > 0 and costed >= MIN_COST_COVERAGE * revenue:
        margin, margin_source = 1 - float(totals["cost"] or 0) / costed, "orders"
    elif settings.default_gross_margin is not None:
        margin, margin_source = float(settings.default_gross_margin), "settings"
    churn_year = _annual_churn(user, end)
    churn_month = None if churn_year is None else 1 - (1 - min(churn_year, 0.9999)) ** (1 / 12)
    cac = None
    if sees_acquisition_costs(user):
        rows = cac_by_channel(start, end)
        new = sum(r.new_customers for r in rows)
        spend = sum((r.spend for r in rows), Decimal(0))
        cac = float(spend) / new if new else None
    data_until = orders_visible_to(user).aggregate(last=Max("ordered_on"))["last"]
    monthly = float(settings.monthly_discount_rate)
    return LtvInputs(
        arpu=revenue / customers / span_months if customers else None,
        aov=revenue / count if count else None,
        purchases_per_year=count / customers / (span_months / 12) if customers else None,
        lifespan_years=lifespan_from_churn(churn_month),
        churn_monthly=churn_month,
        gross_margin=margin,
        discount_rate=(1 + monthly) ** 12 - 1,
        cac=cac,
        retention_cost=None
        if settings.retention_cost_per_customer is None
        else float(settings.retention_cost_per_customer),
        customers=customers,
        orders=count,
        revenue=revenue,
        months=span_months,
        data_until=data_until,
        missing_share=(totals["unattributed"] or 0) / count if count else 0.0,
        margin_source=margin_source,
        segments=_segment_inputs(user, snapshot, start, end, margin, span_months),
    )


def _segment_inputs(
    user: Any,
    snapshot: ValueSnapshot | None,
    start: dt.date,
    end: dt.date,
    margin: float | None,
    span_months: float,
) -> list[SegmentInput]:
    """Per segment: yearly revenue per customer weighted by the segment's share, retention
    probability (mean P(alive)) and margin, for LTV = Σ revenue × retention × margin."""
    groups = _group_sums(user, snapshot, start, end, "segment")
    values = customer_values_visible_to(user, snapshot)
    alive = {
        r["segment"]: r
        for r in values.order_by()
        .values("segment")
        .annotate(n=Count("id"), alive=Avg("p_alive"))
        .order_by()
    }
    total = sum(r["n"] for r in alive.values())
    out = []
    for code in SEGMENT_CODES:
        row = alive.get(code)
        if not row or row["alive"] is None or not total:
            continue
        revenue = groups.get(code, {}).get("revenue", 0.0)
        yearly_per_customer = revenue / row["n"] / (span_months / 12)
        out.append(
            SegmentInput(
                revenue=yearly_per_customer * row["n"] / total,
                retention_probability=min(max(float(row["alive"]), 0.0), 1.0),
                margin=1.0 if margin is None else min(max(margin, 0.0), 1.0),
            )
        )
    return out


GROUP_COLUMNS = {"channel": "channel", "segment": "segment"}


def _group_sums(
    user: Any, snapshot: ValueSnapshot | None, start: dt.date, end: dt.date, by: str
) -> dict[str, dict[str, Any]]:
    """Orders of the period per acquisition channel or segment (one SQL GROUP BY)."""
    if snapshot is None:
        return {}
    column = GROUP_COLUMNS[by]
    visible, params = visible_orders_sql(user)
    extra = f"AND {visible}" if visible else ""
    sql = f"""
        SELECT cv.{column}, COUNT(DISTINCT cv.customer_key), COUNT(*),
               SUM(o.amount_company_currency), SUM(o.cost_company_currency),
               SUM(CASE WHEN o.cost_company_currency IS NOT NULL
                        THEN o.amount_company_currency ELSE 0 END)
        FROM orders_order o
        JOIN analytics_customervalue cv
          ON cv.snapshot_id = %s AND cv.customer_key = {CUSTOMER_KEY_SQL}
        WHERE o.ordered_on >= %s AND o.ordered_on <= %s AND {LIVE_CUSTOMER_SQL} {extra}
        GROUP BY cv.{column}
    """  # noqa: S608 - the column comes from an allow-list, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [snapshot.pk, start, end, *params])
        rows = cursor.fetchall()
    return {
        str(key or ""): {
            "customers": int(customers),
            "orders": int(orders),
            "revenue": float(revenue or 0),
            "cost": float(cost or 0),
            "costed": float(costed or 0),
        }
        for key, customers, orders, revenue, cost, costed in rows
    }


@dataclass
class GroupRow:
    """LTV, CAC and LTV:CAC of the customers of one acquisition channel or segment."""

    code: str
    label: str
    customers: int
    new_customers: int
    aov: float | None
    purchases_per_year: float | None
    arpu: float | None
    ltv: float | None
    spend: float | None
    cac: float | None
    ratio: float | None
    reading: Message | None
    payback_months: float | None
    mean_clv: float | None
    mean_alive: float | None


def group_rows(
    user: Any,
    *,
    snapshot: ValueSnapshot | None,
    inputs: LtvInputs,
    months: int | None,
    as_of: dt.date,
    by: str,
) -> list[GroupRow]:
    """LTV per customer of each acquisition channel (or RFM segment) with CAC and LTV:CAC.

    LTV = (AOV × purchases per year × margin − yearly retention cost) × lifespan, with the
    group's own AOV and frequency and the company's margin and lifespan (or the user's).
    Channel CAC = the channel's spend ÷ its new customers; a segment's CAC is the mean CAC of
    its customers' acquisition channels. CAC needs the right to see spend.
    """
    if snapshot is None:
        return []
    start, end = period_bounds(months, as_of)
    span_years = max(((end - start).days + 1) / DAYS_PER_MONTH / 12, 1e-9)
    sums = _group_sums(user, snapshot, start, end, by)
    column = GROUP_COLUMNS[by]
    values = customer_values_visible_to(user, snapshot)
    stats = {
        r[column]: r
        for r in values.order_by()
        .values(column)
        .annotate(
            n=Count("id"),
            clv=Avg("clv"),
            alive=Avg("p_alive"),
            new=Count("id", filter=Q(first_purchase__gte=start, first_purchase__lte=end)),
        )
        .order_by()
    }
    costs = sees_acquisition_costs(user)
    channel_cac: dict[str, tuple[float, int]] = {}
    if costs:
        for item in cac_by_channel(start, end):
            channel_cac[item.channel] = (float(item.spend), item.new_customers)
    segment_cac: dict[str, float] = {}
    if costs and by == "segment":
        mix = values.order_by().values("segment", "channel").annotate(n=Count("id")).order_by()
        weights: dict[str, list[float]] = {}
        for r in mix:
            channel_spend, channel_new = channel_cac.get(r["channel"], (0.0, 0))
            per = channel_spend / channel_new if channel_new else 0.0
            acc = weights.setdefault(r["segment"], [0.0, 0.0])
            acc[0] += per * r["n"]
            acc[1] += r["n"]
        segment_cac = {k: (v[0] / v[1] if v[1] else 0.0) for k, v in weights.items()}
    labels: dict[str, Any] = {"": _("Unknown"), **dict(Channel.choices)}
    if by == "segment":
        labels = {code: SEGMENT_LABELS[code] for code in SEGMENT_CODES}
    order = list(labels) if by == "segment" else sorted(set(stats) | set(channel_cac))
    rows = []
    for code in order:
        stat = stats.get(code)
        sum_row = sums.get(code)
        spend_new = channel_cac.get(code)
        if stat is None and sum_row is None and not (spend_new and spend_new[0]):
            continue
        buyers = sum_row["customers"] if sum_row else 0
        aov = sum_row["revenue"] / sum_row["orders"] if sum_row and sum_row["orders"] else None
        freq = sum_row["orders"] / buyers / span_years if buyers and sum_row else None
        arpu = sum_row["revenue"] / buyers / (span_years * 12) if buyers and sum_row else None
        ltv = net_ltv(aov, freq, inputs.lifespan_years, inputs.gross_margin, inputs.retention_cost)
        spend: float | None = None
        cac: float | None = None
        if by == "channel" and costs:
            spend = spend_new[0] if spend_new else 0.0
            new = spend_new[1] if spend_new else 0
            cac = spend / new if new and spend else None
        elif by == "segment" and costs:
            cac = segment_cac.get(code) or None
        ratio, reading = ratio_and_reading(ltv, cac)
        payback = None
        if cac and arpu is not None:
            margin = 1.0 if inputs.gross_margin is None else inputs.gross_margin
            payback = payback_months(cac, arpu, min(max(margin, 0.0), 1.0))
        rows.append(
            GroupRow(
                code=code,
                label=str(labels.get(code, code)),
                customers=stat["n"] if stat else 0,
                new_customers=stat["new"] if stat else 0,
                aov=aov,
                purchases_per_year=freq,
                arpu=arpu,
                ltv=ltv,
                spend=spend,
                cac=cac,
                ratio=ratio,
                reading=reading,
                payback_months=payback,
                mean_clv=stat["clv"] if stat else None,
                mean_alive=stat["alive"] if stat else None,
            )
        )
    return rows
