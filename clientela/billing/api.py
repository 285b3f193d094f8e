"""API of quotes, invoices and payments (mounted at /api/v1/quotes, …/invoices, …/payments).

Adapters over the billing services: a document is seen by whoever sees its deal, changed by
whoever may change the deal with the right capability. Amounts are Decimal end to end and
travel as JSON strings ("25000.00"); a 409 always carries the document's current version.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from clientela.accounts.api_auth import actor
from clientela.billing import services
from clientela.billing.choices import InvoiceStatus, Light, PaymentMethod, QuoteStatus
from clientela.billing.documents import invoice_pdf, quote_pdf
from clientela.billing.models import Instalment, Invoice, Payment, Quote, QuoteLine
from clientela.billing.queries import (
    get_invoice_for_user,
    get_quote_for_user,
    instalments_of,
    invoices_visible_to,
    light_of,
    payments_visible_to,
    quotes_visible_to,
    today,
    with_light,
)
from clientela.catalog.queries import currency_decimals, round_money
from clientela.contacts.representation import Ref, ref
from clientela.core.events import Via
from clientela.core.exceptions import Conflict, NotFound, ValidationFailed
from clientela.core.http import DbInt, ListPage, PageQuery, RecordId, api_errors
from clientela.core.keyset import page_of
from clientela.deals.queries import get_deal_for_user
from clientela.orders.queries import company_currency

quotes_router = Router(tags=["billing"])
invoices_router = Router(tags=["billing"])
payments_router = Router(tags=["billing"])

# Amounts in: a string ("1500.50") or a number, bounded so nothing overflows a column.
AmountIn = Field(max_digits=22, decimal_places=6)
DOCUMENT_ORDERINGS = {"-issued": ("-issued_on", "-id"), "issued": ("issued_on", "id")}
PAYMENT_ORDERINGS = {"-paid": ("-paid_on", "-id"), "paid": ("paid_on", "id")}


class ConflictOut(Schema):
    """A conflict: the document changed since you read it, or its state refuses the change."""

    detail: str
    version: int = Field(description="The document's current version")


class DocumentRef(Schema):
    """A quote or invoice named by its id and number."""

    id: int
    number: str


# --- quotes ------------------------------------------------------------------------------------


class QuoteLineOut(Schema):
    """A line of a quote, copied from the deal when the quote was made."""

    position: int
    product: int | None = Field(description="The catalogue product's id, if any")
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_pct: Decimal = Field(description="Percent")
    tax_rate: Decimal = Field(description="Percent")
    net: Decimal
    tax: Decimal
    total: Decimal


class QuoteOut(Schema):
    """A quote; `total_company` is `total` in the company currency at `rate` on `issued_on`."""

    id: int
    number: str = Field(description="COT-YYYY-NNNN, gapless per year")
    deal: Ref
    contact: Ref | None
    company: Ref | None
    status: QuoteStatus
    issued_on: date
    valid_until: date
    currency: str
    language: str
    net: Decimal
    tax: Decimal
    total: Decimal
    rate: Decimal
    total_company: Decimal
    company_currency: str
    terms: str
    sent_at: datetime | None
    decided_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int


class QuoteDetailOut(QuoteOut):
    """A quote with its lines."""

    lines: list[QuoteLineOut]


class QuotePage(ListPage):
    """A page of quotes: `next` is the URL of the following page, or null."""

    items: list[QuoteOut]


class QuoteQuery(PageQuery):
    """Filters, ordering and pagination of the quotes list."""

    deal: RecordId | None = None
    status: QuoteStatus | None = None
    since: date | None = Field(None, description="Dated on or after")
    until: date | None = Field(None, description="Dated on or before")
    ordering: Literal["-issued", "issued"] = "-issued"


class QuoteIn(Schema):
    """A quote of a deal in progress: its lines, totals and currency as they are now."""

    model_config = ConfigDict(extra="forbid")

    deal: RecordId
    valid_until: date | None = Field(None, description="The settings' validity by default")
    terms: str | None = Field(None, max_length=5000, description="The settings' terms by default")
    language: Literal["es", "en"] | None = Field(None, description="The contact's by default")


class QuotePatch(Schema):
    """Changes to a draft quote; `refresh_lines` takes the deal's lines again."""

    model_config = ConfigDict(extra="forbid")

    valid_until: date | None = None
    terms: str | None = Field(None, max_length=5000)
    language: Literal["es", "en"] | None = None
    refresh_lines: bool = False
    version: DbInt | None = Field(None, description="Refuse the change (409) if it moved on")


class DecisionIn(Schema):
    """The customer's answer; send `version` to refuse it (409) if the quote moved on."""

    model_config = ConfigDict(extra="forbid")

    version: DbInt | None = None


def quote_out(quote: Quote) -> dict[str, Any]:
    """Return the API representation of a quote (deal, contact and company selected)."""
    return {
        "id": quote.pk, "number": quote.number, "deal": ref(quote.deal),
        "contact": ref(quote.contact), "company": ref(quote.company), "status": quote.status,
        "issued_on": quote.issued_on, "valid_until": quote.valid_until,
        "currency": quote.currency, "language": quote.language, "net": quote.net,
        "tax": quote.tax, "total": quote.total, "rate": quote.rate,
        "total_company": quote.total_company, "company_currency": company_currency(),
        "terms": quote.terms, "sent_at": quote.sent_at, "decided_at": quote.decided_at,
        "created_at": quote.created_at, "updated_at": quote.updated_at, "version": quote.version,
    }  # fmt: skip


def line_out(line: QuoteLine) -> dict[str, Any]:
    """Return the API representation of a quote line."""
    return {
        "position": line.position, "product": line.product_id, "description": line.description,
        "quantity": line.quantity, "unit_price": line.unit_price,
        "discount_pct": line.discount_pct, "tax_rate": line.tax_rate, "net": line.net,
        "tax": line.tax, "total": line.total,
    }  # fmt: skip


def quote_detail(user: Any, quote_id: int) -> dict[str, Any]:
    """Return a quote the user sees, with its lines."""
    quote = get_quote_for_user(user, quote_id)
    lines = QuoteLine.objects.filter(quote_id=quote.pk).order_by("position", "id")
    return {**quote_out(quote), "lines": [line_out(line) for line in lines]}


def _quote_conflict(quote_id: int, exc: Conflict) -> Status[dict[str, Any]]:
    current = Quote.objects.filter(pk=quote_id).values_list("version", flat=True).first()
    version = exc.current if isinstance(exc, services.StaleVersion) else current
    return Status(409, {"detail": str(exc), "version": version or 0})


@quotes_router.get("", response=QuotePage, summary="List quotes")
def list_quotes(request: HttpRequest, query: Query[QuoteQuery]) -> dict[str, Any]:
    """List the quotes of the deals you may see, newest first."""
    user = actor(request)
    qs = quotes_visible_to(user)
    if query.deal is not None:
        qs = qs.filter(deal_id=query.deal)
    if query.status is not None:
        qs = qs.filter(status=query.status)
    if query.since is not None:
        qs = qs.filter(issued_on__gte=query.since)
    if query.until is not None:
        qs = qs.filter(issued_on__lte=query.until)
    fields = DOCUMENT_ORDERINGS[query.ordering]
    page = page_of(
        request,
        qs.order_by(*fields),
        fields=fields,
        ordering=query.ordering,
        limit=query.limit,
        offset=query.offset,
        cursor=query.cursor,
        shape=lambda rows: rows.select_related("deal", "contact", "company"),
    )
    return page.body([quote_out(row) for row in page.rows])


@quotes_router.get("{quote_id}", response=QuoteDetailOut, summary="Get a quote")
def get_quote(request: HttpRequest, quote_id: RecordId) -> dict[str, Any]:
    """One quote of a deal you may see, with its lines."""
    return quote_detail(actor(request), quote_id)


# The PDF operations answer a file, not JSON: the document says so.
PDF_RESPONSES: dict[str, Any] = {
    "responses": {
        200: {
            "description": "The document as PDF, in its language (es-CO formats in Spanish)",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


def _pdf(content: bytes, number: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@quotes_router.get(
    "{quote_id}/pdf", summary="Download a quote's PDF", openapi_extra=PDF_RESPONSES,
)  # fmt: skip
def get_quote_pdf(request: HttpRequest, quote_id: RecordId) -> HttpResponse:
    """Download the quote as PDF, in its language, for a deal you may see."""
    quote = get_quote_for_user(actor(request), quote_id)
    return _pdf(quote_pdf(quote), quote.number)


@quotes_router.post(
    "", response={201: QuoteDetailOut}, summary="Quote a deal", openapi_extra=api_errors(404),
)  # fmt: skip
def create_quote(request: HttpRequest, payload: QuoteIn) -> Status[dict[str, Any]]:
    """Quote a deal in progress: its lines, totals and currency, numbered COT-YYYY-NNNN.

    The deal's unique items (plots) are reserved for it. A deal without lines, closed, or in a
    currency without an exchange rate for today is a 400 naming the field.
    """
    user = actor(request)
    deal = get_deal_for_user(user, payload.deal)
    quote = services.create_quote(
        deal, actor=user, valid_until=payload.valid_until, terms=payload.terms,
        language=payload.language, via=Via.API,
    )  # fmt: skip
    return Status(201, quote_detail(user, quote.pk))


@quotes_router.patch(
    "{quote_id}", response={200: QuoteDetailOut, 409: ConflictOut}, summary="Change a draft quote",
)  # fmt: skip
def update_quote(request: HttpRequest, quote_id: RecordId, payload: QuotePatch) -> Any:
    """Change a draft's validity, terms or language, or take the deal's lines again.

    A quote that is no longer a draft, or one changed since `version`, answers 409 with its
    current version.
    """
    user = actor(request)
    quote = get_quote_for_user(user, quote_id, write=True)
    data = payload.dict(exclude_unset=True)
    data.pop("version", None)
    refresh = bool(data.pop("refresh_lines", False))
    for key in ("valid_until", "terms", "language"):
        if key in data and data[key] is None:
            data.pop(key)
    try:
        services.update_quote(
            quote, actor=user, data=data, expected_version=payload.version,
            refresh_lines=refresh, via=Via.API,
        )  # fmt: skip
    except Conflict as exc:
        return _quote_conflict(quote.pk, exc)
    return quote_detail(user, quote.pk)


def _decide(request: HttpRequest, quote_id: int, payload: DecisionIn, *, accepted: bool) -> Any:
    user = actor(request)
    quote = get_quote_for_user(user, quote_id, write=True)
    try:
        services.decide_quote(
            quote, actor=user, accepted=accepted, expected_version=payload.version, via=Via.API
        )
    except Conflict as exc:
        return _quote_conflict(quote.pk, exc)
    return quote_detail(user, quote.pk)


@quotes_router.post(
    "{quote_id}/accept", response={200: QuoteDetailOut, 409: ConflictOut},
    summary="Mark a quote accepted",
)  # fmt: skip
def accept_quote(request: HttpRequest, quote_id: RecordId, payload: DecisionIn) -> Any:
    """Record that the customer accepted a draft or sent quote (while it is still valid)."""
    return _decide(request, quote_id, payload, accepted=True)


@quotes_router.post(
    "{quote_id}/reject", response={200: QuoteDetailOut, 409: ConflictOut},
    summary="Mark a quote rejected",
)  # fmt: skip
def reject_quote(request: HttpRequest, quote_id: RecordId, payload: DecisionIn) -> Any:
    """Record that the customer turned a draft or sent quote down."""
    return _decide(request, quote_id, payload, accepted=False)


# --- invoices ----------------------------------------------------------------------------------


class InstalmentOut(Schema):
    """One instalment: 0 is the down payment, then the monthly cuotas."""

    id: int
    position: int
    due_on: date
    amount: Decimal
    paid: Decimal
    balance: Decimal
    paid_on: date | None = Field(description="When it was paid in full")
    overdue: bool = Field(description="Past due and not paid in full")


class InvoiceOut(Schema):
    """An invoice; `light` is its payment traffic light today."""

    id: int
    number: str = Field(description="FAC-YYYY-NNNN, gapless per year")
    quote: DocumentRef
    deal: Ref
    contact: Ref | None
    company: Ref | None
    status: InvoiceStatus
    light: Light = Field(
        description="green: up to date; amber: due within 7 days or partly paid; "
        "red: overdue; paid: nothing left to collect (void invoices too)"
    )
    issued_on: date
    currency: str
    language: str
    net: Decimal
    tax: Decimal
    total: Decimal
    paid: Decimal
    balance: Decimal
    rate: Decimal
    total_company: Decimal
    company_currency: str
    terms: str
    paid_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int


class InvoiceDetailOut(InvoiceOut):
    """An invoice with its instalment plan."""

    instalments: list[InstalmentOut]


class InvoicePage(ListPage):
    """A page of invoices: `next` is the URL of the following page, or null."""

    items: list[InvoiceOut]


class InvoiceQuery(PageQuery):
    """Filters, ordering and pagination of the invoices list."""

    deal: RecordId | None = None
    status: InvoiceStatus | None = None
    light: Light | None = None
    ordering: Literal["-issued", "issued"] = "-issued"


class InstalmentIn(Schema):
    """One instalment of a plan as written by the caller."""

    model_config = ConfigDict(extra="forbid")

    position: int = Field(ge=0, le=1000, description="0 for the down payment, then 1, 2, …")
    due_on: date
    amount: Decimal = AmountIn


class InvoiceIn(Schema):
    """An invoice of an accepted quote: either its `instalments`, or a plan to propose.

    With `down_payment`, `count` and `first_due`, the rest after the down payment is split into
    `count` monthly cuotas from `first_due` (the last one takes the rounding remainder); the
    down payment is due on the invoice's date.
    """

    model_config = ConfigDict(extra="forbid")

    quote: RecordId
    instalments: list[InstalmentIn] | None = Field(None, max_length=121)
    down_payment: Decimal | None = Field(None, max_digits=22, decimal_places=6)
    count: int | None = Field(None, ge=0, le=120, description="Monthly instalments")
    first_due: date | None = Field(None, description="Due date of the first monthly instalment")


class PlanIn(Schema):
    """A whole new plan: amounts add up to the total exactly; paid rows keep their number."""

    model_config = ConfigDict(extra="forbid")

    instalments: list[InstalmentIn] = Field(max_length=121)
    version: DbInt | None = Field(None, description="Refuse the change (409) if it moved on")


def instalment_out(row: Instalment, day: date) -> dict[str, Any]:
    """Return the API representation of an instalment on a day."""
    return {
        "id": row.pk, "position": row.position, "due_on": row.due_on, "amount": row.amount,
        "paid": row.paid, "balance": row.amount - row.paid, "paid_on": row.paid_on,
        "overdue": row.paid < row.amount and row.due_on < day,
    }  # fmt: skip


def invoice_out(invoice: Invoice, light: str) -> dict[str, Any]:
    """Return the API representation of an invoice (quote, deal, contact, company selected)."""
    return {
        "id": invoice.pk, "number": invoice.number,
        "quote": {"id": invoice.quote.pk, "number": invoice.quote.number},
        "deal": ref(invoice.deal), "contact": ref(invoice.contact),
        "company": ref(invoice.company), "status": invoice.status, "light": light,
        "issued_on": invoice.issued_on, "currency": invoice.currency,
        "language": invoice.language, "net": invoice.net, "tax": invoice.tax,
        "total": invoice.total, "paid": invoice.paid, "balance": invoice.total - invoice.paid,
        "rate": invoice.rate, "total_company": invoice.total_company,
        "company_currency": company_currency(), "terms": invoice.terms,
        "paid_at": invoice.paid_at, "created_at": invoice.created_at,
        "updated_at": invoice.updated_at, "version": invoice.version,
    }  # fmt: skip


def invoice_detail(user: Any, invoice_id: int) -> dict[str, Any]:
    """Return an invoice the user sees, with its light and plan today."""
    invoice = get_invoice_for_user(user, invoice_id)
    day = today()
    return {
        **invoice_out(invoice, light_of(invoice, day)),
        "instalments": [instalment_out(row, day) for row in instalments_of(invoice)],
    }


def _invoice_conflict(invoice_id: int, exc: Conflict) -> Status[dict[str, Any]]:
    current = Invoice.objects.filter(pk=invoice_id).values_list("version", flat=True).first()
    version = exc.current if isinstance(exc, services.StaleVersion) else current
    return Status(409, {"detail": str(exc), "version": version or 0})


def _rows(instalments: list[InstalmentIn]) -> list[dict[str, Any]]:
    return [{"position": i.position, "due_on": i.due_on, "amount": i.amount} for i in instalments]


def _proposed(quote: Quote, payload: InvoiceIn) -> list[services.PlanRow]:
    """Propose the plan of a down payment and a number of monthly cuotas (propose_plan)."""
    errors: dict[str, str] = {}
    if payload.down_payment is None:
        errors["down_payment"] = _("Enter an amount.")
    elif round_money(payload.down_payment, quote.currency) != payload.down_payment:
        errors["down_payment"] = _("%(currency)s amounts have %(places)s decimals.") % {
            "currency": quote.currency,
            "places": currency_decimals(quote.currency),
        }
    if payload.count is None:
        errors["count"] = _("This field is required.")
    if payload.first_due is None and payload.count:
        errors["first_due"] = _("Enter a date.")
    elif payload.first_due is not None and not 1900 <= payload.first_due.year <= 2899:
        errors["first_due"] = _("Enter a valid date (YYYY-MM-DD).")
    if errors:
        raise ValidationFailed(errors)
    assert payload.down_payment is not None and payload.count is not None
    day = today()
    return services.propose_plan(
        quote.total, quote.currency, down_payment=payload.down_payment, count=payload.count,
        first_due=payload.first_due or day, down_due=day,
    )  # fmt: skip


@invoices_router.get("", response=InvoicePage, summary="List invoices")
def list_invoices(request: HttpRequest, query: Query[InvoiceQuery]) -> dict[str, Any]:
    """List the invoices of the deals you may see with their traffic light, newest first."""
    user = actor(request)
    qs: QuerySet[Invoice] = invoices_visible_to(user)
    if query.deal is not None:
        qs = qs.filter(deal_id=query.deal)
    if query.status is not None:
        qs = qs.filter(status=query.status)
    day = today()
    qs = with_light(qs, day)
    if query.light is not None:
        qs = qs.filter(**{"light": query.light})  # the annotation
    fields = DOCUMENT_ORDERINGS[query.ordering]
    page = page_of(
        request,
        qs.order_by(*fields),
        fields=fields,
        ordering=query.ordering,
        limit=query.limit,
        offset=query.offset,
        cursor=query.cursor,
        shape=lambda rows: rows.select_related("quote", "deal", "contact", "company"),
    )
    return page.body([invoice_out(row, row.light) for row in page.rows])


@invoices_router.get("{invoice_id}", response=InvoiceDetailOut, summary="Get an invoice")
def get_invoice(request: HttpRequest, invoice_id: RecordId) -> dict[str, Any]:
    """One invoice of a deal you may see, with its light, paid amount, balance and plan."""
    return invoice_detail(actor(request), invoice_id)


@invoices_router.get(
    "{invoice_id}/pdf", summary="Download an invoice's PDF", openapi_extra=PDF_RESPONSES,
)  # fmt: skip
def get_invoice_pdf(request: HttpRequest, invoice_id: RecordId) -> HttpResponse:
    """Download the invoice as PDF with its instalment plan, in its language."""
    invoice = get_invoice_for_user(actor(request), invoice_id)
    return _pdf(invoice_pdf(invoice), invoice.number)


@invoices_router.post(
    "", response={201: InvoiceDetailOut, 409: ConflictOut}, summary="Invoice an accepted quote",
    openapi_extra=api_errors(404),
)  # fmt: skip
def create_invoice(request: HttpRequest, payload: InvoiceIn) -> Any:
    """Bill an accepted quote, numbered FAC-YYYY-NNNN, with its instalment plan.

    Send either `instalments` (amounts adding up to the total exactly) or `down_payment`,
    `count` and `first_due`. A quote invoiced already answers 409.
    """
    user = actor(request)
    quote = get_quote_for_user(user, payload.quote)
    if payload.instalments is not None:
        extra = [
            name
            for name in ("down_payment", "count", "first_due")
            if getattr(payload, name) is not None
        ]
        if extra:
            message = _("Send either the instalments or a plan to propose, not both.")
            raise ValidationFailed(dict.fromkeys(extra, message))
        plan: list[dict[str, Any]] | list[services.PlanRow] = _rows(payload.instalments)
    else:
        plan = _proposed(quote, payload)
    try:
        invoice = services.create_invoice(quote, actor=user, plan=plan, via=Via.API)
    except Conflict as exc:
        return Status(409, {"detail": str(exc), "version": quote.version})
    return Status(201, invoice_detail(user, invoice.pk))


@invoices_router.put(
    "{invoice_id}/instalments", response={200: InvoiceDetailOut, 409: ConflictOut},
    summary="Replace an invoice's instalment plan",
)  # fmt: skip
def set_plan(request: HttpRequest, invoice_id: RecordId, payload: PlanIn) -> Any:
    """Replace an open invoice's plan; rows with payments keep their number and what was paid."""
    user = actor(request)
    invoice = get_invoice_for_user(user, invoice_id, write=True)
    try:
        services.set_plan(
            invoice, actor=user, rows=_rows(payload.instalments),
            expected_version=payload.version, via=Via.API,
        )  # fmt: skip
    except Conflict as exc:
        return _invoice_conflict(invoice.pk, exc)
    return invoice_detail(user, invoice.pk)


@invoices_router.post(
    "{invoice_id}/void", response={200: InvoiceDetailOut, 409: ConflictOut},
    summary="Void an invoice",
)  # fmt: skip
def void_invoice(request: HttpRequest, invoice_id: RecordId) -> Any:
    """Void an invoice issued by mistake (only while it has no payments); its number stays."""
    user = actor(request)
    invoice = get_invoice_for_user(user, invoice_id, write=True)
    try:
        services.void_invoice(invoice, actor=user, via=Via.API)
    except Conflict as exc:
        return _invoice_conflict(invoice.pk, exc)
    return invoice_detail(user, invoice.pk)


# --- payments ----------------------------------------------------------------------------------


class PaymentOut(Schema):
    """A payment received against one instalment of an invoice."""

    id: int
    invoice: DocumentRef
    instalment: int = Field(description="The instalment's id")
    instalment_position: int = Field(description="0 for the down payment, then 1, 2, …")
    amount: Decimal
    currency: str
    paid_on: date
    method: PaymentMethod
    reference: str
    created_at: datetime
    created_by: Ref | None


class PaymentPage(ListPage):
    """A page of payments: `next` is the URL of the following page, or null."""

    items: list[PaymentOut]


class PaymentQuery(PageQuery):
    """Filters, ordering and pagination of the payments list."""

    invoice: RecordId | None = None
    ordering: Literal["-paid", "paid"] = "-paid"


class PaymentIn(Schema):
    """Money received: against `instalment` (an id), or the first unpaid one by default."""

    model_config = ConfigDict(extra="forbid")

    invoice: RecordId
    amount: Decimal = AmountIn
    instalment: RecordId | None = None
    paid_on: date | None = Field(None, description="Today by default; never in the future")
    method: PaymentMethod = PaymentMethod.TRANSFER
    reference: str = Field("", max_length=100)


def payment_out(payment: Payment) -> dict[str, Any]:
    """Return the API representation of a payment (invoice, instalment, author selected)."""
    return {
        "id": payment.pk,
        "invoice": {"id": payment.invoice.pk, "number": payment.invoice.number},
        "instalment": payment.instalment_id,
        "instalment_position": payment.instalment.position,
        "amount": payment.amount, "currency": payment.invoice.currency,
        "paid_on": payment.paid_on, "method": payment.method, "reference": payment.reference,
        "created_at": payment.created_at, "created_by": ref(payment.created_by),
    }  # fmt: skip


@payments_router.get("", response=PaymentPage, summary="List payments")
def list_payments(request: HttpRequest, query: Query[PaymentQuery]) -> dict[str, Any]:
    """List the payments of the invoices you may see, newest first."""
    user = actor(request)
    qs = payments_visible_to(user)
    if query.invoice is not None:
        qs = qs.filter(invoice_id=query.invoice)
    fields = PAYMENT_ORDERINGS[query.ordering]
    page = page_of(
        request,
        qs.order_by(*fields),
        fields=fields,
        ordering=query.ordering,
        limit=query.limit,
        offset=query.offset,
        cursor=query.cursor,
        shape=lambda rows: rows.select_related("invoice", "instalment", "created_by"),
    )
    return page.body([payment_out(row) for row in page.rows])


@payments_router.post(
    "", response={201: PaymentOut, 409: ConflictOut}, summary="Record a payment",
    openapi_extra=api_errors(404),
)  # fmt: skip
def record_payment(request: HttpRequest, payload: PaymentIn) -> Any:
    """Record money received against an instalment (partial payments are fine).

    More than the instalment's balance is a 400 naming it; paying the last balance marks the
    invoice paid. An invoice that is not open answers 409.
    """
    user = actor(request)
    invoice = get_invoice_for_user(user, payload.invoice)
    instalment = None
    if payload.instalment is not None:
        instalment = Instalment.objects.filter(pk=payload.instalment, invoice_id=invoice.pk).first()
        if instalment is None:
            raise ValidationFailed({"instalment": _("Choose an instalment of this invoice.")})
    try:
        payment = services.record_payment(
            invoice, actor=user, amount=payload.amount, instalment=instalment,
            paid_on=payload.paid_on, method=payload.method, reference=payload.reference,
            via=Via.API,
        )  # fmt: skip
    except Conflict as exc:
        current = Invoice.objects.filter(pk=invoice.pk).values_list("version", flat=True).first()
        return Status(409, {"detail": str(exc), "version": current or 0})
    row = Payment.objects.select_related("invoice", "instalment", "created_by").get(pk=payment.pk)
    return Status(201, payment_out(row))


@payments_router.delete(
    "{payment_id}", response={204: None, 409: ConflictOut}, summary="Delete a payment",
)  # fmt: skip
def delete_payment(request: HttpRequest, payment_id: RecordId) -> Any:
    """Undo a payment recorded by mistake; a paid invoice opens again."""
    user = actor(request)
    payment = payments_visible_to(user).select_related("invoice").filter(pk=payment_id).first()
    if payment is None:
        raise NotFound(_("Payment not found."))
    try:
        services.delete_payment(payment, actor=user, via=Via.API)
    except Conflict as exc:
        return _invoice_conflict(payment.invoice_id, exc)
    return Status(204, None)
