"""Reads for the cohort screens: retention and revenue per acquisition month.

They come from the orders the user may see or, for someone who sees every customer, from the
tables a snapshot keeps.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from clientela.accounts.models import User
from clientela.analytics import frames
from clientela.analytics.cohorts import CohortTables, cohort_matrix, cohort_tables
from clientela.analytics.models import ValueSnapshot
from clientela.analytics.queries import ValueFilters, sees_everything
from clientela.contacts.queries import companies_visible_to, contacts_visible_to
from clientela.orders.queries import add_months


def visible_orders_sql(user: User) -> tuple[str, list[Any]]:
    """Return a WHERE fragment (orders alias `o`) keeping orders of customers the user may see."""
    if sees_everything(user):
        return "", []  # the live-customer condition of every orders query is then enough
    contacts_sql, contact_params = contacts_visible_to(user).values("pk").query.sql_with_params()
    companies_sql, company_params = companies_visible_to(user).values("pk").query.sql_with_params()
    fragment = (
        f"(o.contact_id IN ({contacts_sql}) OR "
        f"(o.contact_id IS NULL AND o.company_id IN ({companies_sql})))"
    )
    return fragment, [*contact_params, *company_params]


@dataclass
class CohortView:
    """Monthly acquisition cohorts ready for the heatmap."""

    cohorts: list[dt.date]
    periods: list[int]
    retention: list[list[float | None]]
    revenue: list[list[float | None]]
    sizes: list[int]
    repurchase: list[float | None]
    churn_by_period: list[float | None]
    tables: CohortTables | None = None


def cohort_view(
    user: User,
    *,
    as_of: dt.date,
    months: int | None,
    snapshot: ValueSnapshot | None = None,
    filters: ValueFilters | None = None,
) -> CohortView:
    """Return retention and revenue per acquisition month × months since.

    From one orders query or, for someone who sees every customer without a filter, from the
    tables of the snapshot.
    """
    unfiltered = filters is None or not (filters.channel or filters.segment)
    stored = snapshot.cohorts if snapshot is not None else {}
    if stored and stored.get("cells") and unfiltered and sees_everything(user):
        return _cohort_view(stored_cohort_tables(stored), as_of=as_of, months=months)
    visible, params = visible_orders_sql(user)
    conditions = [visible] if visible else []
    if snapshot is not None and filters is not None and (filters.channel or filters.segment):
        sub = ["cv.snapshot_id = %s"]
        params = [*params, snapshot.pk]
        if filters.channel:
            sub.append("cv.channel = %s")
            params.append(filters.channel)
        if filters.segment:
            sub.append("cv.segment = %s")
            params.append(filters.segment)
        in_snapshot = " AND ".join(sub)
        subquery = f"SELECT cv.customer_key FROM analytics_customervalue cv WHERE {in_snapshot}"  # noqa: S608
        conditions.append(f"COALESCE(o.contact_id, -o.company_id) IN ({subquery})")
    orders = frames.order_days(
        start=None, end=as_of, visible_sql=" AND ".join(conditions), visible_params=params
    )
    tables = cohort_tables(
        orders, customer_col="customer_key", date_col="date", amount_col="amount", as_of=as_of
    )
    return _cohort_view(tables, as_of=as_of, months=months)


def company_cohort_tables(as_of: dt.date) -> dict[str, Any]:
    """Every customer's cohort tables up to as_of, as JSON (computed with a snapshot)."""
    orders = frames.order_days(start=None, end=as_of)
    tables = cohort_tables(
        orders, customer_col="customer_key", date_col="date", amount_col="amount", as_of=as_of
    )
    return {
        "cells": tables.cells.with_columns(pl.col("cohort").cast(pl.String)).to_dicts(),
        "cohorts": tables.cohorts.with_columns(pl.col("cohort").cast(pl.String)).to_dicts(),
    }


def stored_cohort_tables(stored: dict[str, Any]) -> CohortTables:
    """Cohort tables back from their JSON."""

    def frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
        return pl.DataFrame(rows, infer_schema_length=None).with_columns(
            pl.col("cohort").str.to_date("%Y-%m-%d")
        )

    return CohortTables(cells=frame(stored["cells"]), cohorts=frame(stored["cohorts"]))


def _cohort_view(tables: CohortTables, *, as_of: dt.date, months: int | None) -> CohortView:
    cells = tables.cells
    cohort_rows = tables.cohorts
    if months:
        first = add_months(as_of.replace(day=1), -(months - 1))
        cells = cells.filter(pl.col("cohort") >= first)
        cohort_rows = cohort_rows.filter(pl.col("cohort") >= first)
    if cells.height == 0:
        return CohortView([], [], [], [], [], [], [])
    cohorts, periods, retention = cohort_matrix(cells, "retention")
    _c, _p, revenue = cohort_matrix(cells, "revenue")
    churn = (
        cells.filter(pl.col("churn_rate").is_not_null())
        .group_by("period")
        .agg(
            churned=(pl.col("churn_rate") * pl.col("customers")).sum(),
            weight=pl.col("customers").sum(),
        )
        .sort("period")
    )
    churn_map = {int(p): (c / w if w else None) for p, c, w in churn.iter_rows()}

    def listify(matrix: np.ndarray) -> list[list[float | None]]:
        return [[None if np.isnan(v) else float(v) for v in row] for row in matrix]

    return CohortView(
        cohorts=cohorts,
        periods=periods,
        retention=listify(retention),
        revenue=listify(revenue),
        sizes=[int(n) for n in cohort_rows["customers"].to_list()],
        repurchase=[float(v) for v in cohort_rows["repurchase_rate"].to_list()],
        churn_by_period=[churn_map.get(p) for p in periods],
        tables=tables,
    )
