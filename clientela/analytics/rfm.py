"""RFM scoring (quintiles 1-5), the 125-cell cube collapsed into 11 segments, inactivity states.

Scores: a customer's score on a dimension is ``1 + floor(5 * L / n)`` where ``L`` is the
number of customers with a strictly *worse* value and ``n`` the number of customers.
Equal values therefore always get equal scores, the result does not depend on row
order, and a score of s means "better than at least 20 x (s - 1) % of customers". Ties
sit in the quintile of their lowest member: when 70 % of customers bought once, all of
them get F = 1 and the next frequency starts at F = 4. "Better" is: more recent for R
(fewer days since the last purchase), more purchases for F, more money for M.

Segments: see :func:`segment_for_cell` and the table in docs/analytics.md.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt
import polars as pl
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .clv.summary import split_refund_days, transaction_rows

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Segment:
    """A named RFM segment: a stable code and a translatable label."""

    code: str
    label: Promise


SEGMENTS: tuple[Segment, ...] = (
    Segment("champions", _("Champions")),
    Segment("loyal", _("Loyal")),
    Segment("potential_loyalists", _("Potential loyalists")),
    Segment("new_customers", _("New customers")),
    Segment("promising", _("Promising")),
    Segment("need_attention", _("Need attention")),
    Segment("about_to_sleep", _("About to sleep")),
    Segment("at_risk", _("At risk")),
    Segment("cant_lose", _("Can't lose them")),
    Segment("hibernating", _("Hibernating")),
    Segment("lost", _("Lost")),
)
SEGMENT_CODES: tuple[str, ...] = tuple(s.code for s in SEGMENTS)
SEGMENT_LABELS: dict[str, Promise] = {s.code: s.label for s in SEGMENTS}


def quintile_scores(values: npt.ArrayLike) -> IntArray:
    """Return scores 1-5 where higher values score higher and equal values score equally."""
    arr = np.asarray(values, dtype=np.float64)
    n = len(arr)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if np.isnan(arr).any():
        raise ValueError("RFM values must not be NaN")
    order = np.argsort(arr, kind="stable")
    ordered = arr[order]
    # In sorted order, the number of strictly smaller values is the position where the
    # run of equal values starts; one argsort beats a binary search per customer.
    run_start = np.empty(n, dtype=bool)
    run_start[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=run_start[1:])
    worse_sorted = np.maximum.accumulate(np.where(run_start, np.arange(n), 0))
    scores = np.empty(n, dtype=np.int64)
    scores[order] = 1 + (5 * worse_sorted) // n
    return scores


def rfm_scores(
    days_since_last: npt.ArrayLike, frequency: npt.ArrayLike, monetary: npt.ArrayLike
) -> tuple[IntArray, IntArray, IntArray]:
    """Return (R, F, M) scores; R is higher for customers who bought more recently."""
    recency = np.asarray(days_since_last, dtype=np.float64)
    return quintile_scores(-recency), quintile_scores(frequency), quintile_scores(monetary)


def segment_for_cell(r: int, f: int, m: int) -> str:
    """Return the segment code of one (R, F, M) cell; the rules are checked in this order."""
    if r >= 4 and f >= 4 and m >= 4:
        return "champions"
    if r >= 3 and f >= 4:
        return "loyal"
    if r <= 2 and f >= 4 and m >= 4:
        return "cant_lose"
    if r <= 2 and f >= 3:
        return "at_risk"
    if r == 5 and f == 1:
        return "new_customers"
    if r == 4 and f == 1:
        return "promising"
    if r >= 4:
        return "potential_loyalists"  # F is 2 or 3 here
    if r == 3 and f == 3:
        return "need_attention"
    if r == 3:
        return "about_to_sleep"  # F is 1 or 2 here
    if r == 1 and m <= 2:
        return "lost"  # R = 1, F <= 2, M <= 2
    return "hibernating"  # R <= 2, F <= 2


# The 125-cell lookup is built once; assigning segments is then one array index.
_CELL_SEGMENT: IntArray = np.array(
    [
        SEGMENT_CODES.index(segment_for_cell(r, f, m))
        for r in range(1, 6)
        for f in range(1, 6)
        for m in range(1, 6)
    ],
    dtype=np.int64,
)


def segment_indices(r: npt.ArrayLike, f: npt.ArrayLike, m: npt.ArrayLike) -> IntArray:
    """Return, per customer, the index into SEGMENT_CODES of its (R, F, M) cell."""
    rs, fs, ms = (np.asarray(v, dtype=np.int64) for v in (r, f, m))
    for name, scores in (("R", rs), ("F", fs), ("M", ms)):
        if scores.size and (scores.min() < 1 or scores.max() > 5):
            raise ValueError(f"{name} scores must be between 1 and 5")
    # numpy's stubs type fancy indexing as Any; the lookup table is int64, so is its result.
    segments: IntArray = _CELL_SEGMENT[(rs - 1) * 25 + (fs - 1) * 5 + (ms - 1)]
    return segments


def segment_codes(r: npt.ArrayLike, f: npt.ArrayLike, m: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """Return the segment code (a str) of every customer."""
    # An object array shares the eleven strings instead of copying fixed-width text.
    return np.asarray(SEGMENT_CODES, dtype=object)[segment_indices(r, f, m)]


def rfm_table(
    transactions: pl.DataFrame | pl.LazyFrame,
    *,
    customer_col: str = "customer",
    date_col: str = "date",
    amount_col: str = "amount",
    as_of: dt.date | None = None,
) -> pl.DataFrame:
    """Return per customer: last purchase, recency_days, frequency, monetary, r, f, m, segment.

    Frequency counts distinct purchase days (same-day orders are one purchase, as in the
    CLV summary) and monetary is the total spent; ``as_of`` defaults to the last date seen.
    Refunds (negative amounts) are netted as in the CLV summary: a day with a refund and a
    net of zero or less is no purchase (neither frequency nor the last purchase), and
    every refund reduces the monetary total, which stays at zero or more. Customers whose
    days are all refund days have no purchase and are left out.
    """
    rows = transaction_rows(
        transactions,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        last_day=as_of,
    )
    purchases, refund_days = split_refund_days(rows.collect())
    spend = pl.concat([purchases, refund_days]).group_by("customer").agg(pl.col("amount").sum())
    per_customer = (
        purchases.group_by("customer")
        .agg(last_purchase=pl.col("day").max(), frequency=pl.len())
        .join(spend, on="customer", how="left")
        .select(
            "customer",
            "last_purchase",
            pl.col("frequency").cast(pl.UInt32),
            monetary=pl.col("amount").clip(lower_bound=0.0),
        )
        .sort("customer")
    )
    if per_customer.height == 0:
        return per_customer.with_columns(
            recency_days=pl.lit(0, dtype=pl.Int64),
            r=pl.lit(0, dtype=pl.Int64),
            f=pl.lit(0, dtype=pl.Int64),
            m=pl.lit(0, dtype=pl.Int64),
            segment=pl.lit("", dtype=pl.String),
        )
    reference = as_of or cast(dt.date, per_customer["last_purchase"].max())
    last = per_customer["last_purchase"].to_numpy().astype("datetime64[D]")
    days = (np.datetime64(reference, "D") - last).astype(np.int64).astype(np.float64)
    r, f, m = rfm_scores(days, per_customer["frequency"], per_customer["monetary"])
    return per_customer.with_columns(
        recency_days=pl.Series(days.astype(np.int64)),
        r=pl.Series(r),
        f=pl.Series(f),
        m=pl.Series(m),
        segment=pl.Series(segment_codes(r, f, m), dtype=pl.String),
    )


def segment_counts(segments: npt.ArrayLike) -> dict[str, int]:
    """Return the number of customers in each of the 11 segments (zeros included)."""
    index = {code: i for i, code in enumerate(SEGMENT_CODES)}
    codes = np.asarray(segments)
    if codes.size == 0:
        return dict.fromkeys(SEGMENT_CODES, 0)
    uniques, inverse = np.unique(codes, return_inverse=True)
    unknown = [str(u) for u in uniques if str(u) not in index]
    if unknown:
        raise ValueError(f"Unknown segment codes: {', '.join(unknown)}")
    per_unique = np.bincount(inverse, minlength=len(uniques))
    counts = dict.fromkeys(SEGMENT_CODES, 0)
    counts.update({str(u): int(c) for u, c in zip(uniques, per_unique, strict=True)})
    return counts


# --- Inactivity states for the reactivation cascade ----------------------------------


@dataclass(frozen=True)
class InactivityThresholds:
    """Whole calendar months since the last purchase at which each state starts."""

    inactive_9m: int = 9
    inactive_12m: int = 12
    inactive_15m: int = 15
    churned: int = 36

    def __post_init__(self) -> None:
        """Reject thresholds that are not strictly increasing and positive."""
        steps = (self.inactive_9m, self.inactive_12m, self.inactive_15m, self.churned)
        if steps[0] < 1 or any(b <= a for a, b in itertools.pairwise(steps)):
            raise ValueError("Inactivity thresholds must be positive and strictly increasing")


INACTIVITY_STATES: tuple[tuple[str, Promise], ...] = (
    ("active", _("Active")),
    ("inactive_9m", _("Inactive 9 months")),
    ("inactive_12m", _("Inactive 12 months")),
    ("inactive_15m", _("Inactive 15 months")),
    ("churned", _("Churned")),
)
INACTIVITY_CODES: tuple[str, ...] = tuple(code for code, _label in INACTIVITY_STATES)


def months_since(last_purchase: npt.ArrayLike, as_of: dt.date) -> IntArray:
    """Return whole calendar months elapsed from each date to as_of (0 if not yet a month)."""
    last = np.asarray(last_purchase, dtype="datetime64[D]")
    ref = np.datetime64(as_of, "D")
    last_month = last.astype("datetime64[M]")
    ref_month = ref.astype("datetime64[M]")
    month_diff = (ref_month - last_month).astype(np.int64)
    last_day = (last - last_month).astype(np.int64) + 1
    ref_day = int((ref - ref_month).astype(np.int64)) + 1
    ref_month_length = int(((ref_month + 1).astype("datetime64[D]") - ref_month).astype(np.int64))
    # Adding m months to Jan 31 lands on the last day of a shorter month (Feb 28/29),
    # so the anniversary day in as_of's month is clamped to that month's length.
    anniversary = np.minimum(last_day, ref_month_length)
    # numpy's stubs lose the dtype through datetime64 unit casts; these are whole months.
    months: IntArray = month_diff - (ref_day < anniversary)
    return np.maximum(months, 0)


def inactivity_states(
    last_purchase: npt.ArrayLike,
    as_of: dt.date,
    thresholds: InactivityThresholds | None = None,
) -> npt.NDArray[np.object_]:
    """Return active / inactive_9m / inactive_12m / inactive_15m / churned per customer."""
    limits = thresholds or InactivityThresholds()
    months = months_since(last_purchase, as_of)
    edges = np.array([limits.inactive_9m, limits.inactive_12m, limits.inactive_15m, limits.churned])
    return np.asarray(INACTIVITY_CODES, dtype=object)[np.searchsorted(edges, months, side="right")]
