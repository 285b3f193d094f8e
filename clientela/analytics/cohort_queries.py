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
from clientela.analytics.cohorts import (
    CohortTables,
    add_cohort_tables,
    cohort_matrix,
    cohort_tables,
)
from clientela.analytics.models import OwnerTables, ValueSnapshot
from clientela.analytics.queries import (
    ValueFilters,
    reads_owner_cells,
    sees_everything,
    visible_owner_ids,
)
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

    Without a channel or segment filter, from the tables of the snapshot: the company's for
    someone who sees every customer, the owners' added up for someone who sees some owners'
    customers. Otherwise from one orders query.
    """
    unfiltered = filters is None or not (filters.channel or filters.segment)
    stored = snapshot.cohorts if snapshot is not None else {}
    if stored and stored.get("cells") and unfiltered and sees_everything(user):
        return _cohort_view(stored_cohort_tables(stored), as_of=as_of, months=months)
    if unfiltered and not sees_everything(user) and reads_owner_cells(user, snapshot):
        owned = OwnerTables.objects.filter(
            snapshot=snapshot, owner_id__in=visible_owner_ids(user) or []
        ).values_list("cohorts", flat=True)
        tables = add_cohort_tables([stored_cohort_tables(t) for t in owned if t])
        return _cohort_view(tables, as_of=as_of, months=months)
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


def company_cohort_tables(as_of: dt.date, orders: pl.DataFrame | None = None) -> dict[str, Any]:
    """Every customer's cohort tables up to as_of, as JSON (computed with a snapshot).

    From `orders` (``frames.order_days`` up to as_of) when the caller already read them.
    """
    if orders is None:
        orders = frames.order_days(start=None, end=as_of)
    tables = cohort_tables(
        orders, customer_col="customer_key", date_col="date", amount_col="amount", as_of=as_of
    )
    return {
        "cells": tables.cells.with_columns(pl.col("cohort").cast(pl.String)).to_dicts(),
        "cohorts": tables.cohorts.with_columns(pl.col("cohort").cast(pl.String)).to_dicts(),
    }


def owner_cohort_tables(
    as_of: dt.date, orders: pl.DataFrame, owners: pl.DataFrame
) -> dict[int, dict[str, Any]]:
    """Each owner's cohort tables up to as_of, as JSON columns, from every customer's orders.

    `owners` maps customer_key to snapshot_owner_id; customers without an owner are left out
    (nobody who sees only some owners' customers sees them).
    """
    owned = orders.join(
        owners.filter(pl.col("snapshot_owner_id").is_not_null()), on="customer_key", how="inner"
    )
    out: dict[int, dict[str, Any]] = {}
    for (owner,), part in owned.partition_by("snapshot_owner_id", as_dict=True).items():
        tables = cohort_tables(
            part, customer_col="customer_key", date_col="date", amount_col="amount", as_of=as_of
        )
        out[int(owner)] = {
            "cells": tables.cells.with_columns(pl.col("cohort").cast(pl.String)).to_dict(
                as_series=False
            ),
            "cohorts": tables.cohorts.with_columns(pl.col("cohort").cast(pl.String)).to_dict(
                as_series=False
            ),
        }
    return out


def stored_cohort_tables(stored: dict[str, Any]) -> CohortTables:
    """Cohort tables back from their JSON (a list of rows, or columns)."""

    def frame(rows: list[dict[str, Any]] | dict[str, list[Any]]) -> pl.DataFrame:
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
