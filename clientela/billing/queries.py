"""Reads of billing: who may do what, the quotes and invoices a user sees, traffic lights.

A quote or invoice is seen by whoever sees its deal (`deals_visible_to`): the one visibility
model of deals, on every list, detail, PDF, export and API path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Case, Exists, F, OuterRef, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.accounts.queries import has_capability
from clientela.billing.choices import LIGHT_ORDER, InvoiceStatus, Light, QuoteStatus
from clientela.billing.models import BillingSettings, Instalment, Invoice, Payment, Quote
from clientela.core.exceptions import Forbidden, NotFound
from clientela.core.numbers import bounded_int
from clientela.deals.models import Deal
from clientela.deals.queries import deals_visible_to, may_change

# An instalment due within this many days turns an invoice amber.
DUE_SOON_DAYS = 7
QUOTE_SERIES = "COT"
INVOICE_SERIES = "FAC"


def can_quote(user: User | AnonymousUser | None) -> bool:
    """Whether the role makes, sends and decides quotes (billing.quote)."""
    return has_capability(user, "billing.quote")


def can_invoice(user: User | AnonymousUser | None) -> bool:
    """Whether the role issues invoices and sets their plans (billing.invoice)."""
    return has_capability(user, "billing.invoice")


def can_record_payments(user: User | AnonymousUser | None) -> bool:
    """Whether the role records and deletes payments (billing.record_payments)."""
    return has_capability(user, "billing.record_payments")


def can_manage_settings(user: User | AnonymousUser | None) -> bool:
    """Whether the role sets up billing (billing.manage_settings)."""
    return has_capability(user, "billing.manage_settings")


def can_export(user: User | AnonymousUser | None) -> bool:
    """Whether the role downloads the quote, invoice and payment lists (billing.export)."""
    return has_capability(user, "billing.export")


def billing_settings() -> BillingSettings:
    """Return the installation's billing settings (the one row, made on first use)."""
    found, _created = BillingSettings.objects.get_or_create(pk=1)
    return found


def today() -> dt.date:
    """Return today's date in the installation's time zone."""
    return timezone.localdate()


# --- quotes ------------------------------------------------------------------------------------


def quotes_visible_to(user: User) -> QuerySet[Quote]:
    """Quotes of the deals the user sees."""
    return Quote.objects.filter(deal__in=deals_visible_to(user).values("pk"))


def _document_pk(raw: Any) -> int | None:
    return bounded_int(raw, minimum=1)


def get_quote_for_user(user: User, quote_id: Any, *, write: bool = False) -> Quote:
    """One quote the user sees (NotFound otherwise); Forbidden to change without the right."""
    pk = _document_pk(raw=quote_id)
    quote = (
        quotes_visible_to(user)
        .select_related("deal", "deal__owner", "deal__stage", "contact", "company")
        .filter(pk=pk)
        .first()
        if pk
        else None
    )
    if quote is None:
        raise NotFound(_("Quote not found."))
    if write and not (can_quote(user) and may_change(user, quote.deal)):
        raise Forbidden(_("Your role cannot change quotes."))
    return quote


def deal_quotes(deal: Deal) -> list[Quote]:
    """Return a deal's quotes, newest first."""
    return list(Quote.objects.filter(deal_id=deal.pk).order_by("-issued_on", "-sequence"))


def live_quote_exists(deal_id: int, *, exclude: int | None = None) -> bool:
    """Whether the deal has a draft or sent quote (other than `exclude`)."""
    qs = Quote.objects.filter(deal_id=deal_id, status__in=(QuoteStatus.DRAFT, QuoteStatus.SENT))
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.exists()


# --- invoices ----------------------------------------------------------------------------------


def invoices_visible_to(user: User) -> QuerySet[Invoice]:
    """Invoices of the deals the user sees."""
    return Invoice.objects.filter(deal__in=deals_visible_to(user).values("pk"))


def get_invoice_for_user(user: User, invoice_id: Any, *, write: bool = False) -> Invoice:
    """One invoice the user sees (NotFound otherwise); Forbidden to change without the right."""
    pk = _document_pk(raw=invoice_id)
    invoice = (
        invoices_visible_to(user)
        .select_related("deal", "deal__owner", "quote", "contact", "company")
        .filter(pk=pk)
        .first()
        if pk
        else None
    )
    if invoice is None:
        raise NotFound(_("Invoice not found."))
    if write and not (can_invoice(user) and may_change(user, invoice.deal)):
        raise Forbidden(_("Your role cannot change invoices."))
    return invoice


def instalments_of(invoice: Invoice) -> list[Instalment]:
    """Return an invoice's plan in order."""
    return list(Instalment.objects.filter(invoice_id=invoice.pk).order_by("position"))


def payments_of(invoice: Invoice) -> list[Payment]:
    """Return an invoice's payments, newest first, with their instalment."""
    return list(
        Payment.objects.filter(invoice_id=invoice.pk)
        .select_related("instalment", "created_by")
        .order_by("-paid_on", "-id")
    )


def payments_visible_to(user: User) -> QuerySet[Payment]:
    """Payments of the invoices the user sees."""
    return Payment.objects.filter(invoice__in=invoices_visible_to(user).values("pk"))


def deal_invoices(deal: Deal) -> list[Invoice]:
    """Return a deal's invoices with their light, newest first."""
    return list(with_light(Invoice.objects.filter(deal_id=deal.pk)).order_by("-issued_on", "-id"))


# --- traffic lights ----------------------------------------------------------------------------


def light_expression(on: dt.date | None = None, prefix: str = "") -> Case:
    """Return the SQL expression of an invoice's light on a day (today by default).

    Paid: nothing left to collect. Red: an instalment past its due date still owes money.
    Amber: an instalment is due within 7 days or is partly paid. Green: up to date. A void
    invoice reads paid (nothing to collect). `prefix` reaches the invoice through a relation.
    """
    day = on or today()
    unpaid = Instalment.objects.filter(invoice=OuterRef(f"{prefix}pk")).exclude(paid=F("amount"))
    overdue = unpaid.filter(due_on__lt=day)
    soon = unpaid.filter(due_on__lte=day + dt.timedelta(days=DUE_SOON_DAYS))
    partly = unpaid.filter(paid__gt=0)
    return Case(
        When(
            **{f"{prefix}status__in": (InvoiceStatus.PAID, InvoiceStatus.VOID)},
            then=Value(Light.PAID),
        ),
        When(Exists(overdue), then=Value(Light.RED)),
        When(Exists(soon) | Exists(partly), then=Value(Light.AMBER)),
        default=Value(Light.GREEN),
    )


def with_light(qs: QuerySet[Invoice], on: dt.date | None = None) -> QuerySet[Invoice]:
    """Annotate each invoice with its `light` on a day (today by default)."""
    return qs.annotate(light=light_expression(on))


def light_of(invoice: Invoice, on: dt.date | None = None) -> str:
    """Return one invoice's light on a day, computed from its instalments."""
    if invoice.status in (InvoiceStatus.PAID, InvoiceStatus.VOID):
        return Light.PAID
    day = on or today()
    rows = [i for i in instalments_of(invoice) if i.paid < i.amount]
    if any(i.due_on < day for i in rows):
        return Light.RED
    soon = day + dt.timedelta(days=DUE_SOON_DAYS)
    if any(i.due_on <= soon or i.paid > 0 for i in rows):
        return Light.AMBER
    return Light.GREEN


def worst_light(lights: Iterable[str]) -> str | None:
    """Return the worst of some lights (a deal's light from its invoices), None for none."""
    present = set(lights)
    for light in LIGHT_ORDER:
        if light in present:
            return str(light)
    return None


def deal_light(deal: Deal, on: dt.date | None = None) -> str | None:
    """Return a deal's light: the worst of its invoices' (void ones left out), None without."""
    qs = Invoice.objects.filter(deal_id=deal.pk).exclude(status=InvoiceStatus.VOID)
    return worst_light(qs.annotate(light=light_expression(on)).values_list("light", flat=True))


@dataclass(frozen=True)
class LightSummary:
    """Count and balance (company currency) of invoices in one light."""

    light: str
    label: str
    count: int
    balance: Decimal


def light_summary(qs: QuerySet[Invoice], on: dt.date | None = None) -> list[LightSummary]:
    """Count invoices per light with what is left to collect, converted at each one's rate."""
    counts: dict[str, int] = {str(light): 0 for light in LIGHT_ORDER}
    balances: dict[str, Decimal] = {str(light): Decimal(0) for light in LIGHT_ORDER}
    rows = (
        qs.exclude(status=InvoiceStatus.VOID)
        .annotate(light=light_expression(on))
        .values_list("light", "total", "paid", "rate")
    )
    for light, total, paid, rate in rows:
        counts[light] += 1
        balances[light] += ((total - paid) * rate).quantize(Decimal("0.01"))
    labels = dict(Light.choices)
    return [
        LightSummary(str(light), str(labels[light]), counts[light], balances[light])
        for light in LIGHT_ORDER
    ]


def overdue_instalments(on: dt.date | None = None) -> QuerySet[Instalment]:
    """Instalments past due that still owe money, on open invoices."""
    day = on or today()
    return (
        Instalment.objects.filter(due_on__lt=day, invoice__status=InvoiceStatus.OPEN)
        .exclude(paid=F("amount"))
        .select_related("invoice", "invoice__deal", "invoice__deal__owner", "invoice__contact")
    )
