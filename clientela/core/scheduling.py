"""Periodic work: apps register schedules; one scheduler loop enqueues what is due.

Durable state lives in the ScheduleState table, and each due run is claimed with a conditional
UPDATE, so several scheduler processes never enqueue the same run twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone


@dataclass(frozen=True)
class Schedule:
    """A named piece of periodic work: a dotted path to a function taking no arguments."""

    name: str
    func: str
    every: timedelta | None = None
    daily_at: time | None = None

    def next_after(self, moment: datetime) -> datetime:
        """Return the first run strictly after `moment`."""
        if self.every is not None:
            return moment + self.every
        assert self.daily_at is not None, "a schedule needs `every` or `daily_at`"
        zone = ZoneInfo(settings.TIME_ZONE)
        local = moment.astimezone(zone)
        candidate = datetime.combine(local.date(), self.daily_at, tzinfo=zone)
        if candidate <= local:
            candidate = datetime.combine(
                local.date() + timedelta(days=1), self.daily_at, tzinfo=zone
            )
        return candidate


REGISTRY: dict[str, Schedule] = {}


def register(schedule: Schedule) -> Schedule:
    """Add a schedule (call from an AppConfig.ready)."""
    REGISTRY[schedule.name] = schedule
    return schedule


def run_due(now: datetime | None = None) -> list[str]:
    """Enqueue every schedule whose time has come; return their names."""
    from clientela.core.models import ScheduleState
    from clientela.core.tasks import run_scheduled

    now = now or timezone.now()
    enqueued: list[str] = []
    for schedule in REGISTRY.values():
        state, _created = ScheduleState.objects.get_or_create(
            name=schedule.name,
            defaults={"next_run_at": schedule.next_after(now - timedelta(seconds=1))},
        )
        if state.next_run_at > now:
            continue
        with transaction.atomic():
            claimed = ScheduleState.objects.filter(
                pk=state.pk, next_run_at=state.next_run_at
            ).update(next_run_at=schedule.next_after(now), last_enqueued_at=now)
            if claimed == 1:
                transaction.on_commit(partial(run_scheduled.enqueue, schedule.name))
                enqueued.append(schedule.name)
    return enqueued
