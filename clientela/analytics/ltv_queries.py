"""LTV inputs and LTV:CAC per channel and segment, read from the latest snapshot.

Every figure is an aggregate over the snapshot's customer rows the user may see: each row
already holds its customer's sums for the periods the screens offer (computed with the
snapshot), so no page scans the orders.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from clientela.accounts.models import User
from clientela.analytics.clv.summary import DAYS_PER_MONTH
from clientela.analytics.frames import period_start
from clientela.analytics.ltv import Message, SegmentInput, payback_months
from clientela.analytics.ltv_report import (
    LtvInputs,
    lifespan_from_churn,
    net_ltv,
    ratio_and_reading,
)
from clientela.analytics.measures import ValueSource, cell_measures, cells_of, row_measures
from clientela.analytics.models import (
    AnalyticsSettings,
    CustomerValue,
    ValueSnapshot,
)
from clientela.analytics.queries import (
    ValueFilters,
    sees_acquisition_costs,
    value_source,
)
from clientela.analytics.rfm import SEGMENT_CODES, SEGMENT_LABELS
from clientela.orders.choices import Channel
from clientela.orders.models import Order
from clientela.orders.queries import spend_by_channel

# Cost must be known for at least this share of revenue before margin is taken from orders.
MIN_COST_COVERAGE = 0.5


def period_bounds(months: int | None, as_of: dt.date) -> tuple[dt.date, dt.date]:
    """Return the last `months` calendar months up to as_of (None: since the first order)."""
    if months:
        return period_start(months, as_of), as_of
    first = Order.objects.order_by("ordered_on").values_list("ordered_on", flat=True).first()
    return (first or as_of).replace(day=1), as_of


def new_customers_by_channel(snapshot: ValueSnapshot, months: int | None) -> dict[str, int]:
    """Count the snapshot's customers first buying in the period, by acquisition channel.

    Company-wide (CAC divides company-wide spend), read from the snapshot's cells.
    """
    if snapshot.has_cells:
        source = ValueSource(cells_of(snapshot), cell_measures(), cells=True)
    else:
        rows = CustomerValue.objects.filter(snapshot=snapshot)
        source = ValueSource(rows, row_measures(snapshot.as_of), cells=False)
    return {
        str(r["channel"] or ""): int(r["new"] or 0)
        for r in source.grouped(("channel",), months=months)
    }


def channel_costs(
    snapshot: ValueSnapshot, months: int | None, start: dt.date, end: dt.date
) -> dict[str, tuple[float, int]]:
    """(spend, new customers) per acquisition channel over the period."""
    spend = spend_by_channel(start, end)
    new = new_customers_by_channel(snapshot, months)
    return {
        channel: (float(spend.get(channel, Decimal(0))), new.get(channel, 0))
        for channel in sorted(set(spend) | set(new))
    }


def _float(value: Any) -> float:
    return float(value or 0)


def compute_ltv_inputs(
    user: User,
    *,
    as_of: dt.date,
    months: int | None,
    settings: AnalyticsSettings,
    snapshot: ValueSnapshot | None,
    filters: ValueFilters,
) -> LtvInputs:
    """Compute the LTV inputs over the period for the customers the user may see.

    ARPU, AOV, frequency, lifespan, churn, margin, discount rate, CAC and retention per
    segment, for the snapshot's customers.
    """
    start, end = period_bounds(months, as_of)
    span_months = max(((end - start).days + 1) / DAYS_PER_MONTH, 1e-9)
    totals = value_source(user, snapshot, filters).totals(
        "prior", "lost", "last_purchase", months=months
    )
    revenue = _float(totals["revenue"])
    count = int(totals["orders"] or 0)
    customers = int(totals["buyers"] or 0)
    costed = _float(totals["costed"])
    margin: float | None = None
    margin_source = ""
    if revenue > 0 and costed >= MIN_COST_COVERAGE * revenue:
        margin, margin_source = 1 - _float(totals["cost"]) / costed, "orders"
    elif settings.default_gross_margin is not None:
        margin, margin_source = float(settings.default_gross_margin), "settings"
    # Annual churn: the share of the customers who bought in the year before last and not in
    # the last year.
    churn_year = totals["lost"] / totals["prior"] if totals["prior"] else None
    churn_month = None if churn_year is None else 1 - (1 - min(churn_year, 0.9999)) ** (1 / 12)
    cac = None
    if snapshot is not None and sees_acquisition_costs(user):
        costs = channel_costs(snapshot, months, start, end).values()
        new = sum(n for _spend, n in costs)
        cac = sum(spend for spend, _n in costs) / new if new else None
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
        retention_cost=settings_retention_cost(settings),
        customers=customers,
        orders=count,
        revenue=revenue,
        months=span_months,
        data_until=totals["last_purchase"],
        missing_share=_float(totals["unattributed"]) / count if count else 0.0,
        margin_source=margin_source,
        segments=_segment_inputs(user, snapshot, filters, months, margin, span_months),
    )


def settings_retention_cost(settings: AnalyticsSettings) -> float | None:
    """Return the retention cost per customer and year of the settings, as a float."""
    value = settings.retention_cost_per_customer
    return None if value is None else float(value)


def _segment_inputs(
    user: User,
    snapshot: ValueSnapshot | None,
    filters: ValueFilters,
    months: int | None,
    margin: float | None,
    span_months: float,
) -> list[SegmentInput]:
    """Return per segment the terms of LTV = Σ revenue × retention × margin.

    Yearly revenue per customer weighted by the segment's share, retention probability (mean
    P(alive)) and margin.
    """
    rows = {
        r["segment"]: {
            "n": r["customers"],
            "alive": r["alive_sum"] / r["alive_n"] if r["alive_n"] else None,
            "revenue": r["revenue"],
        }
        for r in value_source(user, snapshot, filters).grouped(
            ("segment",), "customers", "alive_sum", "alive_n", months=months
        )
    }
    total = sum(r["n"] for r in rows.values())
    out = []
    for code in SEGMENT_CODES:
        row = rows.get(code)
        if not row or row["alive"] is None or not total:
            continue
        yearly_per_customer = _float(row["revenue"]) / row["n"] / (span_months / 12)
        out.append(
            SegmentInput(
                revenue=yearly_per_customer * row["n"] / total,
                retention_probability=min(max(float(row["alive"]), 0.0), 1.0),
                margin=1.0 if margin is None else min(max(margin, 0.0), 1.0),
            )
        )
    return out


GROUP_COLUMNS = {"channel": "channel", "segment": "segment"}


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
    user: User,
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
    column = GROUP_COLUMNS[by]
    source = value_source(user, snapshot, ValueFilters())
    stats = {
        r[column]: {
            **r,
            "n": r["customers"],
            "clv": r["clv_sum"] / r["clv_n"] if r["clv_n"] else None,
            "alive": r["alive_sum"] / r["alive_n"] if r["alive_n"] else None,
        }
        for r in source.grouped(
            (column,), "customers", "clv_sum", "clv_n", "alive_sum", "alive_n", months=months
        )
    }
    costs = sees_acquisition_costs(user)
    channel_cac = channel_costs(snapshot, months, start, end) if costs else {}
    segment_cac: dict[str, float] = {}
    if costs and by == "segment":
        weights: dict[str, list[float]] = {}
        for r in source.grouped(("segment", "channel"), "customers"):
            channel_spend, channel_new = channel_cac.get(r["channel"], (0.0, 0))
            per = channel_spend / channel_new if channel_new else 0.0
            acc = weights.setdefault(r["segment"], [0.0, 0.0])
            acc[0] += per * r["customers"]
            acc[1] += r["customers"]
        segment_cac = {k: (v[0] / v[1] if v[1] else 0.0) for k, v in weights.items()}
    labels: dict[str, Any] = {"": _("Unknown"), **dict(Channel.choices)}
    if by == "segment":
        labels = {code: SEGMENT_LABELS[code] for code in SEGMENT_CODES}
    order = list(labels) if by == "segment" else sorted(set(stats) | set(channel_cac))
    rows = []
    for code in order:
        stat = stats.get(code)
        spend_new = channel_cac.get(code)
        if stat is None and not (spend_new and spend_new[0]):
            continue
        buyers = stat["buyers"] if stat else 0
        orders = int(stat["orders"] or 0) if stat else 0
        revenue = _float(stat["revenue"]) if stat else 0.0
        aov = revenue / orders if orders else None
        freq = orders / buyers / span_years if buyers else None
        arpu = revenue / buyers / (span_years * 12) if buyers else None
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
