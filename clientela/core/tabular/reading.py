"""Open an uploaded spreadsheet (CSV or XLSX) as a stream of records numbered like a spreadsheet.

Numbering: the header is the row a spreadsheet shows it on (normally line 1), the first data
record the next one; a record whose quoted value spans several physical lines is still one
row, and fully empty rows are skipped but keep their number. Reading never fails on a bad
row: malformed rows come back with ``problems``; only an unreadable file raises
``TableError``.

CSV streams with flat memory (a decoding pass per read, lines in batches). XLSX goes through
python-calamine, which is fast but holds the chosen sheet in memory while the Table is open.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import os
import re
import tempfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import IO, Any, cast

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook, SheetVisibleEnum

from clientela.core.tabular.detection import (
    ENCODING_NAMES,
    REPLACE_AND_COUNT,
    SAMPLE_BYTES,
    DecodeStats,
    Format,
    LineBatches,
    TableError,
    corrupt_xlsx,
    detect_delimiter,
    detect_encoding,
    empty_file,
    looks_binary,
    sniff_format,
    unsupported,
)

__all__ = ["Record", "Row", "Source", "Table", "TableError", "open_table"]

Source = str | os.PathLike[str] | bytes | IO[bytes]
MAX_NOTED_LINES = 10
_SEP_LINE = re.compile(r'^"?sep=(.)"?\s*$')
_DATA_LIKE = re.compile(r"^[\d\s.,:/+()$-]+$|@")


Row = tuple[int, list[str], tuple[str, ...]]


@dataclass(slots=True)
class Record:
    """One data row: its spreadsheet line, values by header name, and what was wrong with it."""

    line: int
    values: dict[str, str]
    problems: tuple[str, ...] = ()


class _Notes:
    """Table-level findings made while iterating, counted once even over several passes."""

    def __init__(self) -> None:
        self.seen_through = 0
        self.replaced_rows = 0
        self.first_replaced = 0
        self.repaired: list[int] = []
        self.repaired_count = 0
        self.repaired_through = 0


class Table:
    """An opened spreadsheet: headers, detected format, and records that can be read many times."""

    def __init__(self, *, fmt: Format, source: str | IO[bytes], filename: str | None) -> None:
        self.format: Format = fmt
        self.filename = filename
        self.headers: list[str] = []
        self.header_line = 1
        self.encoding: str | None = None
        self.delimiter: str | None = None
        self.sheet: str | None = None
        self._source = source
        self._owned: IO[bytes] | None = None
        self._static_warnings: list[str] = []
        self._stats = DecodeStats()
        self._notes = _Notes()
        self._csv_params: dict[str, Any] = {}
        self._skip_sep_line = False
        self._records_before_data = 0
        self._workbook: CalamineWorkbook | None = None
        self._sheet: CalamineSheet | None = None

    # -- public API -------------------------------------------------------------------------

    @property
    def warnings(self) -> list[str]:
        """User-facing notes about the whole file (renamed columns, repaired quotes, bad bytes)."""
        out = list(self._static_warnings)
        notes = self._notes
        if notes.replaced_rows:
            message = ngettext(
                "%(rows)d row has characters that are not valid %(encoding)s; they were replaced "
                "by “\ufffd” (line %(line)d). Save the file as “CSV UTF-8” and import it again.",
                "%(rows)d rows have characters that are not valid %(encoding)s; they were replaced "
                "by “\ufffd” (the first on line %(line)d). Save the file as “CSV UTF-8” and "
                "import it again.",
                notes.replaced_rows,
            )
            encoding = ENCODING_NAMES.get(self.encoding or "", self.encoding)
            out.append(
                message
                % {"rows": notes.replaced_rows, "encoding": encoding, "line": notes.first_replaced}
            )
        if notes.repaired_count:
            lines = ", ".join(str(n) for n in notes.repaired)
            if notes.repaired_count > len(notes.repaired):
                lines += "…"
            out.append(
                _(
                    'A value starts with a quote (") that is never closed on these lines: '
                    "%(lines)s; the quote was kept as text."
                )
                % {"lines": lines}
            )
        return out

    def __iter__(self) -> Iterator[Record]:
        return self.records()

    def records(self, start_line: int = 0) -> Generator[Record, None, None]:
        """Yield data records from the top, or only those from ``start_line`` on (to resume)."""
        return cast(Generator[Record, None, None], self._read(start_line, lists=False))

    def rows(self, start_line: int = 0) -> Generator[Row, None, None]:
        """Like ``records`` but as (line, values in header order, problems): about twice as fast.

        Every values list has exactly ``len(headers)`` items (short rows are padded).
        """
        return cast(Generator[Row, None, None], self._read(start_line, lists=True))

    def _read(self, start_line: int, lists: bool) -> Generator[Record | Row, None, None]:
        if self.format == "xlsx":
            return self._xlsx_records(start_line, lists)
        return self._csv_records(start_line, lists)

    def preview(self, n: int = 20) -> list[Record]:
        """Return the first ``n`` records without disturbing later full reads."""
        records = self.records()
        try:
            return list(itertools.islice(records, n))
        finally:
            records.close()

    def estimated_rows(self) -> int:
        """Upper bound of data rows, cheap enough for a progress bar (quoted newlines inflate it)."""
        if self.format == "xlsx":
            end = self._load_sheet().end
            return max((end[0] + 1 if end else 0) - self.header_line, 0)
        lines, last = 0, b"\n"
        with self._binary() as raw:
            while block := raw.read(1 << 20):
                lines += block.count(b"\n")
                last = block[-1:]
        if last != b"\n":
            lines += 1
        return max(lines - self.header_line - int(self._skip_sep_line), 0)

    def close(self) -> None:
        """Release the cached workbook and any temporary copy of the upload."""
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = self._sheet = None
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- shared -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _binary(self) -> Iterator[IO[bytes]]:
        """Open the source from its first byte; a caller's file object is rewound, not closed."""
        if isinstance(self._source, str):
            with open(self._source, "rb") as raw:
                yield raw
        else:
            self._source.seek(0)
            yield self._source

    def _set_headers(self, raw: list[str], first_column: int = 0) -> None:
        names = [" ".join(str(h).replace("\ufeff", "").split()) for h in raw]
        if names and all(_DATA_LIKE.search(n) for n in names if n) and any(names):
            sample = ", ".join(f"“{n}”" for n in names if n)
            raise TableError(
                _(
                    "The first row should hold the column names, but it looks like data "
                    "(%(sample)s). Add a header row and try again."
                )
                % {"sample": sample[:120]},
                code="no_header",
            )
        while names and not names[-1]:
            names.pop()  # trailing blank columns are Excel's padding, not columns
        used: set[str] = set()
        headers: list[str] = []
        for index, name in enumerate(names):
            if not name:
                from openpyxl.utils import get_column_letter  # loaded only for such a sheet

                letter = get_column_letter(first_column + index + 1)
                # Stable across languages: a saved column mapping must match in any UI language.
                name = f"Columna {letter}"
                self._static_warnings.append(
                    _("Column %(letter)s has no name; it was called “%(name)s”.")
                    % {"letter": letter, "name": name}
                )
            unique, copy = name, 1
            while unique in used:
                copy += 1
                unique = f"{name} ({copy})"
            if unique != name:
                self._static_warnings.append(
                    _("Column “%(name)s” appears more than once; this copy was renamed “%(new)s”.")
                    % {"name": name, "new": unique}
                )
            used.add(unique)
            headers.append(unique)
        self.headers = headers

    def _record(self, line: int, row: list[str]) -> Record | None:
        """Build a record from a row of any width; None for an empty row."""
        if not any(v.strip() for v in row):
            return None
        if self._stats.bad_bytes:
            self._note_replacements(line, row)
        headers, width, n = self.headers, len(self.headers), len(row)
        if n == width:
            return Record(line, dict(zip(headers, row, strict=True)))
        if n < width:
            values = dict(zip(headers, row + [""] * (width - n), strict=True))
            problem = _(
                "This row has fewer values (%(count)d) than the header has columns (%(expected)d); "
                "the missing ones were left empty."
            ) % {"count": n, "expected": width}
            return Record(line, values, (problem,))
        values = dict(zip(headers, row[:width], strict=True))
        extra = [v for v in row[width:] if v.strip()]
        if not extra:
            return Record(line, values)
        problem = _(
            "This row has more values (%(count)d) than the header has columns (%(expected)d); "
            "the extra values were ignored: %(extra)s."
        ) % {"count": n, "expected": width, "extra": ", ".join(f"“{v}”" for v in extra)[:200]}
        return Record(line, values, (problem,))

    def _note_replacements(self, line: int, row: list[str]) -> None:
        notes = self._notes
        if line > notes.seen_through and any("\ufffd" in v for v in row):
            notes.replaced_rows += 1
            notes.first_replaced = notes.first_replaced or line
        notes.seen_through = max(notes.seen_through, line)

    def _note_repaired(self, line: int) -> None:
        notes = self._notes
        if line <= notes.repaired_through:
            return  # already counted by an earlier pass (a preview)
        notes.repaired_through = line
        notes.repaired_count += 1
        if len(notes.repaired) < MAX_NOTED_LINES:
            notes.repaired.append(line)

    # -- CSV --------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _csv_reader(self) -> Iterator[tuple[Any, LineBatches]]:
        """Open a decoding pass positioned at the first record (before the header)."""
        with self._binary() as raw:
            text = io.TextIOWrapper(
                cast(Any, raw), encoding=self.encoding, errors=REPLACE_AND_COUNT, newline=""
            )
            try:
                if self._skip_sep_line:
                    text.readline()
                lines = LineBatches(text, self._stats)
                yield csv.reader(lines, **self._csv_params), lines
            finally:
                # Detach so closing the wrapper never closes the caller's file object.
                text.detach()

    def _read_csv_header(self) -> None:
        with self._csv_reader() as (reader, _lines):
            try:
                for row in reader:
                    self._records_before_data += 1
                    if any(v.strip() for v in row):
                        self.header_line = self._records_before_data
                        self._set_headers(row)
                        return
            except csv.Error as exc:
                raise TableError(
                    _("The first row could not be read as column names; check its quotes."),
                    code="no_header",
                ) from exc
        raise empty_file()

    def _csv_records(self, start_line: int, lists: bool) -> Generator[Record | Row, None, None]:
        headers, width = self.headers, len(self.headers)
        make, well_quoted = self._record, self._well_quoted
        stats = self._stats
        with self._csv_reader() as (reader, lines):
            for _skipped in range(self._records_before_data):
                next(reader)
            line, last_physical = self.header_line, reader.line_num
            while True:
                try:
                    for row in reader:
                        line += 1
                        physical = reader.line_num
                        single = physical == last_physical + 1
                        if (
                            len(row) == width
                            and not stats.bad_bytes
                            and row[0].strip()
                            and (single or well_quoted(lines.get(last_physical + 1, physical)))
                        ):
                            # Fast path: a well-formed row; no per-value work but the dict.
                            if line >= start_line:
                                yield (
                                    (line, row, ())
                                    if lists
                                    # Same lengths here; a strict= keyword costs ~10% per row.
                                    else Record(line, dict(zip(headers, row)))  # noqa: B905
                                )
                        elif not row or (
                            len(row) == width
                            and (single or well_quoted(lines.get(last_physical + 1, physical)))
                        ):
                            if line >= start_line and (record := make(line, row)):
                                yield _as_row(record) if lists else record
                        else:
                            raw = lines.get(last_physical + 1, physical)
                            line -= 1
                            for fields, repaired in self._reparse(raw, row):
                                line += 1
                                if repaired:
                                    self._note_repaired(line)
                                if line >= start_line and (record := make(line, fields)):
                                    yield _as_row(record) if lists else record
                        last_physical = physical
                    break
                except csv.Error:
                    # A field over csv's size limit: re-read the lines it swallowed.
                    physical = reader.line_num
                    raw = lines.get(last_physical + 1, physical)
                    last_physical = physical
                    for fields, repaired in self._reparse(raw, None):
                        line += 1
                        if repaired:
                            self._note_repaired(line)
                        if line >= start_line and (record := make(line, fields)):
                            yield _as_row(record) if lists else record

    def _reparse(self, raw: list[str], row: list[str] | None) -> Iterator[tuple[list[str], bool]]:
        """Re-read the physical lines of a malformed record; yields (fields, repaired)."""
        width = len(self.headers)
        if row is not None and (not raw or (len(row) != width and self._well_quoted(raw))):
            # Quotes are balanced: the row is just short or long; keep it and report it.
            yield row, False
            return
        if len(raw) == 1:
            yield self._literal(raw[0]), True
            return
        start = 0
        # A quote opened and never closed swallows the following lines: read that line with
        # quotes as plain text and parse again from the next one, keeping every good row.
        while start < len(raw):
            reader = csv.reader(raw[start:], **self._csv_params)
            done = 0
            while True:
                try:
                    fields: list[str] | None = next(reader)
                except StopIteration:
                    return
                except csv.Error:
                    fields = None
                own = raw[start + done : start + reader.line_num]
                if fields is not None and (
                    (len(own) == 1 and len(fields) == width) or self._well_quoted(own)
                ):
                    yield fields, False
                    done = reader.line_num
                    continue
                yield self._literal(raw[start + done]), True
                start += done + 1
                break

    def _well_quoted(self, lines: list[str]) -> bool:
        """Whether the lines parse as exactly one record with every quote properly closed."""
        reader = csv.reader(lines, **self._csv_params, strict=True)
        try:
            next(reader)
        except (csv.Error, StopIteration):
            return False
        return reader.line_num == len(lines)

    def _literal(self, line: str) -> list[str]:
        # Quotes as plain text is a plain split, and unlike csv it has no field size limit.
        return line.rstrip("\r\n").split(self.delimiter or ",")

    # -- XLSX -------------------------------------------------------------------------------

    def _load_sheet(self) -> CalamineSheet:
        if self._sheet is None:
            try:
                with self._binary() as raw:
                    self._workbook = CalamineWorkbook.from_filelike(cast(Any, raw))
                if self.sheet is None:
                    visible = [
                        m.name
                        for m in self._workbook.sheets_metadata
                        if m.visible == SheetVisibleEnum.Visible
                    ]
                    self.sheet = (visible or self._workbook.sheet_names or [""])[0]
                if self.sheet not in self._workbook.sheet_names:
                    raise TableError(
                        _("The workbook has no sheet named “%(name)s”; its sheets are: %(sheets)s.")
                        % {"name": self.sheet, "sheets": ", ".join(self._workbook.sheet_names)},
                        code="sheet_not_found",
                    )
                self._sheet = self._workbook.get_sheet_by_name(self.sheet)
            except CalamineError as exc:
                raise corrupt_xlsx() from exc
        return self._sheet

    def _read_xlsx_header(self) -> None:
        sheet = self._load_sheet()
        start = sheet.start
        for index, cells in enumerate(sheet.iter_rows()):
            row = [_cell_text(c) for c in cells]
            if any(v.strip() for v in row):
                self.header_line = index + 1
                self._set_headers(row, start[1] if start else 0)
                return
        raise empty_file()

    def _xlsx_records(self, start_line: int, lists: bool) -> Generator[Record | Row, None, None]:
        rows = self._load_sheet().iter_rows()
        first = max(start_line - 1, self.header_line)
        make = self._record
        # calamine yields a list per sheet row from the top, so the index is the line number.
        for line, cells in enumerate(itertools.islice(rows, first, None), start=first + 1):
            row = [c if type(c) is str else _cell_text(c) for c in cells]
            if record := make(line, row):
                yield _as_row(record) if lists else record


def _as_row(record: Record) -> Row:
    return record.line, list(record.values.values()), record.problems


def _cell_text(value: object) -> str:
    """Render a calamine cell as text the value parsers understand."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        # 15 significant digits is what Excel shows; avoid exponents the parsers would reject.
        return format(Decimal(format(value, ".15g")), "f")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return "" if value is None else str(value)


def _prepare_csv(table: Table, head: bytes, size: int) -> None:
    table.encoding = detect_encoding(head, size, table._binary)
    with table._binary() as raw:
        text = io.TextIOWrapper(
            cast(Any, raw), encoding=table.encoding, errors="replace", newline=""
        )
        try:
            sample = text.read(SAMPLE_BYTES)
            at_end = text.read(1) == ""
        finally:
            text.detach()
    if not sample.strip(' \t\r\n\ufeff;,|"'):
        raise empty_file()  # blank lines, or only the separators of empty cells
    if looks_binary(sample):
        raise unsupported(None)
    if not at_end and (cut := max(sample.rfind("\n"), sample.rfind("\r"))) > 0:
        sample = sample[: cut + 1]  # never judge a half line
    first_line = (sample.lstrip("\ufeff").splitlines() or [""])[0].strip()
    if sep := _SEP_LINE.match(first_line):
        # Excel's "sep=;" hint line: Excel hides it, so it takes no line number either.
        table._skip_sep_line = True
        table.delimiter = sep.group(1)
    else:
        table.delimiter = detect_delimiter(sample)
    table._csv_params = {"delimiter": table.delimiter, "quotechar": '"'}
    table._read_csv_header()


def _as_source(source: Source) -> tuple[str | IO[bytes], IO[bytes] | None, str | None]:
    """Normalise to a path or a seekable binary file; returns (source, owned copy, name)."""
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        return path, None, os.path.basename(path)
    if isinstance(source, bytes | bytearray):
        buffer = io.BytesIO(bytes(source))
        return buffer, buffer, None
    name = getattr(source, "name", None)
    name = os.path.basename(name) if isinstance(name, str) else None
    if getattr(source, "seekable", lambda: False)():
        return source, None, name
    # Records may be read more than once (preview, then import), so keep a rewindable copy;
    # the Table owns it and closes it.
    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115
    copy = cast(IO[bytes], spool)
    while chunk := source.read(1 << 20):
        copy.write(chunk)
    copy.seek(0)
    return copy, copy, name


def open_table(source: Source, *, filename: str | None = None, sheet: str | None = None) -> Table:
    """Open a CSV or XLSX upload (path, bytes or binary file) and read its header.

    The format comes from the content, not the name: a tab-separated file called ``.xls`` is
    read as CSV. ``sheet`` picks an XLSX sheet by name (default: the first visible one).
    """
    src, owned, name = _as_source(source)
    filename = filename or name
    table = Table(fmt="csv", source=src, filename=filename)
    table._owned = owned
    try:
        with table._binary() as raw:
            head = raw.read(SAMPLE_BYTES)
            size = raw.seek(0, io.SEEK_END)
        if sniff_format(head, table._binary, filename) == "xlsx":
            table.format = "xlsx"
            table.sheet = sheet
            table._read_xlsx_header()
            return table
        try:
            _prepare_csv(table, head, size)
        except TableError as exc:
            is_xlsx_name = (filename or "").lower().endswith((".xlsx", ".xlsm"))
            if exc.code == "unsupported_format" and is_xlsx_name:
                raise corrupt_xlsx() from exc
            raise
        return table
    except BaseException:
        table.close()
        raise
