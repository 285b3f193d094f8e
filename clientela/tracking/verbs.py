"""How tracking's events read on a contact's timeline and in the audit log (TrackingConfig.ready).

The joined history is stored as data (paths and CTA labels with their counts) and told in the
reader's language when the timeline is read: "Visitó /precios 3 veces" / "Visited /pricing 3
times".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from clientela.core.events import HIDDEN, DataKey, DataKind, register_data_keys, register_verbs
from clientela.timeline.models import Event
from clientela.timeline.rendering import Entry, RecordTimeline, html
from clientela.tracking.choices import ConsentMode, TrackingVerb


def _pairs(raw: Any) -> list[tuple[str, int]]:
    """Read [[text, count], ...] from event data, skipping anything malformed."""
    pairs: list[tuple[str, int]] = []
    if isinstance(raw, Sequence) and not isinstance(raw, str):
        for item in raw:
            if (
                isinstance(item, Sequence)
                and len(item) == 2
                and isinstance(item[0], str)
                and isinstance(item[1], int)
            ):
                pairs.append((item[0], item[1]))
    return pairs


def visits_text(data: dict[str, Any]) -> str:
    """Return the joined history as a sentence in the current language (plain text)."""
    pages = ", ".join(
        ngettext("%(path)s %(count)d time", "%(path)s %(count)d times", count)
        % {"path": path, "count": count}
        for path, count in _pairs(data.get("pages"))
    )
    ctas = ", ".join(
        ngettext("“%(label)s” %(count)d time", "“%(label)s” %(count)d times", count)
        % {"label": label, "count": count}
        for label, count in _pairs(data.get("ctas"))
    )
    parts = []
    if pages:
        parts.append(_("Visited %(pages)s") % {"pages": pages})
    if ctas:
        parts.append((_("clicked %(ctas)s") if parts else _("Clicked %(ctas)s")) % {"ctas": ctas})
    if not parts:
        return _("Linked a web visitor with no earlier visits")
    return "; ".join(parts)


def identified_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell the web history that joined the contact when a form identified the visitor."""
    entry.sentence = html("%(text)s", text=visits_text(event.data or {}))
    return entry


def register_tracking_verbs() -> None:
    """Register the verbs, their sentence and how their data keys read."""
    register_verbs(TrackingVerb, timeline={TrackingVerb.VISITOR_IDENTIFIED: identified_entry})
    register_data_keys(
        {
            "events": DataKey(gettext_lazy("Events joined")),
            "pageviews": DataKey(gettext_lazy("Page views")),
            "clicks": DataKey(gettext_lazy("Clicks")),
            "pages": DataKey(gettext_lazy("Most visited pages")),
            "ctas": DataKey(gettext_lazy("Calls to action clicked")),
            "first_at": DataKey(gettext_lazy("First visit"), DataKind.MOMENT),
            "visitor": HIDDEN,
        },
        verbs=[TrackingVerb.VISITOR_IDENTIFIED],
    )
    register_data_keys(
        {
            "name": DataKey(gettext_lazy("Name")),
            "allowed_origins": DataKey(gettext_lazy("Allowed origins")),
            "consent_mode": DataKey(
                gettext_lazy("Visitor cookie"), DataKind.CHOICE, dict(ConsentMode.choices)
            ),
            "is_active": DataKey(gettext_lazy("Active")),
        },
        verbs=[TrackingVerb.SITE_CREATED, TrackingVerb.SITE_CHANGED],
    )
