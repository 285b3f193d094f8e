"""Export of the current contacts list (with its filters) to CSV or XLSX.

The columns are also the `clientela` import preset, so an export imports back unchanged.
Formula injection is neutralised by the tabular writers; rows stream from the database in
chunks, so memory stays flat whatever the list's size.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.accounts.queries import has_capability
from clientela.contacts.choices import Entity, LeadStatus, LifecycleStage, Source
from clientela.contacts.models import Contact
from clientela.contacts.queries import ContactFilters, custom_fields_for, filter_contacts
from clientela.core.exceptions import Forbidden, ValidationFailed
from clientela.core.models import Job, JobState
from clientela.core.tabular import iter_csv, write_xlsx
from clientela.timeline.choices import Verb, Via
from clientela.timeline.services import record_event

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK_SIZE = 2000

# (key, header, import target): the header is translated when the export is written.
EXPORT_COLUMNS: tuple[tuple[str, Any, str], ...] = (
    ("id", gettext_lazy("ID"), ""),
    ("first_name", gettext_lazy("First name"), "first_name"),
    ("last_name", gettext_lazy("Last name"), "last_name"),
    ("email", gettext_lazy("E-mail"), "email"),
    ("phone", gettext_lazy("Phone"), "phone"),
    ("job_title", gettext_lazy("Job title"), "job_title"),
    ("company", gettext_lazy("Company"), "company"),
    ("city", gettext_lazy("City"), "city"),
    ("country", gettext_lazy("Country"), "country"),
    ("birthday", gettext_lazy("Birthday"), "birthday"),
    ("language", gettext_lazy("Preferred language"), "language"),
    ("lifecycle_stage", gettext_lazy("Lifecycle stage"), "lifecycle_stage"),
    ("lead_status", gettext_lazy("Lead status"), "lead_status"),
    ("source", gettext_lazy("Source"), "source"),
    ("owner", gettext_lazy("Owner"), "owner"),
    ("tags", gettext_lazy("Tags"), "tags"),
    ("first_utm_source", gettext_lazy("First touch: UTM source"), "first_utm_source"),
    ("first_utm_medium", gettext_lazy("First touch: UTM medium"), "first_utm_medium"),
    ("first_utm_campaign", gettext_lazy("First touch: UTM campaign"), "first_utm_campaign"),
    ("first_utm_term", gettext_lazy("First touch: UTM term"), "first_utm_term"),
    ("first_utm_content", gettext_lazy("First touch: UTM content"), "first_utm_content"),
    ("first_touch_at", gettext_lazy("First touch"), "first_touch_at"),
    ("last_utm_source", gettext_lazy("Last touch: UTM source"), "last_utm_source"),
    ("last_utm_medium", gettext_lazy("Last touch: UTM medium"), "last_utm_medium"),
    ("last_utm_campaign", gettext_lazy("Last touch: UTM campaign"), "last_utm_campaign"),
    ("last_utm_term", gettext_lazy("Last touch: UTM term"), "last_utm_term"),
    ("last_utm_content", gettext_lazy("Last touch: UTM content"), "last_utm_content"),
    ("last_touch_at", gettext_lazy("Last touch"), "last_touch_at"),
    ("external_id", gettext_lazy("External id"), "external_id"),
    ("created_at", gettext_lazy("Created"), "created_at"),
    ("updated_at", gettext_lazy("Updated"), ""),
)
_CHOICE_LABELS = {
    "lifecycle_stage": LifecycleStage,
    "lead_status": LeadStatus,
    "source": Source,
}


@dataclass
class ExportFile:
    """A prepared export: what to call it and how to produce its bytes."""

    filename: str
    content_type: str
    headers: list[str]
    rows: Iterator[list[Any]]
    count: int

    def stream_csv(self) -> Iterator[bytes]:
        """CSV chunks for a streaming response."""
        return iter_csv(self.rows, self.headers, tz=timezone.get_current_timezone())

    def xlsx_file(self) -> IO[bytes]:
        """The workbook written to a temporary file, rewound (closing it deletes it)."""
        handle = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it
        write_xlsx(
            self.rows,
            self.headers,
            handle,
            sheet_title=_("Contacts"),
            tz=timezone.get_current_timezone(),
        )
        handle.seek(0)
        return handle


def _owner_text(contact: Contact) -> str:
    owner = contact.owner
    if owner is None:
        return ""
    return owner.email or owner.username


def _rows(contacts: Any, custom_keys: list[str]) -> Iterator[list[Any]]:
    labels = {name: dict(choices.choices) for name, choices in _CHOICE_LABELS.items()}
    for contact in contacts:
        row: list[Any] = []
        for key, _label, _target in EXPORT_COLUMNS:
            if key == "company":
                row.append(contact.company.name if contact.company else "")
            elif key == "owner":
                row.append(_owner_text(contact))
            elif key == "tags":
                row.append(", ".join(sorted(t.name for t in contact.tags.all())))
            elif key in labels:
                value = getattr(contact, key)
                row.append(str(labels[key].get(value, value)) if value else "")
            else:
                value = getattr(contact, key)
                row.append("" if value is None else value)
        row.extend(contact.custom.get(k, "") for k in custom_keys)
        yield row


def export_contacts(
    *, actor: Any, filters: ContactFilters, fmt: str, via: str = Via.UI
) -> ExportFile:
    """Prepare the export of the actor's filtered contacts list and record it in the audit log."""
    if not has_capability(actor, "contacts.export"):
        raise Forbidden(_("Your role cannot export records."))
    if fmt not in FORMATS:
        raise ValidationFailed({"format": _("Choose CSV or XLSX.")})
    definitions = custom_fields_for(Entity.CONTACT)
    custom_keys = list(definitions)
    contacts = (
        filter_contacts(actor, filters).select_related("owner", "company").prefetch_related("tags")
    )
    count = contacts.count()
    with transaction.atomic():
        # The job row is the export's record in the audit log (one event per export).
        job = Job.objects.create(
            kind="export_contacts",
            state=JobState.DONE,
            created_by=actor,
            started_at=timezone.now(),
            finished_at=timezone.now(),
            title=_("Contacts export"),
            options={"format": fmt, "filters": asdict(filters)},
            total=count,
            processed=count,
            counts={"rows": count},
        )
        record_event(
            Verb.EXPORTED,
            actor=actor,
            target=job,
            via=via,
            data={"entity": "contacts", "format": fmt, "rows": count, "filters": asdict(filters)},
        )
    headers = [str(label) for _key, label, _target in EXPORT_COLUMNS]
    headers += [definitions[k].label for k in custom_keys]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return ExportFile(
        filename=f"{_('contacts')}-{stamp}.{fmt}",
        content_type=FORMATS[fmt],
        headers=headers,
        rows=_rows(contacts.iterator(chunk_size=CHUNK_SIZE), custom_keys),
        count=count,
    )
