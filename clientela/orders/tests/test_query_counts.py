"""The exchange-rate and marketing-spend screens run a fixed number of queries, however many
rates, spend cells, users and customers there are (no N+1)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clientela.contacts.choices import Source
from clientela.contacts.tests.factories import EnteredContactFactory
from clientela.core.testing import client_for
from clientela.orders import services
from clientela.orders.choices import Channel
from clientela.orders.tests.factories import EnteredOrderFactory

pytestmark = pytest.mark.django_db

YEAR = 2025


def _rates(personas: Any, count: int = 45) -> None:
    """`count` rates over three currencies, changed by two different users (one page: 50)."""
    first = dt.date(YEAR, 1, 1)
    for i in range(count):
        services.set_rate(
            actor=(personas.admin, personas.manager)[i % 2],
            currency=("USD", "EUR", "MXN")[i % 3],
            day=first + dt.timedelta(days=i),
            rate="4000",
        )


def test_the_rates_screen_pins_its_queries(
    client: Client, personas: Any, django_assert_num_queries: Any
) -> None:
    _rates(personas)
    c = client_for(client, personas.manager)
    # Session, user, role; the page of rates with who changed them; the currencies with rates.
    with django_assert_num_queries(5):
        assert c.get(reverse("orders:rate_list")).status_code == 200
    with django_assert_num_queries(5):
        assert c.get(reverse("orders:rate_list"), {"currency": "EUR"}).status_code == 200


def test_the_spend_screen_pins_its_queries(
    client: Client, personas: Any, django_assert_num_queries: Any
) -> None:
    _rates(personas, count=3)
    channels = [c for c in Channel.values if c != Source.IMPORT]
    services.record_spend_grid(
        actor=personas.marketer,
        year=YEAR,
        currency="COP",
        values={(channel, month): "150000" for channel in channels for month in range(1, 13)},
        currencies={Source.FACEBOOK: "USD"},
    )
    for i, channel in enumerate(channels * 3):
        buyer = EnteredContactFactory.create(
            actor=personas.rep, first_name=f"Cliente{i}", source=channel
        )
        EnteredOrderFactory.create(
            actor=personas.rep, contact=buyer, day=dt.date(YEAR, i % 12 + 1, 10), amount=90000
        )
    c = client_for(client, personas.marketer)
    # Session, user, role; the year's spend cells; spend and new customers per channel (CAC).
    with django_assert_num_queries(6):
        assert c.get(reverse("orders:spend"), {"year": YEAR}).status_code == 200
