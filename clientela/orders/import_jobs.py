"""The orders import kind: its draft, mapping, preview and worker, registered with core.

The rows are read and saved by orders.importing (the same code as `clientela import orders`);
these services keep the uploaded file and the job's options and queue the background task;
core.importers and core.import_screens run the screens and the job like every other kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.accounts.models import User
from clientela.accounts.queries import has_capability
from clientela.contacts.models import Contact
from clientela.core import imports
from clientela.core.exceptions import ValidationFailed
from clientela.core.importers import (
    Importer,
    ImportOption,
    ImportScreens,
    PreviewRow,
    PreviewTable,
    mapping_by_header,
    register_importer,
    require_columns,
    require_draft,
    save_options,
    start_draft,
)
from clientela.core.importers import columns_by_target as choose_columns
from clientela.core.models import Job
from clientela.orders.choices import Channel
from clientela.orders.import_command import import_orders_file
from clientela.orders.importing import (
    COLUMNS,
    KIND,
    OrderImport,
    RowError,
    detect_mapping,
    require_import,
    required_columns,
    run_order_import,
)
from clientela.orders.queries import can_import
from clientela.orders.tasks import import_orders
from clientela.timeline.choices import Via

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
    *,
    actor: User,
    upload: IO[bytes] | Path,
    filename: str,
    language: str | None = None,
    update_existing: bool = False,
    create_missing: bool = False,
    source_system: str = "",
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
            "mapping": detect_mapping(table.headers),
            "create_missing": bool(create_missing),
            "source_system": source_system.strip()[:SOURCE_SYSTEM_MAX],
        },
        language=language,
        update_existing=update_existing,
        dry_run=dry_run,
        via=via,
    )


def columns_by_target(headers: list[str], chosen: Mapping[str, str]) -> dict[str, str]:
    """{target: header} from what the screen sends ({header: target}); ValidationFailed.

    Every message is keyed by the field it is about: "mapping" (a target chosen twice or
    unknown), "ordered_at", "amount" and "customer" (a required column not chosen).
    """
    return choose_columns(headers, chosen, known=TARGETS, required=required_columns)


def update_mapping(
    job: Job, *, actor: User, mapping: Mapping[str, str], options: Mapping[str, Any]
) -> Job:
    """Change a draft's column mapping ({header: target}) and options; ValidationFailed.

    Invalid choices are kept on the draft's screen, not saved: the job changes only when
    everything is valid.
    """
    require_import(actor)
    require_draft(job)
    errors: dict[str, list[str]] = {}
    try:
        by_target = columns_by_target(list(job.options.get("headers") or []), mapping)
    except ValidationFailed as exc:
        errors.update(exc.errors)
        by_target = {}
    source = str(options.get("source_system") or "").strip()
    if len(source) > SOURCE_SYSTEM_MAX:
        errors["source_system"] = [_("Use at most %(n)d characters.") % {"n": SOURCE_SYSTEM_MAX}]
    if errors:
        raise ValidationFailed(errors)
    return save_options(
        job,
        {
            "mapping": by_target,
            "update_existing": bool(options.get("update_existing")),
            "create_missing": bool(options.get("create_missing")),
            "source_system": source,
        },
    )


def enqueue(job: Job) -> None:
    """Queue the background task that runs (or resumes) an order import job."""
    import_orders.enqueue(job.pk)


def check_draft(job: Job) -> None:
    """ValidationFailed unless the draft's mapping names a date, an amount and a customer."""
    require_columns(job, required_columns)


@dataclass
class PreviewLine:
    """One row as it will be imported: its line, its values as shown, and its errors."""

    line: int
    values: dict[str, Any] = field(default_factory=dict)
    customer: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)


def preview_rows(job: Job, *, actor: User, n: int = PREVIEW_ROWS) -> list[PreviewLine]:
    """Return the first `n` rows read as the import will read them (no database writes)."""
    out: list[PreviewLine] = []
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
            row = PreviewLine(record.line)
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


PREVIEW_COLUMNS: tuple[tuple[str, str | Promise], ...] = (
    ("ordered_on", gettext_lazy("Date")),
    ("customer", gettext_lazy("Customer")),
    ("amount", gettext_lazy("Amount")),
    ("currency", gettext_lazy("Currency")),
    ("cost", gettext_lazy("Cost")),
    ("channel", gettext_lazy("Channel")),
    ("external_id", gettext_lazy("Order number")),
)


def preview_table(job: Job, actor: User) -> PreviewTable:
    """Return the preview screen's table: date, customer, amounts, channel and order number."""

    def cells(row: PreviewLine) -> list[Any]:
        day = row.values.get("ordered_on")
        return [
            formats.date_format(day, "SHORT_DATE_FORMAT") if day else "",
            row.customer,
            *(row.values.get(key) for key in ("amount", "currency", "cost", "channel")),
            row.values.get("external_id"),
        ]

    return PreviewTable(
        columns=[(key, str(label)) for key, label in PREVIEW_COLUMNS],
        rows=[PreviewRow(r.line, cells(r), r.errors) for r in preview_rows(job, actor=actor)],
        numeric=frozenset({"amount", "cost"}),
    )


ORDERS = Importer(
    name="orders",
    job_kind=KIND,
    screens=ImportScreens(
        namespace="orders", list_url="orders:order_list", list_label=gettext_lazy("See the orders")
    ),
    may_import=can_import,
    sees_all=lambda user: has_capability(user, "accounts.manage_users"),
    heading=gettext_lazy("Import orders"),
    back_label=gettext_lazy("Back to orders"),
    intro=gettext_lazy(
        "One row per order; the first row must hold the column names. Columns named in Spanish "
        "or English are recognised for:"
    ),
    details=gettext_lazy(
        "Each order needs a date, an amount and its customer's e-mail, phone or customer id; "
        "the customer is looked for among the contacts you can see. Files saved by Excel in "
        "Spanish (Windows-1252, separated by ;), dates as dd/mm/aaaa and decimal commas are "
        "understood. Nothing is saved until you confirm, and importing the same file again "
        "changes nothing."
    ),
    recognised=lambda: list(TARGETS.values()),
    targets=lambda: [(str(_("Order fields")), [(k, str(v)) for k, v in TARGETS.items()])],
    start=start_order_import,
    save_mapping=update_mapping,
    mapping_of=mapping_by_header,
    check=check_draft,
    preview=preview_table,
    enqueue=enqueue,
    run=run_order_import,
    mapping_help=gettext_lazy(
        "Needed: the order date, the amount and at least one of the customer's id, e-mail or phone."
    ),
    options=(
        ImportOption(
            "update_existing",
            gettext_lazy(
                "Update orders that already exist (same order number and source system, else "
                "same customer, date and amount)"
            ),
        ),
        ImportOption(
            "create_missing",
            gettext_lazy(
                "Create the customers that are not found (with the row's name, e-mail and phone)"
            ),
        ),
        ImportOption(
            "source_system",
            gettext_lazy("Source system"),
            gettext_lazy(
                "Where the order numbers come from (for example your shop or invoicing "
                "software); the same number from two systems is two orders."
            ),
            kind="text",
        ),
    ),
    run_file=import_orders_file,
)


def register_import_kind() -> None:
    """Register the orders import with core's importer registry (OrdersConfig.ready calls it)."""
    register_importer(ORDERS)
