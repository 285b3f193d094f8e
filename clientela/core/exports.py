"""Every download of records (CSV or XLSX) goes through here, and every one is audited.

`export_table` checks the format, writes the export's Job row (its record in the audit log)
and hands it to the export recorder in the same transaction, then returns an ExportFile that
streams the rows with formula injection neutralised (core.tabular.writing). Core may not
import the event store, so the timeline app registers the recorder in its AppConfig.ready();
with no recorder registered an export refuses to run, so no app can forget the event.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from clientela.core.exceptions import ValidationFailed
from clientela.core.models import Job, JobState
from clientela.core.tabular import iter_csv, write_xlsx

if TYPE_CHECKING:
    from clientela.core.users import User


FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class ExportRecord:
    """What the audit event of one export says: who, what kind, which format, rows, filters."""

    actor: User
    job: Job
    kind: str
    fmt: str
    rows: int | None
    filters: Mapping[str, Any]
    via: str


ExportRecorder = Callable[[ExportRecord], object]
_recorder: list[ExportRecorder] = []


def register_export_recorder(recorder: ExportRecorder) -> None:
    """Set the function that writes an export's audit event (the timeline app sets it)."""
    _recorder[:] = [recorder]


def _record(record: ExportRecord) -> None:
    if not _recorder:
        raise ImproperlyConfigured("No export recorder is registered: exports must be audited.")
    _recorder[0](record)


@dataclass
class ExportFile:
    """A prepared export: its file name, content type, headers and the rows still to stream."""

    filename: str
    fmt: str
    headers: list[str]
    rows: Iterator[Sequence[Any]]
    count: int | None
    sheet_title: str
    job: Job

    @property
    def content_type(self) -> str:
        """The MIME type of the format."""
        return FORMATS[self.fmt]

    def stream_csv(self) -> Iterator[bytes]:
        """CSV chunks for a streaming response (formulas neutralised, times in local time)."""
        return iter_csv(self.rows, self.headers, tz=timezone.get_current_timezone())

    def xlsx_file(self) -> IO[bytes]:
        """Return the workbook written to a temporary file, rewound (closing it deletes it)."""
        handle = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it
        write_xlsx(
            self.rows,
            self.headers,
            handle,
            sheet_title=self.sheet_title,
            tz=timezone.get_current_timezone(),
        )
        handle.seek(0)
        return handle


def export_table(
    *,
    actor: User,
    kind: str,
    fmt: str,
    headers: Iterable[str | Promise],
    rows: Iterable[Sequence[Any]],
    name: str,
    title: str,
    sheet_title: str | None = None,
    count: int | None = None,
    filters: Mapping[str, Any] | None = None,
    via: str = "ui",
) -> ExportFile:
    """Audit and prepare one export; ValidationFailed ("format") for a format other than CSV/XLSX.

    `kind` names what is exported ("contacts", "orders"…), `name` starts the file name and
    `title` is the export's title in the audit log. The caller has checked that `actor` may
    export these rows; `rows` are only read when the file is written.
    """
    if fmt not in FORMATS:
        raise ValidationFailed({"format": _("Choose CSV or XLSX.")})
    clean_filters = dict(filters or {})
    now = timezone.now()
    with transaction.atomic():
        job = Job.objects.create(
            kind=f"export_{kind}",
            state=JobState.DONE,
            created_by=actor if getattr(actor, "pk", None) else None,
            started_at=now,
            finished_at=now,
            title=title[:200],
            options={"format": fmt, "filters": clean_filters},
            total=count or 0,
            processed=count or 0,
            counts={"rows": count} if count is not None else {},
        )
        _record(ExportRecord(actor, job, kind, fmt, count, clean_filters, via))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return ExportFile(
        filename=f"{name}-{stamp}.{fmt}",
        fmt=fmt,
        headers=[str(header) for header in headers],
        rows=iter(rows),
        count=count,
        sheet_title=sheet_title or title,
        job=job,
    )


def export_response(export: ExportFile) -> HttpResponseBase:
    """Serve the download of a prepared export: streamed CSV, or XLSX from a temporary file."""
    if export.fmt == "xlsx":
        return FileResponse(
            export.xlsx_file(),
            as_attachment=True,
            filename=export.filename,
            content_type=export.content_type,
        )
    response = StreamingHttpResponse(export.stream_csv(), content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


def export_download(
    *,
    actor: User,
    kind: str,
    fmt: str,
    headers: Iterable[str | Promise],
    rows: Iterable[Sequence[Any]],
    name: str,
    title: str,
    sheet_title: str | None = None,
    count: int | None = None,
    filters: Mapping[str, Any] | None = None,
    via: str = "ui",
) -> HttpResponseBase:
    """Audit an export and answer its download; Http404 for a format in the path not served.

    For routes whose format is part of the address (`export.csv`, `export.xlsx`).
    """
    if fmt not in FORMATS:
        raise Http404
    export = export_table(
        actor=actor,
        kind=kind,
        fmt=fmt,
        headers=headers,
        rows=rows,
        name=name,
        title=title,
        sheet_title=sheet_title,
        count=count,
        filters=filters,
        via=via,
    )
    return export_response(export)
