"""Creating many tasks and notices at once writes what creating them one by one writes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from clientela.activities import services
from clientela.activities.choices import ActivityKind, ActivityVerb
from clientela.activities.models import Activity, Notification
from clientela.contacts.tests.factories import ContactFactory
from clientela.core.events import Via
from clientela.core.exceptions import ValidationFailed
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db

FIELDS = ("kind", "subject", "notes", "contact_id", "company_id", "owner_id", "due_at",
          "priority", "direction", "source", "created_by_id", "remind_at", "done_at")  # fmt: skip


def test_many_tasks_are_the_rows_and_events_of_one_by_one(personas: Any) -> None:
    contact = ContactFactory.create()
    due = timezone.now() + dt.timedelta(hours=24)
    task = {"owner": personas.rep, "subject": " Llamar  ya ", "due_at": due, "contact": contact,
            "source": "webforms.assignment", "kind": ActivityKind.CALL}  # fmt: skip
    one = services.create_task(**task, actor=None, via=Via.FORM)
    many = services.create_tasks([task, {**task, "owner": personas.rep2}], via=Via.FORM)
    rows = [Activity.objects.values(*FIELDS).get(pk=a.pk) for a in [one, *many]]
    assert rows[1] == rows[0] and rows[2] == {**rows[0], "owner_id": personas.rep2.pk}
    events = list(Event.objects.filter(verb=ActivityVerb.TASK_CREATED).order_by("id"))
    assert [e.target_id for e in events] == [str(a.pk) for a in [one, *many]]
    same = [{k: v for k, v in e.data.items() if k != "activity_id"} for e in events[:2]]
    assert same[0] == same[1] and events[1].data["activity_id"] == many[0].pk
    assert {(e.via, e.contact_id, e.actor_id) for e in events} == {(Via.FORM, contact.pk, None)}


def test_an_invalid_task_creates_none(personas: Any) -> None:
    good = {"owner": personas.rep, "subject": "Llamar"}
    with pytest.raises(ValidationFailed):
        services.create_tasks([good, {**good, "subject": " "}])
    assert not Activity.objects.exists()


def test_many_notices_are_one_by_ones(personas: Any) -> None:
    one = services.notify(personas.rep, "Nuevo prospecto", "Del formulario", url="/contacts/1/")
    [many] = services.notify_many([(personas.rep, "Nuevo prospecto", "Del formulario",
                                    "/contacts/1/")])  # fmt: skip
    fields = ("recipient_id", "title", "body", "url", "read_at")
    assert Notification.objects.values(*fields).get(pk=one.pk) == (
        Notification.objects.values(*fields).get(pk=many.pk)
    )
