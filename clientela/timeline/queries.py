"""Reads over events: the audit log (filtered, keyset-paginated)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from typing import Any

from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import FieldDoesNotExist
from django.db.models import DateField, DateTimeField, Q, QuerySet
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from clientela.accounts.choices import Visibility
from clientela.accounts.models import User
from clientela.accounts.queries import has_capability, visibility_of
from clientela.core.events import (
    RECORD_TYPES,
    DataKind,
    data_key,
    humanize_key,
    verb_label,
    via_label,
)
from clientela.core.models import Job
from clientela.timeline.models import Event

AUDIT_PAGE_SIZE = 50
JOB_TYPE = "core.job"


def record_type_choices() -> list[tuple[str, str]]:
    """(target_type, label) of the registered record types, for the audit log's filter."""
    labels = []
    for target_type in RECORD_TYPES:
        try:
            model = apps.get_model(target_type)
        except (LookupError, ValueError):
            continue
        labels.append((target_type, str(model._meta.verbose_name).capitalize()))
    return sorted(labels, key=lambda pair: pair[1])


# How far a reader with a narrower scope than "all records" sees events: each app whose
# records events point at registers a filter (contacts: events of contacts and companies
# outside the reader's scope are left out).
AUDIT_SCOPES: list[Callable[[User], Q]] = []


def register_audit_scope(scope: Callable[[User], Q]) -> None:
    """Narrow the audit log for readers who do not see every record (from ready())."""
    if scope not in AUDIT_SCOPES:
        AUDIT_SCOPES.append(scope)


def can_read_audit_log(user: User | AnonymousUser) -> bool:
    """Whether the role reads the audit log (capability timeline.view_audit_log)."""
    return has_capability(user, "timeline.view_audit_log")


@dataclass
class AuditFilters:
    """What the audit log is narrowed by."""

    actor: int | None = None
    verb: str = ""
    record_type: str = ""
    record_id: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def as_query(self) -> dict[str, str]:
        """Return the filters as query-string parameters (for links and the CSV export)."""
        pairs = {
            "actor": str(self.actor or ""),
            "verb": self.verb,
            "record_type": self.record_type,
            "record_id": self.record_id,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }
        return {k: v for k, v in pairs.items() if v}


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_events(user: User, filters: AuditFilters) -> QuerySet[Event]:
    """Events the user may read in the audit log, newest first, narrowed by `filters`.

    Readers with "all records" visibility see every event; a reader with a narrower scope
    (a Manager role an administrator restricted) does not see events of contacts and
    companies outside that scope.
    """
    if not can_read_audit_log(user):
        return Event.objects.none()
    qs = Event.objects.select_related("actor").order_by("-created_at", "-id")
    if visibility_of(user) != Visibility.ALL:
        for scope in AUDIT_SCOPES:
            qs = qs.filter(scope(user))
    if filters.actor:
        qs = qs.filter(actor_id=filters.actor)
    if filters.verb:
        qs = qs.filter(verb=filters.verb)
    if filters.record_type:
        qs = qs.filter(target_type=filters.record_type)
        if filters.record_id:
            qs = qs.filter(target_id=filters.record_id)
    if filters.date_from:
        qs = qs.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(created_at__lt=_day_start(filters.date_to + dt.timedelta(days=1)))
    return qs


def encode_cursor(event: Event) -> str:
    """Return a keyset position after `event` (its timestamp and id)."""
    return f"{event.created_at.isoformat()}_{event.pk}"


def decode_cursor(raw: str) -> tuple[dt.datetime, int] | None:
    """Parse a cursor; None when it is missing or malformed."""
    try:
        stamp, pk = raw.rsplit("_", 1)
        when = dt.datetime.fromisoformat(stamp.replace(" ", "+"))
        return (when if timezone.is_aware(when) else timezone.make_aware(when)), int(pk)
    except (ValueError, AttributeError):
        return None


@dataclass
class AuditPage:
    """One page of the audit log and the cursor of the next one."""

    events: list[Event]
    next_cursor: str | None
    rows: list[dict[str, Any]] = field(default_factory=list)


def audit_page(
    user: User, filters: AuditFilters, cursor: str = "", size: int = AUDIT_PAGE_SIZE
) -> AuditPage:
    """Return a page of events after `cursor` (keyset: stays fast however large the table grows)."""
    qs = audit_events(user, filters)
    position = decode_cursor(cursor) if cursor else None
    if position:
        when, pk = position
        qs = qs.filter(Q(created_at__lt=when) | Q(created_at=when, id__lt=pk))
    events = list(qs[: size + 1])
    more = len(events) > size
    events = events[:size]
    rows = describe_events(events)
    return AuditPage(
        events=events,
        next_cursor=encode_cursor(events[-1]) if more and events else None,
        rows=rows,
    )


def iter_audit_events(user: User, filters: AuditFilters) -> Iterator[Event]:
    """Every matching event, streamed in chunks (for the CSV export)."""
    return audit_events(user, filters).iterator(chunk_size=2000)


def iter_audit_rows(
    user: User, filters: AuditFilters, chunk: int = 2000
) -> Iterator[dict[str, Any]]:
    """Describe every matching event (describe_events), streamed in chunks for the CSV export."""
    events = iter_audit_events(user, filters)
    while batch := list(islice(events, chunk)):
        yield from describe_events(batch)


def describe_events(events: list[Event]) -> list[dict[str, Any]]:
    """Describe many events (describe_event).

    A job is named in the reader's language (the name stored with the event is in its
    creator's), with one query for all of them.
    """
    rows = [describe_event(e) for e in events]
    job_ids = {
        int(e.target_id) for e in events if e.target_type == JOB_TYPE and e.target_id.isdigit()
    }
    if job_ids:
        names = {job.pk: job.display_title for job in Job.objects.filter(pk__in=job_ids)}
        for row in rows:
            event = row["event"]
            if event.target_type == JOB_TYPE and event.target_id.isdigit():
                row["record"] = names.get(int(event.target_id), row["record"])
    return rows


@lru_cache(maxsize=512)
def _field_info(
    target_type: str, name: str, language: str | None
) -> tuple[str, dict[Any, str], str | None]:
    """Return a model field's label, its choice labels and the kind of its values.

    ("", {}, None) when `name` is no field of the record type; `language` only keys the cache.
    """
    try:
        model_field = apps.get_model(target_type)._meta.get_field(name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return "", {}, None
    choices = {value: str(label) for value, label in (getattr(model_field, "choices", None) or [])}
    kind = (
        DataKind.MOMENT
        if isinstance(model_field, DateTimeField)
        else DataKind.DATE
        if isinstance(model_field, DateField)
        else None
    )
    return str(capfirst(getattr(model_field, "verbose_name", name))), choices, kind


def _moment(value: Any) -> str | None:
    """Format an ISO date and time in the reader's time zone; None when it is not one."""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _day(value: Any) -> str | None:
    """Format an ISO date in the reader's format; None when it is not one."""
    try:
        return formats.date_format(dt.date.fromisoformat(str(value)), "SHORT_DATE_FORMAT")
    except ValueError:
        return None


def _text(value: Any, choices: Mapping[Any, Any] | None = None, kind: str = DataKind.TEXT) -> str:
    """Return a stored value as people read it: choices by label, moments in their zone."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, list):
        return ", ".join(_text(v, choices, kind) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{humanize_key(str(k))}: {_text(v)}" for k, v in value.items())
    if kind == DataKind.VIA:
        return via_label(str(value))
    if choices and isinstance(value, str | int) and value in choices:
        return str(choices[value])
    if kind == DataKind.MOMENT:
        return _moment(value) or str(value)
    if kind == DataKind.DATE:
        return _day(value) or str(value)
    return str(value)


def _implied_kind(name: str) -> str:
    """Guess the kind of value an unregistered key holds, by our models' naming convention."""
    if name.endswith("_at"):
        return DataKind.MOMENT
    if name.endswith("_on") or name == "birthday":
        return DataKind.DATE
    if name == "via" or name.endswith("_via"):
        return DataKind.VIA
    return DataKind.TEXT


def _detail(event: Event, name: str, language: str | None) -> tuple[str, dict[Any, Any], str]:
    """(label, choices, kind) of one data key; label "" for a key never shown."""
    key = data_key(event.verb, name)
    if key is not None and key.hidden:
        return "", {}, DataKind.HIDDEN
    field_label, field_choices, field_kind = _field_info(event.target_type, name, language)
    label = str(capfirst(key.label)) if key is not None and key.label else field_label
    choices = dict(key.choices) if key is not None and key.choices else field_choices
    kind = key.kind if key is not None else field_kind or _implied_kind(name)
    if not label and name.endswith("_id"):
        return "", {}, DataKind.HIDDEN  # a technical id nobody labelled
    return label or humanize_key(name), choices, kind


def describe_event(event: Event) -> dict[str, Any]:
    """Return the readable pieces of an event: its verb, record type and details.

    Every key is labelled in the reader's language (through the data-key registry); ids are
    left out.
    """
    data = event.data if isinstance(event.data, dict) else {}
    details: list[tuple[str, str, str | None]] = []
    language = get_language()
    for name, value in data.items():
        if name == "changes" and isinstance(value, dict):
            for field_name, pair in value.items():
                label, choices, kind = _detail(event, field_name, language)
                if kind == DataKind.HIDDEN:
                    continue
                old, new = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
                details.append((label, _text(old, choices, kind), _text(new, choices, kind)))
            continue
        label, choices, kind = _detail(event, name, language)
        if kind != DataKind.HIDDEN:
            details.append((label, _text(value, choices, kind), None))
    try:
        type_label = str(apps.get_model(event.target_type)._meta.verbose_name)
    except (LookupError, ValueError):
        type_label = event.target_type
    return {
        "event": event,
        "verb": verb_label(event.verb),
        "via": via_label(event.via),
        "type_label": type_label,
        "record": event.target_repr or event.target_id,
        "details": details,
    }
