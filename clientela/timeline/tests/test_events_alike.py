"""EventsAlike builds the same event and INSERT parameters as build_event + insert_from."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from clientela.contacts.tests.factories import ContactFactory
from clientela.core.events import Via
from clientela.timeline.models import Event
from clientela.timeline.services import EventsAlike, build_event, insert_from

FIELDS = [f.attname for f in Event._meta.concrete_fields]


@pytest.mark.django_db
def test_it_builds_what_build_event_and_insert_from_build():
    contact = ContactFactory.create(first_name="Ana", last_name="<Gómez>")
    at = timezone.now()
    data = {"kind": "x", "n": 3, "when": at, "list": ("a", 1)}
    alike = EventsAlike(
        "delivery.sent", model=type(contact), source="done", vendor_connection=connection,
        via=Via.SYSTEM,
    )  # fmt: skip
    for _ in range(2):  # the prepared columns are not spoilt by a first build
        event, params = alike.build(target=contact, data=data, contact_id=contact.pk, at=at)
        expected = build_event(
            "delivery.sent", actor=None, target=contact, via=Via.SYSTEM, data=data,
            contact_id=contact.pk, at=at,
        )  # fmt: skip
        sql, expected_params = insert_from(expected, "done", connection)
        assert alike.sql == sql
        assert [getattr(event, name) for name in FIELDS] == [
            getattr(expected, name) for name in FIELDS
        ]
        assert [_plain(p) for p in params] == [_plain(p) for p in expected_params]
        assert event.target_id == str(contact.pk) and event.data["list"] == ["a", 1]


@pytest.mark.django_db
def test_its_statement_writes_the_event():
    contact = ContactFactory.create()
    alike = EventsAlike(
        "test.alike", model=type(contact), source="one", vendor_connection=connection
    )
    event, params = alike.build(target=contact, data={"a": 1}, contact_id=contact.pk)
    with connection.cursor() as cursor:
        cursor.execute(f"WITH one AS (SELECT 1 AS x) {alike.sql}", params)
    stored = Event.objects.get(verb="test.alike")
    assert (stored.contact_id, stored.target_id, stored.data) == (
        contact.pk,
        str(contact.pk),
        {"a": 1},
    )
    assert stored.target_type == "contacts.contact" and stored.via == event.via


def _plain(value: object) -> object:
    """A JSON adapter's wrapped value (psycopg's Jsonb has no equality of its own)."""
    return getattr(value, "obj", value)
