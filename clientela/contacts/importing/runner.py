"""The resumable contact import: a Job processed in batches, each batch in one transaction.

Per batch: clean the rows (pure), drop repeats of a row seen earlier in the file, resolve
companies, owners and tags from per-run caches, match the rest against the database by
e-mail, then phone, then name + company, insert new contacts with the database's bulk path,
update changed ones (when asked) with one timeline event each, store every rejected row
with its line, column and reason, and advance the job's checkpoint — all in the same
transaction, so a killed import resumes after the last committed batch without duplicates.

Scope: duplicates are looked for among ALL contacts (not only those the importing user may
see), because creating a second copy of someone else's customer is worse than telling the
user it exists; but a contact outside the user's scope is never changed: its row is
rejected with "exists, owned by someone outside your scope".
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clientela.accounts.choices import Visibility
from clientela.accounts.queries import has_capability, visibility_of
from clientela.contacts.choices import Entity
from clientela.contacts.importing.bulk import BulkTable, bulk_session
from clientela.contacts.importing.parallel import (
    Row,
    clean_batches,
    clean_read_row,
    relaxed_gc,
    worker_count,
)
from clientela.contacts.importing.rows import CleanRow, CustomSpec, RowPlan
from clientela.contacts.importing.writes import BatchOutcome, BatchWriter, OwnerDirectory, folded
from clientela.contacts.models import Company, Contact, Tag
from clientela.contacts.queries import custom_fields_for
from clientela.core import imports
from clientela.core.exceptions import Forbidden
from clientela.core.models import Job, JobState
from clientela.core.tabular import TableError, open_table
from clientela.timeline.choices import Verb, Via
from clientela.timeline.services import record_event

KIND = "import_contacts"


@dataclass
class ImportResult:
    """What an import did; `errors` lists every rejected row's line, column and reason."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    finished: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Return the CLI's JSON object."""
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.errors,
        }


class ImportRun(BatchWriter):
    """One pass of the runner over a job's file (a resumed job gets a new pass)."""

    def __init__(self, job: Job, *, batch_size: int | None = None) -> None:
        self.job = job
        self.options = job.options
        actor = job.created_by
        if actor is None or not has_capability(actor, "contacts.import"):
            raise Forbidden(_("Your role cannot import records."))
        self.actor = actor
        self.dry_run = bool(self.options.get("dry_run"))
        self.update_existing = bool(self.options.get("update_existing"))
        self.via = self.options.get("via", Via.UI)
        self.batch_size = batch_size or int(str(settings.CLIENTELA.get("IMPORT_BATCH_SIZE", 2000)))
        definitions = custom_fields_for(Entity.CONTACT)
        self.plan = RowPlan.build(
            dict(self.options.get("mapping") or {}),
            {
                key: CustomSpec(key, d.label, d.field_type, tuple(str(c) for c in d.choices))
                for key, d in definitions.items()
            },
            region=str(settings.CLIENTELA["DEFAULT_PHONE_REGION"]),
            decimal_comma=self.options.get("decimal_comma") or {},
        )
        self.owners = OwnerDirectory(actor)
        self.sees_all = visibility_of(actor) == Visibility.ALL
        self.companies: dict[str, int] = {
            folded(name): pk
            for pk, name in Company.objects.filter(deleted_at__isnull=True)
            .order_by("-id")
            .values_list("id", "name")
        }
        self.tag_names: dict[int, str] = dict(Tag.objects.values_list("id", "name"))
        self.tags: dict[str, int] = {name.lower(): pk for pk, name in self.tag_names.items()}
        # Every key of the file so far → its first line; one string per key keeps a million
        # rows in ~150 MB.
        self.seen: dict[str, int] = {}
        self.headers: list[str] = []
        # Existing contacts a row of this pass already matched → that row's line.
        self.matched: dict[int, int] = {}
        self.contact_table = BulkTable(Contact)
        self.tag_links = BulkTable(Contact.tags.through, with_pk=False)

    # -- driving --------------------------------------------------------------------------

    def run(self, *, max_batches: int | None = None) -> ImportResult:
        """Process the file from the job's checkpoint; stop early after `max_batches`."""
        job = self.job
        path = default_storage.path(job.file)
        try:
            table = open_table(path, filename=self.options.get("filename"))
        except (TableError, OSError) as exc:
            message = exc.message if isinstance(exc, TableError) else _("The file is gone.")
            Job.objects.filter(pk=job.pk).update(
                state=JobState.FAILED, message=message, finished_at=timezone.now()
            )
            job.refresh_from_db()
            raise
        with table:
            if not job.total:
                job.total = table.estimated_rows()
                Job.objects.filter(pk=job.pk).update(total=job.total)
            self.headers = table.headers
            index = {h: i for i, h in enumerate(table.headers)}
            mapped = dict.fromkeys(column for column, _target in self.plan.columns)
            self.plan = replace(
                self.plan, positions=tuple((c, index[c]) for c in mapped if c in index)
            )
            if job.checkpoint:
                self._remember(table.rows(), until=job.checkpoint)
            records = table.rows(start_line=job.checkpoint + 1)
            workers = worker_count(max(job.total - job.processed, 0))
            if max_batches is not None:
                workers = 0  # a partial run (tests, kill simulations) needs no pool
            batches = clean_batches(
                self.plan,
                _chunks(records, self.batch_size),
                workers=workers,
                language=translation.get_language() or settings.LANGUAGE_CODE,
            )
            with bulk_session(), relaxed_gc():
                for done, (batch, cleaned) in enumerate(batches, start=1):
                    self._process(batch, cleaned)
                    if max_batches is not None and done >= max_batches:
                        return self.result(finished=False)
        self._finish()
        return self.result(finished=True)

    def result(self, *, finished: bool) -> ImportResult:
        """Return the job's totals with every error, read back from the database."""
        job = Job.objects.get(pk=self.job.pk)
        counts = job.counts
        return ImportResult(
            rows=counts.get("rows", 0),
            created=counts.get("created", 0),
            updated=counts.get("updated", 0),
            unchanged=counts.get("unchanged", 0),
            rejected=counts.get("errors", 0),
            errors=[
                {"line": line, "column": column, "reason": reason}
                for line, column, reason in job.row_errors.order_by("line", "id").values_list(
                    "line", "column", "reason"
                )
            ],
            finished=finished,
        )

    def _remember(self, records: Iterator[Row], *, until: int) -> None:
        """Rebuild the keys seen before the checkpoint (a resumed run must still skip repeats)."""
        for record in records:
            if record[0] > until:
                break
            row = clean_read_row(self.plan, record)
            keys = row.identifiers if row.ok else []
            if keys and keys[0] not in self.seen:
                for key in keys:
                    self.seen.setdefault(key, row.line)

    def _finish(self) -> None:
        def audit(job: Job) -> None:
            if not self.dry_run:
                record_event(
                    Verb.IMPORTED,
                    actor=self.actor,
                    target=job,
                    via=self.via,
                    data={k: v for k, v in job.counts.items() if k != "warnings"},
                )

        self.job = imports.finish_job(self.job, on_done=audit)

    # -- one batch ------------------------------------------------------------------------

    def _process(self, records: list[Row], cleaned: list[CleanRow]) -> None:
        by_line: dict[int, Row] = {}

        def write(out: imports.BatchOutcome) -> None:
            assert isinstance(out, BatchOutcome)
            self._apply(cleaned, out)
            for row in cleaned:
                for column, reason in row.errors:
                    out.reject(
                        self.job, row.line, column, reason, self._raw(records, row.line, by_line)
                    )
                out.warnings.extend(row.warnings)

        out = imports.commit_batch(
            self.job,
            last_line=records[-1][0],
            dry_run=self.dry_run,
            write=write,
            outcome=BatchOutcome(rows=len(records)),
        )
        assert isinstance(out, BatchOutcome)
        if not out.discarded:
            self.companies.update(out.new_companies)
            self.tags.update(out.new_tags)
            self.tag_names.update(out.new_tag_names)

    def _raw(self, records: list[Row], line: int, by_line: dict[int, Row]) -> dict[str, str]:
        """Return a rejected row's original cells by header (kept for the rejects file)."""
        if not by_line:
            by_line.update((r[0], r) for r in records)
        found = by_line.get(line)
        return dict(zip(self.headers, found[1], strict=False)) if found else {}


def _chunks(records: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(records)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def claim_job(job_id: int, *, force: bool = False) -> Job | None:
    """Mark a pending (or abandoned running) import as running by this worker; None if taken."""
    return imports.claim_job(job_id, kind=KIND, force=force)


def run_import(
    job_id: int,
    *,
    force: bool = False,
    max_batches: int | None = None,
    batch_size: int | None = None,
) -> ImportResult | None:
    """Claim the job and process it to the end (or `max_batches`); None if another runs it."""
    return imports.run_claimed(
        job_id,
        kind=KIND,
        force=force,
        work=lambda job: ImportRun(job, batch_size=batch_size).run(max_batches=max_batches),
    )
