"""Demo billing: quotes of the plot deals, invoices with cuotas, and their payments.

The deals holding a plot (see demo.catalog) are quoted when they reached *Cotizado*: won
deals accepted a quote (after an earlier one was rejected or expired when the sale took
long), then got an invoice with a down payment and 12 monthly cuotas (some 6 or 24) and paid
it — on time, late, partly, or all at once — so invoices show every traffic light today;
open deals hold a sent quote (*Cotizado*), a draft (*Asistió a la cita*) or a rejected one
(*Nutrición*). Sales of the last four months are billed here (the company adopted
Clientela's billing then). Everything goes through the billing services with `at=`, the system as
actor, in date order, so COT and FAC numbers are consecutive by date and the timelines tell
the story when it happened. Overdue instalments get their owner's collection task.

Replaying history sets the world as it was at each moment: while a won deal is quoted its
plot is reserved again and the deal reads open (in memory only), as they were at the time.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from clientela.accounts.models import User
from clientela.billing import services
from clientela.billing.choices import BillingVerb, QuoteStatus
from clientela.billing.models import Instalment, Invoice, Quote
from clientela.catalog.choices import ItemStatus, ProductKind
from clientela.catalog.models import Product
from clientela.core.events import Via
from clientela.deals.choices import StageKind
from clientela.deals.models import Deal, StageHistory
from clientela.timeline.models import Event

SELLER = {
    "seller_name": "Inmobiliaria Andina S.A.S.",
    "seller_tax_id": "NIT 901.234.567-8",
    "seller_address": "Calle 93 #11-20, oficina 402, Bogotá D.C., Colombia",
    "seller_contact": "+57 601 555 0193 · ventas@inmobiliaria-andina.example",
    "quote_terms": (
        "Precio en dólares estadounidenses (USD); el equivalente en pesos se calcula a la TRM "
        "del día de pago. La separación del lote se confirma con la cuota inicial."
    ),
}
VALIDITY = 15  # days, as in the settings
# The company has billed in Clientela for four months: older sales were invoiced elsewhere
# (which keeps the demo fast: every quote, invoice and payment is a service call).
BILLED_DAYS = 120
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
# How a buyer pays: on time, late (the last dues unpaid), partly, or everything at once.
HABITS = ("on_time", "late", "partly", "paid_off")
HABIT_WEIGHTS = (70, 12, 8, 10)


@dataclass
class _Sale:
    """One plot deal being billed, and the documents made for it so far."""

    deal: Deal
    quotes: list[Quote] = field(default_factory=list)
    invoice: Invoice | None = None


Action = tuple[dt.datetime, int, Callable[[], None]]


def _local(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def seed_billing(seed: int = 2026, now: dt.datetime | None = None) -> int:
    """Quote, invoice and collect the demo's plot deals (once); return the invoices made."""
    if Quote.objects.exists() or not Product.objects.filter(kind=ProductKind.UNIQUE).exists():
        return 0
    now = now or timezone.now()
    rng = random.Random(f"billing-{seed}")
    admin = User.objects.filter(username="admin").first()
    if admin is not None:
        services.update_settings(actor=admin, data=SELLER)
    held = dict(
        Product.objects.filter(kind=ProductKind.UNIQUE, deal_id__isnull=False).values_list(
            "deal_id", "status"
        )
    )
    since = now - dt.timedelta(days=BILLED_DAYS)
    deals = list(
        Deal.objects.filter(pk__in=held)
        .filter(Q(state=StageKind.OPEN) | Q(state=StageKind.WON, closed_at__gte=since))
        .select_related("stage", "contact", "company", "owner")
        .order_by("id")
    )
    entered = _entered(deals)
    with transaction.atomic():
        # As it was when they were quoted: the sold plots were reserved, their deals open.
        sold = Product.objects.filter(deal_id__in=[d.pk for d in deals], status=ItemStatus.SOLD)
        sold_ids = list(sold.values_list("pk", flat=True))
        Product.objects.filter(pk__in=sold_ids).update(status=ItemStatus.RESERVED)
        actions: list[Action] = []
        sales = []
        for deal in deals:
            sale = _Sale(deal)
            sales.append(sale)
            actions += _plan_sale(sale, entered.get(deal.pk, {}), now, rng)
        for _moment, _order, run in sorted(actions, key=lambda a: (a[0], a[1])):
            run()
        Product.objects.filter(pk__in=sold_ids).update(status=ItemStatus.SOLD)
        invoiced = [s for s in sales if s.invoice is not None]
        _collect(invoiced, now, rng)
        _expire(now)
    services.flag_overdue(timezone.localdate(now))
    return len(invoiced)


def _entered(deals: list[Deal]) -> dict[int, dict[str, dt.datetime]]:
    """When each deal entered each of its stages (the first time)."""
    out: dict[int, dict[str, dt.datetime]] = {}
    rows = (
        StageHistory.objects.filter(deal_id__in=[d.pk for d in deals])
        .order_by("entered_at", "id")
        .values_list("deal_id", "stage__name", "entered_at")
    )
    for deal_id, name, at in rows:
        out.setdefault(deal_id, {}).setdefault(name, at)
    return out


def _plan_sale(
    sale: _Sale, stages: dict[str, dt.datetime], now: dt.datetime, rng: random.Random
) -> list[Action]:
    """Return the dated steps of one deal's billing story (run later, all deals by date)."""
    deal = sale.deal
    order = deal.pk * 10
    start = max(stages.get("Cotizado", deal.stage_entered_at), deal.created_at) + 2 * HOUR
    email = deal.contact.email if deal.contact and deal.contact.email else "cliente@example.co"

    def quote(at: dt.datetime, until: dt.date | None = None) -> Callable[[], None]:
        def run() -> None:
            if deal.state == StageKind.WON:
                deal.state = StageKind.OPEN  # as it was then (memory only)
            made = services.create_quote(deal, actor=None, valid_until=until, via=Via.SEED, at=at)
            sale.quotes.append(made)

        return run

    def sent(index: int, at: dt.datetime) -> Callable[[], None]:
        return lambda: _replace(sale, index, services.mark_sent(
            sale.quotes[index], actor=None, to=email, via=Via.SEED, at=at
        ))  # fmt: skip

    def decided(index: int, at: dt.datetime, accepted: bool) -> Callable[[], None]:
        return lambda: _replace(sale, index, services.decide_quote(
            sale.quotes[index], actor=None, accepted=accepted, via=Via.SEED, at=at
        ))  # fmt: skip

    steps: list[tuple[dt.datetime, Callable[[], None]]] = []
    today = timezone.localdate(now)
    if deal.state == StageKind.WON and deal.closed_at is not None:
        closed = min(deal.closed_at, now - HOUR)
        first = min(start, closed - 3 * HOUR)
        steps += [(first, quote(first)), (first + HOUR, sent(0, first + HOUR))]
        if timezone.localdate(closed) <= timezone.localdate(first) + dt.timedelta(days=VALIDITY):
            steps.append((closed - HOUR, decided(0, closed - HOUR, True)))
            accepted = 0
        else:
            if rng.random() < 0.4:  # turned down; the rest let it expire
                answer = first + dt.timedelta(days=rng.randint(2, VALIDITY - 1))
                steps.append((answer, decided(0, answer, False)))
            second = closed - dt.timedelta(hours=rng.randint(30, 100))
            steps += [
                (second, quote(second)),
                (second + HOUR, sent(1, second + HOUR)),
                (closed - HOUR, decided(1, closed - HOUR, True)),
            ]
            accepted = 1
        billed = min(closed + dt.timedelta(days=rng.randint(0, 3), hours=2), now - 3 * HOUR)
        steps.append((billed, lambda: _invoice(sale, accepted, billed, rng)))
    elif deal.stage.name == "Cotizado":
        at = max(start, now - dt.timedelta(days=VALIDITY - 2))
        until = today + dt.timedelta(days=rng.randint(3, VALIDITY))
        steps += [(at, quote(at, until)), (at + HOUR, sent(0, at + HOUR))]
    elif deal.stage.name == "Nutrición":
        at = max(start, now - dt.timedelta(days=300))
        steps += [(at, quote(at)), (at + HOUR, sent(0, at + HOUR))]
        answer = max(stages.get("Nutrición", at + DAY), at + 2 * HOUR)
        steps.append((answer, decided(0, answer, False)))
        if rng.random() < 0.5:  # a new offer is being prepared
            again = max(answer + HOUR, now - dt.timedelta(days=rng.randint(1, 5)))
            steps.append((again, quote(again, today + dt.timedelta(days=VALIDITY))))
    elif rng.random() < 0.5:  # attended the appointment: some reps are preparing the quote
        at = max(deal.stage_entered_at + HOUR, now - dt.timedelta(days=rng.randint(1, 4)))
        steps.append((at, quote(at, today + dt.timedelta(days=VALIDITY))))
    return [(at, order + index, run) for index, (at, run) in enumerate(steps) if at < now]


def _replace(sale: _Sale, index: int, quote: Quote) -> None:
    sale.quotes[index] = quote


def _invoice(sale: _Sale, index: int, at: dt.datetime, rng: random.Random) -> None:
    """Invoice the accepted quote: a down payment and 12 cuotas (some 6 or 24)."""
    quote = sale.quotes[index]
    day = timezone.localdate(at)
    share = Decimal(rng.choice((20, 30, 30, 40))) / 100
    down = (quote.total * share).quantize(Decimal(100))
    count = rng.choice((12, 12, 12, 12, 6, 24))
    plan = services.propose_plan(
        quote.total, quote.currency, down_payment=down, count=count,
        first_due=services.add_months(day, 1), down_due=day,
    )  # fmt: skip
    sale.invoice = services.create_invoice(quote, actor=None, plan=plan, via=Via.SEED, at=at)


def _collect(sales: list[_Sale], now: dt.datetime, rng: random.Random) -> None:
    """Record each invoice's payments by its buyer's habit; every light shows up today."""
    today = timezone.localdate(now)
    soon = today + dt.timedelta(days=7)
    running = [s for s in sales if s.invoice and s.invoice.instalments.filter(due_on__gt=soon)]
    # Four of the latest running invoices show the rarer habits for sure; the rest draw them.
    forced = dict(zip(("late", "partly", "paid_off", "early"), running[-4:], strict=False))
    habits = {id(sale): habit for habit, sale in forced.items()}
    for sale in sales:
        invoice = sale.invoice
        assert invoice is not None
        habit = habits.get(id(sale)) or rng.choices(HABITS, HABIT_WEIGHTS)[0]
        start = invoice.created_at + HOUR
        rows = list(invoice.instalments.order_by("position"))
        due = [row for row in rows if row.due_on < today]
        if habit == "late" and len(due) > 0:
            due = due[: -rng.randint(1, min(2, len(due)))] if len(due) > 1 else []
        for row in due:
            lag = rng.choice((0, 0, 0, 1, 2, 5)) if habit != "late" else rng.randint(0, 9)
            _pay(invoice, row, row.amount, row.due_on + dt.timedelta(days=lag), start, now)
        ahead = [row for row in rows if row.due_on >= today]
        if habit == "paid_off":
            for row in ahead:
                _pay(invoice, row, row.amount, today - dt.timedelta(days=1), start, now)
        elif habit in ("on_time", "early") and ahead and ahead[0].due_on <= soon:
            if habit == "early" or rng.random() < 0.5:  # paid a few days before it was due
                _pay(invoice, ahead[0], ahead[0].amount, today, start, now)
        elif habit == "partly" and ahead:
            _pay(
                invoice,
                ahead[0],
                (ahead[0].amount / 2).quantize(Decimal("0.01")),
                today,
                start,
                now,
            )


def _pay(
    invoice: Invoice,
    row: Instalment,
    amount: Decimal,
    day: dt.date,
    start: dt.datetime,
    now: dt.datetime,
) -> None:
    moment = max(_local(day, 11), start)
    moment = min(moment, now - dt.timedelta(minutes=5))
    services.record_payment(
        invoice, actor=None, amount=amount, instalment=row,
        paid_on=timezone.localdate(moment), method=_method(row), via=Via.SEED, at=moment,
    )  # fmt: skip


def _method(row: Instalment) -> str:
    """Pay the down payment by card and the cuotas by bank transfer."""
    return "transfer" if row.position else "card"


def _expire(now: dt.datetime) -> None:
    """Expire the quotes left unanswered, dated the day after they lapsed."""
    services.expire_quotes(timezone.localdate(now))
    for quote in Quote.objects.filter(status=QuoteStatus.EXPIRED):
        lapsed = min(_local(quote.valid_until + DAY, 0) + dt.timedelta(minutes=5), now)
        Quote.objects.filter(pk=quote.pk).update(updated_at=lapsed)
        Event.objects.filter(verb=BillingVerb.QUOTE_EXPIRED, data__document_id=quote.pk).update(
            created_at=lapsed
        )
