"""My tasks, the notifications list, the badge and the API list run a fixed number of queries,
however many activities, contacts and owners there are (no N+1)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clientela.activities.tests.factories import ActivityFactory, NotificationFactory
from clientela.contacts.tests.factories import CompanyFactory, ContactFactory
from clientela.core.testing import client_for
from clientela.testing.access import bearer_headers

pytestmark = pytest.mark.django_db


def _board(personas: Any, count: int) -> None:
    now = timezone.now()
    for i in range(count):
        contact = ContactFactory.create(owner=personas.rep, company=CompanyFactory.create())
        ActivityFactory.create(
            owner=(personas.rep, personas.rep2)[i % 2], contact=contact,
            due_at=now + dt.timedelta(hours=i * 7 - 20),
            done_at=now - dt.timedelta(hours=1) if i % 5 == 0 else None,
        )  # fmt: skip


@pytest.mark.parametrize("count", [3, 30])
def test_it_pins_the_queries_of_my_tasks(
    client: Client, personas: Any, django_assert_num_queries: Any, count: int
) -> None:
    _board(personas, count)
    signed_in = client_for(client, personas.manager)
    url = reverse("activities:my_tasks") + "?owner=all"
    # session, user, role ×2 (capabilities), owners for the filter, five groups
    with django_assert_num_queries(9):
        assert signed_in.get(url).status_code == 200


@pytest.mark.parametrize("count", [3, 30])
def test_it_pins_the_queries_of_the_notifications(
    client: Client, personas: Any, django_assert_num_queries: Any, count: int
) -> None:
    for _ in range(count):
        NotificationFactory.create(recipient=personas.rep)
    signed_in = client_for(client, personas.rep)
    # session, user, the page, the unread count, the bell's own count is fetched later
    with django_assert_num_queries(5):
        assert signed_in.get(reverse("activities:notifications")).status_code == 200
    with django_assert_num_queries(4):  # session, user, role, the count
        assert signed_in.get(reverse("activities:notification_badge")).status_code == 200


@pytest.mark.parametrize("count", [3, 30])
def test_it_pins_the_queries_of_the_api_list(
    client: Any, personas: Any, django_assert_num_queries: Any, count: int
) -> None:
    _board(personas, count)
    headers = bearer_headers(personas.rep)
    # token, user, the count, the page (owners, contacts, companies joined), the attendees
    with django_assert_num_queries(5):
        response = client.get("/api/v1/activities?limit=100", **headers)
    assert response.status_code == 200


def test_it_costs_the_contact_card_the_same_with_few_or_many_tasks(
    client: Client, personas: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from clientela.contacts.tests.factories import EnteredContactFactory

    signed_in = client_for(client, personas.manager)
    counts = []
    for tasks in (1, 15):
        contact = EnteredContactFactory.create(actor=personas.rep)
        for _ in range(tasks):
            owner = (personas.rep, personas.rep2, personas.manager)[_ % 3]
            ActivityFactory.create(owner=owner, contact=contact)
        url = reverse("contacts:contact_detail", args=[contact.pk])
        with CaptureQueriesContext(connection) as captured:
            assert signed_in.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
