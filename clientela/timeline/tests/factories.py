"""Factories for timeline events."""

from __future__ import annotations

import factory

from clientela.timeline.models import Event


class EventFactory(factory.django.DjangoModelFactory[Event]):
    """An event on some record, without an actor unless given (e.g. a verb another app owns)."""

    class Meta:
        model = Event

    verb = "note"
    target_type = "contacts.contact"
    target_id = factory.Sequence(str)
    target_repr = factory.Sequence(lambda n: f"Registro {n}")
