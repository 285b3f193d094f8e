"""Marketing spend from a CSV/XLSX file: one row per channel and month.

Small files, read at once: every good row is saved (one savepoint each), every bad row is
reported with its line, column and reason. Channels are recognised by code or by their
Spanish or English name, months as YYYY-MM or as any date of the month.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.core.exceptions import ValidationFailed
from clientela.core.tabular import Record, TableError, open_table, parse_date
from clientela.orders import services
from clientela.orders.importing import RowError, channel_code, detect_columns

SPEND_COLUMNS: dict[str, tuple[str, ...]] = {
    "channel": ("channel", "canal", "canal de venta", "medio", "source", "fuente"),
    "month": ("month", "mes", "periodo", "period", "fecha", "date"),
    "amount": ("amount", "monto", "valor", "gasto", "inversion", "spend", "costo", "cost",
               "total", "importe"),
    "currency": ("currency", "moneda", "divisa"),
}  # fmt: skip
MONTH_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})$")


@dataclass
class SpendImportResult:
    """What a spend import did: rows read, rows saved and every rejected row."""

    rows: int = 0
    saved: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


def parse_month(text: str) -> dt.date:
    """Return the first day of a month written YYYY-MM (or YYYY/MM) or as a date; ValueError."""
    found = MONTH_RE.match(text.strip())
    if found:
        year, month = int(found.group(1)), int(found.group(2))
        if 1 <= month <= 12:
            return dt.date(year, month, 1)
        raise ValueError(_("Write the month as YYYY-MM or as a date."))
    try:
        day = parse_date(text)
    except ValueError as exc:
        raise ValueError(_("Write the month as YYYY-MM or as a date.")) from exc
    if day is None:
        raise ValueError(_("Write the month as YYYY-MM or as a date."))
    return day.replace(day=1)


def import_spend(*, actor: User, upload: IO[bytes], filename: str) -> SpendImportResult:
    """Save the spend of every good row of a file; ValidationFailed ("file") when unreadable."""
    services.require_spend(actor)
    try:
        table = open_table(upload, filename=filename)
    except TableError as exc:
        raise ValidationFailed({"file": exc.message}) from exc
    with table:
        mapping = detect_columns(table.headers, SPEND_COLUMNS)
        if not all(target in mapping for target in ("channel", "month", "amount")):
            raise ValidationFailed(
                {"file": _("The file needs columns for the channel, the month and the amount.")}
            )
        result = SpendImportResult()
        for record in table.records():
            result.rows += 1
            try:
                _save_row(actor, record, mapping)
            except RowError as exc:
                result.errors.append(
                    {"line": record.line, "column": exc.column, "reason": exc.reason}
                )
            else:
                result.saved += 1
    return result


def _save_row(actor: User, record: Record, mapping: dict[str, str]) -> None:
    if record.problems:
        raise RowError("", " ".join(record.problems))

    def cell(target: str) -> str:
        return (record.values.get(mapping.get(target, "")) or "").strip()

    channel = channel_code(cell("channel")) if cell("channel") else None
    if channel is None:
        raise RowError(mapping["channel"], _("Unknown channel."))
    if not cell("month"):
        raise RowError(mapping["month"], _("The month is missing."))
    try:
        month = parse_month(cell("month"))
    except ValueError as exc:
        raise RowError(mapping["month"], str(exc)) from exc
    if not cell("amount"):
        raise RowError(mapping["amount"], _("The amount is missing."))
    try:
        services.record_spend(
            actor=actor,
            channel=channel,
            month=month,
            amount=cell("amount"),
            currency=cell("currency") or None,
        )
    except ValidationFailed as exc:
        key, messages = next(iter(exc.errors.items()))
        column = mapping.get(key, mapping["channel"] if key == "channel" else key)
        raise RowError(column, " ".join(messages)) from exc
