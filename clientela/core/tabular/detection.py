"""Work out what an upload is (format, text encoding, CSV delimiter) and decode it in batches.

Encoding strategy: a byte order mark names its codec; otherwise strict UTF-8 (a plain ASCII
sample sends us looking for the first accented byte further down); otherwise
charset-normalizer limited to what spreadsheet programs save (Windows-1252, Mac Roman),
defaulting to Windows-1252, Excel's choice in Spanish.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import itertools
import re
import threading
import zipfile
from collections import deque
from collections.abc import Callable, Iterator
from typing import IO, Literal

from charset_normalizer import from_bytes
from django.utils.translation import gettext as _

__all__ = [
    "DELIMITERS",
    "ENCODING_NAMES",
    "REPLACE_AND_COUNT",
    "SAMPLE_BYTES",
    "DecodeStats",
    "LineBatches",
    "TableError",
    "corrupt_xlsx",
    "detect_delimiter",
    "detect_encoding",
    "looks_binary",
    "sniff_format",
]

Format = Literal["csv", "xlsx"]
Reopen = Callable[[], contextlib.AbstractContextManager[IO[bytes]]]

DELIMITERS = ";,\t|"
SAMPLE_BYTES = 64 * 1024
# Sniffer is pure Python and slow on big samples; a few dozen lines tell the dialect.
SNIFF_CHARS = 16 * 1024
CONSISTENCY_ROWS = 50
# With few non-ASCII bytes statistical detection is a coin toss; Excel's cp1252 is the better bet.
MIN_BYTES_TO_GUESS = 16
LEGACY_CODECS = ["cp1252", "mac_roman"]
# Lines are handed to csv.reader in batches; the last few are kept to re-read a broken record.
BATCH_CHARS = 64 * 1024
KEPT_BATCHES = 8
REPLACE_AND_COUNT = "clientela.tabular.replace"
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
    "utf-32": "UTF-32",
    "cp1252": "Windows-1252",
    "mac_roman": "Mac Roman",
}

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_NOT_SPREADSHEETS = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Excel 97-2003 (.xls)"),
    (b"%PDF", "PDF"),
    (b"{\\rtf", "RTF"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"\x1f\x8b", "gzip"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf", "7-Zip"),
)
_MARKUP = re.compile(rb"^\s*<(?:\?xml|!doctype|html|table)", re.IGNORECASE)
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")


class TableError(Exception):
    """The file cannot be read as a table; ``message`` is ready to show to the user."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        # empty, no_header, unsupported_format, corrupt, sheet_not_found
        self.code = code


def empty_file() -> TableError:
    """Return the error for a file with no content."""
    return TableError(_("The file is empty."), code="empty")


def corrupt_xlsx() -> TableError:
    """Return the error for a damaged workbook."""
    return TableError(
        _(
            "The file looks like an Excel workbook (.xlsx) but it is damaged or incomplete. "
            "Open it in Excel, save it again and retry."
        ),
        code="corrupt",
    )


def unsupported(kind: str | None) -> TableError:
    """Return the error for a file that is not CSV or XLSX, naming what it is when known."""
    supported = _("Supported formats: CSV (separated by ; , tab or |) and Excel workbook (.xlsx).")
    if kind:
        message = _("Files of type %(kind)s cannot be imported.") % {"kind": kind}
    else:
        message = _("This file is not a spreadsheet Clientela can read.")
    return TableError(f"{message} {supported}", code="unsupported_format")


def _zip_kind(raw: IO[bytes], filename: str | None) -> str | None:
    """Return None for an XLSX workbook, else a name for what the zip holds."""
    try:
        with zipfile.ZipFile(raw) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" in names:
                return None
            if "xl/workbook.bin" in names:
                return "Excel binary (.xlsb)"
            if "mimetype" in names:
                kind = archive.read("mimetype").decode("ascii", "replace")
                return "OpenDocument (.ods)" if "spreadsheet" in kind else "OpenDocument"
            if any(n.startswith("word/") for n in names):
                return "Word (.docx)"
    except Exception as exc:
        # zipfile raises several types on damaged archives; all mean the same to the user.
        raise corrupt_xlsx() from exc
    if (filename or "").lower().endswith((".xlsx", ".xlsm")):
        raise corrupt_xlsx()  # a workbook whose parts went missing
    return "ZIP"


def sniff_format(head: bytes, reopen: Reopen, filename: str | None = None) -> Format:
    """Tell XLSX from text by content (zip magic), rejecting other known formats by name."""
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise empty_file()
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        with reopen() as raw:
            kind = _zip_kind(raw, filename)
        if kind is not None:
            raise unsupported(kind)
        return "xlsx"
    for magic, name in _NOT_SPREADSHEETS:
        if head.startswith(magic):
            raise unsupported(name)
    if _MARKUP.match(head.lstrip(codecs.BOM_UTF8)):
        raise unsupported(_("web page or XML"))
    return "csv"


def looks_binary(sample: str) -> bool:
    """Whether decoded text is full of control characters, i.e. not text at all."""
    start = sample[:4096]
    return len(_CONTROL.findall(start)) > 0.05 * len(start)


def _utf8_ok(data: bytes, final: bool) -> bool:
    """Strict UTF-8 check that tolerates a character cut at the end of a sample."""
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(data, final=final)
    except UnicodeDecodeError:
        return False
    return True


def _guess_legacy(data: bytes) -> str:
    if len(_NON_ASCII.findall(data)) < MIN_BYTES_TO_GUESS:
        return "cp1252"
    best = from_bytes(data, cp_isolation=LEGACY_CODECS).best()
    return best.encoding if best is not None and best.encoding in LEGACY_CODECS else "cp1252"


def detect_encoding(head: bytes, size: int, reopen: Reopen) -> str:
    """Return the Python codec to read the file with (see the module doc for the strategy)."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    if b"\x00" in head:
        # UTF-16 without a BOM: every other byte of Latin text is zero.
        half = max(len(head) // 2, 1)
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if odd > 0.3 * half and even < 0.05 * half:
            return "utf-16-le"
        if even > 0.3 * half and odd < 0.05 * half:
            return "utf-16-be"
    whole = size <= len(head)
    if not _utf8_ok(head, final=whole):
        return _guess_legacy(head)
    if not head.isascii() or whole:
        return "utf-8"
    # The sample is plain ASCII: find the first accented byte further down and judge that.
    with reopen() as raw:
        while block := raw.read(1 << 20):
            if found := _NON_ASCII.search(block):
                window = block[found.start() :]
                window += raw.read(max(SAMPLE_BYTES - len(window), 0))
                at_end = raw.read(1) == b""
                return "utf-8" if _utf8_ok(window, final=at_end) else _guess_legacy(window)
    return "utf-8"


def detect_delimiter(sample: str) -> str:
    """Pick the delimiter: csv.Sniffer if it parses consistently, else the best-scoring one."""
    scores = {d: _score(sample, d) for d in DELIMITERS}
    best_width = max((s[1] for s in scores.values() if s[0]), default=0)
    try:
        sniffed = csv.Sniffer().sniff(sample[:SNIFF_CHARS], delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = ""
    if sniffed in scores and scores[sniffed][0] and scores[sniffed][1] == best_width:
        return sniffed
    # Fallback: the most columns in the header line, preferring consistent parses; with a
    # single column, the delimiter that splits the fewest rows.
    return max(DELIMITERS, key=lambda d: scores[d])


def _score(sample: str, delimiter: str) -> tuple[bool, int, float]:
    """(consistent, header columns if more than one, share of rows as wide as the header)."""
    # newline="" splits lines like the real read does, including old Mac "\r" endings.
    rows = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, quotechar='"')
    try:
        nonempty = [r for r in itertools.islice(rows, CONSISTENCY_ROWS * 2) if any(r)]
    except csv.Error:
        return False, 0, 0.0
    if not nonempty:
        return False, 0, 0.0
    header_line = next(line for line in sample.splitlines() if line.strip())
    width = len(next(csv.reader([header_line], delimiter=delimiter, quotechar='"'), []))
    body = nonempty[1 : CONSISTENCY_ROWS + 1]
    share = sum(len(r) == width for r in body) / len(body) if body else 1.0
    return width > 1 and share >= 0.8, width if width > 1 else 0, share


class DecodeStats:
    """Counts bytes replaced while decoding one table, whichever pass decoded them."""

    __slots__ = ("bad_bytes",)

    def __init__(self) -> None:
        self.bad_bytes = 0


_decoding = threading.local()


def _replace_and_count(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: replace like errors='replace' and count for the table's warning."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    stats = getattr(_decoding, "stats", None)
    if stats is not None:
        stats.bad_bytes += exc.end - exc.start
    return "\ufffd", exc.end


codecs.register_error(REPLACE_AND_COUNT, _replace_and_count)


class LineBatches:
    """Feeds decoded lines to csv.reader in batches and keeps recent ones to re-read bad records."""

    __slots__ = ("_kept", "_next", "_stats", "_text")

    def __init__(self, text: io.TextIOWrapper, stats: DecodeStats) -> None:
        self._text = text
        self._stats = stats
        self._kept: deque[tuple[int, list[str]]] = deque(maxlen=KEPT_BATCHES)
        self._next = 1

    def __iter__(self) -> Iterator[str]:
        # chain keeps the per-line cost in C; Python runs once per batch.
        return itertools.chain.from_iterable(self._batches())

    def _batches(self) -> Iterator[list[str]]:
        while True:
            previous = getattr(_decoding, "stats", None)
            _decoding.stats = self._stats
            try:
                batch = self._text.readlines(BATCH_CHARS)
            finally:
                _decoding.stats = previous
            if not batch:
                return
            self._kept.append((self._next, batch))
            self._next += len(batch)
            yield batch

    def get(self, first: int, last: int) -> list[str]:
        """Return the physical lines first..last (1-based, inclusive) still kept."""
        start, batch = self._kept[-1]
        if first >= start:  # the usual case: the record lies in the newest batch
            return batch[first - start : last - start + 1]
        out: list[str] = []
        for start, batch in self._kept:
            lo, hi = max(first, start), min(last, start + len(batch) - 1)
            if lo <= hi:
                out.extend(batch[lo - start : hi - start + 1])
        return out
