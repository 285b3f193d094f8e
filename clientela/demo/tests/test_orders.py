"""Demo purchase history: every contact buys, several channels, USD converted, snapshots."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from clientela.analytics.models import ValueSnapshot
from clientela.demo.orders import seed_orders
from clientela.demo.seeding import seed_contacts
from clientela.orders.models import MarketingSpend, Order

pytestmark = pytest.mark.django_db
END = dt.date(2026, 11, 20)


def history() -> list[tuple[Any, ...]]:
    return list(
        Order.objects.order_by("external_id").values_list(
            "contact_id", "ordered_on", "amount", "currency"
        )
    )


def test_it_gives_every_contact_two_years_of_purchases_and_the_spend_behind_them():
    seed_contacts(150, seed=3)
    made = seed_orders(seed=3, end=END)
    assert made.customers == 150 and made.orders > 150
    assert Order.objects.values("contact").distinct().count() == 150
    days = list(Order.objects.order_by("ordered_on").values_list("ordered_on", flat=True))
    assert days[0] >= END - dt.timedelta(days=730) and days[-1] <= END
    assert Order.objects.values("channel").distinct().count() >= 5
    usd = Order.objects.filter(currency="USD").first()
    assert usd is not None and usd.amount_company_currency == pytest.approx(
        usd.amount * usd.exchange_rate, abs=Decimal("0.01")
    )
    assert MarketingSpend.objects.filter(currency="USD", channel="google_ads").exists()
    assert ValueSnapshot.objects.filter(state="done").count() == made.snapshots == 2
    assert seed_orders(seed=3, end=END).orders == 0  # loaded once


def test_it_draws_the_same_history_for_the_same_seed():
    seed_contacts(60, seed=4)
    seed_orders(seed=9, end=END, snapshots=0)
    first = history()
    Order.objects.all().delete()
    MarketingSpend.objects.all().delete()
    from clientela.orders.models import ExchangeRate

    ExchangeRate.objects.all().delete()
    seed_orders(seed=9, end=END, snapshots=0)
    assert history() == first
