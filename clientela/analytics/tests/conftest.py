"""Shared fixtures for the analytics tests: the CDNOW data shipped with lifetimes."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

DATA = Path(__file__).parent / "data"
CDNOW_TRANSACTIONS = DATA / "cdnow_sample_transactions.csv"


@pytest.fixture(scope="session")
def cdnow_summary() -> pl.DataFrame:
    """The published 2,357-customer CDNOW calibration summary in weeks."""
    return pl.read_csv(DATA / "cdnow_customers_summary.csv")


@pytest.fixture(scope="session")
def cdnow_spend() -> pl.DataFrame:
    """The CDNOW summary with mean repeat transaction value (zbar)."""
    return pl.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv")


@pytest.fixture(scope="session")
def cdnow_transactions() -> pl.DataFrame:
    """The CDNOW sample transactions (customer_id, date, amount)."""
    return pl.read_csv(CDNOW_TRANSACTIONS, schema_overrides={"date": pl.String}).with_columns(
        pl.col("date").str.strptime(pl.Date, "%Y%m%d")
    )
