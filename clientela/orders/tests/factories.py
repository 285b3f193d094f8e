"""Factories for orders, order lines, exchange rates and marketing spend.

`OrderFactory` writes an order row straight to the table (already converted at its exchange
rate, no event): bulk histories for analytics. `EnteredOrderFactory` enters an order through the
service as `actor` would (validated, converted at the stored rate, attributed, on the timeline).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from clientela.contacts.tests.factories import ContactFactory
from clientela.orders import services
from clientela.orders.models import ExchangeRate, MarketingSpend, Order, OrderLine


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    """An aware moment on a local day."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


class OrderFactory(factory.django.DjangoModelFactory[Order]):
    """An order row in the company currency, bought at 10:00 on `day` (today by default)."""

    class Meta:
        model = Order

    class Params:
        day = factory.LazyFunction(timezone.localdate)
        hour = 10

    contact = factory.SubFactory(ContactFactory)
    ordered_at = factory.LazyAttribute(lambda o: at(o.day, o.hour))
    ordered_on = factory.LazyAttribute(lambda o: timezone.localdate(o.ordered_at))
    amount = Decimal(100000)
    currency = "COP"
    exchange_rate = Decimal(1)
    amount_company_currency = factory.LazyAttribute(lambda o: o.amount * o.exchange_rate)


class EnteredOrderFactory(factory.django.DjangoModelFactory[Order]):
    """An order entered through the service by `actor` (required), at noon on `day`.

    `contact` and `company` are records; other keyword arguments are the service's form data
    (`currency`, `channel`, `cost`, `external_id`…). Omitted `currency` means the company's.
    """

    class Meta:
        model = Order

    class Params:
        day = factory.LazyFunction(timezone.localdate)

    ordered_at = factory.LazyAttribute(lambda o: at(o.day))
    amount = 100000

    @classmethod
    def _create(cls, model_class: type[Order], *args: Any, **data: Any) -> Order:
        actor = data.pop("actor")
        for relation in ("contact", "company"):
            if data.get(relation) is not None:
                data[relation] = data[relation].pk
        data["amount"] = str(data["amount"])
        return services.create_order(actor=actor, data=data)


class OrderLineFactory(factory.django.DjangoModelFactory[OrderLine]):
    """A product line of an order."""

    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    position = factory.Sequence(lambda n: n)
    product_name = factory.Sequence(lambda n: f"Perfume {n}")
    unit_price = Decimal(50000)


class ExchangeRateFactory(factory.django.DjangoModelFactory[ExchangeRate]):
    """A stored USD rate (setup only: the service that saves rates also re-converts orders)."""

    class Meta:
        model = ExchangeRate

    currency = "USD"
    date = factory.Sequence(lambda n: dt.date(2026, 1, 1) + dt.timedelta(days=n))
    rate = Decimal(4000)


class MarketingSpendFactory(factory.django.DjangoModelFactory[MarketingSpend]):
    """A month's spend on a channel in the company currency."""

    class Meta:
        model = MarketingSpend

    channel = "facebook"
    month = factory.Sequence(lambda n: dt.date(2020 + n // 12, n % 12 + 1, 1))
    amount = Decimal(500000)
    currency = "COP"
    exchange_rate = Decimal(1)
    amount_company_currency = factory.LazyAttribute(lambda o: o.amount * o.exchange_rate)
