"""Analyst CLI logic: CLV and RFM straight from a transactions CSV, no database involved.

The management commands ``clv`` and ``rfm`` are thin adapters over :func:`run_clv` and
:func:`run_rfm`, which take plain arguments and return JSON-ready dictionaries.

Reading rules (documented in docs/analytics.md):

* encoding: UTF-8 (with or without BOM), else Windows-1252, else Latin-1;
* delimiter: ``,`` ``;`` or tab, whichever the header line uses most (quotes respected);
* dates: ``YYYY-MM-DD`` (a time part is ignored), ``DD/MM/YYYY`` or ``YYYYMMDD``;
* amounts: decimal point or decimal comma, decided per column (see :func:`_decimal_comma`),
  thousands separators and currency symbols are ignored;
* errors name the spreadsheet line (the header is line 1).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from pathlib import Path
from typing import Any

import polars as pl

from .clv.fitting import FitError
from .clv.models import DEFAULT_MODEL, MODEL_CODES
from .clv.summary import (
    DAYS_PER_MONTH,
    TIME_UNITS,
    SummaryInputError,
    refund_report,
    summarize_transactions,
)
from .clv.validation import best_models, compare_models, holdout_by_frequency
from .clv.value import DEFAULT_DISCOUNT_RATE, score_customers
from .rfm import rfm_table, segment_counts

DELIMITERS = (",", ";", "\t")
DATE_FORMATS_HELP = "YYYY-MM-DD, DD/MM/YYYY or YYYYMMDD"


class AnalyticsInputError(Exception):
    """Raised when the analyst's input file or options cannot be used; the message says why."""


def decode_text(raw: bytes) -> str:
    """Decode bytes as UTF-8 (BOM optional), falling back to Windows-1252 then Latin-1."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")  # every byte is valid Latin-1


def detect_delimiter(header_line: str) -> str:
    """Return the delimiter (comma, semicolon or tab) used most often in the header line."""
    fields = {d: len(next(csv.reader([header_line], delimiter=d), [])) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: fields[d])
    return best if fields[best] > 1 else ","


def parse_cli_date(value: str | None, option: str) -> dt.date | None:
    """Parse an ISO date given on the command line (YYYY-MM-DD)."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise AnalyticsInputError(f"{option}: {value!r} is not a date (use YYYY-MM-DD)") from None


def read_transactions_csv(
    path: str | Path, *, customer_col: str, date_col: str, amount_col: str
) -> pl.DataFrame:
    """Read a transactions CSV into (customer: str, date: Date, amount: float, line: int)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise AnalyticsInputError(f"Cannot read {path}: {exc.strerror or exc}") from None
    text = decode_text(raw)
    if not text.strip():
        raise AnalyticsInputError(f"The file {path} is empty")
    header = text.lstrip("\r\n").splitlines()[0]
    delimiter = detect_delimiter(header)
    try:
        frame = pl.read_csv(
            io.BytesIO(text.encode("utf-8")),
            separator=delimiter,
            infer_schema=False,
            truncate_ragged_lines=True,
        )
    except pl.exceptions.PolarsError as exc:
        raise AnalyticsInputError(f"Cannot read {path} as CSV: {exc}") from None
    frame = frame.rename({name: name.strip() for name in frame.columns})
    for col in (customer_col, date_col, amount_col):
        if col not in frame.columns:
            raise AnalyticsInputError(
                f"Column {col!r} not found; available columns: {', '.join(frame.columns)}"
            )
    if frame.height == 0:
        raise AnalyticsInputError(f"The file {path} has a header but no data rows")
    frame = frame.select(
        customer=pl.col(customer_col).str.strip_chars(),
        date_text=pl.col(date_col).str.strip_chars(),
        amount_text=pl.col(amount_col).str.strip_chars(),
    ).with_row_index("line", offset=2)
    _fail_on_first(
        frame, pl.col("customer").fill_null("") == "", "missing customer in column", customer_col
    )
    frame = frame.with_columns(date=_parse_dates(pl.col("date_text")))
    _fail_on_first(
        frame,
        pl.col("date").is_null(),
        "cannot read the date",
        date_col,
        value_col="date_text",
        hint=f"expected {DATE_FORMATS_HELP}",
    )
    comma = _decimal_comma(frame["amount_text"], delimiter)
    frame = frame.with_columns(amount=_parse_amounts(pl.col("amount_text"), comma))
    _fail_on_first(
        frame,
        pl.col("amount").is_null() | pl.col("amount").is_nan() | pl.col("amount").is_infinite(),
        "cannot read the amount",
        amount_col,
        value_col="amount_text",
    )
    return frame.select("customer", "date", "amount", "line")


def _fail_on_first(
    frame: pl.DataFrame,
    bad: pl.Expr,
    what: str,
    column: str,
    *,
    value_col: str | None = None,
    hint: str | None = None,
) -> None:
    """Raise AnalyticsInputError naming the first line where the condition holds."""
    offenders = frame.filter(bad)
    if offenders.height == 0:
        return
    row = offenders.row(0, named=True)
    message = f"Line {row['line']}: {what} {column!r}"
    if value_col is not None:
        message = f"Line {row['line']}: {what} {row[value_col]!r} in column {column!r}"
    if hint:
        message += f" ({hint})"
    if offenders.height > 1:
        message += f"; {offenders.height - 1} more line(s) have the same problem"
    raise AnalyticsInputError(message)


def _parse_dates(text: pl.Expr) -> pl.Expr:
    """Parse ISO (time part ignored), DD/MM/YYYY or YYYYMMDD text into Dates; null if none fits."""
    iso = text.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    dmy = text.str.strptime(pl.Date, "%d/%m/%Y", strict=False)
    compact = text.str.strptime(pl.Date, "%Y%m%d", strict=False)
    # Each format is only tried on text of its own shape, so no format half-parses another.
    return (
        pl.when(text.str.contains(r"^\d{4}-\d{2}-\d{2}(?:[T ].*)?$"))
        .then(iso)
        .when(text.str.contains(r"^\d{1,2}/\d{1,2}/\d{4}$"))
        .then(dmy)
        .when(text.str.contains(r"^\d{8}$"))
        .then(compact)
    )


def _decimal_comma(amounts: pl.Series, delimiter: str) -> bool:
    """Decide whether a column writes decimals with a comma (1.234,56) or a point (1,234.56)."""
    text = amounts.drop_nulls()
    # A separator followed by other than exactly three digits can only be a decimal mark;
    # one followed by a different separator later can only be a thousands separator.
    comma_votes = int(text.str.contains(r",(?:\d{1,2}|\d{4,})$|\.\d{3}.*,").sum())
    point_votes = int(text.str.contains(r"\.(?:\d{1,2}|\d{4,})$|,\d{3}.*\.").sum())
    if comma_votes != point_votes:
        return comma_votes > point_votes
    # Only ambiguous values such as "1,234": Spanish spreadsheets use ';' with decimal comma.
    return delimiter == ";"


def _parse_amounts(text: pl.Expr, decimal_comma: bool) -> pl.Expr:
    """Parse amount text into floats, ignoring currency symbols, spaces and thousands marks."""
    cleaned = text.str.replace_all(r"[\s$€£\u00a0]", "")
    if decimal_comma:
        cleaned = cleaned.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True)
    else:
        cleaned = cleaned.str.replace_all(",", "", literal=True)
    return cleaned.cast(pl.Float64, strict=False)


def _check_customers(frame: pl.DataFrame) -> int:
    """Return the number of customers, refusing data with a single customer."""
    customers = frame["customer"].n_unique()
    if customers < 2:
        raise AnalyticsInputError(
            "The file has a single customer; the models need several customers to be fitted"
        )
    return customers


def _json_float(value: float) -> float | None:
    """Return a float fit for JSON (None instead of NaN or infinity)."""
    return value if math.isfinite(value) else None


def _json_value(value: object) -> object:
    """Return a value fit for JSON: floats (also inside dictionaries) without NaN or infinity."""
    if isinstance(value, float):
        return _json_float(value)
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value


def run_clv(
    path: str | Path,
    *,
    customer_col: str,
    date_col: str,
    amount_col: str,
    time_unit: str = "weeks",
    calibration_end: str | None = None,
    observation_end: str | None = None,
    horizon: float | None = None,
    discount_rate: float = DEFAULT_DISCOUNT_RATE,
    days_per_month: float = DAYS_PER_MONTH,
    model: str = DEFAULT_MODEL,
    output: str | Path | None = None,
) -> dict[str, Any]:
    """Fit a purchase model and Gamma-Gamma on a CSV, write per-customer CLV, return the JSON.

    With a calibration end the report adds the holdout bins of the chosen model and a
    comparison of every model (log-likelihood, AIC, BIC, holdout errors).
    """
    if time_unit not in TIME_UNITS:
        raise AnalyticsInputError(f"--time-unit must be one of {', '.join(TIME_UNITS)}")
    if model not in MODEL_CODES:
        raise AnalyticsInputError(f"--model must be one of {', '.join(MODEL_CODES)}")
    if not (math.isfinite(days_per_month) and days_per_month > 0):
        raise AnalyticsInputError("--days-per-month must be a positive number")
    if horizon is not None and not (math.isfinite(horizon) and horizon > 0):
        raise AnalyticsInputError("--horizon must be a positive number")
    if not (math.isfinite(discount_rate) and discount_rate > -1):
        raise AnalyticsInputError("--discount-rate must be a number greater than -1")
    cal_end = parse_cli_date(calibration_end, "--calibration-end")
    obs_end = parse_cli_date(observation_end, "--observation-end")
    frame = read_transactions_csv(
        path, customer_col=customer_col, date_col=date_col, amount_col=amount_col
    )
    _check_customers(frame)
    try:
        summary = summarize_transactions(
            frame,
            time_unit=time_unit,  # type: ignore[arg-type]
            calibration_end=cal_end,
            observation_end=obs_end,
        )
        if summary.height < 2:
            raise AnalyticsInputError(
                "Only one customer bought before the calibration end; the models need several"
            )
        result = score_customers(
            summary,
            time_unit=time_unit,
            horizon=horizon,
            discount_rate=discount_rate,
            days_per_month=days_per_month,
            model=model,
        )
    except (SummaryInputError, FitError) as exc:
        raise AnalyticsInputError(str(exc)) from None
    report: dict[str, Any] = {
        "customers": summary.height,
        "model": model,
        "time_unit": time_unit,
        "horizon": result.horizon,
        "discount_rate": discount_rate,
        "days_per_month": days_per_month,
        "calibration_end": cal_end.isoformat() if cal_end else None,
        "observation_end": obs_end.isoformat() if obs_end else None,
        "refunds": refund_report(frame, last_day=obs_end).as_dict(),
        model: {k: _json_float(v) for k, v in result.transactions.as_dict().items()},
        "gamma_gamma": {k: _json_float(v) for k, v in result.gamma_gamma.as_dict().items()},
        "customer_equity": _json_float(result.customer_equity),
    }
    if cal_end is not None:
        columns = [
            summary[name].to_numpy()
            for name in ("frequency", "recency", "T", "frequency_holdout", "duration_holdout")
        ]
        report["holdout"] = holdout_by_frequency(result.transactions, *columns)
        comparison = compare_models(*columns, fitted={model: result.transactions})
        report["model_comparison"] = [
            {k: _json_value(v) for k, v in row.items()} for row in comparison
        ]
        report["best_model"] = best_models(comparison)
    if output is not None:
        _write_csv(result.customers, output)
        report["output"] = str(output)
    return report


def run_rfm(
    path: str | Path,
    *,
    customer_col: str,
    date_col: str,
    amount_col: str,
    as_of: str | None = None,
    output: str | Path | None = None,
) -> dict[str, Any]:
    """Score RFM on a CSV, write per-customer r, f, m and segment, return counts per segment."""
    reference = parse_cli_date(as_of, "--as-of")
    frame = read_transactions_csv(
        path, customer_col=customer_col, date_col=date_col, amount_col=amount_col
    )
    table = rfm_table(frame, as_of=reference)
    if table.height == 0:
        raise AnalyticsInputError("No purchase happened on or before --as-of")
    report: dict[str, Any] = {
        "customers": table.height,
        "as_of": (reference or table["last_purchase"].max()).isoformat(),  # type: ignore[union-attr]
        "segments": segment_counts(table["segment"].to_numpy()),
        "refunds": refund_report(frame, last_day=reference).as_dict(),
    }
    if output is not None:
        _write_csv(table, output)
        report["output"] = str(output)
    return report


def _write_csv(frame: pl.DataFrame, output: str | Path) -> None:
    """Write a result table as UTF-8 CSV, neutralising text a spreadsheet would run as a formula."""
    text_columns = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    # OWASP "CSV injection": customer ids come from the input file, so they are untrusted.
    frame = frame.with_columns(
        pl.when(pl.col(name).str.contains(r"^[=+\-@\t\r]"))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in text_columns
    )
    try:
        frame.write_csv(output)
    except OSError as exc:
        raise AnalyticsInputError(f"Cannot write {output}: {exc.strerror or exc}") from None
