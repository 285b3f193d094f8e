"""Queueing many e-mails at once stores what queueing them one by one stores, in one INSERT."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.contacts.tests.factories import ContactFactory
from clientela.core.exceptions import ValidationFailed
from clientela.delivery.choices import DeliveryVerb
from clientela.delivery.models import Message
from clientela.delivery.services import queue_email, queue_emails
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db

FIELDS = (
    "channel", "kind", "contact_id", "to_address", "from_address", "reply_to", "subject",
    "html_body", "text_body", "language", "headers", "source", "purpose", "state",
    "queued_by_id", "attempts",
)  # fmt: skip


def _email(n: int, contact: Any, **more: Any) -> dict[str, Any]:
    return {
        "to": f"Ana{n}@Example.co", "subject": f" Hola\r\n {n} ", "html": f"<p>Hola {n}</p>",
        "kind": "delivery.test", "contact": contact, "source": "webforms.form:abc",
        "idempotency_key": f"test:{n}", **more,
    }  # fmt: skip


def _row(message: Message) -> tuple[Any, ...]:
    return tuple(getattr(message, name) for name in FIELDS)


def test_many_at_once_store_the_rows_and_events_one_by_one_stores() -> None:
    contact = ContactFactory.create(email="ana@example.co")
    single = queue_email(**_email(0, contact))
    with CaptureQueriesContext(connection) as queries:
        many = queue_emails([_email(n, contact) for n in range(1, 4)])
    assert [m.pk is not None for m in many] == [True] * 3
    for n, message in enumerate(many, start=1):
        stored = Message.objects.get(pk=message.pk)
        expected = {**dict(zip(FIELDS, _row(single), strict=True))}
        expected.update(to_address=f"ana{n}@example.co", subject=f"Hola {n}",
                        html_body=f"<p>Hola {n}</p>")  # fmt: skip
        expected["text_body"] = single.text_body.replace("0", str(n))
        assert dict(zip(FIELDS, _row(stored), strict=True)) == expected
        assert stored.idempotency_key == f"test:{n}" and stored.message_id != single.message_id
    events = Event.objects.filter(verb=DeliveryVerb.QUEUED).order_by("id")
    assert [e.target_id for e in events] == [str(m.pk) for m in [single, *many]]
    first = events[0]
    assert all(
        (e.data.keys(), e.contact_id, e.via) == (first.data.keys(), first.contact_id, first.via)
        for e in events
    )
    # The key look-up, the savepoint around the INSERT, the events, the segment mark.
    inserts = [q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "delivery')]
    assert len(inserts) == 1


def test_a_used_key_returns_its_message_and_a_key_twice_is_one_message() -> None:
    contact = ContactFactory.create(email="ana@example.co")
    first = queue_email(**_email(1, contact))
    again = queue_emails([_email(1, contact, subject="Otro"), _email(2, contact),
                          _email(2, contact)])  # fmt: skip
    assert again[0].pk == first.pk and again[0].subject == "Hola 1"
    assert again[1] is again[2]
    assert Message.objects.count() == 2
    assert Event.objects.filter(verb=DeliveryVerb.QUEUED).count() == 2
    assert queue_emails([_email(1, contact), _email(2, contact)]) == [first, again[1]]


def test_an_invalid_email_stops_all_unless_told_what_to_do_with_it() -> None:
    contact = ContactFactory.create(email="ana@example.co")
    bad = _email(9, contact, to="no es un correo")
    with pytest.raises(ValidationFailed):
        queue_emails([_email(1, contact), bad])
    assert not Message.objects.exists()
    refused: list[Any] = []
    queued = queue_emails(
        [_email(1, contact), bad, _email(2, contact)],
        on_invalid=lambda email, error: refused.append((email["to"], error.errors)),
    )
    assert [m.to_address for m in queued] == ["ana1@example.co", "ana2@example.co"]
    assert refused and refused[0][0] == "no es un correo" and "to" in refused[0][1]
