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
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _

from clientela.core import imports
from clientela.core.exceptions import Conflict, Forbidden
from clientela.core.models import Job

if TYPE_CHECKING:
    from clientela.core.users import User


Text = str | Promise
TargetGroups = list[tuple[str, list[tuple[str, str]]]]


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
