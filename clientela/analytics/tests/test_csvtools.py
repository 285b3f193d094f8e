"""Analyst CLI: CDNOW through csvtools and the management commands, input formats, errors."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from django.core.management import CommandError, call_command

from clientela.analytics.csvtools import AnalyticsInputError, run_clv, run_rfm

from .conftest import CDNOW_TRANSACTIONS

CDNOW_OPTIONS: dict[str, Any] = {
    "customer_col": "customer_id",
    "date_col": "date",
    "amount_col": "amount",
    "time_unit": "weeks",
    "calibration_end": "1997-09-30",
    "observation_end": "1998-06-30",
}


def _assert_published_cdnow(report: dict[str, object]) -> None:
    bg = report["bgnbd"]
    gg = report["gamma_gamma"]
    assert isinstance(bg, dict)
    assert isinstance(gg, dict)
    assert (round(bg["r"], 3), round(bg["alpha"], 3)) == (0.243, 4.414)
    assert (round(bg["a"], 3), round(bg["b"], 3)) == (0.793, 2.426)
    assert round(bg["log_likelihood"], 1) == -9582.4
    assert (round(gg["p"], 2), round(gg["q"], 2), round(gg["gamma"], 2)) == (6.25, 3.74, 15.44)
    assert report["customers"] == 2357


def test_it_reproduces_the_published_cdnow_figures_from_transactions(tmp_path: Path) -> None:
    output = tmp_path / "clv.csv"
    report = run_clv(CDNOW_TRANSACTIONS, horizon=39, output=output, **CDNOW_OPTIONS)
    _assert_published_cdnow(report)
    per_customer = pl.read_csv(output)
    assert per_customer.height == 2357
    for column in ("expected_purchases", "p_alive", "expected_average_value", "clv"):
        assert column in per_customer.columns
    assert report["customer_equity"] == pytest.approx(per_customer["clv"].sum())
    first = per_customer.filter(pl.col("customer") == 1).row(0, named=True)
    assert first["expected_purchases"] == pytest.approx(1.226, abs=1e-3)


def test_it_runs_the_clv_command_and_prints_one_json_object(tmp_path: Path) -> None:
    out = StringIO()
    call_command(
        "clv",
        str(CDNOW_TRANSACTIONS),
        "--customer-col=customer_id",
        "--date-col=date",
        "--amount-col=amount",
        "--time-unit=weeks",
        "--calibration-end=1997-09-30",
        "--observation-end=1998-06-30",
        f"--output={tmp_path / 'out.csv'}",
        stdout=out,
    )
    _assert_published_cdnow(json.loads(out.getvalue()))
    assert (tmp_path / "out.csv").exists()


def test_it_reads_semicolons_decimal_commas_and_day_first_dates(tmp_path: Path) -> None:
    frame = pl.read_csv(CDNOW_TRANSACTIONS, schema_overrides={"date": pl.String})
    spanish = frame.select(
        cliente=pl.col("customer_id"),
        fecha=pl.col("date").str.strptime(pl.Date, "%Y%m%d").dt.strftime("%d/%m/%Y"),
        importe=pl.col("amount").cast(pl.String).str.replace(".", ",", literal=True),
    )
    path = tmp_path / "ventas.csv"
    path.write_bytes(b"\xef\xbb\xbf" + spanish.write_csv(separator=";").encode("utf-8"))
    report = run_clv(
        path,
        customer_col="cliente",
        date_col="fecha",
        amount_col="importe",
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
    )
    _assert_published_cdnow(report)


def test_it_reads_latin1_tabs_iso_datetimes_and_thousands(tmp_path: Path) -> None:
    path = tmp_path / "latin.tsv"
    rows = ["Clíente\tFecha\tValor", "ñ1\t2024-01-05T10:00:00\t1.234,50", "ñ2\t2024-02-01\t10,5"]
    path.write_bytes("\n".join(rows).encode("latin-1"))
    report = run_rfm(path, customer_col="Clíente", date_col="Fecha", amount_col="Valor")
    assert report["customers"] == 2
    assert report["as_of"] == "2024-02-01"


def test_it_runs_the_rfm_command_and_writes_segments(tmp_path: Path) -> None:
    out = StringIO()
    output = tmp_path / "rfm.csv"
    call_command(
        "rfm",
        str(CDNOW_TRANSACTIONS),
        "--customer-col=customer_id",
        "--date-col=date",
        "--amount-col=amount",
        "--as-of=1998-06-30",
        f"--output={output}",
        stdout=out,
    )
    report = json.loads(out.getvalue())
    assert report["customers"] == 2357
    assert sum(report["segments"].values()) == 2357
    table = pl.read_csv(output)
    assert {"r", "f", "m", "segment"} <= set(table.columns)
    assert table["segment"].value_counts().height > 5


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "in.csv"
    path.write_text(text, encoding="utf-8")
    return path


COLUMNS: dict[str, Any] = {"customer_col": "c", "date_col": "d", "amount_col": "a"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("c,d,a\n", "no data rows"),
        ("c,x,a\n1,2024-01-01,3\n", "Column 'd' not found; available columns: c, x, a"),
        ("c,d,a\n1,2024-01-01,3\n2,31/02/2024,4\n", "Line 3: cannot read the date '31/02/2024'"),
        ("c,d,a\n1,2024-01-01,3\n2,2024-01-02,abc\n", "Line 3: cannot read the amount 'abc'"),
        ("c,d,a\n1,2024-01-01,3\n,2024-01-02,4\n", "Line 3: missing customer"),
        ("c,d,a\n1,2024-01-01,3\n1,2024-02-01,4\n", "single customer"),
    ],
)
def test_it_explains_bad_input(tmp_path: Path, content: str, message: str) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(AnalyticsInputError, match=message.replace("(", r"\(")):
        run_clv(path, **COLUMNS)


def test_it_refuses_bad_options(tmp_path: Path) -> None:
    path = _write(tmp_path, "c,d,a\n1,2024-01-01,3\n2,2024-01-02,4\n")
    with pytest.raises(AnalyticsInputError, match="--calibration-end"):
        run_clv(path, calibration_end="30/09/1997", **COLUMNS)
    with pytest.raises(AnalyticsInputError, match="--time-unit"):
        run_clv(path, time_unit="years", **COLUMNS)


def test_it_turns_input_errors_into_a_one_line_command_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "c,d,a\n1,2024-01-01,3\n")
    with pytest.raises(CommandError, match="Column 'customer' not found") as caught:
        call_command("rfm", str(path), "--customer-col=customer", "--date-col=d", "--amount-col=a")
    assert caught.value.returncode == 1
    assert "\n" not in str(caught.value)


def test_it_neutralises_formulas_in_written_ids(tmp_path: Path) -> None:
    path = _write(tmp_path, "c,d,a\n=HYPERLINK(1),2024-01-01,3\nb,2024-01-02,4\n")
    output = tmp_path / "out.csv"
    run_rfm(path, output=output, **COLUMNS)
    assert "'=HYPERLINK(1)" in output.read_text(encoding="utf-8")


def test_it_says_how_many_refund_rows_were_netted(tmp_path: Path) -> None:
    rows = [
        "c,d,a",
        "1,2024-01-01,100",
        "1,2024-01-10,50",
        "1,2024-01-10,-20",  # same day: a purchase of 30
        "1,2024-01-20,-10",  # a refund day
        "2,2024-01-02,80",
        "2,2024-01-05,-80",  # a refund day: 2 has no repeat purchase
        "3,2024-01-03,30",
        "3,2024-01-09,40",
        "4,2024-01-04,10",
        "4,2024-01-15,25",
    ]
    path = _write(tmp_path, "\n".join(rows) + "\n")
    out = StringIO()
    call_command("rfm", str(path), "--customer-col=c", "--date-col=d", "--amount-col=a", stdout=out)
    rfm = json.loads(out.getvalue())
    expected = {"rows": 3, "netted_same_day": 1, "on_refund_days": 2, "refund_days": 2}
    assert {k: rfm["refunds"][k] for k in expected} == expected
    assert rfm["refunds"]["amount"] == -110.0
    output = tmp_path / "clv.csv"
    report = run_clv(path, output=output, time_unit="days", **COLUMNS)
    assert report["refunds"] == rfm["refunds"]
    table = pl.read_csv(output, schema_overrides={"customer": pl.String}).sort("customer")
    assert table["frequency"].to_list() == [1, 0, 1, 1]
    assert table["monetary_value"].to_list() == [20.0, 0.0, 40.0, 25.0]


def test_it_fits_the_chosen_model_and_compares_all_on_the_holdout(tmp_path: Path) -> None:
    out = StringIO()
    call_command(
        "clv",
        str(CDNOW_TRANSACTIONS),
        "--customer-col=customer_id",
        "--date-col=date",
        "--amount-col=amount",
        "--calibration-end=1997-09-30",
        "--observation-end=1998-06-30",
        "--model=paretonbd",
        "--days-per-month=30",
        stdout=out,
    )
    report = json.loads(out.getvalue())
    assert report["model"] == "paretonbd"
    assert "bgnbd" not in report
    pnbd = report["paretonbd"]
    assert (round(pnbd["r"], 3), round(pnbd["s"], 3)) == (0.553, 0.606)
    assert report["days_per_month"] == 30
    assert report["horizon"] == pytest.approx(360 / 7)
    assert len(report["holdout"]) == 8
    comparison = {row["model"]: row for row in report["model_comparison"]}
    assert set(comparison) == {"bgnbd", "mbgnbd", "paretonbd"}
    assert comparison["paretonbd"]["log_likelihood"] == pnbd["log_likelihood"]
    for row in comparison.values():
        assert row["actual_total"] == 1882
        assert {"aic", "bic", "mae", "rmse", "total_error", "parameters"} <= set(row)
    assert set(report["best_model"]) == {"aic", "bic", "mae", "rmse", "total_error"}


def test_it_refuses_an_unknown_model_or_month_length(tmp_path: Path) -> None:
    path = _write(tmp_path, "c,d,a\n1,2024-01-01,3\n2,2024-01-02,4\n")
    with pytest.raises(AnalyticsInputError, match="--model"):
        run_clv(path, model="pareto", **COLUMNS)
    with pytest.raises(AnalyticsInputError, match="--days-per-month"):
        run_clv(path, days_per_month=0.0, **COLUMNS)
