"""Turning contacts and companies into API dictionaries, and keyset pagination."""

from __future__ import annotations

import base64
import binascii
import json
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import models
from django.db.models import JSONField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import JSONObject
from django.http import HttpRequest
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.accounts.queries import may_see_owner
from clientela.contacts.models import Company, Consent, Contact, Tag
from clientela.core.compiled import CompiledQuery
from clientela.core.exceptions import NotFound, ValidationFailed
from clientela.core.expressions import JSONArrayAgg
from clientela.core.http import unstorable_reason
from clientela.core.numbers import bounded_int

UTM_FIELDS = tuple(
    f"{touch}_utm_{part}"
    for touch in ("first", "last")
    for part in ("source", "medium", "campaign", "term", "content")
)
CUSTOM_PREFIX = "custom."


# --- representation --------------------------------------------------------------------------


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


# --- pagination ------------------------------------------------------------------------------


def _cursor_encode(ordering: str, values: list[Any]) -> str:
    raw = json.dumps([ordering, [v.isoformat() if hasattr(v, "isoformat") else v for v in values]])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _cursor_decode(cursor: str, ordering: str, fields: Sequence[str]) -> list[Any]:
    """Values of the last row of the previous page; a cursor of another ordering is refused."""
    invalid = ValidationFailed({"cursor": _("This cursor is not valid for this list.")})
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        kept_ordering, values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise invalid from exc
    if kept_ordering != ordering or not isinstance(values, list) or len(values) != len(fields):
        raise invalid
    out: list[Any] = []
    for name, value in zip(fields, values, strict=True):
        bare = name.lstrip("-")
        if bare.endswith("_at"):
            moment = _cursor_moment(value)
            if moment is None:
                raise invalid
            out.append(moment)
        elif bare == "id":
            number = bounded_int(value, minimum=0)
            if number is None:
                raise invalid
            out.append(number)
        elif isinstance(value, str) and unstorable_reason(value) is None:
            out.append(value)
        else:
            raise invalid
    return out


def _cursor_moment(value: Any) -> datetime | None:
    """Return a cursor's timestamp: the aware ISO moment this module wrote, or None.

    A hand-made cursor may carry a naive or far-future moment ("9999-12-31T23:59:59"), whose
    conversion to UTC overflows; only what `_cursor_encode` writes is accepted.
    """
    try:
        moment = datetime.fromisoformat(str(value))
        if moment.tzinfo is None:
            return None
        return moment.astimezone(UTC)
    except (ValueError, TypeError, OverflowError):
        return None


def _after(fields: Sequence[str], values: Sequence[Any]) -> Q:
    """Rows after `values` in the order of `fields` (keyset pagination).

    The leading column also gets a plain range bound so the database can use its index.
    """
    name = fields[0].lstrip("-")
    op = "lt" if fields[0].startswith("-") else "gt"
    if len(fields) == 1:
        return Q(**{f"{name}__{op}": values[0]})
    return Q(**{f"{name}__{op}e": values[0]}) & (
        Q(**{f"{name}__{op}": values[0]})
        | (Q(**{name: values[0]}) & _after(fields[1:], values[1:]))
    )


# Counting every match of a broad filter at 1M contacts costs a scan per request; past this
# many, `count` stops and `count_capped` says so (HubSpot's search API caps its total the same).
API_COUNT_CAP = 10_000


@dataclass(frozen=True)
class PageOut:
    """One page of rows, the (capped) count of all matches, and the next page's URL."""

    rows: list[Any]
    count: int
    count_capped: bool
    next: str | None

    def body(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        """Return the JSON body of the page with these serialised items."""
        return {
            "items": items,
            "count": self.count,
            "count_capped": self.count_capped,
            "next": self.next,
        }


def page_of(
    request: HttpRequest,
    qs: QuerySet[Any],
    *,
    fields: Sequence[str],
    ordering: str,
    limit: int,
    offset: int,
    cursor: str,
    shape: Callable[[QuerySet[Any]], QuerySet[Any]] | None = None,
) -> PageOut:
    """Return one page of an ordered queryset, its match count and the next page's URL.

    The count stops at API_COUNT_CAP.

    The first page may use `offset`; `next` always carries a cursor so deep pages stay on the
    index instead of skipping rows. `shape` turns the counted queryset into the one whose rows
    are returned (annotations the count need not compute).
    """
    if cursor and offset:
        raise ValidationFailed({"offset": _("Use either offset or cursor, not both.")})
    count = qs.order_by()[: API_COUNT_CAP + 1].count()
    capped = count > API_COUNT_CAP
    if cursor:
        qs = qs.filter(_after(fields, _cursor_decode(cursor, ordering, fields)))
    rows = list((shape(qs) if shape else qs)[offset : offset + limit + 1])
    next_url = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        params = request.GET.copy()
        params.pop("offset", None)
        params["cursor"] = _cursor_encode(ordering, [getattr(last, f.lstrip("-")) for f in fields])
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    return PageOut(rows, min(count, API_COUNT_CAP), capped, next_url)


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
