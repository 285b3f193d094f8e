"""Background tasks of the core: running a registered schedule."""

from __future__ import annotations

from django.conf import settings
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


def wake_schedule(name: str) -> None:
    """Enqueue a run of schedule `name` now, unless a run of it is already waiting to start.

    With the database queue a waiting run is looked for first (one read instead of one more
    job per call): a run that has not started yet will see everything committed before this
    call, so thousands of form posts a minute wake the worker a few times, not thousands.
    """
    if settings.TASKS_BACKEND_NAME == "database":
        from django_tasks_db.models import DBTaskResult

        waiting = DBTaskResult.objects.ready().filter(
            task_path=run_scheduled.module_path, args_kwargs__args__0=name
        )
        if waiting.exists():
            return
    run_scheduled.enqueue(name)
