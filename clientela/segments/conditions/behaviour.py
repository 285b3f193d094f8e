"""Conditions over a contact's web behaviour (the tracking app): pages visited, CTAs clicked.

"Visited a page whose address contains X in the last N days" and "clicked a CTA whose label
contains X in the last N days". Each compiles to a parameterised EXISTS over tracking's event
table, read through its (contact, occurred_at) index; "in the last N days" counts calendar days
in the company's time zone, today included, as the purchase conditions do.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.db.models.lookups import Contains
from django.utils.translation import gettext_lazy as _

from clientela.segments.conditions.base import chunks
from clientela.segments.registry import (
    Condition,
    ConditionSpec,
    Context,
    Kind,
    Param,
    fold,
    register_condition,
)
from clientela.segments.sql import Fold
from clientela.tracking.choices import EventKind
from clientela.tracking.models import Event

BEHAVIOUR = _("Web behaviour")
WINDOW = Param("days", _("In the last … days (empty: ever)"), days=True, required=False)
OPERATORS = ("contains", "not_contains")
# What each condition looks at: the kind of event and the column its text is matched in.
TARGETS = {"visited_url": (EventKind.PAGEVIEW, "url"), "clicked_cta": (EventKind.CLICK, "cta")}


def _window(condition: Condition, ctx: Context) -> tuple[dt.datetime, dt.datetime] | None:
    """Return [start of the first day, start of tomorrow) for "in the last N days", else None."""
    days = condition.params.get("days")
    if days is None:
        return None
    return (
        ctx.start_of(ctx.today - dt.timedelta(days=int(days))),
        ctx.start_of(ctx.today + dt.timedelta(days=1)),
    )


def _compile(condition: Condition, ctx: Context) -> Q:
    kind, column = TARGETS[condition.field]
    events = Event.objects.filter(contact_id=OuterRef("pk"), kind=kind).filter(
        Contains(Fold(column), fold(str(condition.value)))
    )
    window = _window(condition, ctx)
    if window is not None:
        events = events.filter(occurred_at__gte=window[0], occurred_at__lt=window[1])
    return Q(Exists(events))


def _load(ids: Sequence[int], condition: Condition, ctx: Context) -> dict[int, Any]:
    """Each contact's (text, moment) pairs of the condition's kind: the reference path."""
    kind, column = TARGETS[condition.field]
    found: dict[int, list[tuple[str, dt.datetime]]] = defaultdict(list)
    for part in chunks(list(ids)):
        rows = Event.objects.filter(contact_id__in=part, kind=kind).values_list(
            "contact_id", column, "occurred_at"
        )
        for contact_id, text, moment in rows:
            found[contact_id].append((text, moment))
    return {pk: tuple(found.get(pk, ())) for pk in ids}


def _predicate(condition: Condition, value: Any, ctx: Context) -> bool:
    wanted = fold(str(condition.value))
    window = _window(condition, ctx)
    return any(
        wanted in fold(text) and (window is None or window[0] <= moment < window[1])
        for text, moment in value or ()
    )


def _show(value: Any) -> str:
    texts = sorted({text for text, _moment in value or ()})
    return ", ".join(texts[:5]) + (" …" if len(texts) > 5 else "") if texts else "—"


def register_behaviour_conditions() -> None:
    """Register the web behaviour conditions (SegmentsConfig.ready)."""
    for field, label in (
        ("visited_url", _("Visited a page whose address")),
        ("clicked_cta", _("Clicked a call to action whose label")),
    ):
        register_condition(
            ConditionSpec(
                field=field,
                label=label,
                group=BEHAVIOUR,
                kind=Kind.TEXT,
                compile=_compile,
                load=_load,
                operators=OPERATORS,
                params=(WINDOW,),
                predicate=_predicate,
                show=_show,
                time_relative=True,
            )
        )
