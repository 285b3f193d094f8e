"""Reads: visibility of activities on every path, speed-to-lead's first logged touch."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from clientela.activities.choices import ActivityKind
from clientela.activities.queries import (
    activities_visible_to,
    contact_open_activities,
    first_logged_touch,
    get_activity_for_user,
    task_board,
)
from clientela.activities.tests.factories import ActivityFactory, build_world
from clientela.contacts.tests.factories import ContactFactory
from clientela.core.exceptions import NotFound

pytestmark = pytest.mark.django_db


def test_it_never_shows_a_rep_another_departments_contacts_activities(personas: Any) -> None:
    world = build_world(personas)
    mine = set(activities_visible_to(personas.rep).values_list("pk", flat=True))
    assert world.task.pk in mine and world.call.pk in mine
    assert world.other_task.pk not in mine
    assert not activities_visible_to(personas.rep).filter(contact=world.other_contact).exists()
    with pytest.raises(NotFound):
        get_activity_for_user(personas.rep, world.other_task.pk)
    assert contact_open_activities(personas.rep, world.other_contact.pk) == []
    board = task_board(personas.rep, owner_id=None)
    shown = {a.pk for group in (board.today, board.upcoming, board.done) for a in group}
    assert world.other_task.pk not in shown


def test_it_shows_the_department_and_everyone_by_role(personas: Any) -> None:
    world = build_world(personas)
    colleague = set(activities_visible_to(personas.colleague).values_list("pk", flat=True))
    assert world.task.pk in colleague and world.other_task.pk not in colleague
    assert activities_visible_to(personas.manager).filter(pk=world.other_task.pk).exists()
    assert not activities_visible_to(personas.outsider).exists()


def test_it_shows_an_owner_their_task_about_a_contact_they_cannot_see(personas: Any) -> None:
    hidden = ContactFactory.create(owner=personas.rep2)
    task = ActivityFactory.create(owner=personas.rep, contact=hidden)
    assert get_activity_for_user(personas.rep, task.pk) == task


def test_it_finds_the_first_logged_touch_per_contact_since_a_moment(personas: Any) -> None:
    since = timezone.now() - dt.timedelta(days=2)
    a, b, c, d = (ContactFactory.create() for _ in range(4))
    rep = personas.rep

    def done(contact: Any, hours: float, kind: str = ActivityKind.CALL) -> None:
        ActivityFactory.create(
            owner=rep, contact=contact, kind=kind, done_at=since + dt.timedelta(hours=hours)
        )

    done(a, -5)  # before `since`: ignored
    done(a, 3, ActivityKind.EMAIL)
    done(a, 1)
    done(b, 10, ActivityKind.TASK)  # a task done is no touch
    done(b, 12, ActivityKind.MEETING)
    done(c, 4, ActivityKind.TASK)
    ActivityFactory.create(owner=rep, contact=d, kind=ActivityKind.CALL)  # a planned call
    found = first_logged_touch([a.pk, b.pk, c.pk, d.pk], since)
    assert found == {a.pk: since + dt.timedelta(hours=1), b.pk: since + dt.timedelta(hours=12)}
    per_contact = first_logged_touch(
        [a.pk, b.pk], {a.pk: since + dt.timedelta(hours=2), b.pk: since}
    )
    assert per_contact == {
        a.pk: since + dt.timedelta(hours=3),
        b.pk: since + dt.timedelta(hours=12),
    }
    assert first_logged_touch([], since) == {}
