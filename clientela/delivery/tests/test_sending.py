"""The worker sends through a real SMTP server (aiosmtpd) and records every answer."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from clientela.contacts.tests.factories import ContactFactory
from clientela.delivery.choices import DeliveryVerb, MessageState
from clientela.delivery.models import Message
from clientela.delivery.rendering import contact_values, render_email
from clientela.delivery.services import queue_email
from clientela.delivery.services.sending import backoff, claim_batch, send_batch, send_due
from clientela.delivery.tests.factories import MessageFactory, QueuedEmailFactory
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db


def _welcome(contact):
    rendered = render_email(
        subject="Bienvenida, {{ contacto.nombre|default:'amigo' }}",
        html="<h1>Hola {{ contacto.nombre|default:'amigo' }}</h1><p>Gracias por escribirnos.</p>",
        values=contact_values(contact),
    )
    return queue_email(
        to=contact.email,
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        kind="delivery.test",
        contact=contact,
        language=contact.language,
        headers={"X-Clientela-Kind": "delivery.test"},
    )


def test_it_delivers_both_parts_with_the_message_id_and_personalised_escaped_values(smtp_server):
    contact = ContactFactory.create(first_name="<b>Ana</b>", email="ana@example.co", language="es")
    message = _welcome(contact)

    assert send_due(owner="test") == {"sent": 1, "failed": 0, "deferred": 0, "released": 0}

    [received] = smtp_server.messages
    assert received.recipients == ["ana@example.co"]
    assert received.message["Message-ID"] == message.message_id
    assert received.message["Subject"] == "Bienvenida, <b>Ana</b>"
    assert received.message["Content-Language"] == "es"
    assert received.message["X-Clientela-Kind"] == "delivery.test"
    html = received.part("text/html")
    assert "Hola &lt;b&gt;Ana&lt;/b&gt;" in html and "<b>Ana</b>" not in html
    assert "Hola <b>Ana</b>" in received.part("text/plain")
    message.refresh_from_db()
    assert message.state == MessageState.SENT and message.sent_at is not None
    assert message.smtp_code == 250 and "queued as" in message.smtp_response
    assert message.attempts == 1 and message.lease_owner == "" and message.leased_until is None


def test_it_falls_back_when_the_contact_has_no_name(smtp_server):
    _welcome(ContactFactory.create(first_name="", email="sin-nombre@example.co"))
    send_due(owner="test")
    assert smtp_server.messages[0].message["Subject"] == "Bienvenida, amigo"


def test_it_sends_many_messages_over_one_connection(smtp_server, settings):
    settings.CLIENTELA = {**settings.CLIENTELA, "DELIVERY_BATCH": 4}
    for _ in range(10):
        QueuedEmailFactory.create()
    assert send_due(owner="test")["sent"] == 10
    assert len(smtp_server.messages) == 10
    assert Message.objects.filter(state=MessageState.SENT).count() == 10


def test_it_retries_a_temporary_refusal_later_and_then_sends(smtp_server):
    smtp_server.answer("lento@example.co", "451 4.7.1 Greylisted, try again later")
    message = QueuedEmailFactory.create(to="lento@example.co")

    assert send_due(owner="test")["deferred"] == 1
    message.refresh_from_db()
    assert message.state == MessageState.QUEUED and message.attempts == 1
    assert message.smtp_code == 451 and "Greylisted" in message.last_error
    assert message.next_attempt_at > timezone.now() + timedelta(seconds=30)
    assert smtp_server.messages == []
    # Not due yet: nothing happens until the backoff has passed.
    assert send_due(owner="test")["deferred"] == 0

    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert send_due(owner="test")["sent"] == 1
    message.refresh_from_db()
    assert message.state == MessageState.SENT and message.attempts == 2
    assert len(smtp_server.messages) == 1
    events = Event.objects.filter(target_id=str(message.pk)).order_by("id")
    assert list(events.values_list("verb", flat=True)) == [
        DeliveryVerb.QUEUED,
        DeliveryVerb.SENT,
    ]


def test_it_fails_a_permanent_refusal_with_the_server_reason(smtp_server):
    contact = ContactFactory.create(email="nadie@example.co")
    smtp_server.answer("nadie@example.co", "550 5.1.1 No such user here")
    message = QueuedEmailFactory.create(to="nadie@example.co", contact=contact)
    other = QueuedEmailFactory.create(to="alguien@example.co")

    result = send_due(owner="test")

    assert result["failed"] == 1 and result["sent"] == 1
    message.refresh_from_db()
    assert message.state == MessageState.FAILED and message.smtp_code == 550
    assert "No such user" in message.last_error
    other.refresh_from_db()
    assert other.state == MessageState.SENT
    event = Event.objects.get(verb=DeliveryVerb.FAILED)
    assert event.contact_id == contact.pk and "No such user" in event.data["reason"]


def test_it_gives_up_after_the_maximum_attempts(smtp_server, settings):
    settings.CLIENTELA = {**settings.CLIENTELA, "DELIVERY_MAX_ATTEMPTS": 2}
    smtp_server.answer("lento@example.co", "451 busy", "452 still busy")
    message = QueuedEmailFactory.create(to="lento@example.co")
    send_due(owner="test")
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    send_due(owner="test")
    message.refresh_from_db()
    assert message.state == MessageState.FAILED and message.attempts == 2
    assert message.last_error.startswith("gave up after 2 attempts")


def test_it_defers_everything_when_the_server_cannot_be_reached(settings):
    from clientela.testing.processes import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    messages = [QueuedEmailFactory.create() for _ in range(3)]
    assert send_due(owner="test")["deferred"] == 3
    for message in messages:
        message.refresh_from_db()
        assert message.state == MessageState.QUEUED and message.attempts == 1
        assert "Connection" in message.last_error or "refused" in message.last_error


def test_it_reclaims_a_dead_workers_expired_lease_and_sends_it_once(smtp_server, caplog):
    expired = MessageFactory.create(
        state=MessageState.SENDING,
        attempts=1,
        lease_owner="muerto:1/abc",
        leased_until=timezone.now() - timedelta(seconds=1),
    )
    live = MessageFactory.create(
        state=MessageState.SENDING,
        attempts=1,
        lease_owner="vivo:2/def",
        leased_until=timezone.now() + timedelta(minutes=5),
    )
    with caplog.at_level(logging.WARNING, logger="clientela.delivery"):
        assert send_due(owner="test")["sent"] == 1
    assert "reclaimed 1 message" in caplog.text and "muerto:1/abc" in caplog.text
    expired.refresh_from_db()
    live.refresh_from_db()
    assert expired.state == MessageState.SENT and expired.attempts == 2
    assert live.state == MessageState.SENDING
    assert [m.recipients for m in smtp_server.messages] == [[expired.to_address]]
    assert send_due(owner="test")["sent"] == 0
    assert len(smtp_server.messages) == 1


def test_it_releases_the_rest_of_a_batch_whose_lease_ran_out(smtp_server):
    for _ in range(3):
        QueuedEmailFactory.create()
    batch = claim_batch("test", 10, timedelta(seconds=3))
    result = send_batch(batch)
    assert result.released == 3 and smtp_server.messages == []
    assert Message.objects.filter(state=MessageState.QUEUED, attempts=0).count() == 3


def test_it_never_claims_a_row_twice_even_when_candidates_overlap():
    for _ in range(6):
        QueuedEmailFactory.create()
    first = claim_batch("a", 4, timedelta(minutes=5))
    second = claim_batch("b", 4, timedelta(minutes=5))
    third = claim_batch("c", 4, timedelta(minutes=5))
    assert len(first) == 4 and len(second) == 2 and third == []
    assert not {m.pk for m in first} & {m.pk for m in second}
    # The guarded UPDATE: a claimer that picked rows another one took changes none of them.
    taken = [m.pk for m in first]
    assert Message.objects.filter(pk__in=taken, state=MessageState.QUEUED).update(state="x") == 0


def test_it_waits_twice_as_long_after_each_failed_attempt():
    base = timedelta(seconds=60)
    assert [backoff(n, base).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert backoff(30, base) == timedelta(hours=6)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_it_gives_concurrent_claimers_disjoint_batches_on_postgresql():
    MessageFactory.create_batch(200)
    claimed: dict[str, list[int]] = {}
    start = threading.Barrier(4)

    def claimer(name):
        try:
            start.wait()
            ids: list[int] = []
            while batch := claim_batch(name, 7, timedelta(minutes=5)):
                ids.extend(m.pk for m in batch)
            claimed[name] = ids
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [pk for ids in claimed.values() for pk in ids]
    assert len(every) == len(set(every)) == 200
    assert sum(1 for ids in claimed.values() if ids) >= 2


def test_it_tells_sent_and_failed_messages_on_the_contact_timeline_escaped(
    smtp_server, client, personas
):
    from django.urls import reverse

    from clientela.core.testing import client_for

    contact = ContactFactory.create(email="ana@example.co", owner=personas.rep)
    QueuedEmailFactory.create(to="ana@example.co", contact=contact, subject="<img src=x>Hola")
    smtp_server.answer("ana2@example.co", "550 5.1.1 <b>unknown</b>")
    QueuedEmailFactory.create(to="ana2@example.co", contact=contact, subject="Segundo")
    send_due(owner="test")

    page = (
        client_for(client, personas.rep)
        .get(reverse("contacts:contact_detail", args=[contact.pk]))
        .content.decode()
    )
    assert "E-mail “&lt;img src=x&gt;Hola” (Test message) sent to ana@example.co" in page
    assert (
        "E-mail “Segundo” (Test message) to ana2@example.co failed: 5.1.1 &lt;b&gt;unknown" in page
    )
    assert "<img src=x>" not in page
    # Queueing is in the audit log, not on the contact's timeline.
    assert "message queued" not in page.lower()


def test_it_fails_a_message_it_cannot_build_without_stopping_the_batch(smtp_server):
    broken = MessageFactory.create(headers={"X-Bad": "a\nb"})
    fine = QueuedEmailFactory.create()
    result = send_due(owner="test")
    assert result["failed"] == 1 and result["sent"] == 1
    broken.refresh_from_db()
    assert broken.state == MessageState.FAILED and "BadHeaderError" in broken.last_error
    assert [m.recipients for m in smtp_server.messages] == [[fine.to_address]]


def test_it_gives_up_on_a_message_whose_worker_died_on_every_attempt(smtp_server, settings):
    settings.CLIENTELA = {**settings.CLIENTELA, "DELIVERY_MAX_ATTEMPTS": 3}
    poison = MessageFactory.create(
        state=MessageState.SENDING,
        attempts=3,
        lease_owner="muerto:1/abc",
        leased_until=timezone.now() - timedelta(seconds=1),
    )
    assert send_due(owner="test")["failed"] == 1
    poison.refresh_from_db()
    assert poison.state == MessageState.FAILED and "interrupted" in poison.last_error
    assert smtp_server.messages == []


def test_it_writes_each_sent_event_once_and_tells_the_timeline_listeners(smtp_server):
    from clientela.timeline import services as timeline

    told: list[int] = []

    def listener(events):
        told.extend(event.contact_id for event in events if event.contact_id)

    first = ContactFactory.create(email="eva@example.co")
    second = ContactFactory.create(email="gloria@example.co")
    messages = [_welcome(first), _welcome(second)]
    timeline.register_event_listener(listener)
    try:
        assert send_due(owner="test")["sent"] == 2
    finally:
        timeline._LISTENERS.remove(listener)

    for message, contact in zip(messages, (first, second), strict=True):
        [event] = Event.objects.filter(verb=DeliveryVerb.SENT, target_id=str(message.pk))
        assert event.contact_id == contact.pk and event.via == "system" and event.actor_id is None
        assert event.data["to"] == contact.email and event.data["smtp_code"] == 250
        assert event.data["subject"] == message.subject and event.target_type == "delivery.message"
    assert sorted(told) == sorted([first.pk, second.pk])


def test_lines_that_start_with_a_dot_arrive_as_written(smtp_server):
    """DATA doubles a line's leading dot (the server removes it again): nothing is lost."""
    contact = ContactFactory.create(email="punto@example.co")
    text = ".empieza con punto\n..dos puntos\nfin.\n.\nmedio . punto"
    message = queue_email(
        to=contact.email, subject="Puntos", html="<p>.x</p>\n.<p>y</p>", text=text,
        kind="delivery.test", contact=contact,
    )  # fmt: skip
    assert send_due(owner="test")["sent"] == 1
    [received] = smtp_server.messages
    assert received.part("text/plain").replace("\r\n", "\n").rstrip("\n") == text
    assert received.part("text/html").replace("\r\n", "\n").rstrip("\n") == "<p>.x</p>\n.<p>y</p>"
    message.refresh_from_db()
    assert message.smtp_code == 250 and "queued as" in message.smtp_response


def test_a_stopping_process_sends_no_more_and_puts_its_batch_back(smtp_server, monkeypatch):
    from clientela.delivery.services import sending

    for _ in range(3):
        QueuedEmailFactory.create()
    batch = claim_batch("test", 10, timedelta(minutes=5))
    original = sending._hand_over

    def hand_over_then_stop(*args, **kwargs):
        outcome = original(*args, **kwargs)
        sending.STOPPING.set()  # SIGTERM arrives during the first hand-off
        return outcome

    monkeypatch.setattr(sending, "_hand_over", hand_over_then_stop)
    try:
        result = send_batch(batch)
        # A stopping process claims nothing more either.
        assert send_due(owner="test") == {"sent": 0, "failed": 0, "deferred": 0, "released": 0}
    finally:
        sending.STOPPING.clear()
    assert (result.sent, result.released) == (1, 2) and len(smtp_server.messages) == 1
    states = sorted(Message.objects.values_list("state", "attempts"))
    assert states == [(MessageState.QUEUED, 0), (MessageState.QUEUED, 0), (MessageState.SENT, 1)]


def test_it_tells_whether_anything_is_due():
    from clientela.delivery.services.sending import anything_due

    assert not anything_due()
    later = MessageFactory.create(next_attempt_at=timezone.now() + timedelta(minutes=5))
    MessageFactory.create(
        state=MessageState.SENDING, lease_owner="vivo:2/def",
        leased_until=timezone.now() + timedelta(minutes=5),
    )  # fmt: skip
    assert not anything_due()
    Message.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now())
    assert anything_due()
    Message.objects.filter(pk=later.pk).update(state=MessageState.SENT)
    assert not anything_due()
    Message.objects.filter(state=MessageState.SENDING).update(
        leased_until=timezone.now() - timedelta(seconds=1)
    )
    assert anything_due()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement claim")
def test_on_postgresql_a_claim_is_one_statement_per_kind_of_candidate(caplog):
    from django.test.utils import CaptureQueriesContext

    lapsed = MessageFactory.create_batch(
        2, state=MessageState.SENDING, attempts=1, lease_owner="muerto:1/abc",
        leased_until=timezone.now() - timedelta(seconds=1),
    )  # fmt: skip
    due = MessageFactory.create_batch(5)
    later = MessageFactory.create(next_attempt_at=timezone.now() + timedelta(minutes=5))
    with CaptureQueriesContext(connection) as queries, caplog.at_level(logging.WARNING):
        batch = claim_batch("test", 6, timedelta(minutes=5))
    assert len(queries) == 2  # the lapsed leases, then the due messages: no BEGIN, no read-back
    assert [m.pk for m in batch] == sorted(m.pk for m in [*lapsed, *due[:4]])
    assert "reclaimed 2 message" in caplog.text and "muerto:1/abc" in caplog.text
    owner = batch[0].lease_owner
    assert owner.startswith("test/") and all(m.lease_owner == owner for m in batch)
    # The instances are the rows as stored: in `sending`, counted, under the lease.
    for message in batch:
        stored = Message.objects.get(pk=message.pk)
        assert (message.state, message.attempts, message.leased_until, message.headers) == (
            stored.state, stored.attempts, stored.leased_until, stored.headers,
        )  # fmt: skip
        assert stored.state == MessageState.SENDING and stored.lease_owner == owner
    assert {m.attempts for m in batch} == {1, 2}
    left = Message.objects.exclude(pk__in=[m.pk for m in batch])
    assert sorted(left.values_list("pk", "state")) == sorted(
        [(due[4].pk, MessageState.QUEUED), (later.pk, MessageState.QUEUED)]
    )
