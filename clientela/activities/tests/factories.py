"""Factories for activities and notifications, and the world the access tests share.

`ActivityFactory` writes a row straight to the table (no event); `EnteredTaskFactory` and
`LoggedActivityFactory` go through the services as `actor` would (checks, timeline event).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import factory
from django.utils import timezone

from clientela.activities import services
from clientela.activities.choices import ActivityKind, Outcome
from clientela.activities.models import Activity, Notification
from clientela.contacts.models import Contact
from clientela.contacts.tests.factories import EnteredContactFactory


class ActivityFactory(factory.django.DjangoModelFactory[Activity]):
    """An open task due tomorrow; `owner` is required."""

    class Meta:
        model = Activity

    kind = ActivityKind.TASK
    subject = factory.Sequence(lambda n: f"Llamar para confirmar la visita {n}")
    due_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=1))


class EnteredTaskFactory(factory.django.DjangoModelFactory[Activity]):
    """A task created through `create_task` by `actor` (required; owner defaults to the actor)."""

    class Meta:
        model = Activity

    subject = factory.Sequence(lambda n: f"Enviar la cotización {n}")

    @classmethod
    def _create(cls, model_class: type[Activity], *args: Any, **data: Any) -> Activity:
        actor = data.pop("actor")
        data.setdefault("owner", actor)
        return services.create_task(actor=actor, **data)


class LoggedActivityFactory(factory.django.DjangoModelFactory[Activity]):
    """A call logged just now through `log_activity` by `actor` about `contact` (both required)."""

    class Meta:
        model = Activity

    kind = ActivityKind.CALL
    subject = "Primera llamada"
    outcome = Outcome.REACHED
    duration_minutes = 5

    @classmethod
    def _create(cls, model_class: type[Activity], *args: Any, **data: Any) -> Activity:
        return services.log_activity(**data)


class NotificationFactory(factory.django.DjangoModelFactory[Notification]):
    """An unread notification; `recipient` is required."""

    class Meta:
        model = Notification

    title = factory.Sequence(lambda n: f"Nuevo lead asignado {n}")
    body = "Ana Pérez (Facebook)"
    url = "/activities/"


@dataclass
class World:
    """Rep's contact with a task and a logged call; rep2's contact with the same."""

    contact: Contact
    task: Activity
    call: Activity
    other_contact: Contact
    other_task: Activity
    notification: Notification


def build_world(personas: Any) -> World:
    """Rep's and rep2's contacts, each with an open task and a logged call; a note for rep."""
    contact = EnteredContactFactory.create(actor=personas.rep)
    other = EnteredContactFactory.create(actor=personas.rep2)
    task = EnteredTaskFactory.create(actor=personas.rep, contact=contact)
    call = LoggedActivityFactory.create(actor=personas.rep, contact=contact)
    other_task = EnteredTaskFactory.create(actor=personas.rep2, contact=other)
    LoggedActivityFactory.create(actor=personas.rep2, contact=other)
    notification = NotificationFactory.create(recipient=personas.rep)
    return World(contact, task, call, other, other_task, notification)
