"""Deal import from CSV/XLSX: each good row becomes a deal through `services.create_deal`.

One row is one deal. Columns are recognised by name in Spanish or English (COLUMNS), deal
custom fields by their label or key. The contact is found by e-mail and the company by name
among those the importing user may see; the owner by username or e-mail; the pipeline and
stage by name (the first pipeline the user may open and its first open stage by default).
Every deal is opened by the same service as on the screens, so it has its stage history and
its event on the deal's and the contact's timelines. The file is read in batches, each saved
with the job's checkpoint (core.imports.commit_batch); a row the service refuses is rejected
with its line and the column its message is about, and the other rows are kept. A deal is
found again by its title, pipeline and contact (or company): importing a file twice creates
nothing the second time, and with `update_existing` changes what the file changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.accounts.models import User
from clientela.accounts.queries import has_capability
from clientela.contacts.choices import CustomFieldType, Source
from clientela.contacts.models import Company, Contact, CustomField
from clientela.contacts.normalize import InvalidValue, fold, normalize_email
from clientela.contacts.queries import (
    companies_visible_to,
    contacts_visible_to,
    custom_fields_for,
)
from clientela.core.exceptions import DomainError, Forbidden, ValidationFailed
from clientela.core.importers import MappedRows, WriteBatch, run_for_starter, run_in_batches
from clientela.core.imports import BatchOutcome, finish_job
from clientela.core.models import Job
from clientela.core.tabular import Record, Table, parse_date, parse_decimal
from clientela.deals import services
from clientela.deals.choices import DEAL_ENTITY, StageKind
from clientela.deals.models import Deal, Pipeline, Stage
from clientela.deals.queries import can_write, deals_visible_to, pipelines_visible_to
from clientela.timeline.choices import Via

KIND = "import_deals"
CUSTOM_PREFIX = "custom."
# target -> header names it is recognised by (compared folded: no accents, lower case).
COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("title", "deal", "deal name", "deal title", "titulo", "negocio", "negociacion",
              "nombre del negocio", "nombre de la negociacion", "oportunidad"),
    "email": ("email", "e-mail", "correo", "correo electronico", "contact email",
              "contact e-mail", "correo del contacto", "mail"),
    "company": ("company", "company name", "empresa", "compania", "razon social"),
    "owner": ("owner", "propietario", "responsable", "asesor", "vendedor", "comercial",
              "owner email", "usuario"),
    "pipeline": ("pipeline", "embudo", "proceso", "proceso de venta", "pipeline name"),
    "stage": ("stage", "etapa", "fase"),
    "amount": ("amount", "monto", "valor", "importe", "total", "value"),
    "currency": ("currency", "moneda", "divisa"),
    "expected_close": ("expected close", "expected_close", "close date", "cierre",
                       "fecha de cierre", "cierre esperado", "fecha cierre",
                       "fecha estimada de cierre"),
    "source": ("source", "fuente", "origen", "canal"),
}  # fmt: skip
# The service's field names that are not the column's target name.
FIELD_TARGETS = {"contact": "email", "expected_close": "expected_close"}


def header_key(text: str) -> str:
    """Return a header folded the way COLUMNS spells names ("Fecha_Cierre" → "fecha cierre")."""
    return " ".join(fold(text).replace("_", " ").split())


def custom_columns(definitions: Mapping[str, CustomField]) -> dict[str, tuple[str, ...]]:
    """Return `custom.<key>` → the names its header may have (its labels and its key)."""
    return {
        CUSTOM_PREFIX + key: tuple(
            dict.fromkeys(
                header_key(name) for name in (definition.label_es, definition.label_en, key) if name
            )
        )
        for key, definition in definitions.items()
    }


def detect_mapping(
    headers: Iterable[str], definitions: Mapping[str, CustomField]
) -> dict[str, str]:
    """{target: header} for the columns recognised; the first header wins a target."""
    columns = {**COLUMNS, **custom_columns(definitions)}
    mapping: dict[str, str] = {}
    for header in headers:
        key = header_key(header)
        for target, names in columns.items():
            if target not in mapping and key in names:
                mapping[target] = header
                break
    return mapping


def required_columns(mapping: Mapping[str, str]) -> dict[str, list[str]]:
    """Return what a mapping ({target: header}) lacks as field messages (empty when complete)."""
    if not mapping.get("title"):
        return {"title": [_("Choose the column that holds the deal's title.")]}
    return {}


def may_import(user: User) -> bool:
    """Whether the role imports deals (deals.import, and deals.write to open them)."""
    return has_capability(user, "deals.import") and can_write(user)


def require_import(actor: User) -> None:
    """Forbidden unless the actor may import deals."""
    if not may_import(actor):
        raise Forbidden(_("Your role cannot import deals."))


SOURCE_NAMES: dict[str, str] = {}


def source_code(text: str) -> str | None:
    """Return a source code from its code or its Spanish or English name; None when unknown."""
    if not SOURCE_NAMES:
        for code, label in Source.choices:
            SOURCE_NAMES[fold(code)] = code
            for language in ("es", "en"):
                with translation.override(language):
                    SOURCE_NAMES[fold(str(label))] = code
    return SOURCE_NAMES.get(fold(text).strip())


class RowError(Exception):
    """A row that cannot be imported: the column (target) and the reason."""

    def __init__(self, target: str, reason: str) -> None:
        super().__init__(reason)
        self.target = target
        self.reason = reason


@dataclass
class DealRow:
    """A row read into what `create_deal` takes (the records found, the values parsed)."""

    title: str
    pipeline: Pipeline
    stage: Stage | None
    owner: User | None
    contact: Contact | None
    company: Company | None
    amount: Decimal
    currency: str
    expected_close: Any
    source: str | None
    custom: dict[str, Any] = field(default_factory=dict)


class DealImport(MappedRows):
    """One run over a file: read rows, find their records, open (or update) deals in batches."""

    def __init__(
        self,
        *,
        actor: User,
        job: Job,
        mapping: Mapping[str, str],
        options: Mapping[str, Any],
    ) -> None:
        self.actor = actor
        self.job = job
        self.mapping = dict(mapping)
        self.dry_run = bool(options.get("dry_run"))
        self.update_existing = bool(options.get("update_existing"))
        # From the screens or the command line, the deals' events say they came by import.
        self.via = Via.IMPORT
        self.definitions = custom_fields_for(DEAL_ENTITY)
        self.pipelines = list(pipelines_visible_to(actor).filter(is_archived=False))
        self.stages: dict[int, list[Stage]] = {}
        self.users: dict[str, User | None] = {}
        # Deals this run opened or found (title, pipeline, contact, company): a repeat is unchanged.
        self.seen: set[tuple[Any, ...]] = set()
        self.outcome = BatchOutcome()

    # -- reading one row -----------------------------------------------------------------------

    def read(self, record: Record) -> DealRow:
        """Return a row's deal values and records; RowError on the first value that is wrong."""
        title = self.value(record, "title")
        if not title:
            raise RowError("title", _("The title is missing."))
        pipeline = self.pipeline(self.value(record, "pipeline"))
        amount = self.decimal(record, "amount") or Decimal(0)
        close_text = self.value(record, "expected_close")
        try:
            expected_close = parse_date(close_text) if close_text else None
        except ValueError as exc:
            raise RowError("expected_close", str(exc)) from exc
        source_text = self.value(record, "source")
        source = None
        if source_text:
            source = source_code(source_text)
            if source is None:
                raise RowError("source", _("Unknown source."))
        return DealRow(
            title=title,
            pipeline=pipeline,
            stage=self.stage(pipeline, self.value(record, "stage")),
            owner=self.owner(self.value(record, "owner")),
            contact=self.contact(self.value(record, "email")),
            company=self.company(self.value(record, "company")),
            amount=amount,
            currency=self.value(record, "currency"),
            expected_close=expected_close,
            source=source,
            custom=self.custom(record),
        )

    def decimal(self, record: Record, target: str) -> Decimal | None:
        """Return a number of a row ("1.234,50" and "1,234.50" alike)."""
        text = self.value(record, target)
        try:
            return parse_decimal(text) if text else None
        except ValueError as exc:
            raise RowError(target, str(exc)) from exc

    def pipeline(self, name: str) -> Pipeline:
        """Return the visible pipeline with this name, or the first one when no name is given."""
        if not self.pipelines:
            raise RowError("pipeline", _("There is no pipeline you may open."))
        if not name:
            return self.pipelines[0]
        for pipeline in self.pipelines:
            if fold(pipeline.name) == fold(name):
                return pipeline
        raise RowError(
            "pipeline", _("No pipeline you may open is called “%(name)s”.") % {"name": name}
        )

    def stage(self, pipeline: Pipeline, name: str) -> Stage | None:
        """Return the pipeline's live stage with this name (None: its first open stage)."""
        if not name:
            return None
        if pipeline.pk not in self.stages:
            self.stages[pipeline.pk] = list(
                Stage.objects.filter(pipeline=pipeline, is_archived=False).order_by("position")
            )
        for stage in self.stages[pipeline.pk]:
            if fold(stage.name) == fold(name):
                if stage.kind == StageKind.LOST:
                    raise RowError("stage", _("A deal cannot be imported into a lost stage."))
                return stage
        raise RowError(
            "stage",
            _("The pipeline “%(pipeline)s” has no stage called “%(name)s”.")
            % {"pipeline": pipeline.name, "name": name},
        )

    def owner(self, text: str) -> User | None:
        """Return the active user with this username or e-mail (None: the importing user)."""
        if not text:
            return None
        key = text.lower()
        if key not in self.users:
            self.users[key] = (
                User.objects.filter(
                    Q(username__iexact=text) | Q(email__iexact=text), is_active=True
                )
                .order_by("id")
                .first()
            )
        found = self.users[key]
        if found is None:
            raise RowError("owner", _("No active user has this username or e-mail."))
        return found

    def contact(self, text: str) -> Contact | None:
        """Return the visible contact with this e-mail (None when the row names none)."""
        if not text:
            return None
        try:
            email = normalize_email(text)
        except InvalidValue as exc:
            raise RowError("email", str(exc)) from exc
        found = contacts_visible_to(self.actor).filter(email=email).order_by("id").first()
        if found is not None:
            return found
        if Contact.objects.filter(deleted_at__isnull=True, email=email).exists():
            raise RowError(
                "email", _("This contact exists but is owned by someone outside your scope.")
            )
        raise RowError("email", _("No contact has this e-mail; import the contacts first."))

    def company(self, name: str) -> Company | None:
        """Return the visible company with this name (None when the row names none)."""
        if not name:
            return None
        clean = " ".join(name.split())
        found = companies_visible_to(self.actor).filter(name__iexact=clean).order_by("id").first()
        if found is None:
            raise RowError(
                "company", _("No company you can see is called “%(name)s”.") % {"name": clean}
            )
        return found

    def custom(self, record: Record) -> dict[str, Any]:
        """Return the row's custom values; numbers and dates read as the built-in ones are."""
        values: dict[str, Any] = {}
        for key, definition in self.definitions.items():
            target = CUSTOM_PREFIX + key
            if target not in self.mapping:
                continue
            text = self.value(record, target)
            if not text:
                continue
            try:
                if definition.field_type == CustomFieldType.NUMBER:
                    number = parse_decimal(text)
                    values[key] = float(number) if number is not None else None
                elif definition.field_type == CustomFieldType.DATE:
                    values[key] = parse_date(text)
                elif definition.field_type == CustomFieldType.CHOICE:
                    values[key] = self.option(definition, text)
                else:
                    values[key] = text
            except ValueError as exc:
                raise RowError(target, str(exc)) from exc
        return values

    @staticmethod
    def option(definition: CustomField, text: str) -> str:
        """Return the stored option a cell names (its value or its English name, any case)."""
        for value, label in zip(
            definition.choices or [],
            [*definition.choices_en, *[""] * len(definition.choices)],
            strict=False,
        ):
            if fold(text) in {fold(str(value)), fold(str(label or value))}:
                return str(value)
        return text  # the service says it is not one of the choices

    # -- saving ----------------------------------------------------------------------------------

    def existing(self, row: DealRow) -> Deal | None:
        """Return the visible deal this row already is: same title, pipeline and customer."""
        qs = deals_visible_to(self.actor).filter(title=row.title, pipeline=row.pipeline)
        if row.contact is not None:
            qs = qs.filter(contact=row.contact)
        elif row.company is not None:
            qs = qs.filter(contact__isnull=True, company=row.company)
        else:
            qs = qs.filter(contact__isnull=True, company__isnull=True)
        return qs.order_by("id").first()

    def save(self, row: DealRow) -> str:
        """Open the row's deal, or update (or leave) the one it already is; return what happened."""
        key = (
            row.title,
            row.pipeline.pk,
            row.contact and row.contact.pk,
            row.company and row.company.pk,
        )
        if key in self.seen:
            return "unchanged"
        self.seen.add(key)
        current = self.existing(row)
        if current is None:
            services.create_deal(
                actor=self.actor,
                title=row.title,
                pipeline=row.pipeline,
                stage=row.stage,
                owner=row.owner,
                contact=row.contact,
                company=row.company,
                amount=row.amount,
                currency=row.currency,
                expected_close=row.expected_close,
                source=row.source,
                custom=row.custom,
                via=self.via,
            )
            return "created"
        if not self.update_existing:
            return "unchanged"
        data: dict[str, Any] = {"custom": row.custom}
        if self.mapping.get("amount") or self.mapping.get("currency"):
            data["amount"] = row.amount
            if row.currency:
                data["currency"] = row.currency
        if self.mapping.get("expected_close"):
            data["expected_close"] = row.expected_close
        if row.owner is not None:
            data["owner"] = row.owner
        before = current.version
        updated = services.update_deal(current, actor=self.actor, data=data, via=self.via)
        return "updated" if updated.version != before else "unchanged"

    def write(self, records: list[Record], out: BatchOutcome) -> None:
        """Save one batch: every good row's deal, every bad row's reasons (with the checkpoint)."""
        self.outcome = out
        for record in records:
            out.rows += 1
            if record.problems:
                self.reject(record, "", " ".join(record.problems))
                continue
            try:
                row = self.read(record)
                what = self.save(row)
            except RowError as exc:
                self.reject(record, self.column(exc.target), exc.reason)
                continue
            except ValidationFailed as exc:
                for name, messages in exc.errors.items():
                    self.reject(
                        record, self.column(FIELD_TARGETS.get(name, name)), " ".join(messages)
                    )
                continue
            except DomainError as exc:  # Forbidden (another owner), NotFound, Conflict
                self.reject(
                    record, self.column("owner") if isinstance(exc, Forbidden) else "", str(exc)
                )
                continue
            if what == "created":
                out.created += 1
            elif what == "updated":
                out.updated += 1
            else:
                out.unchanged += 1


def run_job(job: Job, *, actor: User, batch_size: int | None = None) -> Job:
    """Process a deal import job from its checkpoint to the end with its stored options."""
    require_import(actor)
    options = job.options
    size = batch_size or int(str(settings.CLIENTELA.get("DEAL_IMPORT_BATCH_SIZE", 200)))

    def start(_table: Table) -> WriteBatch:
        run = DealImport(
            actor=actor, job=job, mapping=options.get("mapping") or {}, options=options
        )
        return run.write

    run_in_batches(job, size=size, start=start)
    return finish_job(job)


def run_deal_import(job_id: int, *, force: bool = False) -> Job | None:
    """Claim a deal import job and run it (the worker's task); None if another worker has it."""
    return run_for_starter(
        job_id,
        kind=KIND,
        work=run_job,
        forbidden=gettext_lazy("Your role cannot import deals."),
        force=force,
    )
