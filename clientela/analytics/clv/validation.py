"""Holdout validation of fitted purchase models, as plain data ready for tables and charts.

Two views from Fader, Hardie & Lee (2005): (1) mean purchases in the holdout period,
actual vs predicted, grouped by the number of repeat purchases in the calibration period
(bins 0..6 and 7+); (2) cumulative repeat purchases of the whole cohort per period,
actual vs what the model predicts for customers that start buying on their first day.
And (3) a comparison of every registered model (BG/NBD, MBG/NBD, Pareto/NBD) on the same
calibration and holdout data: calibration log-likelihood, AIC, BIC and holdout errors.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import TypedDict

import numpy as np
import numpy.typing as npt
import polars as pl

from .fitting import FitError
from .models import (
    MODEL_CODES,
    TransactionParams,
    conditional_expected_purchases,
    expected_purchases,
    fit_model,
    get_model,
)
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
    params: TransactionParams,
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
    params: TransactionParams,
    transactions: pl.DataFrame | pl.LazyFrame,
    *,
    customer_col: str = "customer",
    date_col: str = "date",
    time_unit: str = "weeks",
    calibration_end: dt.date | None = None,
    observation_end: dt.date | None = None,
    amount_col: str | None = None,
) -> RepeatCurve:
    """Return cumulative repeat purchases per period (actual vs predicted) for the fitted cohort.

    With ``amount_col``, refund days (a refund and a net of zero or less) are no purchases,
    as in the summary the model was fitted on.
    """
    unit = unit_days(time_unit)
    daily = daily_transactions(
        transactions, customer_col=customer_col, date_col=date_col, amount_col=amount_col
    ).collect()
    if daily.height == 0:
        return {"calibration_end_period": 0.0, "periods": []}
    if observation_end is None:
        # The data run to their last row, a refund day's included (as in the summary).
        last_row = transactions.lazy().select(pl.col(date_col).cast(pl.Date).cast(pl.Int32).max())
        obs_day = int(last_row.collect().item())
    else:
        obs_day = _epoch_day(observation_end)
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


class ModelComparison(TypedDict):
    """One model's fit on the calibration period and its errors on the holdout period.

    ``aic`` = 2k - 2 LL and ``bic`` = k ln(n) - 2 LL (k parameters, n customers): lower is
    better. Holdout errors compare each customer's predicted with actual holdout purchases
    (``mae``, ``rmse``) and the cohort's totals (``total_error`` = predicted - actual and
    its share of the actual total, None when nobody bought in the holdout).
    """

    model: str
    name: str
    parameters: dict[str, float]
    log_likelihood: float
    aic: float
    bic: float
    mae: float
    rmse: float
    actual_total: float
    predicted_total: float
    total_error: float
    total_error_share: float | None


def compare_models(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    frequency_holdout: npt.ArrayLike,
    duration_holdout: npt.ArrayLike,
    *,
    models: Sequence[str] = MODEL_CODES,
    fitted: dict[str, TransactionParams] | None = None,
) -> list[ModelComparison]:
    """Fit every model on the calibration summary and score it on the holdout period.

    ``fitted`` holds models already fitted on the same data (they are not fitted again).
    A model that cannot be fitted is left out of the list.
    """
    x = np.asarray(frequency, dtype=np.float64)
    actual = np.asarray(frequency_holdout, dtype=np.float64)
    duration = np.broadcast_to(np.asarray(duration_holdout, dtype=np.float64), x.shape)
    n = len(x)
    rows: list[ModelComparison] = []
    for code in models:
        model = get_model(code)
        params = (fitted or {}).get(code)
        if params is None:
            try:
                params = fit_model(code, x, recency, T)
            except FitError:
                continue
        predicted = conditional_expected_purchases(params, duration, x, recency, T)
        error = predicted - actual
        ll, k = params.log_likelihood, model.n_params
        actual_total, predicted_total = float(actual.sum()), float(predicted.sum())
        rows.append(
            {
                "model": code,
                "name": model.name,
                "parameters": {
                    key: value for key, value in params.as_dict().items() if key != "log_likelihood"
                },
                "log_likelihood": ll,
                "aic": 2 * k - 2 * ll,
                "bic": k * math.log(n) - 2 * ll,
                "mae": float(np.mean(np.abs(error))),
                "rmse": float(np.sqrt(np.mean(error * error))),
                "actual_total": actual_total,
                "predicted_total": predicted_total,
                "total_error": predicted_total - actual_total,
                "total_error_share": (
                    (predicted_total - actual_total) / actual_total if actual_total else None
                ),
            }
        )
    return rows


def best_models(rows: Sequence[ModelComparison]) -> dict[str, str]:
    """Return, per criterion (AIC, BIC, MAE, RMSE, |total error|), the code of the best model."""
    if not rows:
        return {}
    return {
        "aic": min(rows, key=lambda row: row["aic"])["model"],
        "bic": min(rows, key=lambda row: row["bic"])["model"],
        "mae": min(rows, key=lambda row: row["mae"])["model"],
        "rmse": min(rows, key=lambda row: row["rmse"])["model"],
        "total_error": min(rows, key=lambda row: abs(row["total_error"]))["model"],
    }
