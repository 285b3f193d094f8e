"""The reads campaigns build on: suppression reasons by address, topic opt-outs, and the
contacts behind opens and clicks (human ones unless asked otherwise)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from clientela.contacts.models import Contact
from clientela.contacts.tests.factories import ContactFactory
from clientela.delivery.choices import MessageEventKind, MessageState
from clientela.delivery.models import MessageEvent, TopicOptOut
from clientela.delivery.queries import contacts_with_events, suppression_reasons, topic_opt_outs
from clientela.delivery.tests.factories import MessageFactory, SuppressionFactory

pytestmark = pytest.mark.django_db


def test_suppression_reasons_compare_addresses_lowercased_in_chunks():
    SuppressionFactory.create(email="ana@example.co", reason="complaint")
    SuppressionFactory.create(email="luis@example.co", reason="unsubscribed")
    asked = ["ANA@example.co", "luis@example.co", "otro@example.co", ""] + [
        f"p{n}@example.co" for n in range(2500)
    ]
    assert suppression_reasons(asked) == {
        "ana@example.co": "complaint", "luis@example.co": "unsubscribed",
    }  # fmt: skip


def test_topic_opt_outs_are_per_topic():
    TopicOptOut.objects.create(email="ana@example.co", topic="newsletter")
    assert topic_opt_outs(["Ana@example.co", "luis@example.co"], "newsletter") == {"ana@example.co"}
    assert topic_opt_outs(["ana@example.co"], "promotions") == set()


def test_contacts_with_events_leaves_machine_opens_out_and_filters_by_group_and_time():
    now = timezone.now()
    reader, proxy, other, old = ContactFactory.create_batch(4)

    def event(contact, kind, *, machine=False, group="campaign:1", at=now):
        message = MessageFactory.create(contact=contact, group=group, state=MessageState.SENT)
        MessageEvent.objects.create(message=message, kind=kind, machine=machine, at=at)

    event(reader, MessageEventKind.OPEN)
    event(proxy, MessageEventKind.OPEN, machine=True)
    event(other, MessageEventKind.CLICK, group="campaign:2")
    event(old, MessageEventKind.OPEN, at=now - timedelta(days=60))

    def who(**kwargs):
        ids = contacts_with_events(**kwargs)
        return set(Contact.objects.filter(pk__in=ids).values_list("pk", flat=True))

    since = now - timedelta(days=30)
    assert who(kinds=["open"], since=since) == {reader.pk}
    assert who(kinds=["open"], since=since, human_only=False) == {reader.pk, proxy.pk}
    assert who(kinds=["open", "click"], group="campaign:2") == {other.pk}
    assert who(kinds=["open"]) == {reader.pk, old.pk}
