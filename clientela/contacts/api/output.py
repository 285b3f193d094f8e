"""Turning contacts and companies into API dictionaries, and keyset pagination."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.contacts.models import Company, Consent, Contact, Tag
from clientela.contacts.queries import contacts_visible_to, current_consents
from clientela.core.exceptions import NotFound, ValidationFailed

UTM_FIELDS = tuple(
    f"{touch}_utm_{part}"
    for touch in ("first", "last")
    for part in ("source", "medium", "campaign", "term", "content")
)
CUSTOM_PREFIX = "custom."


def actor(request: HttpRequest) -> User:
    """The user the request acts as (token or session)."""
    return cast(User, request.auth)  # type: ignore[attr-defined]


# --- representation --------------------------------------------------------------------------


def ref(obj: Any) -> dict[str, Any] | None:
    """{"id", "name"} of a related record, or None."""
    return None if obj is None else {"id": obj.pk, "name": str(obj)}


def _consents_out(latest: Iterable[Consent]) -> list[dict[str, Any]]:
    return [
        {
            "channel": c.channel,
            "purpose": c.purpose,
            "status": c.status,
            "recorded_at": c.recorded_at,
            "source": c.source,
        }
        for c in sorted(latest, key=lambda c: (c.channel, c.purpose))
    ]


def latest_consents(consents: Iterable[Consent]) -> list[Consent]:
    """The newest decision per (channel, purpose) from consents ordered newest first."""
    latest: dict[tuple[str, str], Consent] = {}
    for consent in consents:
        latest.setdefault((consent.channel, consent.purpose), consent)
    return list(latest.values())


def contact_out(
    contact: Contact, tags: Sequence[str], consents: Iterable[Consent]
) -> dict[str, Any]:
    """The API representation of a contact (owner and company already loaded)."""
    return {
        "id": contact.pk,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "full_name": contact.full_name,
        "email": contact.email,
        "phone": contact.phone,
        "job_title": contact.job_title,
        "company": ref(contact.company),
        "city": contact.city,
        "country": contact.country,
        "birthday": contact.birthday,
        "language": contact.language,
        "owner": ref(contact.owner),
        "lifecycle_stage": contact.lifecycle_stage,
        "lead_status": contact.lead_status,
        "source": contact.source,
        **{name: getattr(contact, name) for name in UTM_FIELDS},
        "first_touch_at": contact.first_touch_at,
        "last_touch_at": contact.last_touch_at,
        "tags": sorted(tags, key=str.casefold),
        "custom": contact.custom,
        "consents": _consents_out(consents),
        "created_at": contact.created_at,
        "updated_at": contact.updated_at,
        "version": contact.version,
    }


def contact_detail(contact: Contact) -> dict[str, Any]:
    """A single contact: one query for its tags, one for its consents."""
    tags = list(contact.tags.values_list("name", flat=True))
    return contact_out(contact, tags, current_consents(contact).values())


# What the API shows of a contact: loading only these (and the owner's and company's names)
# keeps the hot GET /contacts/{id} query narrow.
CONTACT_COLUMNS = (
    *(
        f.name
        for f in Contact._meta.concrete_fields
        if f.name not in {"search_text", "created_by", "created_via", "import_job", "merged_into"}
    ),
    "owner__username",
    "owner__first_name",
    "owner__last_name",
    "company__name",
)


def reload_contact(user: User, contact_id: int, *, deleted: bool = False) -> dict[str, Any]:
    """The contact as the user sees it now (three queries: contact, tags, consents)."""
    try:
        contact = (
            contacts_visible_to(user, deleted=deleted)
            .select_related("owner", "company")
            .only(*CONTACT_COLUMNS)
            .get(pk=contact_id)
        )
    except Contact.DoesNotExist as exc:
        raise NotFound(_("Contact not found.")) from exc
    return contact_detail(contact)


def company_out(company: Company, tags: Sequence[str]) -> dict[str, Any]:
    """The API representation of a company (owner already loaded)."""
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
        "tags": sorted(tags, key=str.casefold),
        "custom": company.custom,
        "created_at": company.created_at,
        "updated_at": company.updated_at,
        "version": company.version,
    }


def company_detail(company: Company) -> dict[str, Any]:
    """A single company with its tags (one more query)."""
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
        try:
            if bare.endswith("_at"):
                out.append(datetime.fromisoformat(str(value)))
            elif bare == "id":
                out.append(int(value))
            else:
                out.append(str(value))
        except (ValueError, TypeError) as exc:
            raise invalid from exc
    return out


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


def page_of(
    request: HttpRequest,
    qs: QuerySet[Any],
    *,
    fields: Sequence[str],
    ordering: str,
    limit: int,
    offset: int,
    cursor: str,
) -> tuple[list[Any], int, str | None]:
    """One page of an ordered queryset, the total count, and the URL of the next page.

    The first page may use `offset`; `next` always carries a cursor so deep pages stay on the
    index instead of skipping rows.
    """
    if cursor and offset:
        raise ValidationFailed({"offset": _("Use either offset or cursor, not both.")})
    count = qs.count()
    if cursor:
        qs = qs.filter(_after(fields, _cursor_decode(cursor, ordering, fields)))
    rows = list(qs[offset : offset + limit + 1])
    next_url = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        params = request.GET.copy()
        params.pop("offset", None)
        params["cursor"] = _cursor_encode(ordering, [getattr(last, f.lstrip("-")) for f in fields])
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    return rows, count, next_url


def tag_id(name: str) -> int | None:
    """The id of the tag with this name (case-insensitive); 0 when none matches."""
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
    """A condition no row meets."""
    return Q(pk__in=[])
