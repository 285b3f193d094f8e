"""Customer summaries from per-customer aggregates, as a database GROUP BY returns them.

The CLV summary of :mod:`clientela.analytics.clv.summary` needs every purchase day; a
database can hand over far less: per customer the first and last purchase day, the number of
distinct purchase days, the total spent and the total spent on the first day. That is enough
to build the same BG/NBD / Gamma-Gamma summary (frequency, recency, T, monetary_value) and
the RFM inputs, without moving every order out of the database. Pure functions over arrays.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt
import polars as pl

from clientela.analytics.clv.summary import unit_days


def days_between(later: dt.date | npt.ArrayLike, earlier: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Whole days from each `earlier` date to `later` (dates or datetime64[D] arrays)."""
    late: npt.NDArray[np.datetime64] = np.asarray(later, dtype="datetime64[D]")
    early: npt.NDArray[np.datetime64] = np.asarray(earlier, dtype="datetime64[D]")
    return (late - early).astype(np.int64)


def summary_from_aggregates(
    first_day: npt.ArrayLike,
    last_day: npt.ArrayLike,
    purchase_days: npt.ArrayLike,
    total: npt.ArrayLike,
    first_day_total: npt.ArrayLike,
    *,
    as_of: dt.date,
    time_unit: str = "weeks",
) -> pl.DataFrame:
    """Return frequency, recency, T and monetary_value like ``summarize_transactions``.

    ``frequency`` = distinct purchase days - 1; ``recency`` = last - first day; ``T`` = as_of -
    first day (both in the time unit); ``monetary_value`` = mean spend of the repeat purchase
    days, i.e. (total - first-day total) / frequency, and 0 without a repeat purchase.
    """
    scale = 1.0 / unit_days(time_unit)
    first = np.asarray(first_day, dtype="datetime64[D]")
    last = np.asarray(last_day, dtype="datetime64[D]")
    days = np.asarray(purchase_days, dtype=np.int64)
    if np.any(days < 1):
        raise ValueError("Every customer must have at least one purchase day")
    repeats = days - 1
    repeat_total = np.asarray(total, dtype=np.float64) - np.asarray(
        first_day_total, dtype=np.float64
    )
    monetary = np.divide(
        repeat_total, repeats, out=np.zeros(len(repeats), dtype=np.float64), where=repeats > 0
    )
    return pl.DataFrame(
        {
            "frequency": repeats,
            "recency": days_between(last, first) * scale,
            "T": days_between(as_of, first) * scale,
            # Rounding can leave a repeat total a hair below zero for refund-like data.
            "monetary_value": np.maximum(monetary, 0.0),
        }
    )
