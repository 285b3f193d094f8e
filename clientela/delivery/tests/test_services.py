"""Queueing validates, stores once per idempotency key, wakes the worker after commit."""

from __future__ import annotations

import pytest
from django.db import transaction

from clientela.contacts.tests.factories import ContactFactory
from clientela.core.exceptions import Conflict, ValidationFailed
from clientela.delivery.choices import DeliveryVerb, MessageState
from clientela.delivery.kinds import UnknownKind
from clientela.delivery.models import Message
from clientela.delivery.services import cancel_message, queue_email, retry_message
from clientela.delivery.tests.factories import MessageFactory, QueuedEmailFactory
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db


def test_it_queues_an_email_with_a_message_id_of_the_sender_domain_and_a_text_part():
    contact = ContactFactory.create(email="ana@example.co")
    message = queue_email(
        to="Ana@Example.co",
        subject="  Bienvenida\r\n a Clientela ",
        html="<p>Hola <a href='https://example.co/x'>Ana</a></p>",
        kind="delivery.test",
        contact=contact,
        from_email="Equipo <hola@tienda.example.co>",
        source="webforms.form:abc",
    )
    assert message.state == MessageState.QUEUED and message.attempts == 0
    assert message.to_address == "ana@example.co"
    assert message.subject == "Bienvenida a Clientela"
    assert message.from_address == "Equipo <hola@tienda.example.co>"
    assert message.message_id.startswith("<") and message.message_id.endswith("@tienda.example.co>")
    assert "Hola" in message.text_body and "https://example.co/x" in message.text_body
    event = Event.objects.get(verb=DeliveryVerb.QUEUED)
    assert event.contact_id == contact.pk and event.target_id == str(message.pk)


def test_it_returns_the_existing_message_for_a_repeated_idempotency_key():
    first = QueuedEmailFactory.create(idempotency_key="form:abc:submission:1")
    again = QueuedEmailFactory.create(idempotency_key="form:abc:submission:1", subject="Otro")
    assert again.pk == first.pk and again.subject == first.subject
    assert Message.objects.count() == 1
    assert Event.objects.filter(verb=DeliveryVerb.QUEUED).count() == 1


def test_it_gives_every_message_its_own_message_id():
    ids = {QueuedEmailFactory.create().message_id for _ in range(20)}
    assert len(ids) == 20


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"to": "no es correo"}, "to"),
        ({"to": ""}, "to"),
        ({"subject": "   "}, "subject"),
        ({"html": "", "text": ""}, "html"),
        ({"language": "fr"}, "language"),
        ({"from_email": "Nadie <sin-arroba>"}, "from_email"),
        ({"reply_to": "a@b.co\nBcc: x@y.co"}, "reply_to"),
        ({"headers": {"Bcc": "x@example.co"}}, "headers"),
        ({"headers": {"X-Campaign": "1\r\nBcc: x@example.co"}}, "headers"),
        ({"headers": {"Bad Name": "1"}}, "headers"),
    ],
)
def test_it_refuses_bad_input_with_a_field_error_and_stores_nothing(changes, field):
    values = {
        "to": "ana@example.co",
        "subject": "Hola",
        "html": "<p>x</p>",
        "kind": "delivery.test",
    }
    with pytest.raises(ValidationFailed) as exc:
        queue_email(**{**values, **changes})
    assert field in exc.value.errors
    assert not Message.objects.exists()


def test_it_refuses_a_kind_nobody_registered():
    with pytest.raises(UnknownKind):
        queue_email(to="ana@example.co", subject="x", html="x", kind="nadie.registro")


def test_it_wakes_the_worker_once_per_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for _ in range(5):
            QueuedEmailFactory.create()
    assert len(callbacks) == 1


def test_it_does_not_wake_anyone_when_the_caller_rolls_back(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        try:
            with transaction.atomic():
                QueuedEmailFactory.create()
                raise RuntimeError
        except RuntimeError:
            pass
    assert callbacks == [] and not Message.objects.exists()


def test_it_cancels_only_queued_messages_and_retries_only_failed_ones(personas):
    queued = QueuedEmailFactory.create()
    cancel_message(queued, actor=personas.admin)
    assert queued.state == MessageState.CANCELLED
    with pytest.raises(Conflict):
        cancel_message(queued, actor=personas.admin)
    with pytest.raises(Conflict):
        retry_message(queued, actor=personas.admin)
    failed = MessageFactory.create(state=MessageState.FAILED, attempts=8, last_error="550 no")
    retry_message(failed, actor=personas.admin)
    failed.refresh_from_db()
    assert failed.state == MessageState.QUEUED and failed.attempts == 0
    verbs = list(Event.objects.order_by("id").values_list("verb", "actor_id"))
    assert (DeliveryVerb.CANCELLED, personas.admin.pk) in verbs
    assert (DeliveryVerb.RETRIED, personas.admin.pk) in verbs


def test_it_moves_a_merged_contacts_messages_to_the_survivor_and_back_on_undo(personas):
    from clientela.contacts import services as contact_services
    from clientela.contacts.tests.factories import EnteredContactFactory

    survivor = EnteredContactFactory.create(actor=personas.manager, first_name="Ana")
    other = EnteredContactFactory.create(actor=personas.manager, first_name="Anita")
    message = QueuedEmailFactory.create(contact=other)
    merge = contact_services.merge_contacts(survivor, other, actor=personas.manager)
    message.refresh_from_db()
    assert message.contact_id == survivor.pk
    contact_services.undo_merge(merge, actor=personas.manager)
    message.refresh_from_db()
    assert message.contact_id == other.pk


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    __import__("django.db").db.connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL",
)
def test_it_queues_one_message_when_the_same_key_races_in_parallel():
    import threading

    from django.db import connections

    start = threading.Barrier(8)
    got: list[int] = []

    def submit():
        try:
            start.wait()
            got.append(QueuedEmailFactory.create(idempotency_key="form:x:1", to="a@example.co").pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == 8 and len(set(got)) == 1
    assert Message.objects.count() == 1
