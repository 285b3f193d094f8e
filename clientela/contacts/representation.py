"""The API representation of contacts and companies: the dictionaries and their schemas.

The contacts API and every other API that lists contacts (a segment's members) answer with
these, so a contact reads the same wherever a client meets it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from django.db import models
from django.db.models import JSONField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import JSONObject
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema

from clientela.accounts.models import User
from clientela.accounts.queries import may_see_owner
from clientela.contacts.models import Company, Consent, Contact, Tag
from clientela.core.compiled import CompiledQuery
from clientela.core.exceptions import NotFound
from clientela.core.expressions import JSONArrayAgg
from clientela.core.http import RecordId

UTM_FIELDS = tuple(
    f"{touch}_utm_{part}"
    for touch in ("first", "last")
    for part in ("source", "medium", "campaign", "term", "content")
)
CUSTOM_PREFIX = "custom."


# --- representation --------------------------------------------------------------------------


class Ref(Schema):
    """A related record: its id and display name."""

    id: RecordId
    name: str


class ConsentOut(Schema):
    """The latest consent decision for one channel and purpose."""

    channel: str
    purpose: str
    status: str
    recorded_at: datetime
    source: str


class ContactOut(Schema):
    """A contact."""

    id: int
    first_name: str
    last_name: str
    full_name: str
    email: str
    phone: str = Field(..., description="E.164, e.g. +573001234567")
    job_title: str
    company: Ref | None
    city: str
    country: str
    birthday: date | None
    language: str
    owner: Ref | None
    lifecycle_stage: str
    lead_status: str
    source: str
    first_utm_source: str
    first_utm_medium: str
    first_utm_campaign: str
    first_utm_term: str
    first_utm_content: str
    first_touch_at: datetime | None
    last_utm_source: str
    last_utm_medium: str
    last_utm_campaign: str
    last_utm_term: str
    last_utm_content: str
    last_touch_at: datetime | None
    tags: list[str]
    custom: dict[str, Any]
    consents: list[ConsentOut]
    created_at: datetime
    updated_at: datetime
    version: int


def alphabetical(text: str) -> str:
    """Sort key putting "Álamos" beside "alamos" before "VIP", as a Spanish reader expects."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def ref(obj: models.Model | None) -> dict[str, Any] | None:
    """{"id", "name"} of a related record, or None."""
    return None if obj is None else {"id": obj.pk, "name": str(obj)}


# What GET /contacts/{id} reads: the contact's own columns the API shows, its owner's and
# company's names, and its tags and consents aggregated as JSON (see _detail_query).
_OWN_COLUMNS = tuple(
    f.attname
    for f in Contact._meta.concrete_fields
    if f.name not in {"search_text", "created_by", "created_via", "import_job", "merged_into"}
)
DETAIL_COLUMNS = (
    *_OWN_COLUMNS,
    "owner__username",
    "owner__first_name",
    "owner__last_name",
    "company__name",
    "tag_names",
    "consent_rows",
)


# Keys of the API representation that are the contact's own columns, unchanged.
_PLAIN_OUT = (
    "id", "first_name", "last_name", "email", "phone", "job_title", "city", "country",
    "birthday", "language", "lifecycle_stage", "lead_status", "source", *UTM_FIELDS,
    "first_touch_at", "last_touch_at", "custom", "created_at", "updated_at", "version",
)  # fmt: skip


def with_tags_and_consents(contacts: QuerySet[Contact]) -> QuerySet[Contact]:
    """Return the contacts with `tag_names` and `consent_rows` annotated (JSON arrays or NULL).

    A page or a single contact then reads in one query with no model instances to build.
    """
    tags = (
        Tag.objects.filter(contacts=OuterRef("pk"))
        .order_by()
        .values("contacts")
        .annotate(names=JSONArrayAgg("name"))
        .values("names")
    )
    consent = JSONObject(
        id="id", channel="channel", purpose="purpose", status="status",
        recorded_at="recorded_at", source="source",
    )  # fmt: skip
    consents = (
        Consent.objects.filter(contact=OuterRef("pk"))
        .order_by()
        .values("contact")
        .annotate(rows=JSONArrayAgg(consent))
        .values("rows")
    )
    return contacts.annotate(
        tag_names=Subquery(tags, output_field=JSONField()),
        consent_rows=Subquery(consents, output_field=JSONField()),
    )


def contact_rows(contacts: QuerySet[Contact]) -> QuerySet[Any]:
    """Return the contacts as named rows of everything contact_row_out() needs."""
    return with_tags_and_consents(contacts).values_list(*DETAIL_COLUMNS, named=True)


def _detail_query(deleted: bool) -> CompiledQuery:
    """GET /contacts/{id} in one query, compiled once per process."""
    return CompiledQuery(
        lambda contact_id: with_tags_and_consents(
            Contact.objects.filter(pk=contact_id, deleted_at__isnull=not deleted).order_by()
        ).values_list(*DETAIL_COLUMNS),
        [int],
    )


_DETAIL = {False: _detail_query(False), True: _detail_query(True)}


def _moment(value: Any) -> datetime:
    """Return a timestamp out of JSON: ISO text from PostgreSQL, naive UTC text from SQLite."""
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def reload_contact(user: User, contact_id: int, *, deleted: bool = False) -> dict[str, Any]:
    """Return the contact as the user sees it now (one query), NotFound when it is not theirs."""
    row = _DETAIL[deleted].first(contact_id)
    if row is None:
        raise NotFound(_("Contact not found."))
    values = dict(zip(DETAIL_COLUMNS, row, strict=True))
    if not may_see_owner(user, values["owner_id"]):
        raise NotFound(_("Contact not found."))
    return contact_row_out(values)


def contact_row_out(values: dict[str, Any]) -> dict[str, Any]:
    """Return the API representation of a contact from its DETAIL_COLUMNS values."""
    owner = None
    if values["owner_id"] is not None:
        full = f"{values['owner__first_name']} {values['owner__last_name']}".strip()
        owner = {"id": values["owner_id"], "name": full or values["owner__username"]}
    consents = sorted(
        values["consent_rows"] or [],
        key=lambda c: (_moment(c["recorded_at"]), c["id"]),
        reverse=True,
    )
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for consent in consents:
        latest.setdefault((consent["channel"], consent["purpose"]), consent)
    return {
        **{name: values[name] for name in _PLAIN_OUT},
        "full_name": f"{values['first_name']} {values['last_name']}".strip(),
        "company": None
        if values["company_id"] is None
        else {"id": values["company_id"], "name": values["company__name"]},
        "owner": owner,
        "tags": sorted(values["tag_names"] or [], key=alphabetical),
        "consents": [
            {
                "channel": c["channel"],
                "purpose": c["purpose"],
                "status": c["status"],
                "recorded_at": _moment(c["recorded_at"]),
                "source": c["source"],
            }
            for c in sorted(latest.values(), key=lambda c: (c["channel"], c["purpose"]))
        ],
    }


def company_out(company: Company, tags: Sequence[str]) -> dict[str, Any]:
    """Return the API representation of a company (owner already loaded)."""
    return {
        "id": company.pk,
        "name": company.name,
        "tax_id": company.tax_id,
        "domain": company.domain,
        "industry": company.industry,
        "phone": company.phone,
        "email": company.email,
        "city": company.city,
        "country": company.country,
        "owner": ref(company.owner),
        "tags": sorted(tags, key=alphabetical),
        "custom": company.custom,
        "created_at": company.created_at,
        "updated_at": company.updated_at,
        "version": company.version,
    }


def company_detail(company: Company) -> dict[str, Any]:
    """Return a single company with its tags (one more query)."""
    return company_out(company, list(company.tags.values_list("name", flat=True)))


def tag_id(name: str) -> int | None:
    """Return the id of the tag with this name (case-insensitive); 0 when none matches."""
    if not name:
        return None
    tag = Tag.objects.filter(name__iexact=" ".join(name.split())).values_list("id", flat=True)
    return tag.first() or 0


def custom_filters(request: HttpRequest) -> dict[str, str]:
    """`custom.<key>=value` query parameters as {key: value}."""
    return {
        key[len(CUSTOM_PREFIX) :]: str(value)
        for key, value in request.GET.items()
        if key.startswith(CUSTOM_PREFIX) and len(key) > len(CUSTOM_PREFIX)
    }


def no_results() -> Q:
    """Return a condition no row meets."""
    return Q(pk__in=[])
