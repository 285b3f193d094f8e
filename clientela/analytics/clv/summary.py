"""Per-customer RFM-style summary (frequency, recency, T, monetary value) from transactions.

Conventions follow Fader & Hardie and the `lifetimes` library so that published
results can be reproduced:

* purchases are merged per customer and calendar day (two orders on the same day are
  one transaction whose value is their sum);
* ``frequency`` counts *repeat* transactions (distinct purchase days minus one);
* ``recency`` is the time between the first and the last purchase, ``T`` the time between
  the first purchase and the end of the (calibration) period;
* ``monetary_value`` is the mean value of the repeat transactions (the first one is
  excluded, 0 when there is none);
* time is expressed in days, weeks (7 days) or months of 30.4375 days (365.25 / 12), so
  that every unit is a fixed length and recency/T stay proportional to elapsed days.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt
import polars as pl

TimeUnit = Literal["days", "weeks", "months"]
TIME_UNITS: tuple[str, ...] = get_args(TimeUnit)
UNIT_DAYS: dict[str, float] = {"days": 1.0, "weeks": 7.0, "months": 30.4375}
DAYS_PER_MONTH = 30.4375


class SummaryInputError(ValueError):
    """Raised when transactions cannot be summarised (bad column, unit or period)."""


def unit_days(time_unit: str) -> float:
    """Return the length of a time unit in days."""
    try:
        return UNIT_DAYS[time_unit]
    except KeyError:
        raise SummaryInputError(
            f"Unknown time unit {time_unit!r}; use one of {', '.join(TIME_UNITS)}"
        ) from None


def _epoch_day(value: dt.date | dt.datetime) -> int:
    """Return days since 1970-01-01 for a date (datetimes are truncated to their day)."""
    if isinstance(value, dt.datetime):
        value = value.date()
    return (value - dt.date(1970, 1, 1)).days


def daily_transactions(
    transactions: pl.DataFrame | pl.LazyFrame,
    *,
    customer_col: str = "customer",
    date_col: str = "date",
    amount_col: str | None = "amount",
) -> pl.LazyFrame:
    """Return a lazy frame (customer, day, amount) with one row per customer and purchase day."""
    lf = transactions.lazy()
    names = lf.collect_schema().names()
    for col in (customer_col, date_col, amount_col):
        if col is not None and col not in names:
            raise SummaryInputError(
                f"Column {col!r} not found; available columns: {', '.join(names)}"
            )
    amount = pl.col(amount_col).cast(pl.Float64) if amount_col else pl.lit(0.0)
    # Int32 epoch days make every later difference an integer subtraction.
    return (
        lf.select(
            customer=pl.col(customer_col),
            day=pl.col(date_col).cast(pl.Date).cast(pl.Int32),
            amount=amount,
        )
        .group_by("customer", "day")
        .agg(pl.col("amount").sum())
    )


def _sorted_codes(
    frame: pl.DataFrame,
) -> tuple[pl.DataFrame, npt.NDArray[np.int64], pl.Series | None, int]:
    """Return the frame (maybe reordered), a code per row, and labels or an integer offset."""
    customer = frame["customer"]
    if customer.dtype.is_integer():
        lo, hi = customer.min(), customer.max()
        if isinstance(lo, int) and isinstance(hi, int) and hi - lo < 2**40:
            # Integer ids in a modest range are their own codes: no string-like sort needed.
            codes = (customer.cast(pl.Int64) - lo).to_numpy()
            return frame, codes, None, lo
    # Hashing (unique + join) is several times faster than sorting string ids.
    labels = frame.select("customer").unique().sort("customer").with_row_index("code")
    frame = frame.join(labels, on="customer", how="left")
    codes = frame["code"].cast(pl.Int64).to_numpy()
    return frame, codes, labels["customer"], 0


def _run_starts(values: npt.NDArray[np.int64]) -> npt.NDArray[np.intp]:
    """Return the indices where a new run of equal values starts in a sorted array."""
    is_new = np.empty(len(values), dtype=bool)
    if len(values):
        is_new[0] = True
        np.not_equal(values[1:], values[:-1], out=is_new[1:])
    return np.flatnonzero(is_new)


def summarize_transactions(
    transactions: pl.DataFrame | pl.LazyFrame,
    *,
    customer_col: str = "customer",
    date_col: str = "date",
    amount_col: str | None = "amount",
    time_unit: TimeUnit = "weeks",
    calibration_end: dt.date | None = None,
    observation_end: dt.date | None = None,
) -> pl.DataFrame:
    """Summarise transactions into customer, frequency, recency, T, monetary_value (+ holdout)."""
    scale = 1.0 / unit_days(time_unit)
    lf = transactions.lazy()
    names = lf.collect_schema().names()
    for col in (customer_col, date_col, amount_col):
        if col is not None and col not in names:
            raise SummaryInputError(
                f"Column {col!r} not found; available columns: {', '.join(names)}"
            )
    amount = pl.col(amount_col).cast(pl.Float64) if amount_col else pl.lit(0.0)
    lf = lf.select(
        customer=pl.col(customer_col),
        day=pl.col(date_col).cast(pl.Date).cast(pl.Int32),
        amount=amount,
    )
    if observation_end is not None:
        lf = lf.filter(pl.col("day") <= _epoch_day(observation_end))
    frame = lf.collect()
    if frame.null_count().sum_horizontal().item():
        raise SummaryInputError("Transactions must not have empty customers, dates or amounts")
    if frame.height == 0:
        raise SummaryInputError("There are no transactions to summarise")
    day_min = int(frame["day"].min())  # type: ignore[arg-type]
    obs_day = (
        int(frame["day"].max())  # type: ignore[arg-type]
        if observation_end is None
        else _epoch_day(observation_end)
    )
    cal_day = obs_day if calibration_end is None else _epoch_day(calibration_end)
    if cal_day > obs_day:
        raise SummaryInputError("The calibration end must not be after the observation end")

    customer_dtype = frame["customer"].dtype
    frame, codes, labels, offset = _sorted_codes(frame)
    # One int64 key (customer code, day) sorts much faster than a two-column sort and
    # puts each customer's days in order, so every aggregate below is a run operation.
    day_bits = max(int(obs_day - day_min).bit_length(), 1)
    keyed = pl.DataFrame(
        {
            "key": (codes << day_bits) | (frame["day"].to_numpy() - day_min),
            "amount": frame["amount"].to_numpy(),
        }
    ).sort("key")
    key = keyed["key"].to_numpy()
    amounts = keyed["amount"].to_numpy()
    day_starts = _run_starts(key)
    day_amount = np.add.reduceat(amounts, day_starts)
    day_key = key[day_starts]
    day_code = day_key >> day_bits
    day_rel = day_key & ((1 << day_bits) - 1)

    cal_rel = cal_day - day_min
    in_cal = day_rel <= cal_rel
    if not in_cal.all():
        cal_code, cal_rel_days, cal_amount = day_code[in_cal], day_rel[in_cal], day_amount[in_cal]
    else:
        cal_code, cal_rel_days, cal_amount = day_code, day_rel, day_amount
    if len(cal_code) == 0:
        raise SummaryInputError("There are no transactions before the calibration end")
    starts = _run_starts(cal_code)
    ends = np.append(starts[1:], len(cal_code))
    days = ends - starts
    first = cal_rel_days[starts]
    repeats = days - 1
    repeat_total = np.add.reduceat(cal_amount, starts) - cal_amount[starts]
    monetary = np.divide(repeat_total, repeats, out=np.zeros(len(repeats)), where=repeats > 0)
    customer_codes = cal_code[starts]
    if labels is None:
        customers = pl.Series("customer", customer_codes + offset).cast(customer_dtype)
    else:
        customers = labels.gather(customer_codes).alias("customer")
    columns: dict[str, object] = {
        "customer": customers,
        "frequency": repeats.astype(np.int64),
        "recency": (cal_rel_days[ends - 1] - first) * scale,
        "T": (cal_rel - first) * scale,
        "monetary_value": monetary,
    }
    if calibration_end is not None:
        holdout = np.bincount(day_code[~in_cal], minlength=int(day_code.max()) + 1)
        columns["frequency_holdout"] = holdout[customer_codes].astype(np.int64)
        columns["duration_holdout"] = np.full(len(starts), (obs_day - cal_day) * scale)
    return pl.DataFrame(columns)


def summarize_arrays(
    customers: npt.ArrayLike,
    dates: npt.ArrayLike,
    amounts: npt.ArrayLike | None = None,
    *,
    time_unit: TimeUnit = "weeks",
    calibration_end: dt.date | None = None,
    observation_end: dt.date | None = None,
) -> pl.DataFrame:
    """Summarise parallel arrays of customer ids, dates (datetime64 or date) and amounts."""
    day_values = np.asarray(dates)
    if not np.issubdtype(day_values.dtype, np.datetime64):
        day_values = day_values.astype("datetime64[D]")
    frame = pl.DataFrame(
        {
            "customer": np.asarray(customers),
            "date": day_values.astype("datetime64[D]"),
            "amount": np.zeros(len(day_values)) if amounts is None else np.asarray(amounts),
        }
    )
    return summarize_transactions(
        frame,
        time_unit=time_unit,
        calibration_end=calibration_end,
        observation_end=observation_end,
    )
