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

Refunds (rows with a negative amount) are netted, never counted as purchases:

* against their day: a customer's rows of one day are summed, and a day that has a refund
  and a net of zero or less is a *refund day*, not a purchase occasion (it adds to neither
  frequency, recency nor the holdout count). A day whose net stays positive is one
  purchase worth the net amount;
* a refund day's net (negative) in the calibration period, after the customer's first
  purchase day, is subtracted from the customer's repeat spend, not from the number of
  repeat purchases: it returns goods of some earlier purchase, whose occasion stays a
  purchase. ``monetary_value`` is then max(repeat spend net of refunds, 0) / frequency.
  Refund days on or before the first purchase day (the first day's own refunds are netted
  the same day; earlier ones refund purchases outside the data) and in the holdout
  period are dropped: the models use neither the first purchase's value nor holdout spend.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal, get_args

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


@dataclass(frozen=True)
class RefundReport:
    """How many refund rows (negative amounts) were netted, and how."""

    rows: int  # rows with a negative amount
    netted_same_day: int  # of which on a day whose net stays positive: a purchase worth less
    on_refund_days: int  # of which on days whose net is <= 0: not purchase occasions
    refund_days: int  # customer-days with a refund and a net <= 0
    amount: float  # the sum of the negative amounts

    def as_dict(self) -> dict[str, int | float]:
        """Return the report as a plain dictionary."""
        return {
            "rows": self.rows,
            "netted_same_day": self.netted_same_day,
            "on_refund_days": self.on_refund_days,
            "refund_days": self.refund_days,
            "amount": self.amount,
        }


# A day's net counts as zero when it is within this fraction of its gross amount: 30.3 -
# 10.1 - 20.2 is 3.6e-15 in binary floating point, not a purchase of that value.
NET_ZERO_RELATIVE = 1e-9


def _by_day(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Return (customer, day, amount, refund_rows, refund_day) per customer and day.

    ``refund_day`` marks days with a refund whose net amount is zero or less.
    """
    return (
        frame.group_by("customer", "day")
        .agg(
            amount=pl.col("amount").sum(),
            gross=pl.col("amount").abs().sum(),
            refund_rows=(pl.col("amount") < 0).sum(),
        )
        .with_columns(
            refund_day=(pl.col("refund_rows") > 0)
            & (pl.col("amount") <= NET_ZERO_RELATIVE * pl.col("gross"))
        )
        .drop("gross")
    )


def split_refund_days(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split (customer, day, amount) rows into purchase days and refund days, netted per day.

    Both frames have one row per customer and day with its net amount; see the module
    docstring for the rule.
    """
    days = _by_day(frame.lazy()).collect()
    keep = ["customer", "day", "amount"]
    return (
        days.filter(~pl.col("refund_day")).select(keep),
        days.filter(pl.col("refund_day")).select(keep),
    )


def transaction_rows(
    transactions: pl.DataFrame | pl.LazyFrame,
    *,
    customer_col: str,
    date_col: str,
    amount_col: str,
    last_day: dt.date | None = None,
) -> pl.LazyFrame:
    """Return (customer, day: Date, amount: Float64) rows, up to ``last_day`` when given."""
    lf = transactions.lazy().select(
        customer=pl.col(customer_col),
        day=pl.col(date_col).cast(pl.Date),
        amount=pl.col(amount_col).cast(pl.Float64),
    )
    return lf if last_day is None else lf.filter(pl.col("day") <= last_day)


def refund_report(
    transactions: pl.DataFrame | pl.LazyFrame,
    *,
    customer_col: str = "customer",
    date_col: str = "date",
    amount_col: str = "amount",
    last_day: dt.date | None = None,
) -> RefundReport:
    """Count the refund rows (negative amounts) up to ``last_day`` and how they are netted."""
    lf = transaction_rows(
        transactions,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        last_day=last_day,
    )
    refunds = lf.filter(pl.col("amount") < 0)
    totals = refunds.select(rows=pl.len(), amount=pl.col("amount").sum()).collect().row(0)
    if not totals[0]:
        return RefundReport(0, 0, 0, 0, 0.0)
    days = _by_day(lf.join(refunds.select("customer", "day").unique(), on=["customer", "day"]))
    on_refund_days, refund_days = (
        days.filter(pl.col("refund_day"))
        .select(rows=pl.col("refund_rows").sum(), days=pl.len())
        .collect()
        .row(0)
    )
    return RefundReport(
        rows=int(totals[0]),
        netted_same_day=int(totals[0]) - int(on_refund_days or 0),
        on_refund_days=int(on_refund_days or 0),
        refund_days=int(refund_days),
        amount=float(totals[1]),
    )


def daily_transactions(
    transactions: pl.DataFrame | pl.LazyFrame,
    *,
    customer_col: str = "customer",
    date_col: str = "date",
    amount_col: str | None = "amount",
) -> pl.LazyFrame:
    """Return a lazy frame (customer, day, amount) with one row per customer and purchase day.

    With an amount column, refund days (a refund and a net of zero or less) are left out.
    """
    lf = transactions.lazy()
    names = lf.collect_schema().names()
    for col in (customer_col, date_col, amount_col):
        if col is not None and col not in names:
            raise SummaryInputError(
                f"Column {col!r} not found; available columns: {', '.join(names)}"
            )
    amount = pl.col(amount_col).cast(pl.Float64) if amount_col else pl.lit(0.0)
    # Int32 epoch days make every later difference an integer subtraction.
    rows = lf.select(
        customer=pl.col(customer_col),
        day=pl.col(date_col).cast(pl.Date).cast(pl.Int32),
        amount=amount,
    )
    if amount_col is None:
        return rows.group_by("customer", "day").agg(pl.col("amount").sum())
    return _by_day(rows).filter(~pl.col("refund_day")).select("customer", "day", "amount")


def _customer_codes(customer: pl.Series) -> tuple[npt.NDArray[np.int32], pl.Series | None, int]:
    """Return a dense code per row (from 0), the ids by code and the codes' integer offset.

    The ids by code are None for integer ids.
    """
    if customer.dtype.is_integer():
        lo, hi = customer.min(), customer.max()
        span = min(max(4 * len(customer), 2**20), 2**31 - 1)
        if isinstance(lo, int) and isinstance(hi, int) and hi - lo < span:
            # Integer ids spanning a range not much wider than the data are their own
            # codes: nothing to hash or sort, and arrays indexed by code stay small.
            codes = np.empty(len(customer), dtype=np.int32)
            np.subtract(customer.to_numpy(), lo, out=codes, casting="unsafe")
            return codes, None, lo
    # Other ids get dense codes in sorted id order from one hash lookup per row, several
    # times faster than sorting the ids themselves.
    labels = customer.unique().sort()
    dense = customer.replace_strict(
        labels, pl.int_range(len(labels), dtype=pl.Int32, eager=True), return_dtype=pl.Int32
    )
    return dense.to_numpy(), labels, 0


def _run_flags(values: npt.NDArray[np.integer[Any]]) -> npt.NDArray[np.bool_]:
    """Return True where a new run of equal values starts in a sorted array."""
    is_new = np.empty(len(values), dtype=bool)
    if len(values):
        is_new[0] = True
        np.not_equal(values[1:], values[:-1], out=is_new[1:])
    return is_new


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
    frame = lf.select(
        customer=pl.col(customer_col),
        day=pl.col(date_col).cast(pl.Date).cast(pl.Int32),
        amount=amount,
    ).collect()
    if frame.null_count().sum_horizontal().item():
        raise SummaryInputError("Transactions must not have empty customers, dates or amounts")
    if observation_end is not None:
        # Filtering in NumPy skips the copy of every column when nothing is left out.
        kept = frame["day"].to_numpy() <= _epoch_day(observation_end)
        if not kept.all():
            frame = frame.filter(pl.Series(kept))
    if frame.height == 0:
        raise SummaryInputError("There are no transactions to summarise")
    # The data run to their last row, a refund's included.
    last_row_day = int(frame["day"].max())  # type: ignore[arg-type]
    refund_days: pl.DataFrame | None = None
    if amount_col is not None and bool((frame["amount"] < 0).any()):
        # Rare: only data with refunds pays for netting them per day.
        frame, refund_days = split_refund_days(frame)
        if frame.height == 0:
            raise SummaryInputError("There are only refunds, no purchases, to summarise")
    day = frame["day"].to_numpy()
    day_min = int(day.min())
    obs_day = last_row_day if observation_end is None else _epoch_day(observation_end)
    cal_day = obs_day if calibration_end is None else _epoch_day(calibration_end)
    if cal_day > obs_day:
        raise SummaryInputError("The calibration end must not be after the observation end")
    cal_rel = cal_day - day_min

    customer_dtype = frame["customer"].dtype
    codes, labels, offset = _customer_codes(frame["customer"])
    n_codes = int(codes.max()) + 1
    # One integer key (customer code, day), sorted by value alone: NumPy's vectorised
    # sort of plain integers is several times faster than any sort that carries the
    # amounts along. Each customer's purchase days come out in order, as runs. The key
    # is int32 whenever it fits, and buffers are reused: fresh memory is expensive here
    # (first-touch page faults cost more than the arithmetic on it).
    day_bits = max(int(obs_day - day_min).bit_length(), 1)
    narrow = (n_codes - 1) < 2 ** (31 - day_bits)
    rel = day - np.int32(day_min)
    key: npt.NDArray[np.signedinteger[Any]] = codes.astype(np.int32 if narrow else np.int64)
    key <<= day_bits
    key |= rel
    key.sort()
    day_key = key[_run_flags(key)]  # distinct (customer, day) pairs, in key order
    day_code = day_key >> day_bits
    day_rel = day_key
    day_rel &= (1 << day_bits) - 1

    in_cal = day_rel <= cal_rel
    if not in_cal.all():
        cal_code, cal_days = day_code[in_cal], day_rel[in_cal]
    else:
        cal_code, cal_days = day_code, day_rel
    if len(cal_code) == 0:
        raise SummaryInputError("There are no transactions before the calibration end")
    starts = np.flatnonzero(_run_flags(cal_code))
    ends = np.append(starts[1:], len(cal_code))
    customer_codes = cal_code[starts]
    first = cal_days[starts]
    repeats = ends - starts - 1

    # Spend is summed from the unsorted orders by customer code; the first day's spend
    # (orders on the customer's first day) is subtracted to leave the repeat spend.
    amounts = frame["amount"].to_numpy()
    first_by_code = np.full(n_codes, -1, dtype=np.int32)
    first_by_code[customer_codes] = first
    # The sorted key is no longer needed: its buffer takes each order's first day.
    # (mode="clip" writes straight into it; codes are valid indices, so nothing is clipped).
    scratch = key.view(np.int32)[: len(codes)]
    on_first_day = rel == np.take(first_by_code, codes, out=scratch, mode="clip")
    if cal_day == obs_day:  # every order is in the calibration period
        total = np.bincount(codes, weights=amounts, minlength=n_codes)
    else:
        in_period = rel <= cal_rel
        total = np.bincount(codes[in_period], weights=amounts[in_period], minlength=n_codes)
    first_total = np.bincount(codes[on_first_day], weights=amounts[on_first_day], minlength=n_codes)
    repeat_total = (total - first_total)[customer_codes]
    if labels is None:
        customers = pl.Series("customer", customer_codes + offset).cast(customer_dtype)
    else:
        customers = labels.gather(customer_codes).alias("customer")
    if refund_days is not None and refund_days.height:
        repeat_total = repeat_total + _later_refunds(
            customers, first + day_min, refund_days, cal_day
        )
        repeat_total = np.maximum(repeat_total, 0.0)
    monetary = np.divide(repeat_total, repeats, out=np.zeros(len(repeats)), where=repeats > 0)
    columns: dict[str, object] = {
        "customer": customers,
        "frequency": repeats.astype(np.int64),
        "recency": (cal_days[ends - 1] - first) * scale,
        "T": (cal_rel - first) * scale,
        "monetary_value": monetary,
    }
    if calibration_end is not None:
        holdout = np.bincount(day_code[~in_cal], minlength=n_codes)
        columns["frequency_holdout"] = holdout[customer_codes].astype(np.int64)
        columns["duration_holdout"] = np.full(len(starts), (obs_day - cal_day) * scale)
    return pl.DataFrame(columns)


def _later_refunds(
    customers: pl.Series,
    first_day: npt.NDArray[np.integer[Any]],
    refund_days: pl.DataFrame,
    cal_day: int,
) -> npt.NDArray[np.float64]:
    """Return, per summary row, the net of its refund days after its first day up to cal_day."""
    rows = pl.DataFrame({"customer": customers, "first": first_day.astype(np.int64)})
    rows = rows.with_row_index("row")
    matched = (
        refund_days.join(rows, on="customer", how="inner")
        .filter((pl.col("day") > pl.col("first")) & (pl.col("day") <= cal_day))
        .group_by("row")
        .agg(pl.col("amount").sum())
    )
    out = np.zeros(len(customers))
    out[matched["row"].to_numpy()] = matched["amount"].to_numpy()
    return out


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
