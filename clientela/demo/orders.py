"""Demo purchase history of the demo real-estate company: plot sales, owner services, spend.

The company sells land plots in Florida to Colombian buyers (story 1 of the product brief).
Only contacts who became customers (lifecycle stage customer or promoter) buy, and never
before they reached the company:

* **Plot sales** (the main line, priced in USD with the day's COP rate): each buyer buys a plot
  some weeks after first contact, close to the budget they gave; some investors buy a second.
* **Owner services** (a second line of business, in COP): plot owners pay for upkeep, the
  county's property-tax filing, owners'-association paperwork and guided visits. These repeat
  purchases follow a BG/NBD-like process (each owner buys at their own rate and may stop after
  every purchase) with a Gamma-Gamma-like ticket, so RFM, CLV and cohorts have a repeat-purchase
  base to work on.

Marketing spend per paid channel follows the plot buyers each channel brought. Everything is
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
# The lifecycle stages of contacts who bought (the others are prospects: no purchases).
BUYER_STAGES = ("customer", "evangelist")
# Acquisition cost the demo aims at per paid channel, in COP per plot buyer, so LTV:CAC differs
# by channel: a plot buyer costs millions of pesos of ads, webinars and fairs (the fair in
# Bogotá is the dearest, the webinar form the cheapest).
TARGET_CAC = {
    Channel.FACEBOOK: 14_000_000,
    Channel.INSTAGRAM: 19_000_000,
    Channel.GOOGLE_ADS: 26_000_000,
    Channel.FORM: 9_000_000,
    Channel.EVENT: 45_000_000,
}
# (sku, product, plot size in m²): the inventory, chosen by the buyer's budget.
PLOTS = (
    ("LOT-LEH-500", "Lote 500 m² — Lehigh Acres", 500),
    ("LOT-PAL-900", "Lote 900 m² — Palm Bay", 900),
    ("LOT-ORL-1000", "Lote 1.000 m² — Orlando (Poinciana)", 1000),
    ("LOT-OCA-2000", "Lote 2.000 m² — Ocala", 2000),
)
# (sku, service, typical price in COP): what plot owners buy again and again.
SERVICES = (
    ("SRV-MANT", "Mantenimiento trimestral del lote", 380_000),
    ("SRV-PRED", "Gestión del impuesto predial (property tax)", 520_000),
    ("SRV-HOA", "Trámites ante la asociación de propietarios", 290_000),
    ("SRV-VIS", "Visita guiada a los lotes en Florida", 1_450_000),
)
SERVICE_WEIGHTS = (0.5, 0.25, 0.17, 0.08)
# Owners order services by WhatsApp, e-mail or phone.
REPEAT_CHANNELS = (Channel.WHATSAPP, Channel.EMAIL, Channel.PHONE)
REPEAT_WEIGHTS = (0.55, 0.25, 0.2)


@dataclass(frozen=True)
class DemoHistory:
    """What seed_orders created."""

    customers: int
    orders: int
    spend_rows: int
    rates: int
    snapshots: int


@dataclass(frozen=True)
class _Purchase:
    """One purchase before it becomes an Order: who, when, what and for how much."""

    contact_id: int
    at: dt.datetime
    sku: str
    product: str
    amount: Decimal
    currency: str
    channel: str
    margin: float


def _usd_rates(
    rng: np.random.Generator, start: dt.date, days: int
) -> list[tuple[dt.date, Decimal]]:
    """Return a daily USD→COP random walk around 4,100 pesos."""
    steps = rng.normal(0, 0.004, days)
    levels = np.clip(4100 * np.exp(np.cumsum(steps)), 3600, 4700)
    return [
        (start + dt.timedelta(days=i), Decimal(f"{level:.2f}")) for i, level in enumerate(levels)
    ]


def _first_channel(source: str) -> str:
    """Return the channel of a buyer's first purchase: the source that brought them."""
    if source in Channel.values and source not in ("import", ""):
        return source
    return Channel.WEBSITE


def _moment(rng: np.random.Generator, day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """Return a time during office hours on `day`."""
    minutes = int(rng.integers(9 * 60, 19 * 60))
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz) + dt.timedelta(minutes=minutes)


def _buyer_history(
    rng: np.random.Generator,
    contact: tuple[Any, ...],
    start: dt.date,
    end: dt.date,
    tz: dt.tzinfo,
) -> list[_Purchase]:
    """Return a buyer's plot purchase(s) and the owner services after, never before `created`."""
    contact_id, source, created, _stage, custom = contact
    created_local = timezone.localtime(created, tz)
    base = max(created_local.date(), start)
    if base > end:
        return []
    # From first contact to signing: a few weeks to a few months (sooner for a recent contact,
    # so purchases do not pile up on the last day).
    room = (end - base).days
    gap = min(float(rng.gamma(2.0, 30.0)), room * float(rng.uniform(0.2, 0.95)))
    plot_day = base + dt.timedelta(days=int(gap))
    budget = (custom or {}).get("presupuesto_usd") or float(rng.choice((25_000, 40_000, 60_000)))
    purchases: list[_Purchase] = []
    day, channel = plot_day, _first_channel(source)
    for _plot in range(2):
        at = max(_moment(rng, day, tz), created_local + dt.timedelta(minutes=30))
        if at.date() > end:
            break
        price = Decimal(int(round(float(budget) * float(rng.uniform(0.75, 1.05)), -2)))
        sku, name, _m2 = PLOTS[min(int(float(budget) // 25_000), len(PLOTS) - 1)]
        margin = float(rng.uniform(0.25, 0.4))
        purchases.append(_Purchase(contact_id, at, sku, name, price, "USD", channel, margin))
        # About one buyer in six comes back for a second plot, three to fourteen months later.
        if rng.random() >= 0.17:
            break
        day = day + dt.timedelta(days=int(rng.integers(90, 420)))
        channel = Channel.REFERRAL if rng.random() < 0.3 else Channel.WHATSAPP
    # Owner services from the month after the first plot, at the owner's own pace.
    rate = float(rng.gamma(2.0, 1 / 110.0))  # services per day while the owner stays
    dropout = float(rng.beta(0.6, 7.0))
    typical = float(rng.lognormal(0.0, 0.3))  # this owner's usual ticket, relative
    current = float((plot_day - start).days) + 30.0
    last = (end - start).days
    while purchases:
        current += float(rng.exponential(1.0)) / max(rate, 1e-9)
        if current > last:
            break
        kind = int(rng.choice(len(SERVICES), p=SERVICE_WEIGHTS))
        sku, name, list_price = SERVICES[kind]
        ticket = float(rng.gamma(8.0, list_price * typical / 8.0))
        amount = Decimal(int(round(ticket, -3)) + 1000)
        channel = REPEAT_CHANNELS[int(rng.choice(len(REPEAT_CHANNELS), p=REPEAT_WEIGHTS))]
        at = _moment(rng, start + dt.timedelta(days=int(current)), tz)
        margin = float(rng.uniform(0.35, 0.55))
        purchases.append(_Purchase(contact_id, at, sku, name, amount, "", channel, margin))
        if rng.random() < dropout:
            break
    return purchases


def seed_orders(*, seed: int = 2026, end: dt.date | None = None, snapshots: int = 6) -> DemoHistory:
    """Give the demo's customers their purchases, then compute `snapshots` monthly snapshots.

    Plot purchases and owner services up to `end` (default today), with the marketing spend
    that bought them and USD rates.
    """
    end = end or timezone.localdate()
    start = end - dt.timedelta(days=DAYS)
    rng = np.random.default_rng(seed)
    contacts = list(
        Contact.objects.filter(deleted_at__isnull=True)
        .order_by("id")
        .values_list("id", "source", "created_at", "lifecycle_stage", "custom")
    )
    if not contacts or Order.objects.exists():
        return DemoHistory(0, 0, 0, 0, 0)
    currency = company_currency()
    tz = timezone.get_current_timezone()
    with transaction.atomic():
        rates = _usd_rates(rng, start, DAYS + 1)
        if currency != "USD":
            ExchangeRate.objects.bulk_create(
                [ExchangeRate(currency="USD", date=day, rate=rate) for day, rate in rates],
                batch_size=2000,
            )
        rate_on = dict(rates)
        history = [
            purchase
            for contact in contacts
            if contact[3] in BUYER_STAGES
            for purchase in _buyer_history(rng, contact, start, end, tz)
        ]
        orders: list[Order] = []
        for i, purchase in enumerate(history):
            day = purchase.at.date()
            amount, order_currency, rate = purchase.amount, currency, Decimal(1)
            if purchase.currency == "USD" and currency != "USD":
                # Plots are priced in dollars; the order keeps the day's rate to pesos.
                order_currency, rate = "USD", rate_on[day]
            elif not purchase.currency and currency == "USD":
                amount = (amount / rate_on[day]).quantize(Decimal("0.01"))
            cost = (amount * Decimal(f"{1 - purchase.margin:.4f}")).quantize(Decimal("0.01"))
            orders.append(
                Order(
                    contact_id=purchase.contact_id,
                    ordered_at=purchase.at,
                    ordered_on=day,
                    amount=amount,
                    currency=order_currency,
                    exchange_rate=rate,
                    amount_company_currency=(amount * rate).quantize(Decimal("0.01")),
                    cost=cost,
                    cost_company_currency=(cost * rate).quantize(Decimal("0.01")),
                    channel=purchase.channel,
                    source_system="demo",
                    external_id=f"demo-{seed}-{i}",
                    created_via=OrderVia.DEMO,
                    created_at=purchase.at,
                    updated_at=purchase.at,
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
                    sku=purchase.sku,
                    product_name=purchase.product,
                    quantity=Decimal(1),
                    unit_price=order.amount,
                )
                for order, purchase in zip(saved, history, strict=True)
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
        # Each buyer's first purchase is the acquisition the spend paid for.
        acquired: dict[int, tuple[str, dt.date]] = {}
        for purchase in history:
            acquired.setdefault(purchase.contact_id, (purchase.channel, purchase.at.date()))
        spend_rows = _seed_spend(rng, list(acquired.values()), start, end, currency)
    # A tiny demo (tests, trials) gets the two snapshots movements need, not a whole history.
    made = _seed_snapshots(end, snapshots if len(contacts) >= 500 else min(snapshots, 2))
    return DemoHistory(len(acquired), len(history), spend_rows, len(rates), made)


def _seed_spend(
    rng: np.random.Generator,
    acquisitions: list[tuple[str, dt.date]],
    start: dt.date,
    end: dt.date,
    currency: str,
) -> int:
    """Monthly spend per paid channel close to TARGET_CAC × buyers acquired that month."""
    acquired: dict[tuple[str, dt.date], int] = {}
    for channel, day in acquisitions:
        if channel in TARGET_CAC:
            month = day.replace(day=1)
            acquired[(channel, month)] = acquired.get((channel, month), 0) + 1
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
