"""Order imports as the screens see them: upload, column mapping, preview, run, resume.

The rows are read and saved by orders.importing (the same code as `clientela import orders`);
these services keep the uploaded file and the job's options and queue the background task.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.accounts.queries import has_capability
from clientela.contacts.models import Contact
from clientela.core import imports
from clientela.core.exceptions import Conflict, ValidationFailed
from clientela.core.imports import can_resume
from clientela.core.models import Job
from clientela.orders.choices import Channel
from clientela.orders.importing import (
    COLUMNS,
    KIND,
    OrderImport,
    RowError,
    detect_mapping,
    require_import,
    required_columns,
)
from clientela.orders.tasks import import_orders
from clientela.timeline.choices import Via

__all__ = ["can_resume"]

PREVIEW_ROWS = 20
SOURCE_SYSTEM_MAX = 40
# What each column of the file can be imported as (the keys of importing.COLUMNS).
TARGETS: dict[str, str | Promise] = {
    "external_id": gettext_lazy("Order number (external id)"),
    "ordered_at": gettext_lazy("Order date"),
    "amount": gettext_lazy("Amount"),
    "currency": gettext_lazy("Currency"),
    "cost": gettext_lazy("Cost"),
    "margin": gettext_lazy("Margin"),
    "channel": gettext_lazy("Sales channel"),
    "customer_id": gettext_lazy("Customer id"),
    "email": gettext_lazy("Customer e-mail"),
    "phone": gettext_lazy("Customer phone"),
    "name": gettext_lazy("Customer name"),
    "note": gettext_lazy("Note"),
}
assert set(TARGETS) == set(COLUMNS)


def start_order_import(
    *, actor: Any, upload: IO[bytes] | Path, filename: str, language: str | None = None
) -> Job:
    """Keep an uploaded file and create its draft import job, its columns recognised by name."""
    require_import(actor)
    stored, table = imports.store_upload(upload, filename)
    with table:
        options = {
            "filename": filename,
            "headers": table.headers,
            "mapping": detect_mapping(table.headers),
            "update_existing": False,
            "create_missing": False,
            "source_system": "",
            "dry_run": False,
            "via": Via.UI,
            "language": language or settings.LANGUAGE_CODE,
            "stage": "draft",
            "encoding": table.encoding,
            "delimiter": table.delimiter,
            "format": table.format,
            "file_warnings": table.warnings,
        }
        return Job.objects.create(
            kind=KIND,
            created_by=actor,
            title=_("Orders from %(name)s") % {"name": filename[:150]},
            file=stored,
            options=options,
        )


def get_order_import_for_user(user: Any, job_id: Any) -> Job:
    """An order import the user started (administrators see all); NotFound otherwise."""
    return imports.import_job_for(
        user, job_id, kind=KIND, sees_all=has_capability(user, "accounts.manage_users")
    )


def recent_imports(user: Any) -> list[Job]:
    """The user's latest order imports."""
    return imports.recent_imports(user, kind=KIND)


def columns_by_target(headers: list[str], chosen: Mapping[str, str]) -> dict[str, str]:
    """{target: header} from what the screen sends ({header: target}); ValidationFailed.

    Every message is keyed by the field it is about: "mapping" (a target chosen twice or
    unknown), "ordered_at", "amount" and "customer" (a required column not chosen).
    """
    errors: dict[str, list[str]] = {}
    mapping: dict[str, str] = {}
    for header in headers:
        target = str(chosen.get(header) or "")
        if not target:
            continue
        if target not in TARGETS:
            errors.setdefault("mapping", []).append(_("Unknown field: %(name)s") % {"name": target})
        elif target in mapping:
            errors.setdefault("mapping", []).append(
                _("“%(field)s” is chosen for two columns: %(first)s and %(second)s.")
                % {"field": TARGETS[target], "first": mapping[target], "second": header}
            )
        else:
            mapping[target] = header
    errors.update(required_columns(mapping))
    if errors:
        raise ValidationFailed(errors)
    return mapping


def update_mapping(
    job: Job,
    *,
    actor: Any,
    columns: Mapping[str, str],
    update_existing: bool,
    create_missing: bool,
    source_system: str,
) -> Job:
    """Change a draft's column mapping ({header: target}) and options; ValidationFailed."""
    require_import(actor)
    if job.options.get("stage") != "draft":
        raise Conflict(_("This import already started; its mapping cannot change."))
    errors: dict[str, list[str]] = {}
    try:
        mapping = columns_by_target(list(job.options.get("headers") or []), columns)
    except ValidationFailed as exc:
        errors.update(exc.errors)
        mapping = {}
    source = source_system.strip()
    if len(source) > SOURCE_SYSTEM_MAX:
        errors["source_system"] = [_("Use at most %(n)d characters.") % {"n": SOURCE_SYSTEM_MAX}]
    if errors:
        raise ValidationFailed(errors)
    job.options = {
        **job.options,
        "mapping": mapping,
        "update_existing": bool(update_existing),
        "create_missing": bool(create_missing),
        "source_system": source,
    }
    job.save(update_fields=["options"])
    return job


def _enqueue(job: Job) -> None:
    import_orders.enqueue(job.pk)


def _check_draft(job: Job) -> None:
    problems = required_columns(job.options.get("mapping") or {})
    if problems:
        raise ValidationFailed(problems)


def start_preview(job: Job, *, actor: Any) -> Job:
    """Start a dry run of a draft over the whole file (its errors feed the preview)."""
    require_import(actor)
    _check_draft(job)
    return imports.start_dry_run(job, actor=actor, enqueue=_enqueue)


def confirm_import(job: Job, *, actor: Any) -> Job:
    """Queue a draft import to run in the background."""
    require_import(actor)
    return imports.confirm_draft(job, check=_check_draft, enqueue=_enqueue)


def resume_import(job: Job, *, actor: Any) -> Job:
    """Queue a failed or abandoned import again; it continues after its checkpoint."""
    require_import(actor)
    return imports.resume_job(job, enqueue=_enqueue)


def sample_values(job: Job) -> dict[str, list[str]]:
    """A few example values per column for the mapping screen."""
    with imports.open_job_file(job) as table:
        return imports.sample_values(table)


@dataclass
class PreviewRow:
    """One row as it will be imported: its line, its values as shown, and its errors."""

    line: int
    values: dict[str, Any] = field(default_factory=dict)
    customer: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)


def preview_rows(job: Job, *, actor: Any, n: int = PREVIEW_ROWS) -> list[PreviewRow]:
    """The first `n` rows read as the import will read them (no database writes)."""
    out: list[PreviewRow] = []
    with imports.open_job_file(job) as table:
        run = OrderImport(
            actor=actor,
            job=job,
            headers=table.headers,
            mapping=job.options.get("mapping") or {},
            options={**job.options, "dry_run": True},
        )
        found: dict[int, int] = {}
        for record in table.preview(n):
            row = PreviewRow(record.line)
            out.append(row)
            if record.problems:
                row.errors.extend(("", problem) for problem in record.problems)
                continue
            try:
                values = run.parse(record)
                row.values = {
                    **values,
                    "channel": Channel(values["channel"]).label if values["channel"] else "",
                }
            except RowError as exc:
                row.errors.append((exc.column, exc.reason))
            try:
                contact_id, email, phone, external = run.find_customer(record)
            except RowError as exc:
                row.errors.append((exc.column, exc.reason))
                continue
            if contact_id is None:
                who = run.value(record, "name") or email or phone or external
                row.customer = _("New customer: %(who)s") % {"who": who}
            else:
                found[record.line] = contact_id
        names = {c.pk: str(c) for c in Contact.objects.filter(pk__in=set(found.values()))}
        for row in out:
            if row.line in found:
                row.customer = names.get(found[row.line], "")
    return out
