"""Customer summary conventions, calibration/holdout split, holdout validation report."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from clientela.analytics.clv.bgnbd import fit_bgnbd
from clientela.analytics.clv.summary import (
    SummaryInputError,
    refund_report,
    summarize_arrays,
    summarize_transactions,
)
from clientela.analytics.clv.validation import cumulative_repeat_curve, holdout_by_frequency

from .conftest import CDNOW_TRANSACTIONS

D = dt.date


def _frame(customers: list[object]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer": customers,
            "date": [D(2024, 1, 1), D(2024, 1, 1), D(2024, 1, 15), D(2024, 2, 12), D(2024, 1, 8)],
            "amount": [10.0, 5.0, 30.0, 50.0, 7.0],
        }
    )


@pytest.mark.parametrize("ids", [["a", "a", "a", "a", "b"], [7, 7, 7, 7, 10**15]])
def test_it_summarises_with_same_day_merging_and_repeat_mean(ids: list[object]) -> None:
    summary = summarize_transactions(_frame(ids), time_unit="days", observation_end=D(2024, 3, 1))
    first = summary.row(0, named=True)
    assert first["customer"] == ids[0]
    assert first["frequency"] == 2
    assert first["recency"] == 42
    assert first["T"] == 60
    assert first["monetary_value"] == 40.0  # (30 + 50) / 2, the first day's 15 excluded
    second = summary.row(1, named=True)
    assert (second["frequency"], second["recency"], second["monetary_value"]) == (0, 0.0, 0.0)


def test_it_scales_recency_and_T_by_the_time_unit() -> None:
    frame = _frame(["a", "a", "a", "a", "b"])
    weeks = summarize_transactions(frame, time_unit="weeks", observation_end=D(2024, 3, 1))
    months = summarize_transactions(frame, time_unit="months", observation_end=D(2024, 3, 1))
    assert weeks["recency"][0] == pytest.approx(6.0)
    assert months["T"][0] == pytest.approx(60 / 30.4375)


def test_it_splits_calibration_and_holdout() -> None:
    frame = _frame(["a", "a", "a", "a", "b"])
    summary = summarize_transactions(
        frame, time_unit="days", calibration_end=D(2024, 1, 31), observation_end=D(2024, 3, 1)
    )
    a = summary.row(0, named=True)
    assert (a["frequency"], a["recency"], a["T"]) == (1, 14.0, 30.0)
    assert a["frequency_holdout"] == 1
    assert a["duration_holdout"] == 30.0


def test_it_reproduces_the_published_cdnow_summary(
    cdnow_transactions: pl.DataFrame, cdnow_spend: pl.DataFrame
) -> None:
    summary = summarize_transactions(
        cdnow_transactions,
        customer_col="customer_id",
        time_unit="weeks",
        calibration_end=D(1997, 9, 30),
        observation_end=D(1998, 6, 30),
    )
    joined = summary.join(cdnow_spend, left_on="customer", right_on="ID")
    assert joined.height == 2357
    assert (joined["frequency"] == joined["x"]).all()
    assert np.abs((joined["recency"] - joined["t_x"]).to_numpy()).max() < 0.005
    assert np.abs((joined["T"] - joined["T_right"]).to_numpy()).max() < 0.005
    assert np.abs((joined["monetary_value"] - joined["zbar"]).to_numpy()).max() <= 0.005 + 1e-9


def test_it_summarises_plain_arrays() -> None:
    summary = summarize_arrays(
        [1, 1, 2],
        np.array(["2024-01-01", "2024-01-08", "2024-01-03"], dtype="datetime64[D]"),
        [1.0, 2.0, 3.0],
        time_unit="weeks",
    )
    assert summary["frequency"].to_list() == [1, 0]
    assert summary["T"].to_list() == pytest.approx([1.0, 5 / 7])


def test_it_refuses_a_calibration_end_after_the_observation_end() -> None:
    with pytest.raises(SummaryInputError, match="calibration"):
        summarize_transactions(
            _frame(["a"] * 5), calibration_end=D(2024, 5, 1), observation_end=D(2024, 3, 1)
        )
    with pytest.raises(SummaryInputError, match="not found"):
        summarize_transactions(_frame(["a"] * 5), customer_col="client")


def test_it_reports_holdout_purchases_by_frequency_bin(cdnow_transactions: pl.DataFrame) -> None:
    summary = summarize_transactions(
        cdnow_transactions,
        customer_col="customer_id",
        calibration_end=D(1997, 9, 30),
        observation_end=D(1998, 6, 30),
    )
    x, t_x, T = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    params = fit_bgnbd(x, t_x, T)
    rows = holdout_by_frequency(
        params, x, t_x, T, summary["frequency_holdout"], summary["duration_holdout"]
    )
    assert [r["bin"] for r in rows] == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert sum(r["customers"] for r in rows) == 2357
    assert rows[0]["customers"] == 1411
    assert rows[0]["actual"] == pytest.approx(0.2367, abs=1e-4)
    # Predictions rise with calibration frequency, as the actuals do.
    predicted = [r["predicted"] for r in rows]
    assert predicted == sorted(predicted)
    assert abs(rows[0]["predicted"] - rows[0]["actual"]) < 0.05

    curve = cumulative_repeat_curve(
        params,
        cdnow_transactions,
        customer_col="customer_id",
        calibration_end=D(1997, 9, 30),
        observation_end=D(1998, 6, 30),
    )
    periods = curve["periods"]
    assert isinstance(periods, list)
    assert len(periods) == 78
    # 1997-09-30 is day 272 of the cohort: its day ends 273 days = 39 weeks after 1997-01-01.
    assert curve["calibration_end_period"] == 39.0
    at_calibration_end = periods[38]
    # Week 39 (days 266-272) holds the calibration end and no holdout day.
    assert at_calibration_end["actual"] == x.sum() == 2457
    assert periods[-1]["actual"] == 2457 + summary["frequency_holdout"].sum() == 4339
    assert abs(at_calibration_end["predicted"] / at_calibration_end["actual"] - 1) < 0.05
    assert abs(periods[-1]["predicted"] / periods[-1]["actual"] - 1) < 0.10


@pytest.mark.parametrize("ids", [[0, 2**20 - 1], [-(10**12), 10**12], ["x", "y"]])
def test_it_summarises_wide_ids_over_a_long_history(ids: list[object]) -> None:
    # 2^20 codes x 40 years of days need a 64-bit key; ids 2 x 10^12 apart are hashed.
    frame = pl.DataFrame(
        {
            "customer": [ids[0], ids[1], ids[0], ids[0], ids[1]],
            "date": [D(1990, 1, 1), D(2000, 1, 1), D(2029, 12, 31), D(2029, 12, 31), D(2001, 1, 1)],
            "amount": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    summary = summarize_transactions(frame, time_unit="days", observation_end=D(2030, 1, 1))
    assert summary["customer"].to_list() == ids
    assert summary["frequency"].to_list() == [1, 1]
    assert summary["recency"].to_list() == [14609.0, 366.0]
    assert summary["T"].to_list() == [14610.0, 10958.0]
    assert summary["monetary_value"].to_list() == [7.0, 5.0]


def test_it_counts_only_calibration_spend_and_leaves_out_later_customers() -> None:
    frame = pl.DataFrame(
        {
            "customer": ["a", "a", "a", "b", "c", "c"],
            "date": [
                D(2024, 1, 1),
                D(2024, 1, 5),
                D(2024, 2, 5),
                D(2024, 2, 2),
                D(2024, 1, 3),
                D(2024, 1, 3),
            ],
            "amount": [10.0, 20.0, 400.0, 8.0, 1.0, 2.0],
        }
    )
    summary = summarize_transactions(
        frame, time_unit="days", calibration_end=D(2024, 1, 31), observation_end=D(2024, 3, 1)
    )
    assert summary["customer"].to_list() == ["a", "c"]  # b bought first after the end
    assert summary["monetary_value"].to_list() == [20.0, 0.0]  # c's one day counts once
    assert summary["frequency_holdout"].to_list() == [1, 0]


def _recount_weekly_repeats(path: Path, last_day: dt.date) -> list[int]:
    """Cumulative repeat purchase days per week of the cohort, counted without polars or NumPy."""
    days: dict[str, set[dt.date]] = {}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            day = dt.datetime.strptime(row["date"], "%Y%m%d").date()
            if day <= last_day:
                days.setdefault(row["customer_id"], set()).add(day)
    origin = min(min(d) for d in days.values())
    weeks = ((last_day - origin).days + 1) // 7
    per_week = [0] * (weeks + 1)
    for customer_days in days.values():
        first = min(customer_days)
        for day in customer_days - {first}:
            week = (day - origin).days // 7 + 1  # offsets 0-6 are week 1
            if week <= weeks:
                per_week[week] += 1
    return list(itertools.accumulate(per_week[1:]))


def test_the_cumulative_repeat_curve_buckets_days_like_btyd(
    cdnow_transactions: pl.DataFrame, cdnow_summary: pl.DataFrame
) -> None:
    params = fit_bgnbd(cdnow_summary["frequency"], cdnow_summary["recency"], cdnow_summary["T"])
    curve = cumulative_repeat_curve(
        params,
        cdnow_transactions,
        customer_col="customer_id",
        calibration_end=D(1997, 9, 30),
        observation_end=D(1998, 6, 30),
    )
    actual = [p["actual"] for p in curve["periods"]]
    assert actual == _recount_weekly_repeats(CDNOW_TRANSACTIONS, D(1998, 6, 30))
    # Weeks 1-3, 10, 38-40 and 78 of the CDNOW sample (a purchase on 1997-01-08, day 7,
    # is in week 2; the old ceil(days / 7) put it in week 1 and day 273 in week 39).
    assert [actual[k - 1] for k in (1, 2, 3, 10, 38, 39, 40, 78)] == [
        0, 19, 42, 504, 2395, 2457, 2507, 4339,
    ]  # fmt: skip
    assert actual[38] == int(cdnow_summary["frequency"].sum())


def _refunds() -> pl.DataFrame:
    rows = [
        ("a", D(2024, 1, 1), 100.0),
        ("a", D(2024, 1, 10), 50.0),
        ("a", D(2024, 1, 10), -20.0),  # same day: a purchase of 30
        ("a", D(2024, 1, 20), -10.0),  # later: 10 off the repeat spend, not a purchase
        ("a", D(2024, 2, 20), -5.0),  # holdout refund: neither a purchase nor spend
        ("b", D(2024, 1, 1), 80.0),
        ("b", D(2024, 1, 5), -80.0),  # b's only "repeat" is a refund
        ("c", D(2024, 1, 1), 10.0),
        ("c", D(2024, 1, 3), 40.0),
        ("c", D(2024, 1, 8), -45.0),  # more than c's repeat spend: floored at 0
        ("d", D(2024, 1, 4), -5.0),  # a refund of something bought before the data
        ("e", D(2024, 1, 2), 50.05),
        ("e", D(2024, 1, 2), 50.05),
        ("e", D(2024, 1, 6), 20.0),
        ("e", D(2024, 1, 9), 30.0),
        ("e", D(2024, 1, 9), -10.0),  # same day: a purchase of 20
        ("e", D(2024, 1, 12), 30.3),
        ("e", D(2024, 1, 12), -10.1),
        ("e", D(2024, 1, 12), -20.2),  # nets to 3.6e-15, not a purchase of that value
    ]
    return pl.DataFrame(rows, schema=["customer", "date", "amount"], orient="row")


def test_it_nets_refunds_against_their_day_and_the_repeat_spend() -> None:
    summary = summarize_transactions(
        _refunds(), time_unit="days", calibration_end=D(2024, 1, 31), observation_end=D(2024, 3, 1)
    )
    rows = {row["customer"]: row for row in summary.iter_rows(named=True)}
    assert set(rows) == {"a", "b", "c", "e"}  # d never bought
    a, b, c, e = rows["a"], rows["b"], rows["c"], rows["e"]
    assert (a["frequency"], a["recency"], a["monetary_value"]) == (1, 9.0, 20.0)
    assert a["frequency_holdout"] == 0
    assert (b["frequency"], b["recency"], b["monetary_value"]) == (0, 0.0, 0.0)
    assert (c["frequency"], c["recency"], c["monetary_value"]) == (1, 2.0, 0.0)
    # e: day 6 (20) and day 9 (30 - 10) are purchases, day 12 (30.3 - 10.1 - 20.2) is not.
    assert (e["frequency"], e["recency"]) == (2, 7.0)
    assert e["monetary_value"] == pytest.approx(20.0)


def test_it_reports_how_refund_rows_were_netted() -> None:
    report = refund_report(_refunds())
    assert report.rows == 9
    assert report.netted_same_day == 2  # a's day 10 and e's day 9 stay purchases
    assert (report.on_refund_days, report.refund_days) == (7, 6)
    assert report.amount == pytest.approx(-20 - 10 - 5 - 80 - 45 - 5 - 10 - 30.3)
    assert refund_report(_refunds(), last_day=D(2024, 1, 31)).rows == 8
    assert refund_report(_frame(["a"] * 5)).as_dict() == {
        "rows": 0, "netted_same_day": 0, "on_refund_days": 0, "refund_days": 0, "amount": 0.0,
    }  # fmt: skip


def test_the_repeat_curve_does_not_count_refund_days(cdnow_summary: pl.DataFrame) -> None:
    params = fit_bgnbd(cdnow_summary["frequency"], cdnow_summary["recency"], cdnow_summary["T"])
    frame = _refunds()
    with_refunds = cumulative_repeat_curve(params, frame, observation_end=D(2024, 3, 1))
    netted = cumulative_repeat_curve(
        params, frame, observation_end=D(2024, 3, 1), amount_col="amount"
    )
    # Purchase days after each first day: a 1 (day 10), c 1, e 2 (days 6 and 9).
    assert netted["periods"][-1]["actual"] == 4
    assert with_refunds["periods"][-1]["actual"] == 9
