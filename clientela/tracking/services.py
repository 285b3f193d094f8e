"""Tracking's writers: sites, the ingest of event batches, identifying a visitor, the purge."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.contacts.models import Contact
from clientela.core.compiled import prepared_cursor
from clientela.core.events import Via, diff_fields, record_event
from clientela.core.exceptions import Forbidden, ValidationFailed
from clientela.tracking.choices import ConsentMode, EventKind, TrackingVerb
from clientela.tracking.ingest import VISITOR_KEY, IncomingEvent
from clientela.tracking.models import Event, TrackedSite, Visitor
from clientela.tracking.queries import IngestSite, forget_cached_sites, may_manage_sites

SITE_FIELDS = ("name", "allowed_origins", "consent_mode", "is_active")
MAX_ORIGINS = 20


# --- Sites ---------------------------------------------------------------------------------


def _origin_lines(raw: str) -> list[str]:
    """Return the origins of a text (one per line), or raise with the first bad line."""
    origins: list[str] = []
    check = URLValidator(schemes=["http", "https"])
    for line in raw.splitlines():
        origin = line.strip().rstrip("/")
        if not origin:
            continue
        try:
            check(origin)
        except DjangoValidationError:
            origin = ""
        scheme, _sep, rest = origin.partition("://")
        if not origin or "/" in rest or "?" in rest or "#" in rest or "@" in rest:
            raise ValidationFailed(
                {
                    "allowed_origins": _(
                        "“%(line)s” is not an origin: write the scheme and host only, such as "
                        "https://www.example.co"
                    )
                    % {"line": line.strip()[:100]}
                }
            )
        origins.append(f"{scheme.lower()}://{rest.lower()}")
    if not origins:
        raise ValidationFailed({"allowed_origins": _("Enter at least one origin.")})
    if len(origins) > MAX_ORIGINS:
        raise ValidationFailed(
            {"allowed_origins": _("Enter at most %(max)d origins.") % {"max": MAX_ORIGINS}}
        )
    return list(dict.fromkeys(origins))


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    name = str(data.get("name") or "").strip()
    if not name:
        raise ValidationFailed({"name": _("This field is required.")})
    mode = str(data.get("consent_mode") or "")
    if mode not in ConsentMode.values:
        raise ValidationFailed({"consent_mode": _("Select a valid choice.")})
    return {
        "name": name[:120],
        "allowed_origins": "\n".join(_origin_lines(str(data.get("allowed_origins") or ""))),
        "consent_mode": mode,
        "is_active": bool(data.get("is_active", True)),
    }


def _require_manage(actor: User) -> None:
    if not may_manage_sites(actor):
        raise Forbidden(_("You may not manage tracked websites."))


def create_site(*, actor: User, data: Mapping[str, Any]) -> TrackedSite:
    """Create a tracked site with a fresh public key (audit event site_created)."""
    _require_manage(actor)
    values = _clean(data)
    with transaction.atomic():
        site = TrackedSite.objects.create(created_by=actor, **values)
        record_event(TrackingVerb.SITE_CREATED, actor=actor, target=site, data=values)
    transaction.on_commit(forget_cached_sites)
    return site


def update_site(site: TrackedSite, *, actor: User, data: Mapping[str, Any]) -> TrackedSite:
    """Change a tracked site's name, origins, consent mode or state (audit event site_changed)."""
    _require_manage(actor)
    values = _clean(data)
    with transaction.atomic():
        locked = TrackedSite.objects.select_for_update().get(pk=site.pk)
        before = {name: getattr(locked, name) for name in SITE_FIELDS}
        changes = diff_fields(before, values)
        if changes:
            for name, value in values.items():
                setattr(locked, name, value)
            locked.updated_at = timezone.now()
            locked.save()
            record_event(TrackingVerb.SITE_CHANGED, actor=actor, target=locked, data=changes)
    transaction.on_commit(forget_cached_sites)
    return locked


# --- Ingest --------------------------------------------------------------------------------


def _upsert_visitor(key: str, seen_at: dt.datetime) -> tuple[int, int | None]:
    """Insert the visitor or move its last_seen; return (id, contact id) in one statement.

    On PostgreSQL the conflicting row stays locked until the transaction ends, so a visitor
    being identified meanwhile is seen with its contact (no event is left anonymous).
    """
    table = connection.ops.quote_name(Visitor._meta.db_table)
    moment = connection.ops.adapt_datetimefield_value(seen_at)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, first_seen, last_seen) VALUES (%s, %s, %s) "  # noqa: S608
            "ON CONFLICT (key) DO UPDATE SET last_seen = excluded.last_seen "
            "RETURNING id, contact_id",
            [key, moment, moment],
        )
        row = cursor.fetchone()
    return int(row[0]), (int(row[1]) if row[1] is not None else None)


EVENT_COLUMNS = (
    "site_id", "visitor_id", "contact_id", "kind", "url", "path", "referrer", "cta", "title",
    "occurred_at", "received_at",
)  # fmt: skip


@cache
def _insert_sql(rows: int) -> str:
    """Return the multi-row INSERT of `rows` events (one statement, parameters only).

    Written once per batch size instead of bulk_create: at hundreds of batches a second the
    ORM's per-value preparation was most of a request's time (docs/benchmarks.md).
    """
    table = connection.ops.quote_name(Event._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(name) for name in EVENT_COLUMNS)
    row = "(" + ", ".join(["%s"] * len(EVENT_COLUMNS)) + ")"
    return f"INSERT INTO {table} ({columns}) VALUES " + ", ".join([row] * rows)  # noqa: S608


@cache
def _pg_ingest_sql(binary: bool) -> str:
    """Return the PostgreSQL ingest: the visitor upsert and the batch's rows in ONE statement.

    A data-modifying CTE upserts the visitor (and turns synchronous_commit off for this
    transaction, set_config(..., true) being SET LOCAL); the events come as one array per
    column, unnested. One short statement (its text is the same for every batch) is one round
    trip and its own transaction, against five for BEGIN, upsert, insert and COMMIT.
    """
    quote = connection.ops.quote_name
    visitors, events = quote(Visitor._meta.db_table), quote(Event._meta.db_table)
    arrays = ", ".join(
        f"{'%b' if binary else '%s'}::{kind}[]"
        for kind in (
            "smallint",
            "varchar",
            "varchar",
            "varchar",
            "varchar",
            "varchar",
            "timestamptz",
        )
    )
    columns = ", ".join(quote(name) for name in EVENT_COLUMNS)
    return (
        f"WITH v AS (INSERT INTO {visitors} (key, first_seen, last_seen) "  # noqa: S608
        "VALUES (%s, %s, %s) ON CONFLICT (key) DO UPDATE SET last_seen = excluded.last_seen "
        "RETURNING id, contact_id, set_config('synchronous_commit', 'off', true)) "
        f"INSERT INTO {events} ({columns}) "
        "SELECT %s, v.id, v.contact_id, e.kind, e.url, e.path, e.referrer, e.cta, e.title, "
        f"e.occurred_at, %s FROM v, unnest({arrays}) "
        "AS e(kind, url, path, referrer, cta, title, occurred_at)"
    )


def ingest_events(
    site: IngestSite,
    visitor_key: str,
    events: Sequence[IncomingEvent],
    *,
    received_at: dt.datetime | None = None,
) -> int:
    """Store one validated batch of a visitor's events; return how many were stored.

    All or nothing: the visitor upsert and the rows in one transaction (one statement on
    PostgreSQL). An identified visitor's events carry its contact id directly. Page views are
    telemetry: on PostgreSQL the commit does not wait for the WAL flush, so a crash of the
    database may lose the last fraction of a second of them, never corrupt anything
    (docs/decisions.md, "Tracking ingest").
    """
    now = received_at or timezone.now()
    if connection.vendor == "postgresql":
        # Prepared once per connection, with the arrays in psycopg's binary format (encoded
        # in C; Django's client-side cursor quotes every string in Python) unless queries
        # are being logged (DEBUG, tests counting queries), which use Django's own cursor.
        binary = not connection.queries_logged
        with prepared_cursor(connection) as cursor:
            cursor.execute(
                _pg_ingest_sql(binary),
                [
                    visitor_key, now, now, site.pk, now,
                    [int(e.kind_code) for e in events], [e.url for e in events],
                    [e.path for e in events], [e.referrer for e in events],
                    [e.cta for e in events], [e.title for e in events],
                    [e.occurred_at(now) for e in events],
                ],
            )  # fmt: skip
        return len(events)
    with transaction.atomic():
        visitor_id, contact_id = _upsert_visitor(visitor_key, now)
        received = connection.ops.adapt_datetimefield_value(now)
        rows = [
            (
                site.pk, visitor_id, contact_id, int(event.kind_code), event.url, event.path,
                event.referrer, event.cta, event.title,
                connection.ops.adapt_datetimefield_value(event.occurred_at(now)), received,
            )
            for event in events
        ]  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute(_insert_sql(len(rows)), [value for row in rows for value in row])
    return len(rows)


# --- Identify ------------------------------------------------------------------------------

TOP_PAGES = 5
TOP_CTAS = 3


def _summary(visitor_id: int) -> dict[str, Any]:
    """Count the visitor's anonymous events by path and CTA label (what joins the contact)."""
    pages: Counter[str] = Counter()
    ctas: Counter[str] = Counter()
    first: dt.datetime | None = None
    total = 0
    rows = Event.objects.filter(visitor_id=visitor_id, contact__isnull=True).values_list(
        "kind", "path", "cta", "occurred_at"
    )
    for kind, path, cta, occurred_at in rows.iterator(chunk_size=2000):
        total += 1
        if kind == EventKind.PAGEVIEW:
            pages[path] += 1
        elif kind == EventKind.CLICK:
            ctas[cta or path] += 1
        first = occurred_at if first is None else min(first, occurred_at)
    return {
        "events": total,
        "pageviews": sum(pages.values()),
        "clicks": sum(ctas.values()),
        "pages": [[path, count] for path, count in pages.most_common(TOP_PAGES)],
        "ctas": [[label, count] for label, count in ctas.most_common(TOP_CTAS)],
        "first_at": first.isoformat() if first else None,
    }


def identify_visitor(visitor_id: str, contact: Contact) -> int:
    """Join a visitor (the `clv_id` the form posted as `clientela_visitor`) to a contact.

    Links the visitor, gives its earlier anonymous events the contact, writes ONE timeline
    event on the contact summarising them ("Visitó /precios 3 veces"), and returns how many
    events joined. Later events of the visitor carry the contact directly. An id that is not a
    visitor id joins nothing (0). Calling it again for the same contact with nothing new is a
    no-op. Runs in the caller's transaction when there is one (a savepoint otherwise).
    """
    if not isinstance(visitor_id, str) or not VISITOR_KEY.fullmatch(visitor_id):
        return 0
    now = timezone.now()
    with transaction.atomic():
        pk, _contact = _upsert_visitor(visitor_id, now)
        visitor = Visitor.objects.select_for_update().get(pk=pk)
        summary = _summary(visitor.pk)
        joined = Event.objects.filter(visitor_id=visitor.pk, contact__isnull=True).update(
            contact=contact
        )
        relinked = visitor.contact_id != contact.pk
        if relinked:
            visitor.contact = contact
            visitor.identified_at = now
            visitor.save(update_fields=["contact", "identified_at"])
        if joined or relinked:
            record_event(
                TrackingVerb.VISITOR_IDENTIFIED,
                actor=None,
                target=contact,
                via=Via.SYSTEM,
                contact_id=contact.pk,
                data=summary,
            )
    return joined


# --- Retention -----------------------------------------------------------------------------

PURGE_CHUNK = 10_000


def purge_old_events(*, now: dt.datetime | None = None) -> int:
    """Delete events older than CLIENTELA_TRACK_RETENTION_DAYS, in chunks; return how many.

    Anonymous visitors left without events and unseen for as long go too. Run nightly by the
    scheduler; 0 days keeps everything.
    """
    days = int(str(settings.CLIENTELA.get("TRACK_RETENTION_DAYS") or 0))
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    deleted = 0
    for site_id in TrackedSite.objects.values_list("pk", flat=True):
        # (site, received_at) is indexed: each chunk is found without reading the table.
        while True:
            ids = list(
                Event.objects.filter(site_id=site_id, received_at__lt=cutoff).values_list(
                    "pk", flat=True
                )[:PURGE_CHUNK]
            )
            if not ids:
                break
            deleted += Event.objects.filter(pk__in=ids).delete()[0]
    while True:
        stale = list(
            Visitor.objects.filter(last_seen__lt=cutoff, contact__isnull=True).values_list(
                "pk", flat=True
            )[:PURGE_CHUNK]
        )
        if not stale:
            break
        Visitor.objects.filter(pk__in=stale).delete()
    return deleted
