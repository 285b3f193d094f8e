"""Ready-made segments: audiences the stories need on day one, named in the reader's language.

Apps register them (segments: birthdays and consented e-mail audience; analytics: the 11 RFM
groups and the reactivation cascade) and `ensure_ready_made_segments` creates each once per
installation after migrating. A deleted one is not brought back; a renamed one keeps its name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ReadyMade:
    """A segment every installation starts with: stable code, label, description, conditions."""

    code: str
    label: Promise
    description: Promise
    definition: dict[str, Any]


_READY_MADE: dict[str, ReadyMade] = {}


def register_ready_made(segment: ReadyMade) -> ReadyMade:
    """Offer a ready-made segment (call from an AppConfig.ready)."""
    _READY_MADE[segment.code] = segment
    return segment


def ready_made(code: str) -> ReadyMade | None:
    """Return the ready-made segment registered under `code`, or None."""
    return _READY_MADE.get(code)


def all_ready_made() -> list[ReadyMade]:
    """Every registered ready-made segment, in registration order."""
    return list(_READY_MADE.values())


def ensure_ready_made_segments(**kwargs: Any) -> int:
    """Create the ready-made segments this installation never had; return how many.

    Connected to post_migrate. Rows are created without members: the scheduler's next run
    fills every segment that was never refreshed, so a migration never scans the contacts.
    """
    from clientela.segments.models import Segment

    known = set(Segment.objects.exclude(code="").values_list("code", flat=True))
    missing = [segment for segment in all_ready_made() if segment.code not in known]
    Segment.objects.bulk_create(
        [
            Segment(
                code=segment.code,
                name="",
                description="",
                definition=segment.definition,
            )
            for segment in missing
        ]
    )
    return len(missing)


def register_segments_ready_made() -> None:
    """Register the ready-made segments over contact data (SegmentsConfig.ready)."""
    register_ready_made(
        ReadyMade(
            "birthdays_next_7_days",
            _("Birthdays in the next 7 days"),
            _("Contacts whose birthday falls today or in the next seven days (story 2's offer)."),
            {"all": [{"field": "birthday", "op": "in_next_days", "value": 7}]},
        )
    )
    register_ready_made(
        ReadyMade(
            "email_marketing_consent",
            _("E-mail marketing audience"),
            _("Contacts with an e-mail address whose latest e-mail marketing consent is a grant."),
            {
                "all": [
                    {"field": "email", "op": "is_not_empty"},
                    {"field": "consent", "op": "yes", "channel": "email", "purpose": "marketing"},
                ]
            },
        )
    )
