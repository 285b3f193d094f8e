"""Writing timeline and audit events (the only code that creates Event rows).

Apps below the timeline in the stack (accounts) write through clientela.core.events.record_event,
which this app plugs `record_event` into.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone

from clientela.accounts.models import User
from clientela.core.events import Verb, Via, diff_fields, jsonable
from clientela.core.exports import ExportRecord
from clientela.timeline.models import Event

_LISTENERS: list[Callable[[Sequence[Event]], None]] = []
# Events written while `listeners_once()` runs: told to the listeners once, at its end.
_HELD: ContextVar[list[Event] | None] = ContextVar("timeline_held_events", default=None)


def register_event_listener(listener: Callable[[Sequence[Event]], None]) -> None:
    """Call `listener` with every batch of events written, inside the writing transaction.

    For apps that keep derived state about the records events touch (segments mark the
    contacts whose membership may have changed). Listeners must be cheap: one bulk write.
    """
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)


def _written(events: Sequence[Event]) -> None:
    held = _HELD.get()
    if held is not None:
        held.extend(events)
        return
    for listener in _LISTENERS:
        listener(events)


@contextmanager
def listeners_once() -> Iterator[None]:
    """Tell the event listeners about everything written inside, once, when the block ends.

    For a batch writing many kinds of events in one transaction (the form follow-up's tasks,
    assignments and messages): one segment mark for the batch instead of one per statement.
    Use it inside the transaction and only where every event's contact outlives the block:
    events of a savepoint rolled back inside are told all the same (a harmless extra mark).
    Nothing is told when the block raises (its transaction is rolled back).
    """
    if _HELD.get() is not None:  # already inside one: the outer block tells them
        yield
        return
    held: list[Event] = []
    token = _HELD.set(held)
    try:
        yield
    finally:
        _HELD.reset(token)
    if held:
        _written(held)


def build_event(
    verb: str,
    *,
    actor: User | None,
    target: models.Model,
    via: str = Via.UI,
    data: Mapping[str, Any] | None = None,
    contact_id: int | None = None,
    company_id: int | None = None,
    at: datetime | None = None,
) -> Event:
    """Build (without saving) an event about `target`; used for bulk writes.

    `at` dates events that happened before they were recorded (a purchase entered later).
    """
    meta = target._meta
    return Event(
        created_at=at or timezone.now(),
        verb=verb,
        via=via,
        actor=actor if actor is not None and actor.pk else None,
        target_type=f"{meta.app_label}.{meta.model_name}",
        target_id=str(target.pk),
        target_repr=str(target)[:200],
        data=jsonable(dict(data or {})),
        contact_id=contact_id,
        company_id=company_id,
    )


def record_event(
    verb: str,
    *,
    actor: User | None,
    target: models.Model,
    via: str = Via.UI,
    data: Mapping[str, Any] | None = None,
    contact_id: int | None = None,
    company_id: int | None = None,
    at: datetime | None = None,
) -> Event:
    """Append one event to the timeline / audit log."""
    event = build_event(
        verb,
        actor=actor,
        target=target,
        via=via,
        data=data,
        contact_id=contact_id,
        company_id=company_id,
        at=at,
    )
    event.save()
    _written([event])
    return event


def record_events(events: Iterable[Event]) -> None:
    """Append many prepared events in one statement."""
    written = list(events)
    Event.objects.bulk_create(written, batch_size=1000)
    _written(written)


def notify_written(events: Sequence[Event]) -> None:
    """Tell the listeners about events a caller wrote itself with `insert_from` (in one call).

    For a hot path that writes one event per statement (delivery's answers): call it once per
    batch, before and after the batch's writes, so a listener never misses one of them.
    """
    if events:
        _written(events)


def insert_from(event: Event, source: str, vendor_connection: Any) -> tuple[str, list[Any]]:
    """Return SQL inserting `event` once per row of `source`, and its parameters.

    `source` names a common table expression of the caller's own statement, so the event is
    written in the same statement (the same implicit transaction) as the caller's change and
    only when that change matched a row: `WITH done AS (UPDATE … RETURNING id), e AS (<this>)`.
    The columns and values come from the model's fields, as `Event.save()` would write them.
    """
    key = (source, vendor_connection.vendor)
    made = _INSERTS.get(key)
    if made is None:
        made = _INSERTS[key] = _insert_sql(source, vendor_connection.ops.quote_name)
    sql, fields = made
    params = [f.get_db_prep_save(getattr(event, f.attname), vendor_connection) for f in fields]
    return sql, params


# insert_from's SQL and fields per (source, database vendor): the same for every event.
_INSERTS: dict[tuple[str, str], tuple[str, tuple[Any, ...]]] = {}


def _insert_sql(source: str, quote: Callable[[str], str]) -> tuple[str, tuple[Any, ...]]:
    fields = tuple(f for f in Event._meta.concrete_fields if not f.primary_key)
    columns = ", ".join(quote(f.column) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    table = quote(Event._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) SELECT {values} FROM {source}"  # noqa: S608 - names from the model
    return sql, fields


class EventsAlike:
    """Build and write, one statement each, many events of one verb about one record type.

    A hot path (delivery's answers) writes one event per statement with `insert_from`, which
    would prepare every column's value again for each event. Here the columns that are the same
    for every event (verb, via, actor, record type, company) are prepared once, when this is
    made; `build` makes an event's varying columns only (when, contact, record id and label,
    data) and returns the Event (for `notify_written`) with the parameters of `self.sql`,
    equal to `build_event` + `insert_from`'s.
    """

    VARYING = ("created_at", "contact_id", "target_id", "target_repr", "data")

    def __init__(
        self,
        verb: str,
        *,
        model: type[models.Model],
        source: str,
        vendor_connection: Any,
        via: str = Via.UI,
        actor: User | None = None,
        company_id: int | None = None,
    ) -> None:
        meta = model._meta
        prototype = Event(
            verb=verb,
            via=via,
            actor=actor if actor is not None and actor.pk else None,
            target_type=f"{meta.app_label}.{meta.model_name}",
            company_id=company_id,
        )
        self.sql = insert_from(prototype, source, vendor_connection)[0]
        fields = _INSERTS[(source, vendor_connection.vendor)][1]
        self._connection = vendor_connection
        concrete = Event._meta.concrete_fields
        # Event(*values) in the model's field order (the fast way Django builds an instance).
        self._values = [getattr(prototype, f.attname) for f in concrete]
        self._values[0] = None  # the primary key: the database gives it
        self._slot = {f.attname: i for i, f in enumerate(concrete)}
        self._params = [
            None
            if f.attname in self.VARYING
            else f.get_db_prep_save(getattr(prototype, f.attname), vendor_connection)
            for f in fields
        ]
        self._varying = [
            (i, f, self._slot[f.attname]) for i, f in enumerate(fields) if f.attname in self.VARYING
        ]

    def build(
        self,
        *,
        target: models.Model,
        data: Mapping[str, Any],
        contact_id: int | None,
        at: datetime | None = None,
    ) -> tuple[Event, list[Any]]:
        """Return the event about `target` and the parameters that insert it."""
        values = self._values.copy()
        slot = self._slot
        values[slot["created_at"]] = at or timezone.now()
        values[slot["contact_id"]] = contact_id
        values[slot["target_id"]] = str(target.pk)
        values[slot["target_repr"]] = str(target)[:200]
        values[slot["data"]] = jsonable(dict(data))
        params = self._params.copy()
        connection = self._connection
        for index, field, at_slot in self._varying:
            params[index] = field.get_db_prep_save(values[at_slot], connection)
        # Positional values in field order, as the ORM builds rows (through a plain callable:
        # django-stubs' plugin checks `Event(*values)` differently with and without its cache).
        make: Callable[..., Event] = Event
        return make(*values), params


def record_export(export: ExportRecord) -> Event:
    """Record the audit event of one export (core.exports calls it in the export's transaction)."""
    return record_event(
        Verb.EXPORTED,
        actor=export.actor,
        target=export.job,
        via=export.via,
        data={
            "entity": export.kind,
            "format": export.fmt,
            "rows": export.rows,
            "filters": dict(export.filters),
        },
    )


__all__ = [
    "EventsAlike",
    "build_event",
    "diff_fields",
    "insert_from",
    "listeners_once",
    "notify_written",
    "record_event",
    "record_events",
    "record_export",
    "register_event_listener",
]
