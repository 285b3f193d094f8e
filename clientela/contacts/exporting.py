"""Export of the contacts and companies lists (with their filters) to CSV or XLSX.

The contact columns are also the `clientela` import preset, and the company columns the
company import's, so an export imports back unchanged. core.exports writes the audit event
and neutralises formula injection; rows stream from the database in chunks, so memory stays
flat whatever the list's size.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.accounts.models import User
from clientela.accounts.queries import has_capability
from clientela.contacts.choices import Entity, LeadStatus, LifecycleStage, Source
from clientela.contacts.models import Company, Contact
from clientela.contacts.queries import (
    CompanyFilters,
    ContactFilters,
    custom_fields_for,
    filter_companies,
    filter_contacts,
)
from clientela.core.exceptions import Forbidden
from clientela.core.exports import FORMATS, ExportFile, export_table
from clientela.timeline.choices import Via

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


def _owner_text(record: Contact | Company) -> str:
    owner = record.owner
    if owner is None:
        return ""
    return owner.email or owner.username


def _rows(contacts: Iterable[Contact], custom_keys: list[str]) -> Iterator[list[Any]]:
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
    *, actor: User, filters: ContactFilters, fmt: str, via: str = Via.UI
) -> ExportFile:
    """Prepare the export of the actor's filtered contacts list (core.exports audits it)."""
    _require_export(actor)
    definitions = custom_fields_for(Entity.CONTACT)
    custom_keys = list(definitions)
    contacts = (
        filter_contacts(actor, filters).select_related("owner", "company").prefetch_related("tags")
    )
    headers = [str(label) for _key, label, _target in EXPORT_COLUMNS]
    headers += [definitions[k].label for k in custom_keys]
    count = contacts.count() if fmt in FORMATS else 0
    return export_table(
        actor=actor,
        kind="contacts",
        fmt=fmt,
        headers=headers,
        rows=_rows(contacts.iterator(chunk_size=CHUNK_SIZE), custom_keys),
        name=_("contacts"),
        title=_("Contacts export"),
        sheet_title=_("Contacts"),
        count=count,
        filters=asdict(filters),
        via=via,
    )


def _require_export(actor: User) -> None:
    if not has_capability(actor, "contacts.export"):
        raise Forbidden(_("Your role cannot export records."))


# (key, header) of the companies export; the headers are also the company import's columns.
COMPANY_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("id", gettext_lazy("ID")),
    ("name", gettext_lazy("Name")),
    ("tax_id", gettext_lazy("Tax id")),
    ("domain", gettext_lazy("Web domain")),
    ("industry", gettext_lazy("Industry")),
    ("phone", gettext_lazy("Phone")),
    ("email", gettext_lazy("E-mail")),
    ("city", gettext_lazy("City")),
    ("country", gettext_lazy("Country")),
    ("owner", gettext_lazy("Owner")),
    ("tags", gettext_lazy("Tags")),
    ("external_id", gettext_lazy("External id")),
    ("created_at", gettext_lazy("Created")),
    ("updated_at", gettext_lazy("Updated")),
)


def _company_rows(companies: Iterable[Company], custom_keys: list[str]) -> Iterator[list[Any]]:
    for company in companies:
        row: list[Any] = []
        for key, _label in COMPANY_COLUMNS:
            if key == "owner":
                row.append(_owner_text(company))
            elif key == "tags":
                row.append(", ".join(sorted(t.name for t in company.tags.all())))
            else:
                value = getattr(company, key)
                row.append("" if value is None else value)
        row.extend(company.custom.get(k, "") for k in custom_keys)
        yield row


def export_companies(
    *, actor: User, filters: CompanyFilters, fmt: str, via: str = Via.UI
) -> ExportFile:
    """Prepare the export of the actor's companies list filtered as on screen (audited)."""
    _require_export(actor)
    definitions = custom_fields_for(Entity.COMPANY)
    custom_keys = list(definitions)
    companies = filter_companies(actor, filters).select_related("owner").prefetch_related("tags")
    headers = [str(label) for _key, label in COMPANY_COLUMNS]
    headers += [definitions[k].label for k in custom_keys]
    count = companies.count() if fmt in FORMATS else 0
    return export_table(
        actor=actor,
        kind="companies",
        fmt=fmt,
        headers=headers,
        rows=_company_rows(companies.iterator(chunk_size=CHUNK_SIZE), custom_keys),
        name=_("companies"),
        title=_("Companies export"),
        sheet_title=_("Companies"),
        count=count,
        filters=asdict(filters),
        via=via,
    )
