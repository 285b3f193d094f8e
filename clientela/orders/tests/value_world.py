"""A small shop for screen tests: rep's and rep2's customers, orders, spend, rates, snapshots."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from clientela.analytics.models import ValueSnapshot
from clientela.analytics.services import compute_customer_value_snapshot
from clientela.contacts.models import Contact
from clientela.orders.models import ExchangeRate, MarketingSpend, Order
from clientela.orders.tests.helpers import contact_of, order_for


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
    first_rate = ExchangeRate.objects.create(
        currency="USD", date=today - dt.timedelta(days=400), rate=Decimal("4000")
    )
    rate = ExchangeRate.objects.create(
        currency="USD", date=today - dt.timedelta(days=10), rate=Decimal("4100")
    )
    del first_rate
    ana = contact_of(rep, "Ana", source="facebook", phone="+573001234567")
    bea = contact_of(rep, "Bea", source="instagram")
    carla = contact_of(rep2, "Carla", source="facebook")
    order = order_for(rep, ana, today - dt.timedelta(days=200), 120000)
    for days in (150, 90, 30):
        order_for(rep, ana, today - dt.timedelta(days=days), 90000, channel="walk_in")
    order_for(rep, bea, today - dt.timedelta(days=300), 50000)
    order_for(rep, bea, today - dt.timedelta(days=20), 25, currency="USD")
    theirs = order_for(rep2, carla, today - dt.timedelta(days=100), 300000)
    order_for(rep2, carla, today - dt.timedelta(days=5), 200000)
    first_month = today.replace(day=1) - dt.timedelta(days=1)
    MarketingSpend.objects.create(
        channel="facebook",
        month=first_month.replace(day=1),
        amount=Decimal("500000"),
        currency="COP",
        exchange_rate=Decimal(1),
        amount_company_currency=Decimal("500000"),
    )
    _filler_customers(personas.admin, today)
    compute_customer_value_snapshot(as_of=today - dt.timedelta(days=60), with_clv=with_clv)
    snapshot = compute_customer_value_snapshot(as_of=today, with_clv=with_clv)
    return ValueWorld(personas, ana, bea, carla, order, theirs, rate, snapshot, today)


FILLER = 40


def _filler_customers(owner: Any, today: dt.date) -> None:
    """Customers only admins and managers see, so CLV has enough buyers to be fitted."""
    import random

    rng = random.Random(7)
    contacts = Contact.objects.bulk_create(
        [Contact(first_name=f"Cliente {i}", owner=owner, source="website") for i in range(FILLER)]
    )
    if contacts[0].pk is None:
        contacts = list(Contact.objects.filter(owner=owner).order_by("id"))
    tz = timezone.get_current_timezone()
    orders = []
    for contact in contacts:
        start = rng.randrange(30, 400)
        for _ in range(rng.randrange(1, 6)):
            day = today - dt.timedelta(days=rng.randrange(0, start))
            amount = Decimal(rng.randrange(20, 400) * 1000)
            orders.append(
                Order(
                    contact=contact,
                    ordered_at=dt.datetime.combine(day, dt.time(11), tzinfo=tz),
                    ordered_on=day,
                    amount=amount,
                    currency="COP",
                    exchange_rate=Decimal(1),
                    amount_company_currency=amount,
                    channel="website",
                )
            )
    Order.objects.bulk_create(orders)
