"""A deal's own timeline: its events, told by the sentences registered for their verbs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from clientela.core.events import Via, verb_label, verb_spec, via_label
from clientela.deals.models import Deal
from clientela.timeline.models import Event
from clientela.timeline.rendering import Change, Entry, html, who

EVENT_LIMIT = 100


class DealTimeline:
    """What the registered sentences may ask of the record they tell (a RecordTimeline)."""

    @property
    def this(self) -> str:
        """How the deal is named in a sentence."""
        return _("this deal")

    def changes(self, data: Mapping[str, Any]) -> list[Change]:
        """Return no generic changes: the deal's sentences list their own."""
        return []

    def from_merged(self, event: Event) -> bool:
        """Return False: deals are not merged."""
        return False


def deal_timeline(deal: Deal, *, limit: int = EVENT_LIMIT) -> tuple[list[Entry], bool]:
    """Return the deal's events as timeline lines, newest first, and whether some were cut."""
    events = list(
        Event.objects.filter(target_type="deals.deal", target_id=str(deal.pk))
        .select_related("actor")
        .order_by("-created_at", "-id")[: limit + 1]
    )
    truncated = len(events) > limit
    renderer = DealTimeline()
    lines = []
    for event in events[:limit]:
        via = "" if event.via == Via.UI else str(capfirst(via_label(event.via)))
        entry = Entry(event.created_at, event.verb, mark_safe(""), via=via)
        spec = verb_spec(event.verb)
        if (
            spec is not None
            and spec.timeline is not None
            and spec.timeline(renderer, event, entry) is None
        ):
            continue
        if not entry.sentence:
            entry.sentence = html(
                _("%(who)s: %(what)s"), who=who(event.actor), what=verb_label(event.verb)
            )
        lines.append(entry)
    return lines, truncated
