"""The contacts list's ``?segment=<id>`` filter.

The list, its count, its export and the API show a segment's current members (registered
with contacts in SegmentsConfig.ready).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.contacts.queries import ContactFilter
from clientela.core.numbers import DB_INT_MAX
from clientela.segments.engine import NOBODY
from clientela.segments.queries import segment_q, segments_visible_to


def _parse(raw: str) -> int | None:
    """Return a segment id; 0 (matches nothing) for a number no segment can have."""
    if not raw.isdecimal():
        return None
    number = int(raw)
    return number if 0 < number <= DB_INT_MAX else 0


def _q(user: User, segment_id: int) -> Q:
    segment = segments_visible_to(user).filter(pk=segment_id).first() if segment_id else None
    return NOBODY if segment is None else segment_q(segment)


def _describe(user: User, segment_id: int) -> str | None:
    name = segments_visible_to(user).filter(pk=segment_id).values_list("name", flat=True).first()
    return _("in segment “%(name)s”") % {"name": name} if name else None


SEGMENT_FILTER = ContactFilter(param="segment", parse=_parse, q=_q, describe=_describe)
