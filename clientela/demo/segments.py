"""Demo data for story 2: the marketer's birthday segment has people in it.

The marketer builds "En riesgo, con consentimiento de e-mail, compró en los últimos 15 meses,
cumpleaños en los próximos 7 días". Birthdays are drawn at random, so in a demo of a few hundred
customers that week would usually be empty: a few of the customers who meet the other three
conditions get a birthday in the coming week (their birth year kept), counted from the day the
demo is loaded.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from clientela.contacts.models import Contact
from clientela.segments.engine import members
from clientela.segments.registry import Context
from clientela.segments.tree import parse

# The story's segment without its birthday condition.
STORY_TWO_BASE: dict[str, Any] = {
    "all": [
        {"field": "rfm_segment", "op": "in", "value": ["at_risk"]},
        {"field": "consent", "op": "yes", "channel": "email", "purpose": "marketing"},
        {"field": "last_purchase", "op": "in_last_days", "value": 456},
    ]
}
BIRTHDAYS = 5


def _birthday(born: dt.date | None, day: dt.date) -> dt.date:
    """Return the birthday on `day`'s month and day in the year the contact was born (or 1980)."""
    year = born.year if born else 1980
    if (day.month, day.day) == (2, 29):
        day = day - dt.timedelta(days=1)
    return dt.date(year, day.month, day.day)


def seed_story_two_birthdays(*, seed: int, today: dt.date | None = None) -> int:
    """Give up to BIRTHDAYS of the story's customers a birthday in the next 1-6 days."""
    ctx = Context()
    today = today or timezone.localdate()
    candidates = list(
        members(parse(STORY_TWO_BASE), ctx).order_by("pk").values_list("pk", "birthday")
    )
    rng = random.Random(seed)
    chosen = rng.sample(candidates, min(BIRTHDAYS, len(candidates)))
    for offset, (pk, born) in enumerate(chosen):
        day = today + dt.timedelta(days=1 + offset % 6)
        Contact.objects.filter(pk=pk).update(birthday=_birthday(born, day))
    return len(chosen)
