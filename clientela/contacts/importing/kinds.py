"""The contacts app's import kinds, registered with core's importer registry.

`register_import_kinds()` runs in ContactsConfig.ready(): contacts (presets, custom fields,
the bulk runner) and companies (core.importers does the screens and the job for both).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.accounts.models import User
from clientela.accounts.queries import has_capability
from clientela.contacts.choices import Entity, LeadStatus, LifecycleStage, Source
from clientela.contacts.importing import companies, jobs
from clientela.contacts.importing.command import import_contacts_file
from clientela.contacts.importing.presets import (
    CUSTOM_PREFIX,
    PRESET_LABELS,
    PRESETS_ORDER,
    TARGETS,
)
from clientela.contacts.importing.runner import run_import
from clientela.contacts.queries import custom_fields_for, may_import
from clientela.contacts.templatetags.contacts_ui import preview_cells
from clientela.core.importers import (
    Importer,
    ImportOption,
    ImportScreens,
    PreviewRow,
    PreviewTable,
    TargetGroups,
    register_importer,
)
from clientela.core.models import Job


def sees_all_imports(user: User) -> bool:
    """Those who manage users see everyone's imports."""
    return has_capability(user, "accounts.manage_users")


# -- contacts ---------------------------------------------------------------------------------


def _contact_targets() -> TargetGroups:
    standard = [(key, str(label)) for key, label in TARGETS.items()]
    custom = [
        (CUSTOM_PREFIX + key, definition.label)
        for key, definition in custom_fields_for(Entity.CONTACT).items()
    ]
    groups: TargetGroups = [(_("Contact fields"), standard)]
    if custom:
        groups.append((_("Custom fields"), custom))
    return groups


_CHOICE_LABELS = {"lifecycle_stage": LifecycleStage, "lead_status": LeadStatus, "source": Source}


def _shown(target: str, value: Any) -> Any:
    """Return a preview cell as people read it: choice labels instead of codes."""
    choices = _CHOICE_LABELS.get(target)
    if choices is not None and value:
        return dict(choices.choices).get(value, value)
    return value


def _contact_preview(job: Job, actor: User) -> PreviewTable:
    labels = {key: label for _group, choices in _contact_targets() for key, label in choices}
    rows = jobs.preview_rows(job)
    used = [t for t in dict.fromkeys((job.options.get("mapping") or {}).values()) if t]
    shown = [t for t in used if any(t in r.values for r in rows)] or used
    columns = [(t, labels.get(t, t)) for t in shown]
    return PreviewTable(
        columns=columns,
        rows=[
            PreviewRow(
                r.line,
                preview_cells([_shown(t, r.values.get(t, "")) for t in shown], columns),
                list(r.errors),
            )
            for r in rows
        ],
    )


def _save_contact_mapping(
    job: Job, *, actor: User, mapping: Mapping[str, str], options: Mapping[str, Any]
) -> Job:
    return jobs.update_mapping(
        job,
        actor=actor,
        mapping=mapping,
        update_existing=bool(options.get("update_existing")),
    )


CONTACTS = Importer(
    name="contacts",
    job_kind="import_contacts",
    screens=ImportScreens(
        namespace="contacts",
        list_url="contacts:contact_list",
        list_label=gettext_lazy("See the contacts"),
    ),
    may_import=may_import,
    sees_all=sees_all_imports,
    heading=gettext_lazy("Import contacts"),
    back_label=gettext_lazy("Back to contacts"),
    intro=gettext_lazy(
        "The first row must hold the column names. Columns are recognised automatically for:"
    ),
    details=gettext_lazy(
        "Files saved by Excel in Spanish (Windows-1252, separated by ;), UTF-8 with or without "
        "BOM, dates as dd/mm/aaaa or Excel dates and decimal commas are all understood. Nothing "
        "is saved until you confirm; every row that cannot be imported is listed with its line "
        "and the reason."
    ),
    recognised=lambda: [PRESET_LABELS[p] for p in PRESETS_ORDER],  # type: ignore[misc]
    targets=_contact_targets,
    start=jobs.start_import,
    save_mapping=_save_contact_mapping,
    mapping_of=lambda job: dict(job.options.get("mapping") or {}),
    check=jobs.check_draft,
    preview=_contact_preview,
    enqueue=jobs.enqueue,
    run=run_import,
    options=(
        ImportOption(
            "update_existing",
            gettext_lazy(
                "Update contacts that already exist (same e-mail, else same phone, else same "
                "name and company)"
            ),
            gettext_lazy(
                "Existing contacts are skipped unless you tick this. Empty cells never erase a "
                "value; tags are added, never removed."
            ),
        ),
    ),
    presets=lambda: [(p, str(PRESET_LABELS[p])) for p in PRESETS_ORDER],
    apply_preset=jobs.remap_preset,
    warnings=jobs.warning_messages,
    run_file=import_contacts_file,
    command_presets=tuple(PRESETS_ORDER),
)


# -- companies --------------------------------------------------------------------------------


def _company_targets() -> TargetGroups:
    standard = [(key, str(label)) for key, label in companies.TARGETS.items()]
    custom = [
        (CUSTOM_PREFIX + key, definition.label)
        for key, definition in custom_fields_for(Entity.COMPANY).items()
    ]
    groups: TargetGroups = [(_("Company fields"), standard)]
    if custom:
        groups.append((_("Custom fields"), custom))
    return groups


def _company_preview(job: Job, actor: User) -> PreviewTable:
    labels = {key: label for _group, choices in _company_targets() for key, label in choices}
    rows = companies.preview_rows(job)
    used = [t for t in dict.fromkeys((job.options.get("mapping") or {}).values()) if t]
    return PreviewTable(
        columns=[(t, labels.get(t, t)) for t in used],
        rows=[PreviewRow(r.line, [r.values.get(t, "") for t in used], r.errors) for r in rows],
    )


COMPANIES = Importer(
    name="companies",
    job_kind=companies.KIND,
    screens=ImportScreens(
        namespace="contacts",
        list_url="contacts:company_list",
        list_label=gettext_lazy("See the companies"),
        prefix="company_",
    ),
    may_import=may_import,
    sees_all=sees_all_imports,
    heading=gettext_lazy("Import companies"),
    back_label=gettext_lazy("Back to companies"),
    intro=gettext_lazy(
        "One row per company; the first row must hold the column names. Columns named in "
        "Spanish or English (and our own export's) are recognised for:"
    ),
    details=gettext_lazy(
        "Each company needs a name. A company already in the list (same external id, else same "
        "tax id, else same name) is left as it is unless you ask to update it. Nothing is saved "
        "until you confirm; every row that cannot be imported is listed with its line and the "
        "reason."
    ),
    recognised=lambda: list(companies.TARGETS.values()),
    targets=_company_targets,
    start=companies.start_company_import,
    save_mapping=companies.update_mapping,
    mapping_of=lambda job: dict(job.options.get("mapping") or {}),
    check=companies.check_draft,
    preview=_company_preview,
    enqueue=companies.enqueue,
    run=companies.run_company_import,
    mapping_help=gettext_lazy("Needed: the company's name."),
    options=(
        ImportOption(
            "update_existing",
            gettext_lazy(
                "Update companies that already exist (same external id, else same tax id, else "
                "same name)"
            ),
            gettext_lazy("Empty cells never erase a value; tags are added, never removed."),
        ),
    ),
)


def register_import_kinds() -> None:
    """Register the contacts and companies imports (ContactsConfig.ready calls it)."""
    register_importer(CONTACTS)
    register_importer(COMPANIES)
