"""Factories for analytics settings and snapshots, and the value world the screen tests share."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from clientela.analytics.models import AnalyticsSettings, ValueSnapshot
from clientela.analytics.services import compute_customer_value_snapshot
from clientela.contacts.models import Contact
from clientela.contacts.tests.factories import ContactFactory, EnteredContactFactory
from clientela.orders.models import ExchangeRate, Order
from clientela.orders.tests.factories import (
    EnteredOrderFactory,
    ExchangeRateFactory,
    MarketingSpendFactory,
    OrderFactory,
)


class AnalyticsSettingsFactory(factory.django.DjangoModelFactory[AnalyticsSettings]):
    """The installation's analytics settings (the single row, pk 1), defaults unless given."""

    class Meta:
        model = AnalyticsSettings

    pk = 1


class ValueSnapshotFactory(factory.django.DjangoModelFactory[ValueSnapshot]):
    """A snapshot row as a computation leaves it when it starts (running, no figures yet)."""

    class Meta:
        model = ValueSnapshot

    as_of = factory.LazyFunction(timezone.localdate)


@dataclass
class ValueWorld:
    """What the screens are requested against."""

    personas: Any
    ana: Contact  # rep's customer
    bea: Contact  # rep's customer
    carla: Contact  # rep2's customer
    order: Order  # one of Ana's orders
    theirs: Order  # one of Carla's orders
    rate: ExchangeRate
    snapshot: ValueSnapshot
    today: dt.date


def build_world(personas: Any, *, with_clv: bool = True) -> ValueWorld:
    """Orders over the last months for three customers, two snapshots, spend and USD rates.

    Without CLV the snapshots skip the model fits (access tests need rows, not predictions).
    """
    today = timezone.localdate()
    rep, rep2 = personas.rep, personas.rep2
    ExchangeRateFactory.create(
        currency="USD", date=today - dt.timedelta(days=400), rate=Decimal("4000")
    )
    rate = ExchangeRateFactory.create(
        currency="USD", date=today - dt.timedelta(days=10), rate=Decimal("4100")
    )
    ana = EnteredContactFactory.create(
        actor=rep, first_name="Ana", source="facebook", phone="+573001234567"
    )
    bea = EnteredContactFactory.create(actor=rep, first_name="Bea", source="instagram")
    carla = EnteredContactFactory.create(actor=rep2, first_name="Carla", source="facebook")

    def ago(days: int) -> dt.date:
        return today - dt.timedelta(days=days)

    order = EnteredOrderFactory.create(actor=rep, contact=ana, day=ago(200), amount=120000)
    for days in (150, 90, 30):
        EnteredOrderFactory.create(
            actor=rep, contact=ana, day=ago(days), amount=90000, channel="walk_in"
        )
    EnteredOrderFactory.create(actor=rep, contact=bea, day=ago(300), amount=50000)
    EnteredOrderFactory.create(actor=rep, contact=bea, day=ago(20), amount=25, currency="USD")
    theirs = EnteredOrderFactory.create(actor=rep2, contact=carla, day=ago(100), amount=300000)
    EnteredOrderFactory.create(actor=rep2, contact=carla, day=ago(5), amount=200000)
    first_month = today.replace(day=1) - dt.timedelta(days=1)
    MarketingSpendFactory.create(
        channel="facebook", month=first_month.replace(day=1), amount=Decimal("500000")
    )
    _filler_customers(personas.admin, today)
    compute_customer_value_snapshot(as_of=ago(60), with_clv=with_clv)
    snapshot = compute_customer_value_snapshot(as_of=today, with_clv=with_clv)
    return ValueWorld(personas, ana, bea, carla, order, theirs, rate, snapshot, today)


FILLER = 40


def _filler_customers(owner: Any, today: dt.date) -> None:
    """Customers only admins and managers see, so CLV has enough buyers to be fitted."""
    rng = random.Random(7)
    contacts = [
        ContactFactory.create(bare=True, first_name=f"Cliente {i}", owner=owner, source="website")
        for i in range(FILLER)
    ]
    orders = []
    for contact in contacts:
        start = rng.randrange(30, 400)
        for _ in range(rng.randrange(1, 6)):
            day = today - dt.timedelta(days=rng.randrange(0, start))
            amount = Decimal(rng.randrange(20, 400) * 1000)
            orders.append(
                OrderFactory.build(
                    contact=contact, day=day, hour=11, amount=amount, channel="website"
                )
            )
    Order.objects.bulk_create(orders)
