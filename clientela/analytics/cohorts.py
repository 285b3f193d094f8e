"""Monthly acquisition cohorts: retention, revenue, repurchase and churn per month since start.

A customer's cohort is the calendar month of the first purchase; period k is the k-th
calendar month after it (k = 0 is the acquisition month). Only cells that could be
observed by ``as_of`` are returned, so a young cohort has fewer periods.

* retention[c, k] = share of the cohort that bought in period k (1.0 at k = 0);
* revenue[c, k] = money spent by the cohort in period k;
* churn_rate[c, k] = share of the customers who bought in period k - 1 and did not buy in
  period k (undefined, and absent, for k = 0 or when nobody bought in k - 1);
* repurchase_rate[c] = share of the cohort that bought again on a later day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

CELL_COLUMNS = (
    "cohort", "period", "customers", "active_customers", "retention", "revenue", "churn_rate",
    "churned", "prior_active",
)  # fmt: skip


@dataclass(frozen=True)
class CohortTables:
    """Long-format cohort cells and per-cohort repurchase rates."""

    # cohort (Date, first day of month), period, customers, active_customers,
    # retention, revenue, churn_rate (null when undefined), and the counts behind the churn
    # rate: churned, prior_active (buyers of the period before)
    cells: pl.DataFrame
    # cohort, customers, repeat_customers, repurchase_rate
    cohorts: pl.DataFrame


def _month_index(day: pl.Expr) -> pl.Expr:
    """Return months since year 0 for a Date expression (for month differences)."""
    return day.dt.year().cast(pl.Int32) * 12 + day.dt.month().cast(pl.Int32) - 1


def cohort_tables(
    transactions: pl.DataFrame | pl.LazyFrame,
    *,
    customer_col: str = "customer",
    date_col: str = "date",
    amount_col: str = "amount",
    as_of: dt.date | None = None,
) -> CohortTables:
    """Build monthly acquisition cohorts with retention, revenue, churn and repurchase rates."""
    lf = transactions.lazy().select(
        customer=pl.col(customer_col),
        day=pl.col(date_col).cast(pl.Date),
        amount=pl.col(amount_col).cast(pl.Float64),
    )
    if as_of is not None:
        lf = lf.filter(pl.col("day") <= as_of)
    lf = lf.with_columns(month=_month_index(pl.col("day")))
    firsts = lf.group_by("customer").agg(
        first_day=pl.col("day").min(),
        cohort_month=pl.col("month").min(),
        repeat=pl.col("day").n_unique() > 1,
    )
    activity = (
        lf.join(firsts, on="customer")
        .with_columns(period=pl.col("month") - pl.col("cohort_month"))
        .group_by("cohort_month", "period", "customer")
        .agg(pl.col("amount").sum())
    )
    sizes = firsts.group_by("cohort_month").agg(
        customers=pl.len(), repeat_customers=pl.col("repeat").sum()
    )
    frame = activity.collect()
    size_frame = sizes.collect().sort("cohort_month")
    if size_frame.height == 0:
        empty_cells = pl.DataFrame(
            schema={
                "cohort": pl.Date,
                "period": pl.Int32,
                "customers": pl.UInt32,
                "active_customers": pl.UInt32,
                "retention": pl.Float64,
                "revenue": pl.Float64,
                "churn_rate": pl.Float64,
                "churned": pl.UInt32,
                "prior_active": pl.UInt32,
            }
        )
        empty_cohorts = pl.DataFrame(
            schema={
                "cohort": pl.Date,
                "customers": pl.UInt32,
                "repeat_customers": pl.UInt32,
                "repurchase_rate": pl.Float64,
            }
        )
        return CohortTables(empty_cells, empty_cohorts)

    last_month = (
        int(frame.select(pl.col("period") + pl.col("cohort_month")).max().item())
        if as_of is None
        else as_of.year * 12 + as_of.month - 1
    )
    # Every observable (cohort, period) cell, including the ones where nobody bought.
    grid = size_frame.select("cohort_month", "customers").join(
        pl.DataFrame({"period": np.arange(0, last_month + 1, dtype=np.int32)}), how="cross"
    )
    grid = grid.filter(pl.col("cohort_month") + pl.col("period") <= last_month)
    per_cell = frame.group_by("cohort_month", "period").agg(
        active_customers=pl.len(), revenue=pl.col("amount").sum()
    )
    # Churn: who bought in k-1 but not in k, computed by shifting each buyer's period.
    previous = frame.select("cohort_month", "customer", period=pl.col("period") + 1).join(
        frame.select("cohort_month", "customer", "period"),
        on=["cohort_month", "customer", "period"],
        how="anti",
    )
    churned = previous.group_by("cohort_month", "period").agg(churned=pl.len())
    prior = per_cell.select(
        "cohort_month", period=pl.col("period") + 1, prior_active=pl.col("active_customers")
    )
    cells = (
        grid.join(per_cell, on=["cohort_month", "period"], how="left")
        .join(churned, on=["cohort_month", "period"], how="left")
        .join(prior, on=["cohort_month", "period"], how="left")
        .with_columns(
            pl.col("active_customers").fill_null(0),
            pl.col("revenue").fill_null(0.0),
            pl.col("churned").fill_null(0),
            pl.col("prior_active").fill_null(0),
        )
        .with_columns(
            retention=pl.col("active_customers") / pl.col("customers"),
            churn_rate=pl.when(pl.col("prior_active") > 0).then(
                pl.col("churned") / pl.col("prior_active")
            ),
        )
        .with_columns(cohort=_month_start(pl.col("cohort_month")))
        .select(
            "cohort",
            "period",
            "customers",
            "active_customers",
            "retention",
            "revenue",
            "churn_rate",
            "churned",
            "prior_active",
        )
        .sort("cohort", "period")
    )
    cohorts = size_frame.select(
        cohort=_month_start(pl.col("cohort_month")),
        customers=pl.col("customers"),
        repeat_customers=pl.col("repeat_customers"),
        repurchase_rate=pl.col("repeat_customers") / pl.col("customers"),
    )
    return CohortTables(cells=cells, cohorts=cohorts)


def add_cohort_tables(parts: list[CohortTables]) -> CohortTables:
    """Add up the tables of disjoint sets of customers (one owner's each) into theirs.

    Sizes, active, churned and prior customers and revenue add up; the rates are recomputed
    from the sums, so the result is the tables of all those customers together.
    """
    parts = [p for p in parts if p.cohorts.height]
    if not parts:
        empty = {"customer": pl.Int64, "date": pl.Date, "amount": pl.Float64}
        return cohort_tables(pl.DataFrame(schema=empty))
    counts = ("customers", "active_customers", "churned", "prior_active")
    cells = (
        pl.concat([p.cells.select("cohort", "period", *counts, "revenue") for p in parts])
        .group_by("cohort", "period")
        .agg(*(pl.col(c).sum() for c in (*counts, "revenue")))
        .with_columns(
            retention=pl.col("active_customers") / pl.col("customers"),
            churn_rate=pl.when(pl.col("prior_active") > 0).then(
                pl.col("churned") / pl.col("prior_active")
            ),
        )
        .select(CELL_COLUMNS)
        .sort("cohort", "period")
    )
    cohorts = (
        pl.concat([p.cohorts.select("cohort", "customers", "repeat_customers") for p in parts])
        .group_by("cohort")
        .agg(pl.col("customers").sum(), pl.col("repeat_customers").sum())
        .with_columns(repurchase_rate=pl.col("repeat_customers") / pl.col("customers"))
        .sort("cohort")
    )
    return CohortTables(cells=cells, cohorts=cohorts)


def _month_start(month_index: pl.Expr) -> pl.Expr:
    """Return the first day of the month for a months-since-year-0 index."""
    return pl.date(month_index // 12, month_index % 12 + 1, 1)


def cohort_matrix(
    cells: pl.DataFrame, value: str = "retention"
) -> tuple[list[dt.date], list[int], npt.NDArray[np.float64]]:
    """Pivot cohort cells into (cohorts, periods, matrix) with NaN for unobservable cells."""
    cohorts = cells["cohort"].unique().sort().to_list()
    periods = list(range(int(cells["period"].max()) + 1)) if cells.height else []  # type: ignore[arg-type]
    matrix = np.full((len(cohorts), len(periods)), np.nan)
    if cells.height:
        rows = (cells["cohort"].rank("dense").cast(pl.Int64) - 1).to_numpy()
        values = cells[value].fill_null(np.nan).to_numpy().astype(np.float64)
        matrix[rows, cells["period"].to_numpy()] = values
    return cohorts, periods, matrix
