"""Bulk sends: snapshot rows once, content made at send time, hold / release / cancel a group."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence

import pytest
from django.db import transaction

from clientela.contacts.tests.factories import ContactFactory
from clientela.core.exceptions import ValidationFailed
from clientela.delivery import kinds
from clientela.delivery.choices import MessageState
from clientela.delivery.kinds import Rendered, register_kind
from clientela.delivery.models import Message
from clientela.delivery.queries import group_progress
from clientela.delivery.rendering import contact_values, render_email
from clientela.delivery.services.bulk import (
    BulkEmail,
    cancel_messages,
    hold_messages,
    queue_bulk,
    release_messages,
)
from clientela.delivery.services.sending import send_due

pytestmark = pytest.mark.django_db

KIND = "delivery.bulk_test"
calls: list[int] = []


def _render(messages: Sequence[Message]) -> Mapping[int, Rendered]:
    """Render a batch as a campaign would: one call for the whole batch."""
    calls.append(len(messages))
    made: dict[int, Rendered] = {}
    for message in messages:
        if message.ref.endswith(":gone"):
            continue
        if message.ref.endswith(":boom"):
            raise RuntimeError("template broken")
        values = contact_values(message.contact) if message.contact else {}
        rendered = render_email(
            subject="Novedades para {{ contacto.nombre|default:'amigo' }}",
            html="<p>Hola {{ contacto.nombre|default:'amigo' }}</p>",
            values=values,
        )
        made[message.pk] = Rendered(rendered.subject, rendered.html, rendered.text)
    return made


@pytest.fixture(autouse=True)
def bulk_kind() -> Iterator[None]:
    register_kind(KIND, "Bulk test", marketing=True, renderer=_render)
    calls.clear()
    yield
    kinds.KINDS.pop(KIND, None)


def _rows(contacts, prefix="r") -> list[BulkEmail]:
    return [BulkEmail(c.email, c.pk, c.language, f"{prefix}:{c.pk}") for c in contacts]


def test_a_snapshot_queues_one_bodiless_message_per_recipient_and_a_retry_queues_nobody_twice():
    contacts = ContactFactory.create_batch(5)
    first = queue_bulk(_rows(contacts), kind=KIND, group="campaign:1", batch=2)
    again = queue_bulk(_rows(contacts), kind=KIND, group="campaign:1", batch=2)

    assert (first.inserted, first.duplicates) == (5, 0)
    assert (again.inserted, again.duplicates) == (0, 5)
    rows = Message.objects.filter(group="campaign:1")
    assert rows.count() == 5
    assert set(rows.values_list("html_body", flat=True)) == {""}
    assert {m.contact_id for m in rows} == {c.pk for c in contacts}
    # The same refs in another group are other messages.
    assert queue_bulk(_rows(contacts), kind=KIND, group="campaign:2").inserted == 5


def test_bad_addresses_are_reported_by_ref_and_not_queued():
    good = ContactFactory.create(email="bien@example.co")
    rows = [
        BulkEmail("bien@example.co", good.pk, "es", "r:1"),
        BulkEmail("no-es-un-correo", None, "es", "r:2"),
        BulkEmail("", None, "en", "r:3"),
    ]
    result = queue_bulk(rows, kind=KIND, group="campaign:9")
    assert result.inserted == 1 and result.invalid == ["r:2", "r:3"]
    assert list(Message.objects.values_list("ref", flat=True)) == ["r:1"]


def test_a_kind_without_renderer_needs_its_content_and_a_group_is_required():
    # Inside the caller's transaction a refused snapshot leaves it to roll back whole.
    with pytest.raises(ValidationFailed) as error, transaction.atomic():
        queue_bulk([BulkEmail("a@example.co", None, "es", "r:1")], kind="delivery.test", group="g")
    assert "html" in error.value.errors
    with pytest.raises(ValidationFailed) as error:
        queue_bulk([BulkEmail("a@example.co", None, "es", "r:1")], kind=KIND, group=" ")
    assert "group" in error.value.errors
    assert not Message.objects.exists()


def test_the_worker_makes_each_batch_content_once_and_keeps_the_subject_not_the_body(
    smtp_server, settings
):
    settings.CLIENTELA = {**settings.CLIENTELA, "DELIVERY_BATCH": 3}
    contacts = [
        ContactFactory.create(first_name=f"Ana{i}", email=f"a{i}@example.co") for i in range(7)
    ]
    queue_bulk(_rows(contacts), kind=KIND, group="campaign:3")

    assert send_due(owner="test")["sent"] == 7
    assert calls == [3, 3, 1]
    subjects = sorted(m.message["Subject"] for m in smtp_server.messages)
    assert subjects == sorted(f"Novedades para Ana{i}" for i in range(7))
    assert "Hola Ana0" in next(
        m.part("text/html") for m in smtp_server.messages if m.recipients == ["a0@example.co"]
    )
    stored = Message.objects.get(to_address="a0@example.co")
    assert stored.state == MessageState.SENT
    assert stored.subject == "Novedades para Ana0" and stored.html_body == ""


def test_a_message_the_renderer_has_nothing_for_fails_and_a_renderer_error_retries_later(
    smtp_server,
):
    ok, gone, boom = ContactFactory.create_batch(3)
    queue_bulk(
        [
            BulkEmail(ok.email, ok.pk, "es", "r:ok"),
            BulkEmail(gone.email, gone.pk, "es", "r:gone"),
        ],
        kind=KIND,
        group="campaign:4",
    )
    send_due(owner="test")

    assert Message.objects.get(ref="r:ok").state == MessageState.SENT
    failed = Message.objects.get(ref="r:gone")
    assert failed.state == MessageState.FAILED and "nothing to send" in failed.last_error

    queue_bulk([BulkEmail(boom.email, boom.pk, "es", "r:boom")], kind=KIND, group="campaign:5")
    send_due(owner="test")
    retried = Message.objects.get(ref="r:boom")
    assert retried.state == MessageState.QUEUED and "could not make" in retried.last_error
    assert [m.recipients for m in smtp_server.messages] == [[ok.email]]


def test_held_messages_are_never_claimed_until_released_and_cancel_takes_the_rest(smtp_server):
    contacts = ContactFactory.create_batch(4)
    queue_bulk(_rows(contacts), kind=KIND, group="campaign:6")

    assert hold_messages("campaign:6") == 4
    assert send_due(owner="test")["sent"] == 0
    assert group_progress("campaign:6")[MessageState.HELD] == 4

    assert release_messages("campaign:6") == 4
    Message.objects.filter(ref=f"r:{contacts[0].pk}").update(state=MessageState.SENT)
    assert cancel_messages("campaign:6") == 3
    assert send_due(owner="test")["sent"] == 0
    progress = group_progress("campaign:6")
    assert progress[MessageState.CANCELLED] == 3 and progress[MessageState.SENT] == 1
    assert smtp_server.messages == []


@pytest.mark.django_db(transaction=True)
def test_a_run_outside_a_transaction_sends_from_several_threads_each_message_once(
    smtp_server, settings, monkeypatch
):
    from clientela.delivery.services import sending

    settings.CLIENTELA = {**settings.CLIENTELA, "DELIVERY_THREADS": 3, "DELIVERY_BATCH": 4}
    owners: list[str] = []
    real_claim = sending.claim_batch

    def claim(owner, size, lease):
        batch = real_claim(owner, size, lease)
        if batch:
            owners.append(owner)
        return batch

    monkeypatch.setattr(sending, "claim_batch", claim)
    contacts = ContactFactory.create_batch(30)
    queue_bulk(_rows(contacts), kind=KIND, group="campaign:7")

    assert send_due(owner="t")["sent"] == 30
    received = sorted(m.recipients[0] for m in smtp_server.messages)
    assert received == sorted(c.email for c in contacts)
    if sending.in_memory_sqlite():
        # The tests' in-memory SQLite cannot share writes between threads: one loop sends.
        assert set(owners) == {"t"}
    else:
        assert {owner.rsplit("/", 1)[1] for owner in owners} == {"0", "1", "2"}
    assert group_progress("campaign:7")[MessageState.SENT] == 30


@pytest.mark.skipif(
    transaction.get_connection().vendor != "postgresql", reason="PostgreSQL's planner statistics"
)
def test_a_large_queueing_refreshes_the_outboxs_statistics_once_it_commits(
    monkeypatch, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from clientela.delivery.services import bulk

    monkeypatch.setattr(bulk, "STATISTICS_AFTER", 3)
    monkeypatch.setattr(bulk, "_statistics_at", [])
    contacts = ContactFactory.create_batch(5)

    def analyzed(rows, group):
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=True),
        ):
            queue_bulk(rows, kind=KIND, group=group)
        return [q["sql"] for q in queries if q["sql"].startswith("ANALYZE")]

    # Too few rows: no ANALYZE.
    assert analyzed(_rows(contacts[:2]), "campaign:s1") == []
    # Enough rows: one ANALYZE of the outbox's state, after the commit.
    assert analyzed(_rows(contacts), "campaign:s2") == ['ANALYZE "delivery_message" (state)']
    # At most once a minute per process.
    assert analyzed(_rows(contacts, "x"), "campaign:s3") == []
    monkeypatch.setattr(bulk, "_statistics_at", [time.monotonic() - 61])
    hold_messages("campaign:s3")
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert release_messages("campaign:s3") == 5
    assert [q["sql"] for q in queries if q["sql"].startswith("ANALYZE")] == [
        'ANALYZE "delivery_message" (state)'
    ]


def test_no_statistics_are_refreshed_on_sqlite_or_for_a_small_queueing(monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from clientela.delivery.services import bulk

    monkeypatch.setattr(bulk, "_statistics_at", [])
    contacts = ContactFactory.create_batch(3)
    with CaptureQueriesContext(connection) as queries:
        bulk._fresh_statistics(10_000 if connection.vendor == "sqlite" else 3)
        queue_bulk(_rows(contacts), kind=KIND, group="campaign:s4")
    assert not [q for q in queries if q["sql"].startswith("ANALYZE")]
    assert bulk._statistics_at == []
