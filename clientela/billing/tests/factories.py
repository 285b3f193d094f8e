"""Factories of billing and the world its access tests share.

Quotes and invoices are always made through their services (`EnteredQuoteFactory`,
`EnteredInvoiceFactory`): their numbers come from the gapless counters, which a row written
straight to the table would skip.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import factory

from clientela.accounts.models import User
from clientela.billing import services
from clientela.billing.models import Invoice, Payment, Quote
from clientela.catalog.tests.factories import UniqueItemFactory
from clientela.contacts.tests.factories import EnteredContactFactory
from clientela.deals import lines as deal_lines
from clientela.deals.models import Deal, Pipeline
from clientela.deals.tests.factories import EnteredDealFactory, real_estate_pipeline
from clientela.orders.tests.factories import ExchangeRateFactory


class EnteredQuoteFactory(factory.django.DjangoModelFactory[Quote]):
    """A quote made through `create_quote` from `deal` (required) by `actor` (None: system)."""

    class Meta:
        model = Quote

    actor = None

    @classmethod
    def _create(cls, model_class: type[Quote], *args: Any, **data: Any) -> Quote:
        return services.create_quote(**data)


class EnteredInvoiceFactory(factory.django.DjangoModelFactory[Invoice]):
    """An invoice of an accepted `quote` (required) with `plan` rows (default: one, the total)."""

    class Meta:
        model = Invoice

    actor = None

    @classmethod
    def _create(cls, model_class: type[Invoice], *args: Any, **data: Any) -> Invoice:
        quote = data["quote"]
        if "plan" not in data:
            data["plan"] = [services.PlanRow(0, quote.issued_on, quote.total)]
        return services.create_invoice(**data)


def usd_rate(rate: str = "4000", day: dt.date = dt.date(2020, 1, 1)) -> None:
    """Store a USD rate in force from `day` (so every later date converts)."""
    ExchangeRateFactory.create(currency="USD", date=day, rate=Decimal(rate))


def plot_deal(actor: User, pipeline: Pipeline, *, price: str = "25000.00") -> Deal:
    """Return `actor`'s open USD deal for a new contact with one plot on it (reserved)."""
    contact = EnteredContactFactory.create(actor=actor)
    deal = EnteredDealFactory.create(
        actor=actor, pipeline=pipeline, contact=contact, currency="USD", amount=Decimal(0)
    )
    plot = UniqueItemFactory.create(unit_price=Decimal(price))
    deal_lines.add_line(deal, actor=actor, product=plot)
    deal.refresh_from_db()
    return deal


def accepted_quote(actor: User | None, deal: Deal) -> Quote:
    """Return a quote of `deal`, accepted by the customer."""
    quote = EnteredQuoteFactory.create(deal=deal, actor=actor)
    return services.decide_quote(quote, actor=actor, accepted=True)


@dataclass
class World:
    """Rep's and rep2's deals, each quoted, rep's invoiced with a payment."""

    pipeline: Pipeline
    deal: Deal
    quote: Quote
    invoice: Invoice
    payment: Payment
    draft: Quote
    other_deal: Deal
    other_quote: Quote
    other_invoice: Invoice


def build_world(personas: Any) -> World:
    """Rep's deal quoted, accepted and invoiced in two instalments with one paid; rep2's too."""
    usd_rate()
    pipeline = real_estate_pipeline()
    deal = plot_deal(personas.rep, pipeline)
    quote = accepted_quote(None, deal)
    half = quote.total / 2
    invoice = EnteredInvoiceFactory.create(
        quote=quote,
        plan=[
            services.PlanRow(0, quote.issued_on, half),
            services.PlanRow(1, quote.issued_on + dt.timedelta(days=30), quote.total - half),
        ],
    )
    payment = services.record_payment(invoice, actor=None, amount=Decimal("100.00"))
    draft = EnteredQuoteFactory.create(deal=deal)
    other = plot_deal(personas.rep2, pipeline)
    other_quote = accepted_quote(None, other)
    return World(
        pipeline=pipeline,
        deal=deal,
        quote=quote,
        invoice=invoice,
        payment=payment,
        draft=draft,
        other_deal=other,
        other_quote=other_quote,
        other_invoice=EnteredInvoiceFactory.create(quote=other_quote),
    )
