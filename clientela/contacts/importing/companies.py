"""The company import: one row per company, through core's import pipeline.

Columns are recognised by name in Spanish or English (and our own companies export's
headers). Each row goes through the company services, so it is validated, searchable and on
the timeline exactly as a company entered by hand. A row finds its company by external id,
else tax id, else name (case and accents ignored); an existing company is left as it is
unless the import updates existing ones, and one outside the user's scope is never changed.
Batches commit with the job's checkpoint (core.imports.commit_batch), so a killed import
resumes without duplicates (a company created before the kill is found again by name).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from clientela.accounts.models import User
from clientela.contacts.choices import Entity
from clientela.contacts.importing.presets import CUSTOM_PREFIX, custom_targets, header_key
from clientela.contacts.importing.rows import split_tags
from clientela.contacts.importing.writes import OwnerDirectory, folded
from clientela.contacts.models import Company
from clientela.contacts.queries import companies_visible_to, custom_fields_for, may_import
from clientela.contacts.services.companies import create_company, update_company
from clientela.core import imports
from clientela.core.exceptions import Forbidden, ValidationFailed
from clientela.core.importers import run_in_batches, save_options, start_draft
from clientela.core.models import Job
from clientela.core.tabular import Record
from clientela.timeline.choices import Via

KIND = "import_companies"
PREVIEW_ROWS = 20

# What a column can be imported as, in the order the mapping screen shows.
TARGETS: dict[str, Any] = {
    "name": gettext_lazy("Name"),
    "tax_id": gettext_lazy("Tax id"),
    "domain": gettext_lazy("Web domain"),
    "industry": gettext_lazy("Industry"),
    "phone": gettext_lazy("Phone"),
    "email": gettext_lazy("E-mail"),
    "city": gettext_lazy("City"),
    "country": gettext_lazy("Country"),
    "owner": gettext_lazy("Owner (e-mail, username or name)"),
    "tags": gettext_lazy("Tags (separated by , or ;)"),
    "external_id": gettext_lazy("External id"),
}
# Header names each target is recognised by, besides its label in every UI language.
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "nombre", "empresa", "compania", "company", "razon social", "organizacion"),
    "tax_id": ("nit", "rut", "rfc", "cuit", "tax id", "vat", "identificacion tributaria"),
    "domain": ("domain", "dominio", "sitio web", "web", "website", "pagina web"),
    "industry": ("industry", "sector", "industria", "actividad"),
    "phone": ("phone", "telefono", "celular", "movil", "whatsapp"),
    "email": ("email", "e mail", "correo", "correo electronico", "mail"),
    "city": ("city", "ciudad", "municipio"),
    "country": ("country", "pais"),
    "owner": ("owner", "responsable", "propietario", "asesor", "vendedor"),
    "tags": ("tags", "etiquetas", "etiqueta", "categorias"),
    "external_id": ("external id", "id externo", "codigo", "code"),
}
# The fields a row hands to the company services.
FIELDS = ("name", "tax_id", "domain", "industry", "phone", "email", "city", "country")


def _aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for target, names in ALIASES.items():
        for name in names:
            out.setdefault(header_key(name), target)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for target, label in TARGETS.items():
                out.setdefault(header_key(str(label)), target)
    return out


def suggest_mapping(headers: list[str]) -> dict[str, str]:
    """{header: target} for the headers recognised ("" = not imported); a target once."""
    aliases = _aliases()
    custom = custom_targets(custom_fields_for(Entity.COMPANY))
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        key = header_key(header)
        target = aliases.get(key) or custom.get(key) or ""
        if target in taken:
            target = ""
        mapping[header] = target
        if target:
            taken.add(target)
    return mapping


def _allowed_targets() -> set[str]:
    custom = {CUSTOM_PREFIX + key for key in custom_fields_for(Entity.COMPANY)}
    return {"", *TARGETS, *custom}


def check_mapping(headers: list[str], mapping: Mapping[str, str]) -> dict[str, str]:
    """Return the mapping limited to the file's headers; ValidationFailed ("mapping")."""
    clean = {h: str(mapping.get(h, "") or "") for h in headers}
    allowed = _allowed_targets()
    errors = [
        _("Unknown field: %(name)s") % {"name": target}
        for target in sorted({t for t in clean.values() if t not in allowed})
    ]
    chosen = [t for t in clean.values() if t]
    errors += [
        _("“%(field)s” is chosen for two columns.") % {"field": TARGETS.get(t, t)}
        for t in sorted({t for t in chosen if chosen.count(t) > 1})
    ]
    if "name" not in chosen:
        errors.append(_("Choose the column that holds the company's name."))
    if errors:
        raise ValidationFailed({"mapping": errors})
    return clean


def check_draft(job: Job) -> None:
    """ValidationFailed unless the draft's mapping can run."""
    check_mapping(list(job.options.get("headers") or []), job.options.get("mapping") or {})


def _require(actor: User | None) -> User:
    """Return the actor, when they may import; Forbidden otherwise (a job whose starter is gone)."""
    if actor is None or not may_import(actor):
        raise Forbidden(_("Your role cannot import records."))
    return actor


def start_company_import(
    *,
    actor: User,
    upload: IO[bytes] | Path,
    filename: str,
    language: str | None = None,
    update_existing: bool = False,
    dry_run: bool = False,
    via: str = Via.UI,
) -> Job:
    """Keep an uploaded file and create its draft company import, columns recognised by name."""
    _require(actor)
    return start_draft(
        kind=KIND,
        actor=actor,
        upload=upload,
        filename=filename,
        own=lambda table: {"mapping": suggest_mapping(table.headers)},
        language=language,
        update_existing=update_existing,
        dry_run=dry_run,
        via=via,
    )


def update_mapping(
    job: Job, *, actor: User, mapping: Mapping[str, str], options: Mapping[str, Any]
) -> Job:
    """Change a draft's column mapping ({header: target}) and options; ValidationFailed."""
    _require(actor)
    if job.options.get("stage") != "draft":
        raise ValidationFailed(
            {"mapping": [_("This import already started; its mapping cannot change.")]}
        )
    clean = check_mapping(list(job.options.get("headers") or []), mapping)
    return save_options(
        job, {"mapping": clean, "update_existing": bool(options.get("update_existing"))}
    )


@dataclass
class CompanyRow:
    """One row read for the import: its values by target, or its errors."""

    line: int
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)


class CompanyImport:
    """One pass over a file: read rows, match companies, create or update them."""

    def __init__(self, job: Job, actor: User) -> None:
        self.job = job
        self.actor = actor
        self.mapping: dict[str, str] = dict(job.options.get("mapping") or {})
        self.column_of = {target: header for header, target in self.mapping.items() if target}
        self.dry_run = bool(job.options.get("dry_run"))
        self.update_existing = bool(job.options.get("update_existing"))
        self.owners = OwnerDirectory(actor)
        self.visible = companies_visible_to(actor)
        # Every live company by folded name (the oldest wins), kept up to date as rows add some.
        self.by_name: dict[str, int] = {}
        names = Company.objects.filter(deleted_at__isnull=True).order_by("-id")
        for pk, name in names.values_list("id", "name"):
            self.by_name[folded(name)] = pk

    def read(self, record: Record) -> CompanyRow:
        """Return the row's values by target (owner resolved, tags split, custom fields apart)."""
        row = CompanyRow(record.line)
        if record.problems:
            row.errors.extend(("", problem) for problem in record.problems)
            return row
        custom: dict[str, str] = {}
        for header, target in self.mapping.items():
            text = (record.values.get(header) or "").strip()
            if not target or not text:
                continue
            if target.startswith(CUSTOM_PREFIX):
                custom[target[len(CUSTOM_PREFIX) :]] = text
            elif target == "tags":
                row.values["tags"] = split_tags(text)
            elif target == "owner":
                owner = self.owners.resolve(text)
                if owner is None:
                    row.errors.append(
                        (header, _("“%(value)s” is not a user you can assign.") % {"value": text})
                    )
                row.values["owner"] = owner
            else:
                row.values[target] = text
        if custom:
            row.values["custom"] = custom
        if not row.values.get("name"):
            row.errors.append((self.column_of.get("name", ""), _("The name is missing.")))
        return row

    def find(self, values: Mapping[str, Any]) -> Company | None:
        """Return the live company this row is (external id, else tax id, else folded name)."""
        live = Company.objects.filter(deleted_at__isnull=True).order_by("id")
        for key in ("external_id", "tax_id"):
            if values.get(key):
                found = live.filter(**{key: values[key]}).first()
                if found is not None:
                    return found
        pk = self.by_name.get(folded(str(values.get("name", ""))))
        return None if pk is None else live.filter(pk=pk).first()

    def write(self, records: list[Record], out: imports.BatchOutcome) -> None:
        """Create or update each good row's company; reject the others with their reason."""
        for record in records:
            out.rows += 1
            row = self.read(record)
            if not row.errors:
                self._save(row, out)
            for column, reason in row.errors:
                out.reject(self.job, row.line, column, reason, dict(record.values))

    def _save(self, row: CompanyRow, out: imports.BatchOutcome) -> None:
        data = {k: v for k, v in row.values.items() if v is not None}
        current = self.find(data)
        try:
            if current is None:
                company = create_company(actor=self.actor, data=data, via=Via.IMPORT)
                self.by_name.setdefault(folded(company.name), company.pk)
                out.created += 1
                return
            if not self.visible.filter(pk=current.pk).exists():
                row.errors.append(
                    (
                        self.column_of.get("name", ""),
                        _("This company exists but is owned by someone outside your scope."),
                    )
                )
                return
            if not self.update_existing:
                out.unchanged += 1
                return
            if "tags" in data:
                data["tags"] = sorted({*current.tags.values_list("name", flat=True), *data["tags"]})
            before = current.version
            updated = update_company(current, actor=self.actor, data=data, via=Via.IMPORT)
            if updated.version != before:
                out.updated += 1
            else:
                out.unchanged += 1
        except ValidationFailed as exc:
            for key, messages in exc.errors.items():
                column = self.column_of.get(key, "")
                if key.startswith(CUSTOM_PREFIX):
                    column = self.column_of.get(key, key)
                row.errors.append((column, " ".join(messages)))


def preview_rows(job: Job, n: int = PREVIEW_ROWS) -> list[CompanyRow]:
    """Return the first `n` rows read as the import will read them (no database writes)."""
    actor = _require(job.created_by)
    run = CompanyImport(job, actor)
    with imports.open_job_file(job) as table:
        return [run.read(record) for record in table.preview(n)]


def run_job(job: Job, *, batch_size: int | None = None) -> Job:
    """Process a company import job from its checkpoint to the end with its options."""
    actor = _require(job.created_by)
    size = batch_size or int(str(settings.CLIENTELA.get("IMPORT_BATCH_SIZE", 2000)))
    run = CompanyImport(job, actor)
    run_in_batches(job, size=size, start=lambda _table: run.write)
    return imports.finish_job(job)


def run_company_import(job_id: int, *, force: bool = False) -> Job | None:
    """Claim a company import job and run it; None if another worker has it."""
    return imports.run_claimed(job_id, kind=KIND, work=run_job, force=force)


@task()
def import_companies(job_id: int) -> dict[str, Any] | None:
    """Run (or resume) a company import job; returns its counts, None if another worker has it."""
    job = run_company_import(job_id)
    return None if job is None else imports.job_counts(job)


def enqueue(job: Job) -> None:
    """Queue the background task that runs (or resumes) a company import job."""
    import_companies.enqueue(job.pk)
