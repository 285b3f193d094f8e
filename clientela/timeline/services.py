"""Writing timeline and audit events (the only code that creates Event rows)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone

from clientela.core.exports import ExportRecord
from clientela.timeline.choices import Verb, Via
from clientela.timeline.models import Event


def _jsonable(value: Any) -> Any:
    """Make a field value safe to keep in a JSON column."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | set):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, models.Model):
        return str(value)
    return str(value)


def build_event(
    verb: str,
    *,
    actor: Any,
    target: models.Model,
    via: str = Via.UI,
    data: Mapping[str, Any] | None = None,
    contact_id: int | None = None,
    company_id: int | None = None,
    at: datetime | None = None,
) -> Event:
    """Build (without saving) an event about `target`; `at` dates events that happened before
    they were recorded (a purchase entered later). Used for bulk writes."""
    meta = target._meta
    return Event(
        created_at=at or timezone.now(),
        verb=verb,
        via=via,
        actor=actor if getattr(actor, "pk", None) else None,
        target_type=f"{meta.app_label}.{meta.model_name}",
        target_id=str(target.pk),
        target_repr=str(target)[:200],
        data=_jsonable(dict(data or {})),
        contact_id=contact_id,
        company_id=company_id,
    )


def record_event(
    verb: str,
    *,
    actor: Any,
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
    return event


def record_events(events: Iterable[Event]) -> None:
    """Append many prepared events in one statement."""
    Event.objects.bulk_create(list(events), batch_size=1000)


def diff_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Return {field: [old, new]} for the fields whose value changed."""
    return {
        key: [_jsonable(before.get(key)), _jsonable(after.get(key))]
        for key in after
        if _jsonable(before.get(key)) != _jsonable(after.get(key))
    }


def record_export(export: ExportRecord) -> Event:
    """The audit event of one export (core.exports calls it inside the export's transaction)."""
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
