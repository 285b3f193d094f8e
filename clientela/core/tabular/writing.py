"""Export rows to CSV and XLSX as streams, with spreadsheet formula injection neutralised.

CSV is UTF-8 with a byte order mark, because Excel reads a BOM-less file in the ANSI code
page and mangles accents; the default delimiter is ``;`` and numbers use a decimal comma,
because that is what Excel expects where the decimal separator is a comma (Colombia, Spain,
most of Latin America). Pass ``delimiter=","`` for a decimal-point CSV. Dates are ISO
(``2024-03-15``, ``2024-03-15 10:30:00``), which Excel recognises in every locale.

Text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading
apostrophe (OWASP "CSV injection"); numbers, including negative ones, stay numbers.
Aware datetimes are written as wall-clock time in ``tz`` when it is given (what the user
expects to see); without ``tz`` CSV keeps their UTC offset and XLSX, which has no time
zones, their own wall-clock time.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time, tzinfo
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # openpyxl loads when an XLSX is written, not with every web process
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

__all__ = ["iter_csv", "neutralise", "write_csv", "write_xlsx"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CHUNK_CHARS = 64 * 1024
MAX_CELL_CHARS = 32767  # Excel refuses longer cells
MAX_EXACT_INT = 10**15  # Excel keeps 15 significant digits; longer ids are written as text
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def neutralise(text: str) -> str:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _text(value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(v) for v in value)
    return str(value)


def _finite(value: float | Decimal) -> bool:
    return value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)


def _number_text(value: float | Decimal, decimal_comma: bool) -> str:
    if not _finite(value):
        return ""
    # Plain notation: "1E+3" or "1e-05" would read back as text in most spreadsheets.
    text = format(value if isinstance(value, Decimal) else Decimal(repr(value)), "f")
    return text.replace(".", ",") if decimal_comma else text


def _moment(value: datetime, tz: tzinfo | None) -> datetime:
    """Wall-clock time in ``tz`` when both are known; otherwise the value unchanged."""
    if value.tzinfo is not None and tz is not None:
        return value.astimezone(tz).replace(tzinfo=None)
    return value


def _csv_cell(value: Any, decimal_comma: bool, tz: tzinfo | None) -> str:
    """Render one value for CSV."""
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        return _number_text(value, decimal_comma)
    if isinstance(value, datetime):
        return _moment(value, tz).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="seconds")
    return neutralise(_text(value))


def iter_csv(
    rows: Iterable[Sequence[Any]],
    headers: Sequence[str],
    *,
    delimiter: str = ";",
    decimal_comma: bool | None = None,
    tz: tzinfo | None = None,
) -> Iterator[bytes]:
    """Yield a CSV export in chunks of about 64 KB, ready for a StreamingHttpResponse.

    ``decimal_comma`` defaults to True with ``;`` and False otherwise (see the module doc).
    """
    comma = delimiter == ";" if decimal_comma is None else decimal_comma
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([neutralise(str(h)) for h in headers])
    yield codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8", "replace")
    buffer.seek(0)
    buffer.truncate()
    for row in rows:
        writer.writerow([_csv_cell(v, comma, tz) for v in row])
        if buffer.tell() >= CHUNK_CHARS:
            yield buffer.getvalue().encode("utf-8", "replace")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8", "replace")


class _Counter:
    """Passes rows through and counts them, so writers can report how many they wrote."""

    def __init__(self, rows: Iterable[Sequence[Any]]) -> None:
        self.rows = rows
        self.count = 0

    def __iter__(self) -> Iterator[Sequence[Any]]:
        for row in self.rows:
            self.count += 1
            yield row


def write_csv(
    rows: Iterable[Sequence[Any]],
    headers: Sequence[str],
    stream: IO[bytes],
    *,
    delimiter: str = ";",
    decimal_comma: bool | None = None,
    tz: tzinfo | None = None,
) -> int:
    """Write a CSV export to a binary stream; returns the number of data rows written."""
    counter = _Counter(rows)
    for chunk in iter_csv(
        counter, headers, delimiter=delimiter, decimal_comma=decimal_comma, tz=tz
    ):
        stream.write(chunk)
    return counter.count


def _sheet_title(title: str) -> str:
    cleaned = _SHEET_TITLE_FORBIDDEN.sub(" ", title).strip("' ")
    return cleaned[:31] or "Datos"


class _XlsxCells:
    """Converts values to cells of one write-only sheet, reusing styles for dates."""

    def __init__(
        self, sheet: WriteOnlyWorksheet, date_format: str, datetime_format: str, tz: tzinfo | None
    ) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        self._cell = WriteOnlyCell
        self._illegal = ILLEGAL_CHARACTERS_RE
        self.sheet = sheet
        self.date_format = date_format
        self.datetime_format = datetime_format
        self.tz = tz

    def convert(self, value: Any) -> Any:
        """Return what openpyxl should append for one value."""
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str):
            return self._string(value)
        if isinstance(value, int):
            return value if abs(value) < MAX_EXACT_INT else str(value)
        if isinstance(value, float | Decimal):
            return value if _finite(value) else None
        if isinstance(value, datetime):
            moment = _moment(value, self.tz).replace(tzinfo=None)
            return self._dated(moment, self.datetime_format)
        if isinstance(value, date):
            return self._dated(value, self.date_format)
        if isinstance(value, time):
            return value.replace(tzinfo=None)
        return self._string(_text(value))

    def _string(self, text: str) -> str:
        # Control characters make Excel call the file corrupt.
        return neutralise(self._illegal.sub("", text))[:MAX_CELL_CHARS]

    def _dated(self, value: date, number_format: str) -> WriteOnlyCell:
        cell = self._cell(self.sheet, value=value)
        cell.number_format = number_format
        return cell


def write_xlsx(
    rows: Iterable[Sequence[Any]],
    headers: Sequence[str],
    target: str | os.PathLike[str] | IO[bytes],
    *,
    sheet_title: str = "Datos",
    date_format: str = "dd/mm/yyyy",
    datetime_format: str = "dd/mm/yyyy hh:mm:ss",
    tz: tzinfo | None = None,
) -> int:
    """Write an XLSX export with openpyxl's write-only mode; returns the number of data rows.

    Rows stream into a temporary file, so memory stays flat for large exports; the
    workbook is zipped into ``target`` (a path or a binary file) at the end.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(sheet_title))
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        # Column widths must be set before the first row in write-only mode.
        sheet.column_dimensions[get_column_letter(index)].width = min(max(len(header) + 4, 12), 50)
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(header))))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    cells = _XlsxCells(sheet, date_format, datetime_format, tz)
    convert = cells.convert
    count = 0
    for row in rows:
        sheet.append([convert(v) for v in row])
        count += 1
    workbook.save(target)
    return count
