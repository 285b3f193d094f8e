"""Background tasks of the core: running a registered schedule."""

from __future__ import annotations

from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task


@task()
def run_scheduled(name: str) -> str:
    """Run one registered schedule's function in the worker."""
    from clientela.core.models import ScheduleState
    from clientela.core.scheduling import REGISTRY

    schedule = REGISTRY.get(name)
    if schedule is None:
        return f"unknown schedule {name}"
    import_string(schedule.func)()
    ScheduleState.objects.filter(name=name).update(last_finished_at=timezone.now())
    return name
