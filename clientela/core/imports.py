"""What every file import shares, whatever it imports: the stored upload, its job, its errors.

An import is a Job of its own kind: the uploaded file under MEDIA_ROOT/imports/<uuid>/, the
options in `job.options`, the counts in `job.counts` and every rejected row as a JobRowError
(line, column, reason and the row's original cells). The contacts and the orders imports
both build on these helpers; their screens share core.import_screens.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from clientela.core.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from clientela.core.models import Job, JobRowError, JobState
from clientela.core.tabular import Table, TableError, open_table

if TYPE_CHECKING:
    from clientela.core.users import User


DEFAULT_MAX_BYTES = 200 * 1024 * 1024
# A running job whose worker has not written for this long is taken to have died.
STALE_AFTER = timedelta(minutes=2)
COUNT_KEYS = ("created", "updated", "unchanged", "errors")
# Distinct values kept per warning kind ("unknown owner: x") so the counts stay small.
MAX_WARNING_VALUES = 50


def max_upload_bytes() -> int:
    """Return the largest file an import accepts (CLIENTELA["IMPORT_MAX_BYTES"], default 200 MB)."""
    return int(str(settings.CLIENTELA.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)))


def max_upload_mb() -> int:
    """Return the upload limit in whole megabytes, as the screens state it."""
    return max_upload_bytes() // (1024 * 1024)


def too_large_message() -> str:
    """Return what a user reads when the file is over the limit."""
    return _("The file is larger than %(size)d MB; split it and import the parts.") % {
        "size": max_upload_mb()
    }


def store_upload(upload: IO[bytes] | Path, filename: str) -> tuple[str, Table]:
    """Keep an uploaded file under imports/<uuid>/ and open it; ValidationFailed on "file".

    The caller closes the table. A file that is too large or unreadable is not kept.
    """
    safe = get_valid_filename(Path(filename).name) or "import.csv"
    name = f"imports/{uuid.uuid4().hex}/{safe}"
    if isinstance(upload, Path):
        with upload.open("rb") as handle:
            stored = default_storage.save(name, File(handle))
    else:
        stored = default_storage.save(name, File(upload))
    try:
        if default_storage.size(stored) > max_upload_bytes():
            raise ValidationFailed({"file": too_large_message()})
        return stored, open_table(default_storage.path(stored), filename=filename)
    except TableError as exc:
        default_storage.delete(stored)
        raise ValidationFailed({"file": exc.message}) from exc
    except ValidationFailed:
        default_storage.delete(stored)
        raise


def stored_path(job: Job) -> Path:
    """Where a job's file is: an absolute path (the CLI's own file) or one under MEDIA_ROOT."""
    path = Path(job.file)
    return path if path.is_absolute() else Path(default_storage.path(job.file))


def open_job_file(job: Job) -> Table:
    """Return the job's file opened for reading; NotFound when it was removed."""
    try:
        return open_table(stored_path(job), filename=job.options.get("filename"))
    except FileNotFoundError as exc:
        raise NotFound(_("The uploaded file is gone; upload it again.")) from exc


def sample_values(table: Table, n: int = 3, rows: int = 50) -> dict[str, list[str]]:
    """Return a few distinct non-empty example values per column for a mapping screen."""
    samples: dict[str, list[str]] = {h: [] for h in table.headers}
    for record in table.preview(rows):
        for header, value in record.values.items():
            bucket = samples.setdefault(header, [])
            if value.strip() and len(bucket) < n and value not in bucket:
                bucket.append(value[:80])
    return samples


def import_job_for(user: User, job_id: int | str, *, kind: str, sees_all: bool) -> Job:
    """Return an import job of `kind` the user started (any, when `sees_all`); else NotFound."""
    try:
        job = Job.objects.select_related("created_by").get(pk=int(job_id), kind=kind)
    except (Job.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("Import not found.")) from exc
    if job.created_by_id != user.pk and not sees_all:
        raise NotFound(_("Import not found."))
    return job


def recent_imports(user: User, *, kind: str, n: int = 10) -> list[Job]:
    """Return the user's latest imports of `kind` (not the dry runs behind previews)."""
    latest = Job.objects.filter(kind=kind, created_by=user).order_by("-created_at", "-id")
    return [job for job in latest[: n * 3] if not job.options.get("dry_run")][:n]


def can_resume(job: Job) -> bool:
    """Whether a job stopped (failed, or its worker vanished) and can continue."""
    if job.state == JobState.FAILED:
        stage: str | None = job.options.get("stage")
        return stage != "draft"
    stale = job.heartbeat_at is None or job.heartbeat_at < timezone.now() - STALE_AFTER
    return job.state == JobState.RUNNING and stale


def claim_job(job_id: int, *, kind: str, force: bool = False) -> Job | None:
    """Mark a pending (or abandoned running) job as running by this worker; None if taken."""
    now = timezone.now()
    claimable = (
        Q(state=JobState.PENDING)
        | Q(state=JobState.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
        | Q(state=JobState.RUNNING, heartbeat_at__isnull=True)
    )
    if force:
        claimable |= Q(state__in=[JobState.RUNNING, JobState.FAILED])
    updated = Job.objects.filter(claimable, pk=job_id, kind=kind).update(
        state=JobState.RUNNING, heartbeat_at=now, message=""
    )
    if not updated:
        return None
    job = Job.objects.select_related("created_by").get(pk=job_id)
    if job.started_at is None:
        job.started_at = now
        job.save(update_fields=["started_at"])
    return job


def job_counts(job: Job) -> dict[str, int]:
    """Return created, updated, unchanged and rejected rows so far (0 for what did not happen)."""
    counts = job.counts or {}
    return {key: int(counts.get(key, 0) or 0) for key in COUNT_KEYS}


def rejected_rows(job: Job) -> tuple[list[str], Iterator[list[Any]]]:
    """Headers and rows of the rejects file: original columns, then line, column and reason."""
    headers = list(job.options.get("headers") or [])
    out_headers = [*headers, _("Line"), _("Column"), _("Reason")]

    def rows() -> Iterator[list[Any]]:
        current: int | None = None
        raw: dict[str, Any] = {}
        columns: list[str] = []
        reasons: list[str] = []

        def joined() -> list[Any]:
            cells = [raw.get(h, "") for h in headers]
            return [*cells, current, " | ".join(columns), " | ".join(reasons)]

        errors = job.row_errors.order_by("line", "id").values_list(
            "line", "column", "reason", "raw"
        )
        for line, column, reason, values in errors.iterator(chunk_size=2000):
            if line != current:
                if current is not None:
                    yield joined()
                current, raw, columns, reasons = line, values or {}, [], []
            columns.append(column)
            reasons.append(reason)
        if current is not None:
            yield joined()

    return out_headers, rows()


def row_errors_page(job: Job, page: int, per_page: int = 100) -> tuple[list[JobRowError], int]:
    """One page of a job's row errors and the number of pages."""
    total = job.row_errors.count()
    pages = max((total + per_page - 1) // per_page, 1)
    page = min(max(page, 1), pages)
    start = (page - 1) * per_page
    return list(job.row_errors.order_by("line", "id")[start : start + per_page]), pages


Enqueue = Callable[[Job], None]


@transaction.atomic
def start_dry_run(job: Job, *, actor: User, enqueue: Enqueue) -> Job:
    """Queue a dry run of a draft over its whole file; the draft remembers it for its preview."""
    preview = Job.objects.create(
        kind=job.kind,
        created_by=actor,
        title=job.title,  # a job stored before titles were rendered keeps its fallback
        file=job.file,
        options={**job.options, "dry_run": True, "stage": "queued", "parent": job.pk},
    )
    job.options = {**job.options, "preview_job": preview.pk}
    job.save(update_fields=["options"])
    transaction.on_commit(lambda: enqueue(preview))
    return preview


@transaction.atomic
def confirm_draft(job: Job, *, check: Callable[[Job], None], enqueue: Enqueue) -> Job:
    """Queue a draft import to run in the background (`check` vets its mapping first)."""
    locked = Job.objects.select_for_update().get(pk=job.pk)
    if locked.options.get("stage") != "draft":
        raise Conflict(_("This import already started."))
    check(locked)
    locked.options = {**locked.options, "stage": "queued"}
    locked.state = JobState.PENDING
    locked.save(update_fields=["options", "state"])
    transaction.on_commit(lambda: enqueue(locked))
    return locked


@transaction.atomic
def resume_job(job: Job, *, enqueue: Enqueue) -> Job:
    """Queue a failed or abandoned import again; it continues after its checkpoint."""
    locked = Job.objects.select_for_update().get(pk=job.pk)
    if not can_resume(locked):
        raise Conflict(_("Only a failed or stalled import can be resumed."))
    locked.state = JobState.PENDING
    locked.save(update_fields=["state"])
    transaction.on_commit(lambda: enqueue(locked))
    return locked


Result = TypeVar("Result")


def run_claimed(
    job_id: int, *, kind: str, work: Callable[[Job], Result], force: bool = False
) -> Result | None:
    """Claim a job and run `work` on it in the job's language; None if another worker has it.

    A refusal (Forbidden, NotFound) fails the job with its reason; any other error fails it
    as resumable (the failed batch rolled back, the checkpoint marks the last good one).
    """
    job = claim_job(job_id, kind=kind, force=force)
    if job is None:
        return None
    with translation.override(job.options.get("language") or settings.LANGUAGE_CODE):
        try:
            return work(job)
        except TableError:
            raise
        except (Forbidden, NotFound) as exc:
            Job.objects.filter(pk=job.pk).update(
                state=JobState.FAILED, message=str(exc), finished_at=timezone.now()
            )
            raise
        except Exception as exc:
            Job.objects.filter(pk=job.pk).update(
                state=JobState.FAILED,
                message=_("The import stopped: %(error)s. It can be resumed.") % {"error": exc},
            )
            raise


# -- one batch: written, its rejects kept and the checkpoint advanced in one transaction ------


class DryRun(Exception):
    """Raised inside a dry run's savepoint to undo the batch's writes (its rejects are kept)."""


@dataclass
class BatchOutcome:
    """What one batch produced; `discarded` is set when a dry run rolled its writes back."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[JobRowError] = field(default_factory=list)
    rejected_lines: set[int] = field(default_factory=set)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    discarded: bool = False

    def reject(self, job: Job, line: int, column: str, reason: str, raw: dict[str, Any]) -> None:
        """Keep a rejected row (its original cells go with its first reason only)."""
        first = line not in self.rejected_lines
        self.rejected_lines.add(line)
        self.errors.append(
            JobRowError(
                job=job, line=line, column=column[:200], reason=reason, raw=raw if first else {}
            )
        )


def merge_counts(counts: dict[str, Any], out: BatchOutcome) -> dict[str, Any]:
    """Return a job's counts after one more batch (rows, created… errors, and warning tallies)."""
    merged: dict[str, Any] = {
        "rows": int(counts.get("rows", 0) or 0) + out.rows,
        "created": int(counts.get("created", 0) or 0) + out.created,
        "updated": int(counts.get("updated", 0) or 0) + out.updated,
        "unchanged": int(counts.get("unchanged", 0) or 0) + out.unchanged,
        "errors": int(counts.get("errors", 0) or 0) + len(out.rejected_lines),
    }
    warnings: dict[str, dict[str, int]] = {
        kind: dict(values) for kind, values in (counts.get("warnings") or {}).items()
    }
    for kind, value in out.warnings:
        bucket = warnings.setdefault(kind, {})
        if value in bucket or len(bucket) < MAX_WARNING_VALUES:
            bucket[value] = bucket.get(value, 0) + 1
    if warnings:
        merged["warnings"] = warnings
    return merged


def commit_batch(
    job: Job,
    *,
    last_line: int,
    dry_run: bool,
    write: Callable[[BatchOutcome], None],
    outcome: BatchOutcome | None = None,
) -> BatchOutcome:
    """Write one batch, its rejected rows, counts and checkpoint in ONE transaction.

    `write` fills the outcome (counts, rejects, warnings) inside a savepoint; a dry run's
    savepoint is rolled back (DryRun) while its rejects and counts are kept, so a preview
    lists every error. The checkpoint is the batch's last line either way: a killed job
    resumes after its last committed batch, with nothing written or reported twice. Conflict
    when another worker moved the job on.
    """
    out = outcome if outcome is not None else BatchOutcome()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The batch and its checkpoint commit together, so a batch lost in a crash (at
            # most the last few, ~0.6 s of commits) is redone on resume: no need to wait for
            # the WAL flush on every batch.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        # Writing first takes SQLite's write lock and proves no other pass moved on.
        moved = Job.objects.filter(pk=job.pk, checkpoint=job.checkpoint).update(
            heartbeat_at=timezone.now()
        )
        if not moved:
            raise Conflict(_("Another worker is already running this import."))
        try:
            with transaction.atomic():
                write(out)
                if dry_run:
                    raise DryRun
        except DryRun:
            out.discarded = True
        JobRowError.objects.bulk_create(out.errors, batch_size=1000)
        counts = merge_counts(job.counts or {}, out)
        Job.objects.filter(pk=job.pk).update(
            checkpoint=last_line,
            processed=job.processed + out.rows,
            counts=counts,
            heartbeat_at=timezone.now(),
        )
    job.checkpoint = last_line
    job.processed += out.rows
    job.counts = counts
    return out


def finish_job(job: Job, *, on_done: Callable[[Job], None] | None = None) -> Job:
    """Mark a job done; `on_done` (the import's audit event) runs in the same transaction."""
    with transaction.atomic():
        now = timezone.now()
        Job.objects.filter(pk=job.pk).update(state=JobState.DONE, finished_at=now, heartbeat_at=now)
        job.refresh_from_db()
        if on_done is not None:
            on_done(job)
    return job


def job_summary(job: Job) -> dict[str, Any]:
    """Return a finished import as the CLI prints it: rows, created, updated, unchanged, errors."""
    counts = job.counts or {}
    return {
        "rows": int(counts.get("rows", 0) or 0),
        **{key: int(counts.get(key, 0) or 0) for key in COUNT_KEYS if key != "errors"},
        "errors": [
            {"line": line, "column": column, "reason": reason}
            for line, column, reason in job.row_errors.order_by("line", "id").values_list(
                "line", "column", "reason"
            )
        ],
    }
