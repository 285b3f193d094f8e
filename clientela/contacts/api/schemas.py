"""Request and response schemas of the contacts and companies API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from clientela.contacts.choices import (
    ConsentChannel,
    ConsentPurpose,
    ConsentStatus,
    LeadStatus,
    LifecycleStage,
    Source,
)
from clientela.contacts.representation import ContactOut, Ref
from clientela.core.http import DbInt, ListPage, OffsetQuery, PageQuery, RecordId

# --- contacts -------------------------------------------------------------------------------


def _choice(choices: Any, description: str) -> Any:
    """Return an optional string field documenting its allowed values (the service validates)."""
    return Field(None, description=description, json_schema_extra={"enum": list(choices.values)})


class ContactIn(Schema):
    """Contact fields.

    On create at least a name, e-mail or phone is needed; on PATCH every field is optional and
    only the fields sent change.
    """

    model_config = ConfigDict(extra="forbid")

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = Field(None, description="Any format; stored as E.164")
    job_title: str | None = None
    company: RecordId | None = Field(None, description="Company id")
    city: str | None = None
    country: str | None = Field(None, description="Two-letter code: CO, MX, US…")
    birthday: date | None = None
    language: str | None = Field(None, description="es or en")
    owner: RecordId | None = Field(None, description="User id; defaults to you on create")
    lifecycle_stage: str | None = _choice(LifecycleStage, "Lifecycle stage")
    lead_status: str | None = _choice(LeadStatus, "Lead status")
    source: str | None = _choice(Source, "Source")
    first_utm_source: str | None = None
    first_utm_medium: str | None = None
    first_utm_campaign: str | None = None
    first_utm_term: str | None = None
    first_utm_content: str | None = None
    first_touch_at: datetime | None = None
    last_utm_source: str | None = None
    last_utm_medium: str | None = None
    last_utm_campaign: str | None = None
    last_utm_term: str | None = None
    last_utm_content: str | None = None
    last_touch_at: datetime | None = None
    external_id: str | None = None
    tags: list[str] | None = Field(None, description="Tag names (replaces the set on PATCH)")
    custom: dict[str, Any] | None = Field(None, description="Custom field values by key")


class ContactPatch(ContactIn):
    """Contact changes, with the version you read for optimistic locking (409 when stale)."""

    version: DbInt | None = Field(None, description="Refuse the change if the contact moved on")


class ContactPage(ListPage):
    """A page of contacts: `next` is the URL of the following page, or null."""

    items: list[ContactOut]


ContactOrdering = Literal["created", "-created", "name", "-name", "updated", "-updated"]


class ContactQuery(PageQuery):
    """Filters, ordering and pagination of the contacts list."""

    q: str = Field("", description="Search in name, e-mail and phone")
    owner: RecordId | None = Field(None, description="Owner user id")
    lifecycle_stage: LifecycleStage | None = None
    lead_status: LeadStatus | None = None
    source: Source | None = None
    tag: str = Field("", description="Tag name")
    company: RecordId | None = Field(None, description="Company id")
    ordering: ContactOrdering = "-created"
    deleted: bool = Field(False, description="List the trash instead")


class MergeIn(Schema):
    """Merge `other` into `survivor`; `take_from_other` lists fields to copy from `other`."""

    model_config = ConfigDict(extra="forbid")

    survivor: RecordId
    other: RecordId
    take_from_other: list[str] = Field(default_factory=list)


class MergeOut(Schema):
    """The merge (its id undoes it) and the surviving contact."""

    merge_id: int
    survivor: ContactOut


class MergedAwayOut(Schema):
    """A contact that was merged into another: follow `Location`, or read `merged_into`."""

    detail: str
    merged_into: int = Field(description="Id of the contact it was merged into")


class UndoOut(Schema):
    """Both contacts after an undone merge."""

    survivor: ContactOut
    restored: ContactOut | None


class DuplicateOut(Schema):
    """A contact that looks like the same person, and why."""

    id: int
    full_name: str
    email: str
    phone: str
    company: Ref | None
    owner: Ref | None
    reason: str


class EventOut(Schema):
    """One timeline entry."""

    id: int
    created_at: datetime
    verb: str
    verb_label: str
    via: str
    actor: Ref | None
    target_type: str
    target_id: str
    target_repr: str
    data: dict[str, Any]


class EventPage(Schema):
    """A page of timeline entries, newest first."""

    items: list[EventOut]
    count: int
    next: str | None


class TimelineQuery(OffsetQuery):
    """Pagination of a timeline."""


class ConsentIn(Schema):
    """A consent decision with where it was given (required when granted) and its proof."""

    model_config = ConfigDict(extra="forbid")

    channel: str = _choice(ConsentChannel, "Channel")
    purpose: str = _choice(ConsentPurpose, "Purpose")
    status: str = _choice(ConsentStatus, "Status")
    source: str = ""
    proof: str = ""


class CompanyOut(Schema):
    """A company."""

    id: int
    name: str
    tax_id: str
    domain: str
    industry: str
    phone: str
    email: str
    city: str
    country: str
    owner: Ref | None
    tags: list[str]
    custom: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    version: int


class CompanyIn(Schema):
    """Company fields; `name` is required on create. On PATCH only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    tax_id: str | None = Field(None, description="NIT")
    domain: str | None = None
    industry: str | None = None
    phone: str | None = None
    email: str | None = None
    city: str | None = None
    country: str | None = None
    external_id: str | None = None
    owner: RecordId | None = Field(None, description="User id; defaults to you on create")
    tags: list[str] | None = None
    custom: dict[str, Any] | None = None


class CompanyPatch(CompanyIn):
    """Company changes, with the version you read for optimistic locking (409 when stale)."""

    version: DbInt | None = None


class CompanyPage(ListPage):
    """A page of companies."""

    items: list[CompanyOut]


class CompanyQuery(PageQuery):
    """Filters, ordering and pagination of the companies list."""

    q: str = Field("", description="Search in name, domain, e-mail, phone and NIT")
    owner: RecordId | None = None
    tag: str = Field("", description="Tag name")
    ordering: Literal["name", "-name", "created", "-created"] = "name"
    deleted: bool = False
