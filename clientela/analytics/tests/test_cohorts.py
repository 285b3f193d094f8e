"""Monthly acquisition cohorts: retention, revenue, churn and repurchase."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from clientela.analytics.cohorts import cohort_matrix, cohort_tables

D = dt.date


def _transactions() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer": ["a", "a", "a", "b", "b", "c", "d"],
            "date": [
                D(2024, 1, 5),
                D(2024, 2, 1),
                D(2024, 3, 3),
                D(2024, 1, 20),
                D(2024, 3, 1),
                D(2024, 2, 10),
                D(2024, 2, 11),
            ],
            "amount": [10.0, 20.0, 30.0, 5.0, 5.0, 7.0, 8.0],
        }
    )


def test_it_builds_retention_revenue_and_churn_per_cohort_and_month() -> None:
    tables = cohort_tables(_transactions(), as_of=D(2024, 3, 31))
    cells = tables.cells
    january = cells.filter(pl.col("cohort") == D(2024, 1, 1))
    assert january["retention"].to_list() == [1.0, 0.5, 1.0]
    assert january["revenue"].to_list() == [15.0, 20.0, 35.0]
    assert january["churn_rate"].to_list() == [None, 0.5, 0.0]
    february = cells.filter(pl.col("cohort") == D(2024, 2, 1))
    # Nobody of February's cohort bought in March: an observed zero, not a missing cell.
    assert february["retention"].to_list() == [1.0, 0.0]
    assert february["churn_rate"].to_list() == [None, 1.0]


def test_it_computes_repurchase_rate_per_cohort() -> None:
    cohorts = cohort_tables(_transactions()).cohorts
    assert cohorts["repurchase_rate"].to_list() == [1.0, 0.0]
    assert cohorts["customers"].to_list() == [2, 2]


def test_it_pivots_cells_into_a_matrix_with_gaps_for_unobservable_cells() -> None:
    tables = cohort_tables(_transactions(), as_of=D(2024, 3, 31))
    cohorts, periods, matrix = cohort_matrix(tables.cells, "retention")
    assert cohorts == [D(2024, 1, 1), D(2024, 2, 1)]
    assert periods == [0, 1, 2]
    assert matrix[0].tolist() == [1.0, 0.5, 1.0]
    assert matrix[1, 1] == 0.0
    assert np.isnan(matrix[1, 2])


def test_it_returns_empty_tables_without_transactions() -> None:
    empty = _transactions().clear()
    tables = cohort_tables(empty)
    assert tables.cells.height == 0
    assert tables.cohorts.height == 0
