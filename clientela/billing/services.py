"""The only code that writes quotes, invoices, instalment plans, payments and billing settings.

Every change writes its event on the deal's and the customer's timeline. Amounts are Decimal
end to end, rounded half up to the currency's decimals. Document numbers are gapless per
series and year: a number is taken under its counter's lock in the transaction that saves the
document. `actor=None` is the system (the demo, the scheduler).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_date
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.activities import services as activity_services
from clientela.activities.choices import Priority
from clientela.billing.choices import (
    LIVE_QUOTE,
    BillingVerb,
    InvoiceStatus,
    OrdersFrom,
    PaymentMethod,
    QuoteStatus,
)
from clientela.billing.documents import quote_pdf
from clientela.billing.models import (
    BillingSettings,
    DocumentCounter,
    Instalment,
    Invoice,
    Payment,
    Quote,
    QuoteLine,
)
from clientela.billing.queries import (
    INVOICE_SERIES,
    QUOTE_SERIES,
    billing_settings,
    can_invoice,
    can_manage_settings,
    can_quote,
    can_record_payments,
    live_quote_exists,
    overdue_instalments,
    today,
)
from clientela.catalog import services as catalog
from clientela.catalog.choices import ProductKind
from clientela.catalog.queries import currency_decimals, round_money
from clientela.catalog.services import parse_decimal
from clientela.core.events import Via
from clientela.core.exceptions import Conflict, Forbidden, ValidationFailed
from clientela.deals import lines as deal_lines
from clientela.deals.choices import StageKind
from clientela.deals.models import Deal, DealLine
from clientela.deals.queries import get_deal_for_user
from clientela.delivery.services import Attachment, queue_email
from clientela.orders import services as orders
from clientela.orders.choices import OrderVia
from clientela.orders.queries import convert
from clientela.timeline.services import record_event

TERMS_MAX = 5000
REFERENCE_MAX = 100
INSTALMENTS_MAX = 120
VALIDITY_MAX_DAYS = 365
SYNC_SCHEDULE = "billing.sync_orders"
QUOTE_KIND = "billing.quote"
MESSAGE_MAX = 5000


class StaleVersion(Conflict):
    """The document changed since the caller read it; `current` is its version now."""

    def __init__(self, message: str, current: int) -> None:
        super().__init__(message)
        self.current = current


# --- parsing -----------------------------------------------------------------------------------


def _date(value: Any, field: str, *, required: bool = False) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    if not text:
        if required:
            raise ValidationFailed({field: _("Enter a date.")})
        return None
    try:
        day = parse_date(text)
    except ValueError:
        day = None
    if day is None or not (1900 <= day.year <= 2999):
        raise ValidationFailed({field: _("Enter a valid date (YYYY-MM-DD).")})
    return day


def _text(value: Any, field: str, limit: int) -> str:
    text = str(value or "").replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise ValidationFailed({field: _("Keep it under %(limit)s characters.") % {"limit": limit}})
    return text


def _language(value: Any) -> str:
    code = str(value or "").strip().lower()[:2]
    if code not in ("es", "en"):
        raise ValidationFailed({"language": _("Choose Spanish or English.")})
    return code


def _money(value: Any, field: str, currency: str) -> Decimal:
    # Parsed finer than the column first, so 1.001 USD is refused rather than rounded away.
    number = parse_decimal(value, field, max_digits=22, places=6, low=Decimal(0))
    if number is None:
        raise ValidationFailed({field: _("Enter an amount.")})
    if number >= Decimal(10) ** 16:
        raise ValidationFailed({field: _("The number is too large.")})
    if round_money(number, currency) != number:
        raise ValidationFailed(
            {
                field: _("%(currency)s amounts have %(places)s decimals.")
                % {"currency": currency, "places": currency_decimals(currency)}
            }
        )
    return round_money(number, currency)


# --- numbering ---------------------------------------------------------------------------------


def take_number(series: str, year: int) -> tuple[str, int]:
    """Take the next number of a series and year ("COT-2026-0001", 1); call inside a transaction.

    The counter row is created if missing (a conflict-ignoring insert, so two first documents
    of a year do not collide) and locked; the number is given back if the caller's transaction
    rolls back, so numbers have no gaps. On SQLite the write transaction itself serialises.
    """
    DocumentCounter.objects.bulk_create(
        [DocumentCounter(series=series, year=year)], ignore_conflicts=True
    )
    counter = DocumentCounter.objects.select_for_update().get(series=series, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{series}-{year}-{counter.last:04d}", counter.last


# --- events ------------------------------------------------------------------------------------


def _event_data(document: Quote | Invoice, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": document.number,
        "document_id": document.pk,
        "deal_id": document.deal_id,
        "total": str(document.total),
        "currency": document.currency,
        "status": document.status,
    }
    data.update(extra)
    return data


def _record(
    verb: str,
    document: Quote | Invoice,
    actor: User | None,
    via: str,
    at: dt.datetime | None = None,
    **extra: Any,
) -> None:
    # On the deal: its timeline and the customer's tell the story of the sale in one place.
    record_event(
        verb,
        actor=actor,
        target=document.deal,
        via=via,
        data=_event_data(document, **extra),
        contact_id=document.contact_id,
        company_id=document.company_id,
        at=at,
    )


def _check_version(document: Quote | Invoice, expected: int | None) -> None:
    if expected is not None and document.version != expected:
        raise StaleVersion(
            _("Someone changed this document in the meantime. Reload it and try again."),
            document.version,
        )


def _writable_deal(deal: Deal, actor: User | None) -> Deal:
    if actor is None:
        return deal
    return get_deal_for_user(actor, deal.pk, write=True)


# --- quotes ------------------------------------------------------------------------------------


def _copy_lines(quote: Quote, lines: Sequence[DealLine]) -> None:
    QuoteLine.objects.filter(quote_id=quote.pk).delete()
    QuoteLine.objects.bulk_create(
        [
            QuoteLine(
                quote=quote,
                product_id=line.product_id,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_pct=line.discount_pct,
                tax_rate=line.tax_rate,
                net=line.net,
                tax=line.tax,
                total=line.total,
                position=index,
            )
            for index, line in enumerate(lines)
        ]
    )
    quote.net = sum((line.net for line in lines), Decimal(0))
    quote.tax = sum((line.tax for line in lines), Decimal(0))
    quote.total = sum((line.total for line in lines), Decimal(0))


def _value(document: Quote | Invoice) -> None:
    """Set the document's rate and company-currency total on its date (clear error if none)."""
    converted = convert(document.total, document.currency, document.issued_on, field="currency")
    document.rate, document.total_company = converted.rate, converted.amount


def _deal_lines(deal: Deal) -> list[DealLine]:
    lines = list(
        DealLine.objects.filter(deal_id=deal.pk)
        .select_related("product")
        .order_by("position", "id")
    )
    if not lines:
        raise ValidationFailed(
            {"lines": _("Add the products or services to the deal before quoting it.")}
        )
    return lines


def _reserve(deal: Deal, lines: Sequence[DealLine], actor: User | None, via: str) -> None:
    """Quoting reserves: every unique item on the quote is held for its deal (or refused)."""
    for line in lines:
        if line.product is not None and line.product.kind == ProductKind.UNIQUE:
            try:
                catalog.reserve(line.product, deal=deal, actor=actor, via=via)
            except Conflict as exc:
                raise ValidationFailed({"lines": str(exc)}) from exc


def create_quote(
    deal: Deal,
    *,
    actor: User | None,
    valid_until: Any = None,
    terms: Any = None,
    language: Any = None,
    via: str = Via.UI,
    at: dt.datetime | None = None,
) -> Quote:
    """Quote an open deal: its lines, totals and currency, valid until a date, numbered COT.

    The deal's unique items are reserved for it. Missing exchange rates, a past validity or
    a deal without lines are field errors.
    """
    if actor is not None and not can_quote(actor):
        raise Forbidden(_("Your role cannot make quotes."))
    deal = _writable_deal(deal, actor)
    if deal.state != StageKind.OPEN:
        raise ValidationFailed({"deal": _("Only a deal in progress can be quoted.")})
    settings_row = billing_settings()
    moment = at or timezone.now()
    issued = timezone.localdate(moment)
    until = _date(valid_until, "valid_until") or issued + dt.timedelta(
        days=settings_row.quote_validity_days
    )
    if until < issued:
        raise ValidationFailed({"valid_until": _("A quote cannot expire before its date.")})
    if until > issued + dt.timedelta(days=VALIDITY_MAX_DAYS):
        raise ValidationFailed({"valid_until": _("A quote is valid for a year at most.")})
    contact = deal.contact
    quote = Quote(
        deal=deal,
        contact=contact,
        company=deal.company,
        issued_on=issued,
        valid_until=until,
        currency=deal.currency,
        language=_language(language or (contact.language if contact else "es")),
        terms=_text(settings_row.quote_terms if terms is None else terms, "terms", TERMS_MAX),
        created_by=actor,
        created_at=moment,
        updated_at=moment,
    )
    with transaction.atomic():
        lines = _deal_lines(deal)
        quote.net = sum((line.net for line in lines), Decimal(0))
        quote.tax = sum((line.tax for line in lines), Decimal(0))
        quote.total = sum((line.total for line in lines), Decimal(0))
        _value(quote)
        _reserve(deal, lines, actor, via)
        quote.number, quote.sequence = take_number(QUOTE_SERIES, issued.year)
        quote.year = issued.year
        quote.save()
        _copy_lines(quote, lines)
        _record(BillingVerb.QUOTE_CREATED, quote, actor, via, at=at)
    return quote


def _locked_quote(quote: Quote, actor: User | None, expected_version: int | None) -> Quote:
    if actor is not None:
        if not can_quote(actor):
            raise Forbidden(_("Your role cannot change quotes."))
        _writable_deal(quote.deal, actor)
    locked = Quote.objects.select_for_update().select_related("deal").get(pk=quote.pk)
    _check_version(locked, expected_version)
    return locked


def _save(document: Quote | Invoice, fields: list[str], now: dt.datetime) -> None:
    document.version += 1
    document.updated_at = now
    document.save(update_fields=[*fields, "version", "updated_at"])


@transaction.atomic
def update_quote(
    quote: Quote,
    *,
    actor: User | None,
    data: Mapping[str, Any],
    expected_version: int | None = None,
    refresh_lines: bool = False,
    via: str = Via.UI,
) -> Quote:
    """Change a draft quote's validity, terms or language, or take the deal's lines again."""
    locked = _locked_quote(quote, actor, expected_version)
    if locked.status != QuoteStatus.DRAFT:
        raise Conflict(_("Only a draft quote can be changed; make a new one instead."))
    fields: list[str] = []
    if "valid_until" in data:
        until = _date(data["valid_until"], "valid_until", required=True)
        assert until is not None
        if until < locked.issued_on:
            raise ValidationFailed({"valid_until": _("A quote cannot expire before its date.")})
        if until > locked.issued_on + dt.timedelta(days=VALIDITY_MAX_DAYS):
            raise ValidationFailed({"valid_until": _("A quote is valid for a year at most.")})
        locked.valid_until = until
        fields.append("valid_until")
    if "terms" in data:
        locked.terms = _text(data["terms"], "terms", TERMS_MAX)
        fields.append("terms")
    if "language" in data:
        locked.language = _language(data["language"])
        fields.append("language")
    if refresh_lines:
        lines = _deal_lines(locked.deal)
        _reserve(locked.deal, lines, actor, via)
        locked.currency = locked.deal.currency
        _copy_lines(locked, lines)
        _value(locked)
        fields += ["currency", "net", "tax", "total", "rate", "total_company"]
    now = timezone.now()
    _save(locked, fields, now)
    _record(BillingVerb.QUOTE_CHANGED, locked, actor, via, changed=sorted(fields))
    return locked


def mark_sent(
    quote: Quote, *, actor: User | None, to: str, via: str = Via.UI, at: dt.datetime | None = None
) -> Quote:
    """Mark a draft or sent quote as sent to `to` now (call inside the sending transaction)."""
    locked = _locked_quote(quote, actor, None)
    if locked.status not in LIVE_QUOTE:
        raise Conflict(_("This quote is no longer open: it cannot be sent."))
    now = at or timezone.now()
    locked.status, locked.sent_at = QuoteStatus.SENT, now
    _save(locked, ["status", "sent_at"], now)
    _record(BillingVerb.QUOTE_SENT, locked, actor, via, at=at, to=to)
    return locked


@transaction.atomic
def decide_quote(
    quote: Quote,
    *,
    actor: User | None,
    accepted: bool,
    expected_version: int | None = None,
    via: str = Via.UI,
    at: dt.datetime | None = None,
) -> Quote:
    """Record the customer's answer: accepted (while still valid) or rejected."""
    locked = _locked_quote(quote, actor, expected_version)
    if locked.status not in LIVE_QUOTE:
        raise Conflict(_("This quote has been answered or has expired already."))
    now = at or timezone.now()
    if accepted and locked.valid_until < timezone.localdate(now):
        raise ValidationFailed(
            {"status": _("This quote expired on %(date)s: make a new one.")
             % {"date": locked.valid_until.isoformat()}}
        )  # fmt: skip
    locked.status = QuoteStatus.ACCEPTED if accepted else QuoteStatus.REJECTED
    locked.decided_at = now
    _save(locked, ["status", "decided_at"], now)
    verb = BillingVerb.QUOTE_ACCEPTED if accepted else BillingVerb.QUOTE_REJECTED
    _record(verb, locked, actor, via, at=at)
    return locked


def expire_quotes(on: dt.date | None = None) -> int:
    """Expire the draft and sent quotes past their validity; expiring frees their unique items.

    A deal still open with no other draft, sent or accepted quote gives its unique items back
    (their lines leave the deal, on its timeline), so a plot is not held by a stale offer.
    """
    day = on or today()
    expired = 0
    for quote_id in Quote.objects.filter(status__in=LIVE_QUOTE, valid_until__lt=day).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            quote = (
                Quote.objects.select_for_update()
                .select_related("deal")
                .filter(pk=quote_id, status__in=LIVE_QUOTE, valid_until__lt=day)
                .first()
            )
            if quote is None:
                continue
            now = timezone.now()
            quote.status = QuoteStatus.EXPIRED
            _save(quote, ["status"], now)
            _record(BillingVerb.QUOTE_EXPIRED, quote, None, Via.SYSTEM)
            expired += 1
            deal = quote.deal
            still_offered = (
                live_quote_exists(deal.pk)
                or Quote.objects.filter(deal_id=deal.pk, status=QuoteStatus.ACCEPTED).exists()
            )
            if deal.state == StageKind.OPEN and not still_offered:
                for line in DealLine.objects.filter(
                    deal_id=deal.pk, product__kind=ProductKind.UNIQUE
                ).select_related("deal", "product"):
                    deal_lines.remove_line(line, actor=None, via=Via.SYSTEM)
    return expired


def quote_email(quote: Quote) -> tuple[str, str, str]:
    """Return the address, subject and message a quote goes out with, in its language."""
    seller = billing_settings().seller_name
    contact = quote.contact
    with translation.override(quote.language):
        subject = _("Quote %(number)s") % {"number": quote.number}
        if seller:
            subject = f"{subject} · {seller}"
        greeting = (
            _("Hello %(name)s,") % {"name": contact.first_name or str(contact)}
            if contact is not None
            else _("Hello,")
        )
        body = _(
            "Please find attached our quote %(number)s for %(total)s %(currency)s, valid "
            "until %(date)s. We remain at your disposal for any question."
        ) % {
            "number": quote.number,
            "total": formats.number_format(quote.total, 2, use_l10n=True, force_grouping=True),
            "currency": quote.currency,
            "date": formats.date_format(quote.valid_until, "DATE_FORMAT", use_l10n=True),
        }
    to = (contact.email if contact is not None else "") or (
        quote.company.email if quote.company is not None else ""
    )
    return to, subject, f"{greeting}\n\n{body}"


def send_quote(
    quote: Quote,
    *,
    actor: User | None,
    to: str,
    subject: str,
    message: str,
    via: str = Via.UI,
) -> Quote:
    """E-mail a draft or sent quote with its PDF through the outbox, and mark it sent.

    The PDF is rendered before the transaction; the message is queued in it, so a refused
    address leaves the quote as it was. The e-mail is on the deal's and contact's timeline.
    """
    text = _text(message, "message", MESSAGE_MAX)
    if not text:
        raise ValidationFailed({"message": _("Write a message.")})
    document = quote_pdf(quote)
    with transaction.atomic():
        sent = mark_sent(quote, actor=actor, to=to, via=via)
        queue_email(
            to=to,
            subject=subject,
            html=linebreaks(escape(text)),
            text=text,
            kind=QUOTE_KIND,
            contact=sent.contact,
            language=sent.language,
            source=f"quote:{sent.pk}",
            actor=actor,
            attachments=[Attachment(f"{sent.number}.pdf", document, "application/pdf")],
        )
    return sent


# --- invoices and their plans ------------------------------------------------------------------


@dataclass(frozen=True)
class PlanRow:
    """One instalment of a plan: 0 is the down payment, then the monthly cuotas."""

    position: int
    due_on: dt.date
    amount: Decimal


def add_months(day: dt.date, months: int) -> dt.date:
    """Return the same day `months` later, on the month's last day when it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(candidate, day.day))
        except ValueError:
            continue
    raise AssertionError("every month has 28 days")


def propose_plan(
    total: Decimal,
    currency: str,
    *,
    down_payment: Decimal,
    count: int,
    first_due: dt.date,
    down_due: dt.date | None = None,
) -> list[PlanRow]:
    """Split `total`: a down payment, then `count` monthly cuotas summing exactly to the rest.

    Each cuota is the rest divided by `count`, rounded down to the currency's decimals; the
    last one takes the remainder, so the sum is exact in Decimal.
    """
    errors: dict[str, str] = {}
    if down_payment < 0 or down_payment > total:
        errors["down_payment"] = _("The down payment must be between 0 and the total.")
    if not 0 <= count <= INSTALMENTS_MAX:
        errors["count"] = _("Choose between 0 and %(max)s monthly instalments.") % {
            "max": INSTALMENTS_MAX
        }
    if count == 0 and down_payment != total:
        errors["count"] = _("With no monthly instalments, the down payment is the total.")
    if errors:
        raise ValidationFailed(errors)
    rows: list[PlanRow] = []
    if down_payment > 0:
        rows.append(PlanRow(0, down_due or first_due, down_payment))
    rest = total - down_payment
    if count:
        step = Decimal(1).scaleb(-currency_decimals(currency))
        share = (rest / count).quantize(step, rounding="ROUND_DOWN")
        if share <= 0:
            raise ValidationFailed({"count": _("The instalments would be too small.")})
        for number in range(1, count + 1):
            amount = share if number < count else rest - share * (count - 1)
            rows.append(PlanRow(number, add_months(first_due, number - 1), amount))
    return rows


def _clean_plan(rows: Sequence[Mapping[str, Any]], total: Decimal, currency: str) -> list[PlanRow]:
    """Validate a plan as edited: dates, amounts in the currency, sum exactly the total."""
    if not rows:
        raise ValidationFailed({"instalments": _("The plan needs at least one instalment.")})
    if len(rows) > INSTALMENTS_MAX + 1:
        raise ValidationFailed(
            {"instalments": _("A plan has at most %(max)s instalments.") % {"max": INSTALMENTS_MAX}}
        )
    errors: dict[str, str] = {}
    clean: list[PlanRow] = []
    positions: set[int] = set()
    for index, row in enumerate(rows):
        position = row.get("position", index)
        if not isinstance(position, int) or position < 0 or position in positions:
            errors[f"instalments.{index}.position"] = _("Each instalment needs its own number.")
            continue
        positions.add(position)
        try:
            due = _date(row.get("due_on"), f"instalments.{index}.due_on", required=True)
            amount = _money(row.get("amount"), f"instalments.{index}.amount", currency)
        except ValidationFailed as exc:
            errors.update({k: " ".join(v) for k, v in exc.errors.items()})
            continue
        if amount <= 0:
            errors[f"instalments.{index}.amount"] = _("Enter an amount above zero.")
            continue
        assert due is not None
        clean.append(PlanRow(position, due, amount))
    if errors:
        raise ValidationFailed(errors)
    planned = sum((row.amount for row in clean), Decimal(0))
    if planned != total:
        raise ValidationFailed(
            {
                "instalments": _(
                    "The instalments add up to %(planned)s but the total is %(total)s: "
                    "the difference is %(diff)s."
                )
                % {"planned": planned, "total": total, "diff": total - planned}
            }
        )
    return sorted(clean, key=lambda row: row.position)


def create_invoice(
    quote: Quote,
    *,
    actor: User | None,
    plan: Sequence[Mapping[str, Any]] | Sequence[PlanRow],
    issued_on: Any = None,
    via: str = Via.UI,
    at: dt.datetime | None = None,
) -> Invoice:
    """Bill an accepted quote: an invoice numbered FAC with its instalment plan.

    The plan's amounts must add up to the quote's total exactly. The company-currency value
    is taken at the invoice date's rate.
    """
    if actor is not None:
        if not can_invoice(actor):
            raise Forbidden(_("Your role cannot issue invoices."))
        _writable_deal(quote.deal, actor)
    moment = at or timezone.now()
    day = _date(issued_on, "issued_on") or timezone.localdate(moment)
    rows = [
        {"position": r.position, "due_on": r.due_on, "amount": r.amount}
        if isinstance(r, PlanRow)
        else r
        for r in plan
    ]
    with transaction.atomic():
        locked = Quote.objects.select_for_update().select_related("deal").get(pk=quote.pk)
        if locked.status != QuoteStatus.ACCEPTED:
            raise ValidationFailed({"quote": _("Only an accepted quote can be invoiced.")})
        if Invoice.objects.filter(quote_id=locked.pk).exists():
            raise Conflict(_("This quote has been invoiced already."))
        clean = _clean_plan(rows, locked.total, locked.currency)
        invoice = Invoice(
            deal=locked.deal,
            quote=locked,
            contact_id=locked.contact_id,
            company_id=locked.company_id,
            issued_on=day,
            currency=locked.currency,
            language=locked.language,
            net=locked.net,
            tax=locked.tax,
            total=locked.total,
            terms=locked.terms,
            created_by=actor,
            created_at=moment,
            updated_at=moment,
        )
        _value(invoice)
        invoice.number, invoice.sequence = take_number(INVOICE_SERIES, day.year)
        invoice.year = day.year
        invoice.save()
        Instalment.objects.bulk_create(
            [
                Instalment(invoice=invoice, position=r.position, due_on=r.due_on, amount=r.amount)
                for r in clean
            ]
        )
        _record(
            BillingVerb.INVOICE_CREATED, invoice, actor, via, at=at,
            quote=locked.number, instalments=len(clean),
        )  # fmt: skip
    return invoice


def _locked_invoice(
    invoice: Invoice, actor: User | None, expected_version: int | None, *, payments: bool = False
) -> Invoice:
    if actor is not None:
        allowed = can_record_payments(actor) if payments else can_invoice(actor)
        if not allowed:
            raise Forbidden(
                _("Your role cannot record payments.")
                if payments
                else _("Your role cannot change invoices.")
            )
        _writable_deal(invoice.deal, actor)
    locked = Invoice.objects.select_for_update().select_related("deal").get(pk=invoice.pk)
    _check_version(locked, expected_version)
    return locked


@transaction.atomic
def set_plan(
    invoice: Invoice,
    *,
    actor: User | None,
    rows: Sequence[Mapping[str, Any]],
    expected_version: int | None = None,
    via: str = Via.UI,
) -> Invoice:
    """Replace an open invoice's plan (dates and amounts), keeping what was paid on each row.

    A row that received payments keeps its number and cannot go below what was paid; the
    amounts must still add up to the total exactly.
    """
    locked = _locked_invoice(invoice, actor, expected_version)
    if locked.status != InvoiceStatus.OPEN:
        raise Conflict(_("Only an open invoice's plan can be changed."))
    clean = _clean_plan(rows, locked.total, locked.currency)
    current = {row.position: row for row in Instalment.objects.filter(invoice_id=locked.pk)}
    wanted = {row.position for row in clean}
    errors: dict[str, str] = {}
    for position, stored in current.items():
        if stored.paid > 0 and position not in wanted:
            errors["instalments"] = _(
                "Instalment %(number)s has payments: keep it in the plan."
            ) % {"number": position}
    for index, planned in enumerate(clean):
        existing = current.get(planned.position)
        if existing is not None and planned.amount < existing.paid:
            errors[f"instalments.{index}.amount"] = _(
                "%(paid)s has been paid on this instalment already."
            ) % {"paid": existing.paid}
    if errors:
        raise ValidationFailed(errors)
    Instalment.objects.filter(invoice_id=locked.pk).exclude(position__in=wanted).delete()
    for planned in clean:
        existing = current.get(planned.position)
        if existing is None:
            Instalment.objects.create(
                invoice=locked,
                position=planned.position,
                due_on=planned.due_on,
                amount=planned.amount,
            )
            continue
        existing.due_on, existing.amount = planned.due_on, planned.amount
        existing.paid_on = existing.paid_on if existing.paid == planned.amount else None
        existing.save(update_fields=["due_on", "amount", "paid_on"])
    _save(locked, [], timezone.now())
    _record(BillingVerb.PLAN_CHANGED, locked, actor, via, instalments=len(clean))
    return locked


@transaction.atomic
def record_payment(
    invoice: Invoice,
    *,
    actor: User | None,
    amount: Any,
    instalment: Instalment | None = None,
    paid_on: Any = None,
    method: Any = PaymentMethod.TRANSFER,
    reference: Any = "",
    via: str = Via.UI,
    at: dt.datetime | None = None,
) -> Payment:
    """Record money received against one instalment (the first unpaid one by default).

    Partial payments are allowed; more than the instalment's balance is a field error naming
    the balance. Paying the last balance marks the invoice paid and, when paid invoices feed
    Orders, records the sale.
    """
    locked = _locked_invoice(invoice, actor, None, payments=True)
    if locked.status != InvoiceStatus.OPEN:
        raise Conflict(_("This invoice is not open: it takes no payments."))
    value = _money(amount, "amount", locked.currency)
    if value <= 0:
        raise ValidationFailed({"amount": _("Enter an amount above zero.")})
    moment = at or timezone.now()
    day = _date(paid_on, "paid_on") or timezone.localdate(moment)
    if day > timezone.localdate(moment):
        raise ValidationFailed({"paid_on": _("A payment cannot be dated in the future.")})
    if str(method) not in PaymentMethod.values:
        raise ValidationFailed({"method": _("Choose how the customer paid.")})
    plan = Instalment.objects.select_for_update().filter(invoice_id=locked.pk)
    if instalment is None:
        target = plan.exclude(paid=F("amount")).order_by("position").first()
    else:
        target = plan.filter(pk=instalment.pk).first()
        if target is None:
            raise ValidationFailed({"instalment": _("Choose an instalment of this invoice.")})
    if target is None or target.paid >= target.amount:
        raise ValidationFailed({"instalment": _("This instalment is paid in full already.")})
    balance = target.amount - target.paid
    if value > balance:
        raise ValidationFailed(
            {
                "amount": _(
                    "That is more than what is owed on this instalment: its balance is "
                    "%(balance)s %(currency)s."
                )
                % {"balance": balance, "currency": locked.currency}
            }
        )
    payment = Payment.objects.create(
        invoice=locked,
        instalment=target,
        amount=value,
        paid_on=day,
        method=str(method),
        reference=_text(reference, "reference", REFERENCE_MAX),
        created_by=actor,
        created_at=moment,
    )
    target.paid += value
    target.paid_on = day if target.paid == target.amount else None
    target.save(update_fields=["paid", "paid_on"])
    locked.paid += value
    fields = ["paid"]
    if locked.paid == locked.total:
        locked.status, locked.paid_at = InvoiceStatus.PAID, moment
        fields += ["status", "paid_at"]
    _save(locked, fields, moment)
    _record(
        BillingVerb.PAYMENT_RECORDED, locked, actor, via, at=at,
        amount=str(value), instalment=target.position, paid_on=day.isoformat(),
        method=str(method),
    )  # fmt: skip
    if locked.status == InvoiceStatus.PAID:
        _record(BillingVerb.INVOICE_PAID, locked, actor, via, at=at)
        if billing_settings().orders_from == OrdersFrom.INVOICES:
            _feed_invoice(locked)
    return payment


@transaction.atomic
def delete_payment(payment: Payment, *, actor: User | None, via: str = Via.UI) -> Invoice:
    """Undo a payment recorded by mistake; a paid invoice opens again (and leaves Orders)."""
    locked = _locked_invoice(payment.invoice, actor, None, payments=True)
    if locked.status == InvoiceStatus.VOID:
        raise Conflict(_("This invoice is void."))
    row = Payment.objects.select_related("instalment").get(pk=payment.pk)
    target = row.instalment
    target.paid -= row.amount
    target.paid_on = None
    target.save(update_fields=["paid", "paid_on"])
    was_paid = locked.status == InvoiceStatus.PAID
    locked.paid -= row.amount
    locked.status, locked.paid_at = InvoiceStatus.OPEN, None
    _save(locked, ["paid", "status", "paid_at"], timezone.now())
    _record(
        BillingVerb.PAYMENT_DELETED, locked, actor, via,
        amount=str(row.amount), instalment=target.position, paid_on=row.paid_on.isoformat(),
    )  # fmt: skip
    row.delete()
    if was_paid:
        orders.withdraw_sale(invoice_key(locked))
    return locked


@transaction.atomic
def void_invoice(invoice: Invoice, *, actor: User | None, via: str = Via.UI) -> Invoice:
    """Void an invoice issued by mistake (only while it has no payments); its number stays."""
    locked = _locked_invoice(invoice, actor, None)
    if locked.status == InvoiceStatus.VOID:
        return locked
    if Payment.objects.filter(invoice_id=locked.pk).exists():
        raise Conflict(_("This invoice has payments: delete them first."))
    locked.status = InvoiceStatus.VOID
    _save(locked, ["status"], timezone.now())
    _record(BillingVerb.INVOICE_VOIDED, locked, actor, via)
    return locked


# --- overdue instalments -----------------------------------------------------------------------


def flag_overdue(on: dt.date | None = None) -> int:
    """Give each overdue instalment's deal owner one task to collect it (never two)."""
    created = 0
    for instalment_id in (
        overdue_instalments(on).filter(overdue_task__isnull=True).values_list("pk", flat=True)
    ):
        with transaction.atomic():
            row = (
                Instalment.objects.select_for_update()
                .select_related("invoice", "invoice__deal", "invoice__deal__owner")
                .filter(pk=instalment_id, overdue_task__isnull=True)
                .first()
            )
            if row is None:
                continue
            invoice, deal = row.invoice, row.invoice.deal
            owner = deal.owner
            with translation.override(owner.language or "es"):
                values = {
                    "number": row.position,
                    "invoice": invoice.number,
                    "date": formats.date_format(row.due_on, "SHORT_DATE_FORMAT"),
                }
                subject = (
                    _("Collect the down payment of %(invoice)s (overdue since %(date)s)") % values
                    if row.position == 0
                    else _("Collect instalment %(number)s of %(invoice)s (overdue since %(date)s)")
                    % values
                )
            task = activity_services.create_task(
                owner=owner,
                subject=subject,
                due_at=timezone.now(),
                contact=deal.contact,
                company=deal.company,
                actor=None,
                via=Via.SYSTEM,
                deal_id=deal.pk,
                priority=Priority.HIGH,
                source="billing.overdue",
            )
            row.overdue_task = task
            row.save(update_fields=["overdue_task"])
            _record(
                BillingVerb.INSTALMENT_OVERDUE, invoice, None, Via.SYSTEM,
                instalment=row.position, due_on=row.due_on.isoformat(),
                balance=str(row.amount - row.paid),
            )  # fmt: skip
            created += 1
    return created


# --- Orders: paid invoices or won deals, never both --------------------------------------------


def invoice_key(invoice: Invoice) -> str:
    """Return the external id a paid invoice's order has."""
    return f"invoice:{invoice.number}"


def deal_key(deal: Deal) -> str:
    """Return the external id a won deal's order has."""
    return f"deal:{deal.pk}"


def _feed_invoice(invoice: Invoice) -> None:
    orders.feed_sale(
        key=invoice_key(invoice),
        contact_id=invoice.contact_id,
        company_id=invoice.company_id,
        at=invoice.paid_at or timezone.now(),
        amount=invoice.total,
        currency=invoice.currency,
        rate=invoice.rate,
        via=OrderVia.INVOICE,
        note=invoice.number,
    )


def _feed_deal(deal: Deal) -> None:
    orders.feed_sale(
        key=deal_key(deal),
        contact_id=deal.contact_id,
        company_id=deal.company_id,
        at=deal.closed_at or timezone.now(),
        amount=deal.amount,
        currency=deal.currency,
        rate=deal.rate,
        via=OrderVia.DEAL,
        note=deal.title,
    )


def follow_deal_state(deal: Deal, before: str, *, actor: User | None, via: str) -> None:
    """Feed or withdraw a won deal's order when won deals feed Orders (a deals listener)."""
    if billing_settings().orders_from != OrdersFrom.DEALS:
        return
    if deal.state == StageKind.WON:
        _feed_deal(deal)
    elif before == StageKind.WON:
        orders.withdraw_sale(deal_key(deal))


def sync_orders() -> int:
    """Bring Orders in line with the setting: feed what is missing, withdraw the other source.

    Idempotent (the scheduler runs it hourly, and right after the setting changes): orders of
    the source not chosen leave, sales of the chosen one without an order get it, and orders
    whose sale was undone leave.
    """
    choice = billing_settings().orders_from
    changed = 0
    if choice != OrdersFrom.INVOICES:
        changed += orders.withdraw_sales("invoice:")
    if choice != OrdersFrom.DEALS:
        changed += orders.withdraw_sales("deal:")
    fed = set(orders.sale_keys())
    if choice == OrdersFrom.INVOICES:
        paid = Invoice.objects.filter(status=InvoiceStatus.PAID)
        for invoice in paid.iterator():
            if invoice_key(invoice) not in fed:
                with transaction.atomic():
                    _feed_invoice(invoice)
                changed += 1
        keep = {invoice_key(invoice) for invoice in paid.only("number")}
        for key in fed:
            if key.startswith("invoice:") and key not in keep:
                changed += orders.withdraw_sale(key)
    elif choice == OrdersFrom.DEALS:
        won = Deal.objects.filter(state=StageKind.WON)
        for deal in won.iterator():
            if deal_key(deal) not in fed:
                with transaction.atomic():
                    _feed_deal(deal)
                changed += 1
        keep = {deal_key(deal) for deal in won.only("pk")}
        for key in fed:
            if key.startswith("deal:") and key not in keep:
                changed += orders.withdraw_sale(key)
    return changed


# --- settings ----------------------------------------------------------------------------------


def update_settings(*, actor: User, data: Mapping[str, Any]) -> BillingSettings:
    """Change the billing settings; a new orders source is synced by the worker."""
    if not can_manage_settings(actor):
        raise Forbidden(_("Your role cannot set up billing."))
    from clientela.core.tasks import run_scheduled

    with transaction.atomic():
        row = BillingSettings.objects.select_for_update().get(pk=billing_settings().pk)
        before = row.orders_from
        errors: dict[str, str] = {}
        if "orders_from" in data:
            if data["orders_from"] not in OrdersFrom.values:
                errors["orders_from"] = _("Choose which sales become orders.")
            else:
                row.orders_from = data["orders_from"]
        if "quote_validity_days" in data:
            days = parse_decimal(
                data["quote_validity_days"], "quote_validity_days", max_digits=5, places=0,
                low=Decimal(1), high=Decimal(VALIDITY_MAX_DAYS),
            )  # fmt: skip
            if days is None:
                errors["quote_validity_days"] = _("Enter a number of days.")
            else:
                row.quote_validity_days = int(days)
        limits = {
            "quote_terms": TERMS_MAX, "seller_name": 200, "seller_tax_id": 40,
            "seller_address": 300, "seller_contact": 200,
        }  # fmt: skip
        for field, limit in limits.items():
            if field in data:
                try:
                    setattr(row, field, _text(data[field], field, limit))
                except ValidationFailed as exc:
                    errors.update({k: " ".join(v) for k, v in exc.errors.items()})
        if errors:
            raise ValidationFailed(errors)
        row.updated_at = timezone.now()
        row.save()
        record_event(
            BillingVerb.SETTINGS_CHANGED,
            actor=actor,
            target=row,
            via=Via.UI,
            data={"orders_from": row.orders_from, "previous": before},
        )
        if row.orders_from != before:
            transaction.on_commit(lambda: run_scheduled.enqueue(SYNC_SCHEDULE))
    return row
