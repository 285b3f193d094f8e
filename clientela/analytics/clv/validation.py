"""Holdout validation of a fitted BG/NBD model, as plain data ready for tables and charts.

Two views from Fader, Hardie & Lee (2005): (1) mean purchases in the holdout period,
actual vs predicted, grouped by the number of repeat purchases in the calibration period
(bins 0..6 and 7+); (2) cumulative repeat purchases of the whole cohort per period,
actual vs what the model predicts for customers that start buying on their first day.
"""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

import numpy as np
import numpy.typing as npt
import polars as pl

from .bgnbd import BgNbdParams, conditional_expected_purchases, expected_purchases
from .summary import _epoch_day, daily_transactions, unit_days


class HoldoutBin(TypedDict):
    """Mean holdout purchases of the customers in one calibration-frequency bin."""

    bin: str
    customers: int
    actual: float
    predicted: float


class CurvePoint(TypedDict):
    """Cumulative repeat purchases of the cohort at the end of one period."""

    period: int
    actual: int
    predicted: float


class RepeatCurve(TypedDict):
    """The cumulative repeat-purchase curve and where the calibration period ends.

    ``calibration_end_period`` is the time, in units since the start of the cohort's first
    purchase day, at which the calibration end's day ends: the calibration period's last
    purchases are in period ``ceil(calibration_end_period)``.
    """

    calibration_end_period: float
    periods: list[CurvePoint]


def holdout_by_frequency(
    params: BgNbdParams,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    frequency_holdout: npt.ArrayLike,
    duration_holdout: npt.ArrayLike,
    *,
    top_bin: int = 7,
) -> list[HoldoutBin]:
    """Return, per calibration-frequency bin, customers and mean actual/predicted holdout purchases."""
    x = np.asarray(frequency, dtype=np.float64)
    actual = np.asarray(frequency_holdout, dtype=np.float64)
    duration = np.broadcast_to(np.asarray(duration_holdout, dtype=np.float64), x.shape)
    predicted = conditional_expected_purchases(params, duration, x, recency, T)
    bins = np.minimum(x, top_bin).astype(np.intp)
    counts = np.bincount(bins, minlength=top_bin + 1)
    sum_actual = np.bincount(bins, weights=actual, minlength=top_bin + 1)
    sum_predicted = np.bincount(bins, weights=predicted, minlength=top_bin + 1)
    rows: list[HoldoutBin] = []
    for k in range(top_bin + 1):  # at most eight bins, not a loop over customers
        n = int(counts[k])
        rows.append(
            {
                "bin": f"{k}+" if k == top_bin else str(k),
                "customers": n,
                "actual": float(sum_actual[k] / n) if n else 0.0,
                "predicted": float(sum_predicted[k] / n) if n else 0.0,
            }
        )
    return rows


def cumulative_repeat_curve(
    params: BgNbdParams,
    transactions: pl.DataFrame | pl.LazyFrame,
    *,
    customer_col: str = "customer",
    date_col: str = "date",
    time_unit: str = "weeks",
    calibration_end: dt.date | None = None,
    observation_end: dt.date | None = None,
) -> RepeatCurve:
    """Return cumulative repeat purchases per period (actual vs predicted) for the fitted cohort."""
    unit = unit_days(time_unit)
    daily = daily_transactions(
        transactions, customer_col=customer_col, date_col=date_col, amount_col=None
    ).collect()
    if daily.height == 0:
        return {"calibration_end_period": 0.0, "periods": []}
    obs_day = (
        int(daily["day"].max())  # type: ignore[arg-type]
        if observation_end is None
        else _epoch_day(observation_end)
    )
    cal_day = obs_day if calibration_end is None else _epoch_day(calibration_end)
    daily = daily.filter(pl.col("day") <= obs_day)
    first = (
        daily.group_by("customer").agg(first=pl.col("day").min()).filter(pl.col("first") <= cal_day)
    )
    origin = int(first["first"].min())  # type: ignore[arg-type]
    repeat_days = (
        daily.join(first, on="customer", how="inner")
        .filter(pl.col("day") > pl.col("first"))["day"]
        .to_numpy()
    )
    # A day d is the interval [d, d + 1): period k covers the days whose offset from the
    # cohort's first day lies in [(k - 1) unit, k unit), so a purchase on offset day o is
    # in period floor(o / unit) + 1 (the BTYD and lifetimes convention). The period that
    # holds the calibration end then counts calibration purchases only, and period k is
    # compared with E[X] at k units after the origin, the end of its last day.
    # Only whole periods: the last one ends with the observation end's day or before it.
    periods = max(int(np.floor((obs_day + 1 - origin) / unit)), 1)
    ends = np.arange(1, periods + 1, dtype=np.float64)
    period_index = (np.floor((repeat_days - origin) / unit) + 1).astype(np.intp)
    actual = np.cumsum(np.bincount(period_index, minlength=periods + 1)[1 : periods + 1])

    starts, counts = np.unique(first["first"].to_numpy(), return_counts=True)
    offsets = (starts - origin) / unit
    elapsed = np.maximum(ends[None, :] - offsets[:, None], 0.0)
    predicted = counts @ expected_purchases(params, elapsed.ravel()).reshape(elapsed.shape)
    return {
        # The calibration end's day ends (cal_day + 1 - origin) / unit after the origin.
        "calibration_end_period": (cal_day + 1 - origin) / unit,
        "periods": [
            {"period": int(k), "actual": int(a), "predicted": float(p)}
            for k, a, p in zip(ends, actual, predicted, strict=True)
        ],
    }
