"""The deals import kind: its draft, mapping, preview and worker, registered with core.

The rows are read and saved by deals.importing; these services keep the uploaded file and the
job's options and queue the background task; core.importers and core.import_screens run the
screens, the job and `clientela import deals FILE` like every other kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.accounts.models import User
from clientela.accounts.queries import has_capability
from clientela.contacts.queries import custom_fields_for
from clientela.core import imports
from clientela.core.importers import (
    Importer,
    ImportOption,
    ImportScreens,
    PreviewRow,
    PreviewTable,
    TargetGroups,
    mapping_by_header,
    register_importer,
    require_columns,
    require_draft,
    run_now,
    save_options,
    start_draft,
)
from clientela.core.importers import columns_by_target as choose_columns
from clientela.core.models import Job
from clientela.deals.choices import DEAL_ENTITY
from clientela.deals.importing import (
    CUSTOM_PREFIX,
    KIND,
    DealImport,
    RowError,
    detect_mapping,
    may_import,
    require_import,
    required_columns,
    run_deal_import,
)
from clientela.deals.tasks import import_deals
from clientela.timeline.choices import Via

PREVIEW_ROWS = 20
# What each column of the file can be imported as (the keys of importing.COLUMNS).
TARGETS: dict[str, str | Promise] = {
    "title": gettext_lazy("Title"),
    "email": gettext_lazy("Contact e-mail"),
    "company": gettext_lazy("Company"),
    "owner": gettext_lazy("Owner (username or e-mail)"),
    "pipeline": gettext_lazy("Pipeline"),
    "stage": gettext_lazy("Stage"),
    "amount": gettext_lazy("Amount"),
    "currency": gettext_lazy("Currency"),
    "expected_close": gettext_lazy("Expected close"),
    "source": gettext_lazy("Source"),
}


def _custom_targets() -> dict[str, str]:
    return {
        CUSTOM_PREFIX + key: definition.label
        for key, definition in custom_fields_for(DEAL_ENTITY).items()
    }


def targets() -> TargetGroups:
    """Return the mapping screen's choices: the deal's fields, then its custom fields."""
    groups: TargetGroups = [(_("Deal fields"), [(k, str(v)) for k, v in TARGETS.items()])]
    custom = list(_custom_targets().items())
    if custom:
        groups.append((_("Custom fields"), custom))
    return groups


def start_deal_import(
    *,
    actor: User,
    upload: IO[bytes] | Path,
    filename: str,
    language: str | None = None,
    update_existing: bool = False,
    dry_run: bool = False,
    via: str = Via.UI,
) -> Job:
    """Keep an uploaded file and create its draft import job, its columns recognised by name."""
    require_import(actor)
    return start_draft(
        kind=KIND,
        actor=actor,
        upload=upload,
        filename=filename,
        own=lambda table: {
            "mapping": detect_mapping(table.headers, custom_fields_for(DEAL_ENTITY))
        },
        language=language,
        update_existing=update_existing,
        dry_run=dry_run,
        via=via,
    )


def columns_by_target(headers: list[str], chosen: Mapping[str, str]) -> dict[str, str]:
    """{target: header} from what the screen sends ({header: target}); ValidationFailed."""
    known = {**TARGETS, **_custom_targets()}
    return choose_columns(headers, chosen, known=known, required=required_columns)


def update_mapping(
    job: Job, *, actor: User, mapping: Mapping[str, str], options: Mapping[str, Any]
) -> Job:
    """Change a draft's column mapping ({header: target}) and options; ValidationFailed."""
    require_import(actor)
    require_draft(job)
    by_target = columns_by_target(list(job.options.get("headers") or []), mapping)
    return save_options(
        job, {"mapping": by_target, "update_existing": bool(options.get("update_existing"))}
    )


def enqueue(job: Job) -> None:
    """Queue the background task that runs (or resumes) a deal import job."""
    import_deals.enqueue(job.pk)


def check_draft(job: Job) -> None:
    """ValidationFailed unless the draft's mapping names the title column."""
    require_columns(job, required_columns)


PREVIEW_COLUMNS: tuple[tuple[str, str | Promise], ...] = (
    ("title", gettext_lazy("Title")),
    ("customer", gettext_lazy("Customer")),
    ("stage", gettext_lazy("Stage")),
    ("owner", gettext_lazy("Owner")),
    ("amount", gettext_lazy("Amount")),
    ("currency", gettext_lazy("Currency")),
    ("expected_close", gettext_lazy("Expected close")),
)


def preview_table(job: Job, actor: User) -> PreviewTable:
    """Return the first rows as they will be imported (no database writes), with their errors."""
    rows: list[PreviewRow] = []
    with imports.open_job_file(job) as table:
        run = DealImport(
            actor=actor,
            job=job,
            mapping=job.options.get("mapping") or {},
            options={**job.options, "dry_run": True},
        )
        for record in table.preview(PREVIEW_ROWS):
            row = PreviewRow(record.line)
            rows.append(row)
            if record.problems:
                row.errors.extend(("", problem) for problem in record.problems)
                continue
            try:
                deal = run.read(record)
            except RowError as exc:
                row.errors.append((run.column(exc.target), exc.reason))
                continue
            customer = " · ".join(
                str(part) for part in (deal.contact, deal.company and deal.company.name) if part
            )
            owner = deal.owner or actor
            row.cells = [
                deal.title,
                customer,
                f"{deal.pipeline.name} · {deal.stage.name}" if deal.stage else deal.pipeline.name,
                owner.get_full_name() or owner.username,
                deal.amount,
                deal.currency,
                formats.date_format(deal.expected_close, "SHORT_DATE_FORMAT")
                if deal.expected_close
                else "",
            ]
    return PreviewTable(
        columns=[(key, str(label)) for key, label in PREVIEW_COLUMNS],
        rows=rows,
        numeric=frozenset({"amount"}),
    )


def import_deals_file(
    path: Path, *, actor: User, options: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """`clientela import deals FILE`: the same draft and runner as the screens, run now."""
    job = start_deal_import(
        actor=actor,
        upload=path,
        filename=path.name,
        update_existing=bool(options.get("update_existing")),
        dry_run=bool(options.get("dry_run")),
        via=Via.CLI,
    )
    return imports.job_summary(run_now(DEALS, job, actor=actor)), []


DEALS = Importer(
    name="deals",
    job_kind=KIND,
    screens=ImportScreens(
        namespace="deals", list_url="deals:deal_list", list_label=gettext_lazy("See the deals")
    ),
    may_import=may_import,
    sees_all=lambda user: has_capability(user, "accounts.manage_users"),
    heading=gettext_lazy("Import deals"),
    back_label=gettext_lazy("Back to deals"),
    intro=gettext_lazy(
        "One row per deal; the first row must hold the column names. Columns named in Spanish "
        "or English are recognised for:"
    ),
    details=gettext_lazy(
        "Each deal needs a title. Its contact is found by e-mail and its company by name among "
        "those you can see; the owner by username or e-mail (yourself when empty); the pipeline "
        "and stage by name (the first pipeline and its first open stage when empty). Deal "
        "custom fields are recognised by their label or key. Nothing is saved until you "
        "confirm, and importing the same file again creates nothing new (a deal is found again "
        "by its title, pipeline and customer)."
    ),
    recognised=lambda: [*TARGETS.values(), *_custom_targets().values()],
    targets=targets,
    start=start_deal_import,
    save_mapping=update_mapping,
    mapping_of=mapping_by_header,
    check=check_draft,
    preview=preview_table,
    enqueue=enqueue,
    run=run_deal_import,
    mapping_help=gettext_lazy("Needed: the deal's title."),
    options=(
        ImportOption(
            "update_existing",
            gettext_lazy(
                "Update deals that already exist (same title, pipeline and customer): amount, "
                "currency, expected close, owner and custom fields"
            ),
        ),
    ),
    forbidden_message=gettext_lazy("Your role cannot import deals."),
    run_file=import_deals_file,
)


def register_import_kind() -> None:
    """Register the deals import with core's importer registry (DealsConfig.ready calls it)."""
    register_importer(DEALS)
