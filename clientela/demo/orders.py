"""Demo purchase history: a retail shop's orders, marketing spend and USD rates over two years.

Customers follow a BG/NBD-like process (each buys at their own Poisson rate and may drop out
after every purchase) and spend by a Gamma-Gamma-like rule (each has their own typical ticket,
orders scatter around it), so RFM, CLV and cohort charts look like a real shop's. Everything is
drawn from a seeded generator: the same seed and end day give the same history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from clientela.contacts.models import Contact
from clientela.orders.choices import PURCHASE_VERB, Channel, OrderVia
from clientela.orders.models import ExchangeRate, MarketingSpend, Order, OrderLine
from clientela.orders.queries import add_months, company_currency
from clientela.timeline.choices import Via
from clientela.timeline.services import build_event, record_events

DAYS = 730
# Acquisition cost the demo aims at per paid channel, in COP, so LTV:CAC differs by channel.
TARGET_CAC = {
    Channel.FACEBOOK: 120_000,
    Channel.INSTAGRAM: 200_000,
    Channel.GOOGLE_ADS: 330_000,
    Channel.FORM: 95_000,
    Channel.EVENT: 900_000,
}
# Channels of repeat purchases: the shop, its website and WhatsApp orders.
REPEAT_CHANNELS = (Channel.WALK_IN, Channel.WEBSITE, Channel.WHATSAPP)
REPEAT_WEIGHTS = (0.55, 0.3, 0.15)
PRODUCTS = (
    ("PER-001", "Eau de parfum floral 50 ml"), ("PER-002", "Eau de toilette cítrica 100 ml"),
    ("PER-003", "Perfume amaderado 75 ml"), ("COS-010", "Base líquida mate"),
    ("COS-011", "Labial larga duración"), ("COS-012", "Paleta de sombras nude"),
    ("CUI-020", "Crema hidratante facial"), ("CUI-021", "Sérum vitamina C"),
    ("CUI-022", "Protector solar FPS 50"), ("SET-030", "Set de regalo fragancia y loción"),
)  # fmt: skip


@dataclass(frozen=True)
class DemoHistory:
    """What seed_orders created."""

    customers: int
    orders: int
    spend_rows: int
    rates: int
    snapshots: int


def _usd_rates(
    rng: np.random.Generator, start: dt.date, days: int
) -> list[tuple[dt.date, Decimal]]:
    """A daily USD→COP random walk around 4,100 pesos."""
    steps = rng.normal(0, 0.004, days)
    levels = np.clip(4100 * np.exp(np.cumsum(steps)), 3600, 4700)
    return [
        (start + dt.timedelta(days=i), Decimal(f"{level:.2f}")) for i, level in enumerate(levels)
    ]


def _simulate(
    rng: np.random.Generator, first: np.ndarray, end: int
) -> tuple[np.ndarray, np.ndarray]:
    """Purchase days per customer: (customer index, day offset) arrays, first purchase included."""
    n = len(first)
    rate = rng.gamma(shape=0.9, scale=1 / 75.0, size=n)  # purchases per day while alive
    dropout = rng.beta(0.7, 4.0, size=n)
    customers = [np.arange(n)]
    days = [first.copy()]
    current = first.astype(np.float64)
    alive = np.ones(n, dtype=bool)
    for _round in range(200):
        alive &= rng.random(n) >= dropout
        gap = rng.exponential(1.0, n) / np.maximum(rate, 1e-9)
        current = current + gap
        alive &= current <= end
        if not alive.any():
            break
        customers.append(np.flatnonzero(alive))
        days.append(np.floor(current[alive]).astype(np.int64))
    return np.concatenate(customers), np.concatenate(days)


def seed_orders(*, seed: int = 2026, end: dt.date | None = None, snapshots: int = 6) -> DemoHistory:
    """Give every live contact a purchase history ending on `end` (default today), add the
    marketing spend that bought them and USD rates, then compute `snapshots` monthly snapshots."""
    end = end or timezone.localdate()
    start = end - dt.timedelta(days=DAYS)
    rng = np.random.default_rng(seed)
    contacts = list(
        Contact.objects.filter(deleted_at__isnull=True)
        .order_by("id")
        .values_list("id", "source", "created_at")
    )
    if not contacts or Order.objects.exists():
        return DemoHistory(0, 0, 0, 0, 0)
    currency = company_currency()
    with transaction.atomic():
        rates = _usd_rates(rng, start, DAYS + 1)
        if currency != "USD":
            ExchangeRate.objects.bulk_create(
                [ExchangeRate(currency="USD", date=day, rate=rate) for day, rate in rates],
                batch_size=2000,
            )
        rate_by_offset = np.array([float(rate) for _day, rate in rates])
        n = len(contacts)
        # Acquisitions spread over the two years, a little more in recent months (growth).
        first = np.minimum((DAYS * rng.power(1.3, n)).astype(np.int64), DAYS)
        who, offsets = _simulate(rng, first, DAYS)
        order_count = len(who)
        typical = rng.lognormal(np.log(165_000), 0.45, n)  # each customer's usual ticket (COP)
        amounts_cop = np.round(rng.gamma(5.0, typical[who] / 5.0) / 100) * 100 + 100
        in_usd = rng.random(n) < 0.03
        is_first = np.zeros(order_count, dtype=bool)
        is_first[:n] = True  # _simulate lists every customer's first purchase first
        repeat_channel = rng.choice(len(REPEAT_CHANNELS), order_count, p=REPEAT_WEIGHTS)
        minutes = rng.integers(9 * 60, 20 * 60, order_count)
        margin = rng.uniform(0.42, 0.6, order_count)
        product = rng.integers(0, len(PRODUCTS), order_count)
        tz = timezone.get_current_timezone()
        orders: list[Order] = []
        for i in range(order_count):
            c = int(who[i])
            contact_id, source, _created = contacts[c]
            day = start + dt.timedelta(days=int(offsets[i]))
            moment = dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz) + dt.timedelta(
                minutes=int(minutes[i])
            )
            if is_first[i]:
                channel = source if source in TARGET_CAC or source in Channel.values else ""
                channel = channel if channel not in ("import", "other", "") else Channel.WEBSITE
            else:
                channel = REPEAT_CHANNELS[int(repeat_channel[i])]
            cop = Decimal(int(amounts_cop[i]))
            if in_usd[c] and currency != "USD":
                rate = Decimal(str(rate_by_offset[int(offsets[i])]))
                amount = (cop / rate).quantize(Decimal("0.01"))
                order_currency = "USD"
            else:
                rate, amount, order_currency = Decimal(1), cop, currency
            cost = (amount * Decimal(f"{1 - margin[i]:.4f}")).quantize(Decimal("0.01"))
            orders.append(
                Order(
                    contact_id=contact_id,
                    ordered_at=moment,
                    ordered_on=day,
                    amount=amount,
                    currency=order_currency,
                    exchange_rate=rate,
                    amount_company_currency=(amount * rate).quantize(Decimal("0.01")),
                    cost=cost,
                    cost_company_currency=(cost * rate).quantize(Decimal("0.01")),
                    channel=channel,
                    source_system="demo",
                    external_id=f"demo-{seed}-{i}",
                    created_via=OrderVia.DEMO,
                    created_at=moment,
                    updated_at=moment,
                )
            )
        saved = Order.objects.bulk_create(orders, batch_size=2000)
        if saved and saved[0].pk is None:
            saved = list(Order.objects.filter(source_system="demo").order_by("id"))
        OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order_id=order.pk,
                    position=1,
                    sku=PRODUCTS[int(product[i])][0],
                    product_name=PRODUCTS[int(product[i])][1],
                    quantity=Decimal(1),
                    unit_price=order.amount,
                )
                for i, order in enumerate(saved)
            ],
            batch_size=2000,
        )
        record_events(
            build_event(
                PURCHASE_VERB,
                actor=None,
                target=order,
                via=Via.SYSTEM,
                contact_id=order.contact_id,
                data={
                    "amount": str(order.amount),
                    "currency": order.currency,
                    "ordered_on": order.ordered_on.isoformat(),
                    "channel": order.channel,
                },
                at=order.ordered_at,
            )
            for order in saved
        )
        spend_rows = _seed_spend(rng, contacts, first, start, end, currency)
    # A tiny demo (tests, trials) gets the two snapshots movements need, not a whole history.
    made = _seed_snapshots(end, snapshots if n >= 500 else min(snapshots, 2))
    return DemoHistory(n, order_count, spend_rows, len(rates), made)


def _seed_spend(
    rng: np.random.Generator,
    contacts: list[tuple[Any, ...]],
    first: np.ndarray,
    start: dt.date,
    end: dt.date,
    currency: str,
) -> int:
    """Monthly spend per paid channel close to TARGET_CAC × customers acquired that month."""
    acquired: dict[tuple[str, dt.date], int] = {}
    for (_id, source, _created), offset in zip(contacts, first, strict=True):
        if source in TARGET_CAC:
            month = (start + dt.timedelta(days=int(offset))).replace(day=1)
            acquired[(source, month)] = acquired.get((source, month), 0) + 1
    rows = []
    month = start.replace(day=1)
    usd_rate = {r.date: r.rate for r in ExchangeRate.objects.filter(currency="USD", date__day=1)}
    while month <= end:
        for channel, cac in TARGET_CAC.items():
            customers = acquired.get((channel, month), 0)
            base = (
                cac * customers * float(rng.uniform(0.8, 1.25)) + float(rng.uniform(0, 0.5)) * cac
            )
            amount = Decimal(int(round(base, -3)))
            rate = Decimal(1)
            spend_currency = currency
            # The ads platform bills in dollars: a spend row in USD converted with the rate.
            if channel == Channel.GOOGLE_ADS and month in usd_rate and currency != "USD":
                rate = usd_rate[month]
                spend_currency = "USD"
                amount = (amount / rate).quantize(Decimal("0.01"))
            rows.append(
                MarketingSpend(
                    channel=channel,
                    month=month,
                    amount=amount,
                    currency=spend_currency,
                    exchange_rate=rate,
                    amount_company_currency=(amount * rate).quantize(Decimal("0.01")),
                )
            )
        month = add_months(month, 1)
    MarketingSpend.objects.bulk_create(rows)
    return len(rows)


def _seed_snapshots(end: dt.date, count: int) -> int:
    """Monthly customer-value snapshots up to `end`, so trends and movements have a history."""
    from clientela.analytics.services import compute_customer_value_snapshot

    made = 0
    for back in range(count - 1, -1, -1):
        compute_customer_value_snapshot(actor=None, as_of=end - dt.timedelta(days=30 * back))
        made += 1
    return made
