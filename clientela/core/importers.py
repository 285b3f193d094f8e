"""The importer registry: each app registers its import kinds; core runs their screens and jobs.

An import kind says what only its app knows — the targets a column can be imported as, its
presets, how it starts a draft from an uploaded file, how it saves a mapping, how it shows the
first rows, how its worker runs a job and who may run it (a capability check passed in, never
a role code) — and core does the rest the same way for every kind: the upload, mapping,
dry-run preview, background run, progress, resume and rejects screens (core.import_screens,
templates under core/import/), and the job services below. A new app adds an import with
`register_importer(Importer(...))` in its AppConfig.ready() and `import_urlpatterns(name)` in
its URLconf. A command line runs any kind the same way:

    importer = get_importer("orders")
    job = importer.start(actor=user, upload=path, filename=path.name, language="es",
                         via="cli", dry_run=False, update_existing=True)
    print(imports.job_summary(run_now(importer, job, actor=user)))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol, TypeVar

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from clientela.core import imports
from clientela.core.events import Via
from clientela.core.exceptions import Conflict, Forbidden, ValidationFailed
from clientela.core.models import Job
from clientela.core.tabular import Record, Table

if TYPE_CHECKING:
    from clientela.core.users import User


Text = str | Promise
TargetGroups = list[tuple[str, list[tuple[str, str]]]]
Result = TypeVar("Result")
Result_co = TypeVar("Result_co", covariant=True)
# What writes one batch: its records and the outcome to fill (counts, rejects, warnings).
WriteBatch = Callable[[list[Record], imports.BatchOutcome], None]


@dataclass(frozen=True)
class ImportOption:
    """One option of the mapping screen: a checkbox, or a short text field."""

    name: str
    label: Text
    help: Text = ""
    kind: str = "checkbox"  # "checkbox" or "text"
    max_length: int = 80


@dataclass
class PreviewRow:
    """One row of the preview: its line, its cells as people read them, and its problems."""

    line: int
    cells: list[Any] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class PreviewTable:
    """The first rows of a draft as they will be imported; `numeric` columns align right."""

    columns: list[tuple[str, str]]
    rows: list[PreviewRow]
    numeric: frozenset[str] = frozenset()

    @property
    def shown(self) -> list[tuple[PreviewRow, list[tuple[Any, bool]]]]:
        """Each row with its cells paired with whether their column is numeric."""
        flags = [key in self.numeric for key, _label in self.columns]
        return [(row, list(zip(row.cells, flags, strict=False))) for row in self.rows]


@dataclass(frozen=True)
class ImportScreens:
    """Where an import kind's screens live: a URL namespace, a route prefix and its list."""

    namespace: str
    list_url: str
    list_label: Text
    prefix: str = ""

    def url(self, name: str) -> str:
        """Return a route name of this import ("import_job" → "<namespace>:<prefix>import_job")."""
        return f"{self.namespace}:{self.prefix}{name}"

    @property
    def start_url(self) -> str:
        """Route of the upload screen."""
        return self.url("import_start")

    @property
    def mapping_url(self) -> str:
        """Route of the column mapping screen."""
        return self.url("import_mapping")

    @property
    def preview_url(self) -> str:
        """Route of the dry-run preview."""
        return self.url("import_preview")

    @property
    def job_url(self) -> str:
        """Route of the running job."""
        return self.url("import_job")

    @property
    def progress_url(self) -> str:
        """Route of the progress fragment (and its JSON)."""
        return self.url("import_job_progress")

    @property
    def rejects_url(self) -> str:
        """Route of the rejected rows' CSV."""
        return self.url("import_rejects")


def _no_warnings(job: Job) -> list[str]:
    return []


@dataclass(frozen=True)
class Importer:
    """One import kind: what its app knows about it (see the module docstring)."""

    name: str
    job_kind: str
    screens: ImportScreens
    # Who may run it and who sees everyone's imports: capability checks passed in.
    may_import: Callable[[User], bool]
    sees_all: Callable[[User], bool]
    # The screens' words.
    heading: Text
    back_label: Text
    intro: Text
    details: Text
    recognised: Callable[[], Sequence[Text]]
    targets: Callable[[], TargetGroups]
    # The services of the kind.
    # (actor=, upload=, filename=, language=, **options: dry_run, update_existing, via…) → draft
    start: Callable[..., Job]
    save_mapping: Callable[..., Job]  # (job, actor=, mapping={header: target}, options={})
    mapping_of: Callable[[Job], dict[str, str]]  # the draft's {header: target}
    check: Callable[[Job], None]  # ValidationFailed when the draft cannot run
    preview: Callable[[Job, User], PreviewTable]  # (job, actor)
    enqueue: Callable[[Job], None]  # queue the worker task for a job
    run: Callable[[int], Any]  # process a job by id in this process (the worker's body)
    mapping_help: Text = ""
    options: tuple[ImportOption, ...] = ()
    presets: Callable[[], list[tuple[str, str]]] | None = None
    apply_preset: Callable[..., Job] | None = None  # (job, actor=, preset=)
    warnings: Callable[[Job], list[str]] = _no_warnings
    forbidden_message: Text = ""
    # `clientela import <name> FILE`: (path, actor=, options=) -> (JSON summary, warnings),
    # raising the domain's exceptions for the command to report; None keeps the kind off the
    # command line. `command_presets` are the values its `--preset` accepts.
    run_file: Callable[..., tuple[Mapping[str, Any], list[str]]] | None = None
    command_presets: tuple[str, ...] = ()

    def require(self, actor: User) -> None:
        """Forbidden unless `actor` may run this import."""
        if not self.may_import(actor):
            raise Forbidden(str(self.forbidden_message) or _("Your role cannot import records."))


_registry: dict[str, Importer] = {}


def register_importer(importer: Importer) -> Importer:
    """Add (or replace) an import kind; apps call it in their AppConfig.ready()."""
    _registry[importer.name] = importer
    return importer


def get_importer(name: str) -> Importer:
    """Return the registered import kind `name`; LookupError when none is."""
    try:
        return _registry[name]
    except KeyError as exc:
        raise LookupError(f"No import kind {name!r} is registered.") from exc


def importers() -> list[Importer]:
    """Every registered import kind, by name."""
    return [_registry[name] for name in sorted(_registry)]


# -- the job services every kind shares -------------------------------------------------------


def import_job_for(importer: Importer, user: User, job_id: int | str) -> Job:
    """Return a job of this kind that the user started (or any, for those who see all); NotFound."""
    return imports.import_job_for(
        user, job_id, kind=importer.job_kind, sees_all=importer.sees_all(user)
    )


def recent_imports(importer: Importer, user: User) -> list[Job]:
    """Return the user's latest imports of this kind (not the dry runs behind previews)."""
    return imports.recent_imports(user, kind=importer.job_kind)


def start_preview(importer: Importer, job: Job, *, actor: User) -> Job:
    """Queue a dry run of a draft over its whole file (its errors feed the preview)."""
    importer.require(actor)
    importer.check(job)
    return imports.start_dry_run(job, actor=actor, enqueue=importer.enqueue)


def confirm_import(importer: Importer, job: Job, *, actor: User) -> Job:
    """Queue a draft import to run in the background."""
    importer.require(actor)
    return imports.confirm_draft(job, check=importer.check, enqueue=importer.enqueue)


def run_now(importer: Importer, job: Job, *, actor: User) -> Job:
    """Run a draft in this process (the CLI) through the kind's worker; Conflict when taken.

    The job keeps its record (counts, rejects) for the audit log and `imports.job_summary`.
    """
    importer.require(actor)
    importer.check(job)
    job.options = {**job.options, "stage": "queued"}
    job.save(update_fields=["options"])
    if importer.run(job.pk) is None:
        raise Conflict(_("Another worker is already running this import."))
    job.refresh_from_db()
    return job


def resume_import(importer: Importer, job: Job, *, actor: User) -> Job:
    """Queue a failed or abandoned import again; it continues after its checkpoint."""
    importer.require(actor)
    return imports.resume_job(job, enqueue=importer.enqueue)


# -- the glue of every kind's own services: its draft, its mapping, its worker ----------------


def start_draft(
    *,
    kind: str,
    actor: User,
    upload: IO[bytes] | Path,
    filename: str,
    own: Callable[[Table], Mapping[str, Any]],
    language: str | None = None,
    update_existing: bool = False,
    dry_run: bool = False,
    via: str = Via.UI,
) -> Job:
    """Keep an uploaded file and create its draft import job of `kind` (ValidationFailed "file").

    `own(table)` returns the kind's own options read from the opened file (its mapping, its
    preset…); the options every kind has are set here: the file's name, headers, encoding,
    delimiter, format and warnings, the language, how it was started and the draft stage.
    """
    stored, table = imports.store_upload(upload, filename)
    with table:
        options = {
            "filename": filename,
            "headers": table.headers,
            **own(table),
            "update_existing": bool(update_existing),
            "dry_run": bool(dry_run),
            "via": via,
            "language": language or settings.LANGUAGE_CODE,
            "stage": "draft",
            "encoding": table.encoding,
            "delimiter": table.delimiter,
            "format": table.format,
            "file_warnings": table.warnings,
        }
        return Job.objects.create(kind=kind, created_by=actor, file=stored, options=options)


def require_draft(job: Job) -> None:
    """Conflict once an import has started: its mapping and options no longer change."""
    if job.options.get("stage") != "draft":
        raise Conflict(_("This import already started; its mapping cannot change."))


def save_options(job: Job, changes: Mapping[str, Any]) -> Job:
    """Store changed options of a draft (its mapping, its checkboxes) and return the job."""
    job.options = {**job.options, **changes}
    job.save(update_fields=["options"])
    return job


def mapping_by_header(job: Job) -> dict[str, str]:
    """Return a draft's {header: target} from the {target: header} mapping it stores."""
    return {header: target for target, header in (job.options.get("mapping") or {}).items()}


def columns_by_target(
    headers: Sequence[str],
    chosen: Mapping[str, str],
    *,
    known: Mapping[str, Text],
    required: Callable[[Mapping[str, str]], dict[str, list[str]]],
) -> dict[str, str]:
    """{target: header} from what the mapping screen sends ({header: target}); ValidationFailed.

    A target that is not `known` or is chosen for two columns is reported on "mapping"; what
    `required(mapping)` says is missing, on the fields it names.
    """
    errors: dict[str, list[str]] = {}
    mapping: dict[str, str] = {}
    for header in headers:
        target = str(chosen.get(header) or "")
        if not target:
            continue
        if target not in known:
            errors.setdefault("mapping", []).append(_("Unknown field: %(name)s") % {"name": target})
        elif target in mapping:
            errors.setdefault("mapping", []).append(
                _("“%(field)s” is chosen for two columns: %(first)s and %(second)s.")
                % {"field": known[target], "first": mapping[target], "second": header}
            )
        else:
            mapping[target] = header
    errors.update(required(mapping))
    if errors:
        raise ValidationFailed(errors)
    return mapping


def require_columns(
    job: Job, required: Callable[[Mapping[str, str]], dict[str, list[str]]]
) -> None:
    """ValidationFailed with what `required` finds missing from a draft's {target: header}."""
    problems = required(job.options.get("mapping") or {})
    if problems:
        raise ValidationFailed(problems)


class MappedRows:
    """A run over a file whose columns are mapped {target: header}: cells by target, rejects.

    The kind's run sets `job`, `mapping` and (per batch) `outcome`.
    """

    job: Job
    mapping: dict[str, str]
    outcome: imports.BatchOutcome

    def value(self, record: Record, target: str) -> str:
        """Return the row's text for a target column ("" when the column is not in the file)."""
        header = self.mapping.get(target)
        return (record.values.get(header) or "").strip() if header else ""

    def column(self, target: str) -> str:
        """Return the header a target was read from (shown with errors), else the target."""
        return self.mapping.get(target, target)

    def reject(self, record: Record, column: str, reason: str) -> None:
        """Keep a rejected row's line, column, reason and original cells (saved with the batch)."""
        self.outcome.reject(self.job, record.line, column, reason, dict(record.values))


def run_in_batches(job: Job, *, size: int, start: Callable[[Table], WriteBatch]) -> None:
    """Write a job's rows from its checkpoint on, `size` rows a batch (core.imports.commit_batch).

    `start` gets the opened file and returns what writes one batch; each batch, its rejected
    rows and the checkpoint commit together, and a dry run's writes are rolled back.
    """
    dry_run = bool(job.options.get("dry_run"))
    with imports.open_job_file(job) as table:
        if not job.total:
            job.total = table.estimated_rows()
            Job.objects.filter(pk=job.pk).update(total=job.total)
        write = start(table)

        def commit(batch: list[Record]) -> None:
            imports.commit_batch(
                job,
                last_line=batch[-1].line,
                dry_run=dry_run,
                write=lambda out: write(batch, out),
            )

        after = job.checkpoint
        batch: list[Record] = []
        for record in table.records(start_line=after):
            if record.line <= after:
                continue
            batch.append(record)
            if len(batch) >= size:
                commit(batch)
                batch = []
        if batch:
            commit(batch)


class StarterWork(Protocol[Result_co]):
    """What a worker runs on a claimed job, as the user who started it."""

    def __call__(self, job: Job, *, actor: User) -> Result_co:
        """Process the job."""
        ...


def run_for_starter(
    job_id: int,
    *,
    kind: str,
    work: StarterWork[Result],
    forbidden: Text,
    force: bool = False,
) -> Result | None:
    """Claim a job and run `work(job, actor=its starter)`; None if another worker has it.

    A job whose starter is gone fails with `forbidden` (core.imports.run_claimed).
    """

    def claimed(job: Job) -> Result:
        if job.created_by is None:
            raise Forbidden(str(forbidden))
        return work(job, actor=job.created_by)

    return imports.run_claimed(job_id, kind=kind, work=claimed, force=force)
