"""Background tasks of the core: running a registered schedule."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import TaskResultStatus, task

from clientela.core.compiled import CompiledQuery


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
    if settings.TASKS_BACKEND_NAME == "database" and _waiting(name).first() is not None:
        return
    run_scheduled.enqueue(name)


# Per schedule name, the look-up of a run of it waiting to start, compiled once per process: a
# public form post asks it once per request, and Django's compilation of the JSON path and
# the filters cost several times the database's work (decision 126).
_WAITING: dict[str, CompiledQuery] = {}


def _waiting(name: str) -> CompiledQuery:
    found = _WAITING.get(name)
    if found is None:
        found = _WAITING[name] = CompiledQuery(lambda: _waiting_runs(name), ())
    return found


def _waiting_runs(name: str) -> QuerySet[Any]:
    """Return the runs of schedule `name` ready to start (django-tasks-db's `ready()`).

    Its clock is the database's (`Now()`), so the compiled SQL holds no moment of its own.
    """
    from django_tasks_db.models import DBTaskResult, get_date_max

    return (
        DBTaskResult.objects.filter(
            status=TaskResultStatus.READY,
            task_path=run_scheduled.module_path,
            args_kwargs__args__0=name,
        )
        .filter(Q(run_after=get_date_max()) | Q(run_after__lte=Now()))
        .values_list("pk")[:1]
    )
