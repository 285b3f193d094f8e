"""The demo's billing: quotes in every state, invoices in every light, gapless numbers by date."""

from __future__ import annotations

import time
from collections import defaultdict

import pytest
from django.db.models import Count, F

from clientela.activities.models import Activity
from clientela.billing.choices import BillingVerb, Light, QuoteStatus
from clientela.billing.models import Instalment, Invoice, Payment, Quote
from clientela.billing.queries import billing_settings, overdue_instalments, with_light
from clientela.catalog.models import Product
from clientela.deals.models import Deal
from clientela.demo.seeding import load_demo
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db


def _gapless_by_date(rows: list[tuple[int, int, object]]) -> bool:
    """Each year's sequences are 1..n, and sorting them by number sorts them by date."""
    years: dict[int, list[tuple[int, object]]] = defaultdict(list)
    for year, sequence, day in rows:
        years[year].append((sequence, day))
    for items in years.values():
        items.sort()
        if [sequence for sequence, _day in items] != list(range(1, len(items) + 1)):
            return False
        days = [day for _sequence, day in items]
        if days != sorted(days):  # type: ignore[type-var]
            return False
    return True


def test_the_demo_bills_its_plot_deals_in_every_state() -> None:
    started = time.monotonic()
    load_demo(contacts=400)
    elapsed = time.monotonic() - started
    statuses = set(Quote.objects.values_list("status", flat=True))
    assert statuses == set(QuoteStatus.values)
    annotation = "light"
    lights = set(with_light(Invoice.objects.all()).values_list(annotation, flat=True))
    assert lights == set(Light.values), lights
    # Accepted quotes are invoiced; every invoice adds up, its paid amount is its payments'.
    assert not Quote.objects.filter(status=QuoteStatus.ACCEPTED, invoice__isnull=True).exists()
    for invoice in Invoice.objects.prefetch_related("instalments", "payments"):
        assert sum(row.amount for row in invoice.instalments.all()) == invoice.total
        assert sum(row.paid for row in invoice.instalments.all()) == invoice.paid
        assert sum(row.amount for row in invoice.payments.all()) == invoice.paid
    counts = (
        Instalment.objects.values("invoice").annotate(n=Count("id")).values_list("n", flat=True)
    )
    assert {13, 7, 25} <= set(counts)
    # Numbers: consecutive per year, in date order.
    assert _gapless_by_date(list(Quote.objects.values_list("year", "sequence", "issued_on")))
    assert _gapless_by_date(list(Invoice.objects.values_list("year", "sequence", "issued_on")))
    # Overdue instalments have their owner's collection task.
    overdue = overdue_instalments()
    assert overdue.exists() and not overdue.filter(overdue_task__isnull=True).exists()
    assert Activity.objects.filter(source="billing.overdue").count() == overdue.count()
    # The plots stayed as the catalogue left them: sold to won deals, reserved by open ones.
    sold_to = set(Product.objects.filter(status="sold").values_list("deal_id", flat=True))
    assert sold_to and sold_to <= set(Deal.objects.filter(state="won").values_list("pk", flat=True))
    # The timeline tells it when it happened: nothing before its deal, nothing expired late.
    events = Event.objects.filter(verb__in=BillingVerb.values, target_type="deals.deal")
    assert events.count() > Quote.objects.count()
    deal_created = dict(Quote.objects.values_list("deal_id", "deal__created_at"))
    assert all(
        e.created_at >= deal_created[int(e.target_id)]
        for e in events.only("created_at", "target_id")
    )
    assert not Payment.objects.filter(paid_on__lt=F("invoice__issued_on")).exists()
    for quote in Quote.objects.filter(status=QuoteStatus.EXPIRED):
        expired = Event.objects.get(verb=BillingVerb.QUOTE_EXPIRED, data__document_id=quote.pk)
        assert expired.created_at.date() > quote.valid_until
    assert billing_settings().seller_name == "Inmobiliaria Andina S.A.S."
    print(f"demo loaded in {elapsed:.1f} s")
