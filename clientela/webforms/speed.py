"""Speed to lead in pure functions: how long leads waited for a rep's first call, e-mail or meeting.

A lead's wait runs from its submission to the first logged call, e-mail or meeting by anyone
on its contact. A lead still waiting counts as waiting "so far" (now - submitted) in the list
of leads past their SLA, but never in the medians: a median of answered leads only, beside
the share answered within the SLA over every lead that is due, says the truth about both.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Lead:
    """One assigned lead: when it came, who has it, from where, its SLA and its first touch."""

    submitted_at: dt.datetime
    owner_id: int | None
    source: str
    sla: dt.timedelta
    first_touch_at: dt.datetime | None = None

    def waited(self, now: dt.datetime) -> dt.timedelta:
        """Return how long the lead waited (so far, when nobody touched it yet)."""
        end = self.first_touch_at or now
        return max(end - self.submitted_at, dt.timedelta(0))

    def breached(self, now: dt.datetime) -> bool:
        """Whether the lead waited (or has been waiting) longer than its SLA."""
        return self.waited(now) > self.sla


@dataclass(frozen=True)
class SpeedRow:
    """The figures of one group (a rep, a source): counts, median and p90 wait, share in SLA."""

    key: Hashable
    leads: int
    answered: int
    median_minutes: float | None
    p90_minutes: float | None
    within_sla: int
    due: int  # answered leads plus waiting ones already past their SLA

    @property
    def within_sla_share(self) -> float | None:
        """Return the share of due leads answered within their SLA (None when none is due)."""
        return self.within_sla / self.due if self.due else None


def percentile(values: Sequence[float], share: float) -> float:
    """Return the nearest-rank percentile of sorted-or-not values (share in 0..1)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def summarise(
    leads: Iterable[Lead], key: Callable[[Lead], Hashable], now: dt.datetime
) -> list[SpeedRow]:
    """Group leads by `key` and measure each group; the slowest median first, unanswered last."""
    groups: dict[Hashable, list[Lead]] = defaultdict(list)
    for lead in leads:
        groups[key(lead)].append(lead)
    rows = []
    for group, members in groups.items():
        answered = [lead for lead in members if lead.first_touch_at is not None]
        minutes = [lead.waited(now).total_seconds() / 60 for lead in answered]
        late_waiting = [
            lead for lead in members if lead.first_touch_at is None and lead.breached(now)
        ]
        rows.append(
            SpeedRow(
                key=group,
                leads=len(members),
                answered=len(answered),
                median_minutes=statistics.median(minutes) if minutes else None,
                p90_minutes=percentile(minutes, 0.9) if minutes else None,
                within_sla=sum(1 for lead in answered if not lead.breached(now)),
                due=len(answered) + len(late_waiting),
            )
        )
    rows.sort(key=lambda row: (row.median_minutes is None, -(row.median_minutes or 0.0)))
    return rows


def past_sla(leads: Iterable[Lead], now: dt.datetime) -> list[Lead]:
    """Return the leads still waiting past their SLA, the longest-waiting first."""
    waiting = [lead for lead in leads if lead.first_touch_at is None and lead.breached(now)]
    return sorted(waiting, key=lambda lead: lead.submitted_at)
