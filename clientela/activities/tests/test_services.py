"""Services of activities: who may do what, the timeline events, versions, notifications."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from clientela.activities import services
from clientela.activities.choices import ActivityKind, ActivityVerb, Outcome
from clientela.activities.models import Activity, Notification
from clientela.activities.tests.factories import (
    ActivityFactory,
    EnteredTaskFactory,
    LoggedActivityFactory,
    NotificationFactory,
)
from clientela.contacts.tests.factories import EnteredContactFactory
from clientela.core.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db


def test_it_creates_a_task_with_its_event_on_the_contacts_timeline(personas: Any) -> None:
    contact = EnteredContactFactory.create(actor=personas.rep)
    due = timezone.now() + dt.timedelta(hours=24)
    task = services.create_task(
        owner=personas.rep, subject="  Llamar   dentro de 24 h ", due_at=due,
        contact=contact, actor=personas.rep,
    )  # fmt: skip
    assert task.subject == "Llamar dentro de 24 h"
    assert task.kind == ActivityKind.TASK and task.done_at is None
    event = Event.objects.get(verb=ActivityVerb.TASK_CREATED)
    assert event.contact_id == contact.pk
    assert event.data["subject"] == "Llamar dentro de 24 h"
    assert event.data["due_at"] == due.isoformat()


def test_it_lets_the_system_give_a_task_and_names_its_source(personas: Any) -> None:
    contact = EnteredContactFactory.create(actor=personas.rep)
    task = services.create_task(
        owner=personas.rep, subject="Llamar dentro de 24 h", contact=contact,
        source="webforms.assignment", actor=None,
    )  # fmt: skip
    assert task.created_by is None and task.source == "webforms.assignment"
    event = Event.objects.get(verb=ActivityVerb.TASK_CREATED)
    assert event.actor is None
    # The system's caller sends its own notification: none is added here.
    assert not Notification.objects.exists()


def test_it_refuses_a_rep_giving_a_task_to_someone_else(personas: Any) -> None:
    with pytest.raises(Forbidden):
        services.create_task(owner=personas.rep2, subject="x", actor=personas.rep)


def test_it_lets_a_manager_give_a_task_and_notifies_the_owner_in_their_language(
    personas: Any,
) -> None:
    personas.rep.language = "es"
    personas.rep.save()
    services.create_task(owner=personas.rep, subject="Visitar el lote", actor=personas.manager)
    note = Notification.objects.get(recipient=personas.rep)
    assert note.title.startswith("Nueva tarea de")
    assert note.body == "Visitar el lote" and note.url == "/activities/"


def test_it_refuses_a_read_only_role(personas: Any) -> None:
    with pytest.raises(Forbidden):
        services.create_task(owner=personas.colleague, subject="x", actor=personas.colleague)


def test_it_refuses_a_task_about_a_contact_the_actor_cannot_see(personas: Any) -> None:
    other = EnteredContactFactory.create(actor=personas.rep2)
    with pytest.raises(NotFound):
        services.create_task(owner=personas.rep, subject="x", contact=other, actor=personas.rep)


def test_it_requires_a_subject_for_a_task(personas: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.create_task(owner=personas.rep, subject="   ", actor=personas.rep)
    assert "subject" in caught.value.errors


def test_it_refuses_an_inactive_owner(personas: Any) -> None:
    personas.rep2.is_active = False
    personas.rep2.save()
    with pytest.raises(ValidationFailed):
        services.create_task(owner=personas.rep2, subject="x", actor=None)


def test_it_logs_a_call_just_now_with_outcome_and_duration(personas: Any) -> None:
    contact = EnteredContactFactory.create(actor=personas.rep)
    before = timezone.now()
    call = services.log_activity(
        kind=ActivityKind.CALL, contact=contact, subject="Primera llamada",
        outcome=Outcome.NO_ANSWER, duration_minutes=2, actor=personas.rep,
    )  # fmt: skip
    assert call.done_at is not None and call.done_at >= before
    assert call.owner == personas.rep
    event = Event.objects.get(verb=ActivityVerb.LOGGED)
    assert event.contact_id == contact.pk and event.data["outcome"] == "no_answer"


def test_it_refuses_logging_a_task_or_a_touch_in_the_future(personas: Any) -> None:
    contact = EnteredContactFactory.create(actor=personas.rep)
    with pytest.raises(ValidationFailed):
        services.log_activity(kind=ActivityKind.TASK, contact=contact, actor=personas.rep)
    with pytest.raises(ValidationFailed) as caught:
        services.log_activity(
            kind=ActivityKind.MEETING, contact=contact, actor=personas.rep,
            done_at=timezone.now() + dt.timedelta(days=1),
        )  # fmt: skip
    assert "done_at" in caught.value.errors


def test_it_refuses_unknown_outcomes_and_endless_calls(personas: Any) -> None:
    contact = EnteredContactFactory.create(actor=personas.rep)
    with pytest.raises(ValidationFailed):
        services.log_activity(kind="call", contact=contact, outcome="maybe", actor=personas.rep)
    with pytest.raises(ValidationFailed):
        services.log_activity(
            kind="call", contact=contact, duration_minutes=10**9, actor=personas.rep
        )
    assert not Activity.objects.exists()


def test_it_completes_reopens_and_completes_twice_harmlessly(personas: Any) -> None:
    task = EnteredTaskFactory.create(actor=personas.rep)
    done = services.complete_activity(task, actor=personas.rep)
    assert done.done_at is not None and done.version == 2
    again = services.complete_activity(done, actor=personas.rep)
    assert again.version == 2
    opened = services.reopen_activity(again, actor=personas.rep)
    assert opened.done_at is None and opened.version == 3
    verbs = list(Event.objects.order_by("id").values_list("verb", flat=True))
    assert verbs == [ActivityVerb.TASK_CREATED, ActivityVerb.COMPLETED, ActivityVerb.REOPENED]


def test_it_refuses_a_stale_version(personas: Any) -> None:
    task = EnteredTaskFactory.create(actor=personas.rep)
    services.update_activity(task, actor=personas.rep, data={"subject": "Otra cosa"})
    with pytest.raises(Conflict):
        services.update_activity(
            task, actor=personas.rep, data={"subject": "Tarde"}, expected_version=1
        )


def test_it_reschedules_and_tells_the_change_on_the_timeline(personas: Any) -> None:
    contact = EnteredContactFactory.create(actor=personas.rep)
    task = EnteredTaskFactory.create(actor=personas.rep, contact=contact)
    new_due = timezone.now() + dt.timedelta(days=3)
    services.update_activity(task, actor=personas.rep, data={"due_at": new_due})
    event = Event.objects.get(verb=ActivityVerb.CHANGED)
    assert list(event.data["changes"]) == ["due_at"]
    assert event.contact_id == contact.pk


def test_it_changes_nothing_and_records_nothing_when_nothing_changed(personas: Any) -> None:
    task = EnteredTaskFactory.create(actor=personas.rep, subject="Igual")
    services.update_activity(task, actor=personas.rep, data={"subject": "Igual"})
    assert not Event.objects.filter(verb=ActivityVerb.CHANGED).exists()


def test_it_lets_only_the_owner_or_an_assigner_change_an_activity(personas: Any) -> None:
    task = EnteredTaskFactory.create(actor=personas.rep)
    with pytest.raises(Forbidden):
        services.complete_activity(task, actor=personas.marketer)
    services.complete_activity(task, actor=personas.manager)


def test_it_hands_a_task_to_another_rep_only_for_an_assigner(personas: Any) -> None:
    task = EnteredTaskFactory.create(actor=personas.rep)
    with pytest.raises(Forbidden):
        services.update_activity(task, actor=personas.rep, data={"owner": personas.rep2})
    services.update_activity(task, actor=personas.manager, data={"owner": personas.rep2})
    task.refresh_from_db()
    assert task.owner == personas.rep2
    assert Notification.objects.filter(recipient=personas.rep2).count() == 1


def test_it_deletes_an_activity_and_keeps_its_events(personas: Any) -> None:
    contact = EnteredContactFactory.create(actor=personas.rep)
    call = LoggedActivityFactory.create(actor=personas.rep, contact=contact)
    services.delete_activity(call, actor=personas.rep)
    assert not Activity.objects.exists()
    assert Event.objects.filter(verb=ActivityVerb.DELETED, contact_id=contact.pk).exists()


def test_it_notifies_with_internal_links_only(personas: Any) -> None:
    note = services.notify(personas.rep, "Nuevo lead", "Ana (Facebook)", url="/contacts/7/")
    assert note.url == "/contacts/7/" and note.read_at is None
    for url in ("https://evil.example/", "//evil.example/", "javascript:alert(1)", "/\\evil"):
        with pytest.raises(ValidationFailed):
            services.notify(personas.rep, "x", url=url)
    assert Notification.objects.count() == 1
    assert not Event.objects.exists()  # the inbox writes no timeline events


def test_it_marks_notifications_read_one_and_all(personas: Any) -> None:
    first, _second, _third = (NotificationFactory.create(recipient=personas.rep) for _ in range(3))
    NotificationFactory.create(recipient=personas.rep2)
    services.mark_read(first, actor=personas.rep)
    assert Notification.objects.filter(recipient=personas.rep, read_at__isnull=True).count() == 2
    with pytest.raises(Forbidden):
        services.mark_read(first, actor=personas.rep2)
    assert services.mark_all_read(actor=personas.rep) == 2
    assert Notification.objects.filter(read_at__isnull=True).count() == 1  # rep2's


def test_it_counts_open_tasks_per_owner(personas: Any) -> None:
    from clientela.activities.queries import open_task_counts

    ActivityFactory.create(owner=personas.rep)
    ActivityFactory.create(owner=personas.rep)
    ActivityFactory.create(owner=personas.rep, done_at=timezone.now())
    ActivityFactory.create(owner=personas.rep2)
    assert open_task_counts() == {personas.rep.pk: 2, personas.rep2.pk: 1}
    assert open_task_counts([personas.rep2.pk, personas.manager.pk]) == {personas.rep2.pk: 1}
