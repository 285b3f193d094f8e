"""Reads for contacts and companies; every list, count, search, export and API uses these."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from clientela.accounts.choices import Visibility
from clientela.accounts.models import User
from clientela.accounts.queries import has_capability, owner_scope, visibility_of
from clientela.contacts.choices import CustomFieldType, Entity, LifecycleStage
from clientela.contacts.models import Company, Consent, Contact, CustomField, Merge, Tag
from clientela.contacts.normalize import fold, name_key
from clientela.core.exceptions import Forbidden, NotFound
from clientela.core.numbers import DB_INT_MAX, bounded_int


def contacts_visible_to(user: User, *, deleted: bool = False) -> QuerySet[Contact]:
    """Contacts the user may see (in the trash when `deleted`)."""
    qs = Contact.objects.filter(deleted_at__isnull=not deleted)
    scope = owner_scope(user)
    return qs if scope is None else qs.filter(scope)


def companies_visible_to(user: User, *, deleted: bool = False) -> QuerySet[Company]:
    """Companies the user may see (in the trash when `deleted`)."""
    qs = Company.objects.filter(deleted_at__isnull=not deleted)
    scope = owner_scope(user)
    return qs if scope is None else qs.filter(scope)


def _check_write(user: User) -> None:
    if not has_capability(user, "contacts.write"):
        raise Forbidden(_("Your role can only read records."))


def get_contact_for_user(
    user: User, contact_id: Any, *, write: bool = False, deleted: bool = False
) -> Contact:
    """One contact the user may see (or write); NotFound when it is not theirs to see."""
    try:
        contact = (
            contacts_visible_to(user, deleted=deleted)
            .select_related("owner", "company", "created_by")
            .get(pk=int(contact_id))
        )
    except (Contact.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("Contact not found.")) from exc
    if write:
        _check_write(user)
    return contact


# A merged-away contact whose survivor was merged again is followed this many times at most.
MAX_MERGE_HOPS = 10


def survivor_for_user(user: User, contact_id: Any) -> int | None:
    """Return the live contact a merged-away contact lives on in, when the user may see both.

    Old links to a merged contact lead to its survivor instead of a 404, but only for someone
    who may see the merged contact (in the trash) and the survivor: others learn nothing.
    """
    current = bounded_int(contact_id, minimum=1)
    for _hop in range(MAX_MERGE_HOPS):
        if current is None:
            return None
        current = (
            contacts_visible_to(user, deleted=True)
            .filter(pk=current)
            .values_list("merged_into_id", flat=True)
            .first()
        )
        if current is not None and contacts_visible_to(user).filter(pk=current).exists():
            return current
    return None


def get_company_for_user(
    user: User, company_id: Any, *, write: bool = False, deleted: bool = False
) -> Company:
    """One company the user may see (or write); NotFound when it is not theirs to see."""
    try:
        company = (
            companies_visible_to(user, deleted=deleted)
            .select_related("owner")
            .get(pk=int(company_id))
        )
    except (Company.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("Company not found.")) from exc
    if write:
        _check_write(user)
    return company


CONTACT_ORDERINGS = {
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "name": ("last_name", "first_name", "id"),
    "-name": ("-last_name", "-first_name", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
}
COMPANY_ORDERINGS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}


# The largest id a database row can have (64-bit signed); larger numbers match nothing.
MAX_ID = DB_INT_MAX
# Query-string prefixes of custom-field filters: the API's `custom.<key>` and the list form's
# `cf_<key>` (form field names cannot hold a dot).
CUSTOM_FILTER_PREFIXES = ("custom.", "cf_")


@dataclass(frozen=True)
class ContactFilter:
    """A contacts-list filter offered by a higher app (segments: ``?segment=<id>``).

    `parse` reads the query-string value (None: ignore it), `q` turns it into a condition over
    Contact for a user, and `describe` names it in the list ("in segment “VIP”"), or returns
    None when the user may not see what it names.
    """

    param: str
    parse: Callable[[str], Any]
    q: Callable[[Any, Any], Q]
    describe: Callable[[Any, Any], str | None]


_EXTRA_FILTERS: dict[str, ContactFilter] = {}


def register_contact_filter(extra: ContactFilter) -> ContactFilter:
    """Offer a filter on the contacts list, its count, its export and the API (from ready())."""
    _EXTRA_FILTERS[extra.param] = extra
    return extra


def extra_filter_labels(user: User, filters: ContactFilters) -> list[str]:
    """How the registered filters in use read, for the list's heading."""
    labels = []
    for param, value in filters.extra.items():
        extra = _EXTRA_FILTERS.get(param)
        label = extra.describe(user, value) if extra else None
        if label:
            labels.append(label)
    return labels


@dataclass
class ContactFilters:
    """What a contacts list is narrowed by.

    `ContactFilters.from_params` is the one reader of a query string: the list, its count, its
    export and the API list all build their filters with it, so what a user sees is what they
    export. `tag`, `owner` and `company` of 0 match nothing (an unknown tag, an impossible id).
    """

    q: str = ""
    owner: int | None = None
    lifecycle_stage: str = ""
    lead_status: str = ""
    source: str = ""
    tag: int | None = None
    company: int | None = None
    custom: dict[str, str] = field(default_factory=dict)
    # Filters registered by higher apps (register_contact_filter), by query-string name.
    extra: dict[str, Any] = field(default_factory=dict)
    ordering: str = "-created"

    def active(self) -> bool:
        """Whether anything narrows the list."""
        return bool(
            self.q
            or self.owner is not None
            or self.lifecycle_stage
            or self.lead_status
            or self.source
            or self.tag is not None
            or self.company is not None
            or self.custom
            or self.extra
        )

    @classmethod
    def from_params(
        cls, params: Mapping[str, Any], custom_fields: Mapping[str, CustomField] | None = None
    ) -> ContactFilters:
        """Read the filters from a query string; values that are not valid are ignored.

        Names: `q`, `owner`, `lifecycle_stage` (or `stage`), `lead_status`, `source`, `tag`
        (a tag name, case-insensitive; a number is also read as a tag id), `company`,
        `custom.<key>` or `cf_<key>` for custom fields, and `ordering` (or `sort`).
        """
        from clientela.contacts.choices import LeadStatus, LifecycleStage, Source

        def text(*names: str) -> str:
            for name in names:
                value = params.get(name)
                if value:
                    return str(value).strip()
            return ""

        definitions = custom_fields
        if definitions is None:
            # Read the definitions only when a custom filter is asked for (one query saved).
            asked = any(str(name).startswith(CUSTOM_FILTER_PREFIXES) for name in params)
            definitions = custom_fields_for() if asked else {}
        custom: dict[str, str] = {}
        for prefix in CUSTOM_FILTER_PREFIXES:
            for key in definitions:
                value = text(prefix + key)
                if value:
                    custom.setdefault(key, value)
        stage = text("lifecycle_stage", "stage")
        lead_status = text("lead_status")
        source = text("source")
        ordering = text("ordering", "sort")
        extra = {}
        for name, registered in _EXTRA_FILTERS.items():
            raw = text(name)
            parsed = registered.parse(raw) if raw else None
            if parsed is not None:
                extra[name] = parsed
        return cls(
            q=text("q")[:200],
            owner=_record_id(text("owner")),
            lifecycle_stage=stage if stage in LifecycleStage.values else "",
            lead_status=lead_status if lead_status in LeadStatus.values else "",
            source=source if source in Source.values else "",
            tag=_tag_id(text("tag")),
            company=_record_id(text("company")),
            custom=custom,
            extra=extra,
            ordering=ordering if ordering in CONTACT_ORDERINGS else "-created",
        )


def _record_id(value: str) -> int | None:
    """Return an id from a query string: None when absent or no number, 0 when it cannot exist."""
    if not value or not value.isdecimal():
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else 0


def _tag_id(value: str) -> int | None:
    """Return the id of the tag named `value` (or with that id, for links made by older lists).

    None when no tag filter is asked for; 0 when no tag matches, which matches no contact.
    """
    if not value:
        return None
    name = " ".join(value.split())
    found = Tag.objects.filter(name__iexact=name).values_list("id", flat=True).first()
    if found is None and value.isdecimal():
        found = Tag.objects.filter(pk=_record_id(value) or 0).values_list("id", flat=True).first()
    return found or 0


def search_q(text: str) -> Q:
    """Substring search over the folded name/e-mail/phone key (trigram-indexed on PostgreSQL)."""
    q = Q()
    for token in fold(text).split()[:6]:
        q &= Q(search_text__contains=token.lstrip("+"))
    return q


def custom_field_q(definitions: dict[str, CustomField], key: str, value: str) -> Q | None:
    """Return a filter on one custom field value; unknown keys are ignored (allow-list)."""
    definition = definitions.get(key)
    if definition is None or value == "":
        return None
    lookup = f"custom__{key}"
    if definition.field_type == CustomFieldType.BOOLEAN:
        return Q(**{lookup: value.lower() in {"1", "true", "si", "sí", "yes"}})
    if definition.field_type == CustomFieldType.NUMBER:
        try:
            number = float(value.replace(",", "."))
        except ValueError:
            return Q(pk__in=[])
        # "1e400" is inf and "nan" is NaN: neither is JSON, and no stored number equals them.
        return Q(**{lookup: number}) if math.isfinite(number) else Q(pk__in=[])
    if definition.field_type == CustomFieldType.DATE:
        try:
            return Q(**{lookup: date.fromisoformat(value).isoformat()})
        except ValueError:
            return Q(pk__in=[])
    if definition.field_type == CustomFieldType.CHOICE:
        return Q(**{lookup: value})
    return Q(**{f"{lookup}__icontains": value})


def custom_fields_for(entity: str = Entity.CONTACT) -> dict[str, CustomField]:
    """Active custom field definitions by key."""
    return {f.key: f for f in CustomField.objects.filter(entity=entity, is_active=True)}


def filter_contacts(
    user: User, filters: ContactFilters, *, deleted: bool = False
) -> QuerySet[Contact]:
    """Return the visible contacts narrowed and ordered by `filters`."""
    qs = contacts_visible_to(user, deleted=deleted)
    if filters.q:
        qs = qs.filter(search_q(filters.q))
    if filters.owner is not None:
        qs = qs.filter(owner_id=filters.owner)
    if filters.lifecycle_stage:
        qs = qs.filter(lifecycle_stage=filters.lifecycle_stage)
    if filters.lead_status:
        qs = qs.filter(lead_status=filters.lead_status)
    if filters.source:
        qs = qs.filter(source=filters.source)
    if filters.tag is not None:
        qs = qs.filter(tags__id=filters.tag)
    if filters.company is not None:
        qs = qs.filter(company_id=filters.company)
    if filters.custom:
        definitions = custom_fields_for(Entity.CONTACT)
        for key, value in filters.custom.items():
            condition = custom_field_q(definitions, key, value)
            if condition is not None:
                qs = qs.filter(condition)
    for name, value in filters.extra.items():
        registered = _EXTRA_FILTERS.get(name)
        if registered is not None:
            qs = qs.filter(registered.q(user, value))
    return qs.order_by(*CONTACT_ORDERINGS.get(filters.ordering, CONTACT_ORDERINGS["-created"]))


@dataclass(frozen=True)
class CompanyFilters:
    """What a companies list is narrowed by.

    `CompanyFilters.from_params` is the one reader of a query string: the list, its count, its
    export and the API list all build their filters with it, as contacts do with
    `ContactFilters`. `tag` and `owner` of 0 match nothing (an unknown tag, an impossible id).
    """

    q: str = ""
    owner: int | None = None
    tag: int | None = None
    ordering: str = "name"

    def active(self) -> bool:
        """Whether anything narrows the list."""
        return bool(self.q or self.owner is not None or self.tag is not None)

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> CompanyFilters:
        """Read the filters from a query string; values that are not valid are ignored.

        Names: `q`, `owner`, `tag` (a tag name, case-insensitive; a number is also read as a
        tag id) and `ordering` (or `sort`).
        """

        def text(*names: str) -> str:
            for name in names:
                value = params.get(name)
                if value:
                    return str(value).strip()
            return ""

        ordering = text("ordering", "sort")
        return cls(
            q=text("q")[:200],
            owner=_record_id(text("owner")),
            tag=_tag_id(text("tag")),
            ordering=ordering if ordering in COMPANY_ORDERINGS else "name",
        )


def filter_companies(
    user: User, filters: CompanyFilters | None = None, *, deleted: bool = False
) -> QuerySet[Company]:
    """Return the visible companies narrowed and ordered by `filters`."""
    filters = filters or CompanyFilters()
    qs = companies_visible_to(user, deleted=deleted)
    if filters.q:
        qs = qs.filter(search_q(filters.q))
    if filters.owner is not None:
        qs = qs.filter(owner_id=filters.owner)
    if filters.tag is not None:
        qs = qs.filter(tags__id=filters.tag)
    return qs.order_by(*COMPANY_ORDERINGS.get(filters.ordering, COMPANY_ORDERINGS["name"]))


def current_consents(contact: Contact) -> dict[tuple[str, str], Consent]:
    """Return the latest decision per (channel, purpose)."""
    latest: dict[tuple[str, str], Consent] = {}
    for consent in contact.consents.order_by("-recorded_at", "-id"):
        latest.setdefault((consent.channel, consent.purpose), consent)
    return latest


def duplicates_of(user: User, contact: Contact) -> list[tuple[Contact, str]]:
    """Visible contacts that look like the same person, with the reason for each."""
    candidates: dict[int, tuple[Contact, str]] = {}
    base = contacts_visible_to(user).exclude(pk=contact.pk).select_related("company", "owner")
    if contact.email:
        for other in base.filter(email=contact.email)[:20]:
            candidates.setdefault(other.pk, (other, _("same e-mail")))
    if contact.phone:
        for other in base.filter(phone=contact.phone)[:20]:
            candidates.setdefault(other.pk, (other, _("same phone")))
    if contact.company_id and (contact.first_name or contact.last_name):
        key = name_key(contact.first_name, contact.last_name)
        for other in base.filter(company_id=contact.company_id)[:500]:
            if other.pk not in candidates and _similar(
                key, name_key(other.first_name, other.last_name)
            ):
                candidates[other.pk] = (other, _("similar name at the same company"))
    return list(candidates.values())


def _similar(a: str, b: str) -> bool:
    """Names whose folded tokens match closely (handles accents, order and small typos)."""
    from difflib import SequenceMatcher

    return bool(a and b) and (a == b or SequenceMatcher(None, a, b).ratio() >= 0.85)


# What the duplicates page shows of each contact.
DUPLICATE_MEMBER_FIELDS = (
    "first_name", "last_name", "email", "phone", "created_at", "company__name",
    "owner__first_name", "owner__last_name", "owner__username",
)  # fmt: skip


def duplicate_groups(
    user: User, *, live: bool = False, limit: int = 50, members: int = 10
) -> list[dict[str, Any]]:
    """Return groups of at least two visible contacts that look like the same person, largest first.

    Each group: field (email / phone / name), value (its key), count of visible contacts, reason,
    and its first `members` contacts by creation. Reads the precomputed groups (kept current by
    clientela.contacts.duplicates.prepare_duplicates) in two queries whatever the table size, or
    groups the contacts on the spot when `live` (small tables). Either way only contacts the user
    may see are counted and listed. Contacts carry only DUPLICATE_MEMBER_FIELDS.
    """
    if live:
        return live_duplicate_groups(user, limit=limit, members=members)
    from django.db.models import Count, F, Window
    from django.db.models.functions import RowNumber

    from clientela.accounts.queries import owner_scope
    from clientela.contacts.models import DuplicateGroup, DuplicateKind, DuplicateMember

    # 1. Candidates: the largest groups, or those with most members owned by users this user
    # sees (the member's owner is a copy, so step 2 checks every contact again).
    scope = owner_scope(user)
    candidates: QuerySet[Any]
    if scope is None:
        candidates = DuplicateGroup.objects.order_by("-size", "kind", "key").values("id")
    else:
        candidates = (
            DuplicateMember.objects.filter(scope)
            .values("group_id")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .order_by("-n", "group_id")
            .values("group_id")
        )
    # 2. Their members the user may see, still live and still holding the shared value, with
    # the exact count per group and the first few by creation (plain values: no model per row).
    rows = list(
        DuplicateMember.objects.filter(group_id__in=candidates[: 2 * limit])
        .filter(contact__in=contacts_visible_to(user))
        .filter(
            Q(group__kind=DuplicateKind.NAME)
            | Q(group__kind=DuplicateKind.EMAIL, contact__email=F("group__key"))
            | Q(group__kind=DuplicateKind.PHONE, contact__phone=F("group__key"))
        )
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("group_id")],
                order_by=[F("contact__created_at").asc(), F("contact_id").asc()],
            ),
            total=Window(Count("id"), partition_by=[F("group_id")]),
        )
        .filter(rank__lte=members, total__gt=1)
        .order_by("group_id", "rank")
        .values_list("group_id", "group__kind", "group__key", "total", "contact_id")
    )
    if not rows:
        return []
    # 3. Those contacts, with only what the page shows.
    shown = {
        contact.pk: contact
        for contact in Contact.objects.filter(pk__in=[row[4] for row in rows])
        .select_related("company", "owner")
        .only(*DUPLICATE_MEMBER_FIELDS)
    }
    groups: dict[int, dict[str, Any]] = {}
    for group_id, kind, key, total, contact_id in rows:
        group = groups.setdefault(
            group_id,
            {
                "field": kind,
                "value": key,
                "count": total,
                "reason": DuplicateKind(kind).label,
                "members": [],
            },
        )
        group["members"].append(shown[contact_id])
    ordered = sorted(groups.values(), key=lambda g: (-g["count"], g["field"], g["value"]))
    return ordered[:limit]


def merges_for(contact: Contact) -> QuerySet[Merge]:
    """Return merges into this contact that can still be undone."""
    return Merge.objects.filter(
        entity=Entity.CONTACT, survivor_id=contact.pk, undone_at__isnull=True
    )


def tags_list() -> QuerySet[Tag]:
    """All tags by name."""
    return Tag.objects.order_by("name")


def approximate_row_count(model: type[Contact] | type[Company]) -> int | None:
    """Return the planner's row estimate of a PostgreSQL table (no scan); else None."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [model._meta.db_table],
        )
        row = cursor.fetchone()
    # -1 means the table was never analysed: no estimate to show.
    return int(row[0]) if row and row[0] is not None and row[0] >= 0 else None


def highest_id(model: type[Contact] | type[Company]) -> int:
    """Return the table's highest id (0 when empty): an upper bound on its rows, from the index."""
    from django.db.models import Max

    highest = model.objects.aggregate(highest=Max("pk"))["highest"]
    return int(highest) if highest is not None else 0


def with_visible_contact_counts(user: User, companies: QuerySet[Company]) -> QuerySet[Company]:
    """Annotate `contact_count` with the company's contacts the user may see.

    A correlated subquery rather than a JOIN + GROUP BY, so only the rows of the page are counted.
    """
    from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    counts = (
        contacts_visible_to(user)
        .filter(company=OuterRef("pk"))
        .order_by()
        .values("company")
        .annotate(n=Count("id"))
        .values("n")
    )
    return companies.annotate(
        contact_count=Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))
    )


def live_duplicate_groups(
    user: User, *, limit: int = 50, members: int = 10
) -> list[dict[str, Any]]:
    """duplicate_groups computed from the visible contacts on the spot (small tables only)."""
    from collections import defaultdict
    from itertools import groupby
    from operator import itemgetter

    from django.db.models import Count

    from clientela.contacts.duplicates import name_groups
    from clientela.contacts.models import DuplicateKind

    visible = contacts_visible_to(user).order_by()
    found: list[tuple[int, str, str]] = []
    for kind in (DuplicateKind.EMAIL, DuplicateKind.PHONE):
        shared = (
            visible.exclude(**{str(kind): ""}).values(kind).annotate(n=Count("id")).filter(n__gt=1)
        )
        found.extend((row["n"], str(kind), row[kind]) for row in shared)
    companies = (
        visible.filter(company__isnull=False)
        .values("company_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values("company_id")
    )
    people = (
        visible.filter(company_id__in=companies)
        .order_by("company_id")
        .values_list("company_id", "id", "first_name", "last_name")
    )
    by_name: dict[str, list[int]] = {}
    for company_id, rows in groupby(people, key=itemgetter(0)):
        for key, ids in name_groups(company_id, [(pk, name_key(f, la)) for _c, pk, f, la in rows]):
            by_name[key] = ids
            found.append((len(ids), str(DuplicateKind.NAME), key))
    found.sort(key=lambda row: (-row[0], row[1], row[2]))
    found = found[:limit]
    if not found:
        return []
    keys: dict[str, set[str]] = defaultdict(set)
    for _n, found_kind, key in found:
        keys[found_kind].add(key)
    name_of = {pk: key for key in keys[DuplicateKind.NAME] for pk in by_name[key]}
    grouped: dict[tuple[str, str], list[Contact]] = defaultdict(list)
    for contact in (
        visible.filter(
            Q(email__in=keys[DuplicateKind.EMAIL])
            | Q(phone__in=keys[DuplicateKind.PHONE])
            | Q(pk__in=list(name_of))
        )
        .select_related("company", "owner")
        .order_by("created_at", "id")
    ):
        for kind_of, key in (
            (str(DuplicateKind.EMAIL), contact.email),
            (str(DuplicateKind.PHONE), contact.phone),
            (str(DuplicateKind.NAME), name_of.get(contact.pk, "")),
        ):
            if key in keys[kind_of]:
                grouped[(kind_of, key)].append(contact)
    return [
        {
            "field": kind,
            "value": key,
            "count": n,
            "reason": DuplicateKind(kind).label,
            "members": grouped[(kind, key)][:members],
        }
        for n, kind, key in found
    ]


@dataclass
class StartPage:
    """Hold what a user sees first: the contacts of their scope by lifecycle stage.

    Also the latest ones, and the list filters that open exactly those contacts.
    """

    stages: list[tuple[str, str, int]]
    total: int
    latest: list[Contact]
    scope: str = Visibility.OWN
    # The contacts list's query string for these contacts (one stage's adds `stage`).
    params: dict[str, str] = field(default_factory=dict)


def start_page_filters(user: User) -> ContactFilters:
    """Return the filters of the contacts the start page counts.

    A rep counts his own; a role that sees more counts its whole scope (a manager's team, an
    administrator's every contact).
    """
    if visibility_of(user) == Visibility.OWN:
        return ContactFilters(owner=user.pk)
    return ContactFilters()


def start_page_summary(user: User, latest: int = 8) -> StartPage:
    """Return counts per lifecycle stage of the start page's contacts, and the newest ones."""
    filters = start_page_filters(user)
    counted = filter_contacts(user, filters)
    counts = {
        row["lifecycle_stage"]: row["n"]
        for row in counted.order_by().values("lifecycle_stage").annotate(n=Count("id"))
    }
    stages = [(value, str(label), counts.get(value, 0)) for value, label in LifecycleStage.choices]
    newest = list(counted.select_related("company").order_by("-created_at", "-id")[:latest])
    return StartPage(
        stages=stages,
        total=sum(counts.values()),
        latest=newest,
        scope=visibility_of(user) or Visibility.OWN,
        params={"owner": str(filters.owner)} if filters.owner is not None else {},
    )


def may_import(user: User) -> bool:
    """Whether the user may import records (the import screens refuse anyone else)."""
    return has_capability(user, "contacts.import")


def events_in_scope(user: User) -> Q:
    """Return the filter on events a reader with a narrower scope may see.

    None about contacts or companies outside the scope (registered as the audit log's scope).
    """
    return (Q(contact__isnull=True) | Q(contact__in=contacts_visible_to(user).values("pk"))) & (
        Q(company__isnull=True) | Q(company__in=companies_visible_to(user).values("pk"))
    )
