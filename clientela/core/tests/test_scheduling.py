"""The scheduler enqueues due work once, even with several loops running."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from clientela.core import scheduling
from clientela.core.models import ScheduleState

pytestmark = pytest.mark.django_db(transaction=True)

CALLS: list[str] = []


def remember() -> None:
    """A schedule target for the tests."""
    CALLS.append("ran")


@pytest.fixture
def only_test_schedule(monkeypatch, settings):
    # django-tasks resets its backends when TASKS changes: run the task in-process.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    monkeypatch.setattr(scheduling, "REGISTRY", {})
    CALLS.clear()
    return scheduling.register(
        scheduling.Schedule(
            "test.remember",
            "clientela.core.tests.test_scheduling.remember",
            every=timedelta(hours=1),
        )
    )


def test_it_computes_the_next_daily_run_in_local_time(settings):
    settings.TIME_ZONE = "America/Bogota"
    nightly = scheduling.Schedule("n", "x.y", daily_at=time(3, 0))
    # 2026-11-23 07:00 UTC is 02:00 in Bogotá: the run is one hour later, same day.
    assert nightly.next_after(datetime(2026, 11, 23, 7, 0, tzinfo=UTC)) == datetime(
        2026, 11, 23, 8, 0, tzinfo=UTC
    )
    # Right after it ran, the next one is tomorrow.
    assert nightly.next_after(datetime(2026, 11, 23, 8, 0, tzinfo=UTC)) == datetime(
        2026, 11, 24, 8, 0, tzinfo=UTC
    )


def test_it_runs_due_work_once(only_test_schedule):
    start = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert scheduling.run_due(start) == []  # first sight: schedule the first run
    state = ScheduleState.objects.get(name="test.remember")
    due = state.next_run_at
    assert scheduling.run_due(due) == ["test.remember"]
    assert CALLS == ["ran"]
    # A second loop looking at the same moment finds nothing left to claim.
    assert scheduling.run_due(due) == []
    assert CALLS == ["ran"]
    assert ScheduleState.objects.get(name="test.remember").next_run_at == due + timedelta(hours=1)


def test_a_wake_up_enqueues_a_run_only_when_none_is_waiting_to_start():
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from clientela.core.tasks import wake_schedule

    wake_schedule("test.woken")
    wake_schedule("test.woken")  # the first run has not started: it will see this caller's rows
    wake_schedule("test.other")
    runs = DBTaskResult.objects.filter(args_kwargs__args__0="test.woken")
    assert runs.count() == 1
    assert DBTaskResult.objects.filter(args_kwargs__args__0="test.other").count() == 1
    # Once the run has started it may have read its rows already: a new wake-up enqueues.
    runs.update(status=TaskResultStatus.RUNNING)
    wake_schedule("test.woken")
    assert runs.count() == 2 and runs.filter(status=TaskResultStatus.READY).count() == 1
    # A run that waits to start later (run_after ahead) is not one that will start now.
    runs.filter(status=TaskResultStatus.READY).update(run_after=timezone.now() + timedelta(hours=1))
    wake_schedule("test.woken")
    assert runs.count() == 3
    wake_schedule("test.woken")
    assert runs.count() == 3
