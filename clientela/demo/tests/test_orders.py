"""Demo purchase history: customers buy plots and owner services, USD converted, snapshots."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from clientela.analytics.models import ValueSnapshot
from clientela.demo.orders import BUYER_STAGES, PLOTS, SERVICES, seed_orders
from clientela.demo.seeding import seed_contacts
from clientela.orders.models import MarketingSpend, Order, OrderLine

pytestmark = pytest.mark.django_db
END = dt.date(2026, 11, 20)


def history() -> list[tuple[Any, ...]]:
    return list(
        Order.objects.order_by("external_id").values_list(
            "contact_id", "ordered_on", "amount", "currency"
        )
    )


def test_it_gives_the_customers_plots_and_owner_services_and_the_spend_behind_them():
    from clientela.contacts.models import Contact

    seed_contacts(150, seed=3)
    made = seed_orders(seed=3, end=END)
    buyers = set(
        Contact.objects.filter(lifecycle_stage__in=BUYER_STAGES).values_list("pk", flat=True)
    )
    assert made.customers == len(buyers) > 10 and made.orders > made.customers
    # Only customers buy: prospects have no purchases.
    assert set(Order.objects.values_list("contact", flat=True)) == buyers
    days = list(Order.objects.order_by("ordered_on").values_list("ordered_on", flat=True))
    assert days[0] >= END - dt.timedelta(days=730) and days[-1] <= END
    assert Order.objects.values("channel").distinct().count() >= 5
    # Every buyer's first purchase is a plot, priced in dollars and converted with the day's rate.
    plots = {sku for sku, _name, _m2 in PLOTS}
    for contact_id in buyers:
        first = Order.objects.filter(contact_id=contact_id).order_by("ordered_at").first()
        assert first is not None and first.lines.get().sku in plots
        assert first.currency == "USD"
        assert first.amount_company_currency == pytest.approx(
            first.amount * first.exchange_rate, abs=Decimal("0.01")
        )
    services = {sku for sku, _name, _price in SERVICES}
    assert OrderLine.objects.filter(sku__in=services).exists()  # the repeat-purchase line
    assert not Order.objects.filter(currency="USD", amount__lt=10_000).exists()  # no small plots
    assert MarketingSpend.objects.filter(currency="USD", channel="google_ads").exists()
    assert ValueSnapshot.objects.filter(state="done").count() == made.snapshots == 2
    assert seed_orders(seed=3, end=END).orders == 0  # loaded once


def test_it_draws_the_same_history_for_the_same_seed():
    seed_contacts(60, seed=4)
    seed_orders(seed=9, end=END, snapshots=0)
    first = history()
    assert first
    Order.objects.all().delete()
    MarketingSpend.objects.all().delete()
    from clientela.orders.models import ExchangeRate

    ExchangeRate.objects.all().delete()
    seed_orders(seed=9, end=END, snapshots=0)
    assert history() == first
