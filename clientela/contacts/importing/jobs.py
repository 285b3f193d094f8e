"""The contacts import's own services: its draft, mapping, presets, preview and CLI run.

core.importers runs the screens' shared steps (dry run, confirm, resume) for every kind;
the kind is registered in contacts.importing.kinds; the heavy lifting is in runner.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.accounts.models import User
from clientela.contacts.choices import CustomFieldType, Entity
from clientela.contacts.importing.background import import_contacts
from clientela.contacts.importing.presets import (
    CUSTOM_PREFIX,
    PRESETS_ORDER,
    detect_preset,
    suggest_mapping,
    valid_targets,
)
from clientela.contacts.importing.rows import CleanRow, CustomSpec, RowPlan, clean_row
from clientela.contacts.importing.runner import KIND, ImportResult, run_import
from clientela.contacts.queries import custom_fields_for, may_import
from clientela.core import imports
from clientela.core.exceptions import Conflict, Forbidden, ValidationFailed
from clientela.core.importers import require_draft, save_options, start_draft
from clientela.core.models import Job
from clientela.core.tabular import Table, guess_decimal_comma
from clientela.timeline.choices import Via

SAMPLE_ROWS = 1000
PREVIEW_ROWS = 20
IDENTITY_TARGETS = {"first_name", "last_name", "full_name", "email", "phone"}


def _require_import(actor: User) -> None:
    if actor is None or not may_import(actor):
        raise Forbidden(_("Your role cannot import records."))


def _custom_specs() -> dict[str, CustomSpec]:
    return {
        key: CustomSpec(key, d.label, d.field_type, tuple(str(c) for c in d.choices))
        for key, d in custom_fields_for(Entity.CONTACT).items()
    }


def _open(job: Job) -> Table:
    return imports.open_job_file(job)


def _decimal_hints(table: Table, mapping: Mapping[str, str]) -> dict[str, bool | None]:
    """Guess the decimal separator of each column mapped to a number custom field."""
    specs = _custom_specs()
    columns = [
        column
        for column, target in mapping.items()
        if target.startswith(CUSTOM_PREFIX)
        and (spec := specs.get(target[len(CUSTOM_PREFIX) :])) is not None
        and spec.field_type == CustomFieldType.NUMBER
    ]
    if not columns:
        return {}
    sample = table.preview(SAMPLE_ROWS)
    return {c: guess_decimal_comma(r.values.get(c) for r in sample) for c in columns}


def check_draft(job: Job) -> None:
    """ValidationFailed unless the draft's mapping can run (known targets, an identity)."""
    _check_mapping(list(job.options.get("headers") or []), job.options.get("mapping") or {})


def _check_mapping(headers: list[str], mapping: Mapping[str, str]) -> dict[str, str]:
    allowed = valid_targets(_custom_specs())
    clean = {h: str(mapping.get(h, "") or "") for h in headers}
    unknown = sorted({t for t in clean.values() if t not in allowed})
    if unknown:
        raise ValidationFailed(
            {"mapping": [_("Unknown field: %(name)s") % {"name": name} for name in unknown]}
        )
    if not IDENTITY_TARGETS & set(clean.values()):
        raise ValidationFailed(
            {"mapping": _("Map at least one column to a name, an e-mail or a phone.")}
        )
    return clean


def start_import(
    *,
    actor: User,
    upload: IO[bytes] | Path,
    filename: str,
    preset: str = "auto",
    mapping: Mapping[str, str] | None = None,
    update_existing: bool = False,
    dry_run: bool = False,
    via: str = Via.UI,
    language: str | None = None,
) -> Job:
    """Keep an uploaded file under MEDIA_ROOT/imports/<uuid>/ and create its (draft) import job."""
    _require_import(actor)
    if preset != "auto" and preset not in PRESETS_ORDER:
        raise ValidationFailed({"preset": _("Unknown preset “%(name)s”.") % {"name": preset}})

    def own(table: Table) -> dict[str, Any]:
        detected = detect_preset(table.headers)
        chosen = detected.preset if preset == "auto" else preset
        suggested = suggest_mapping(table.headers, chosen, _custom_specs())
        final = {**suggested, **(mapping or {})} if mapping else suggested
        return {
            "preset": chosen,
            "detected_preset": detected.preset,
            "mapping": final,
            "decimal_comma": _decimal_hints(table, final),
        }

    return start_draft(
        kind=KIND,
        actor=actor,
        upload=upload,
        filename=filename,
        own=own,
        language=language,
        update_existing=update_existing,
        dry_run=dry_run,
        via=via,
    )


def update_mapping(
    job: Job,
    *,
    actor: User,
    mapping: Mapping[str, str],
    update_existing: bool,
    preset: str | None = None,
) -> Job:
    """Change a draft import's column mapping and options."""
    _require_import(actor)
    require_draft(job)
    headers = list(job.options.get("headers") or [])
    clean = _check_mapping(headers, mapping)
    with _open(job) as table:
        hints = _decimal_hints(table, clean)
    return save_options(
        job,
        {
            "mapping": clean,
            "update_existing": bool(update_existing),
            "preset": preset if preset in PRESETS_ORDER else job.options.get("preset"),
            "decimal_comma": hints,
        },
    )


def remap_preset(job: Job, *, actor: User, preset: str) -> Job:
    """Replace a draft's mapping with what a preset suggests for its headers."""
    _require_import(actor)
    if preset not in PRESETS_ORDER:
        raise ValidationFailed({"preset": _("Unknown preset “%(name)s”.") % {"name": preset}})
    mapping = suggest_mapping(list(job.options.get("headers") or []), preset, _custom_specs())
    return save_options(job, {"preset": preset, "mapping": mapping})


def enqueue(job: Job) -> None:
    """Queue the background task that runs (or resumes) a contacts import job."""
    import_contacts.enqueue(job.pk)


def run_now(job: Job, *, actor: User) -> ImportResult:
    """Run a draft import in this process (the CLI); the job keeps its record for the audit log."""
    _require_import(actor)
    job.options = {**job.options, "stage": "queued"}
    job.save(update_fields=["options"])
    result = run_import(job.pk)
    if result is None:
        raise Conflict(_("Another worker is already running this import."))
    return result


def warning_messages(job: Job) -> list[str]:
    """Return the job's warnings as sentences (values that were imported with a fallback)."""
    out: list[str] = []
    for kind, values in (job.counts.get("warnings") or {}).items():
        for value, count in values.items():
            if kind == "unknown_owner":
                template = ngettext(
                    "Owner “%(value)s” is not a user you can assign records to; %(count)d row "
                    "was assigned to the importing user.",
                    "Owner “%(value)s” is not a user you can assign records to; %(count)d rows "
                    "were assigned to the importing user.",
                    count,
                )
            elif kind == "unknown_source":
                template = ngettext(
                    "Source “%(value)s” is not one we know; %(count)d row got “Other”.",
                    "Source “%(value)s” is not one we know; %(count)d rows got “Other”.",
                    count,
                )
            else:
                continue
            out.append(template % {"value": value, "count": count})
    return out


@dataclass
class PreviewRow:
    """One row as it will be imported: its line, clean values by target, and its errors."""

    line: int
    values: dict[str, Any]
    errors: list[tuple[str, str]]


def preview_rows(job: Job, n: int = PREVIEW_ROWS) -> list[PreviewRow]:
    """Return the first `n` rows of a draft cleaned with its mapping (no database writes)."""
    from clientela.contacts.importing.rows import display_values

    plan = RowPlan.build(
        dict(job.options.get("mapping") or {}),
        _custom_specs(),
        region=str(settings.CLIENTELA["DEFAULT_PHONE_REGION"]),
        decimal_comma=job.options.get("decimal_comma") or {},
    )
    out: list[PreviewRow] = []
    with _open(job) as table:
        for record in table.preview(n):
            row: CleanRow
            if record.problems:
                row = CleanRow(line=record.line)
                row.errors.extend(("", p) for p in record.problems)
            else:
                row = clean_row(plan, record.line, record.values)
            out.append(PreviewRow(record.line, display_values(row), list(row.errors)))
    return out
