"""Billing screens: quotes, invoices with their plans, payments, the lists, exports, settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clientela.billing import services
from clientela.billing.choices import InvoiceStatus, Light, QuoteStatus
from clientela.billing.documents import invoice_pdf, quote_pdf
from clientela.billing.forms import (
    InvoiceFilterForm,
    PaymentForm,
    PlanForm,
    QuoteFilterForm,
    QuoteForm,
    SendForm,
    SettingsForm,
    show_errors,
)
from clientela.billing.models import Invoice, Payment, Quote
from clientela.billing.queries import (
    billing_settings,
    can_export,
    can_invoice,
    can_manage_settings,
    can_quote,
    can_record_payments,
    get_invoice_for_user,
    get_quote_for_user,
    instalments_of,
    invoices_visible_to,
    light_expression,
    light_of,
    light_summary,
    payments_of,
    payments_visible_to,
    quotes_visible_to,
    today,
)
from clientela.core.exceptions import Conflict, ValidationFailed
from clientela.core.exports import export_download
from clientela.core.http import domain_errors, forbid_unless, page_number, paginate, querystring
from clientela.core.users import AuthenticatedHttpRequest
from clientela.deals.queries import get_deal_for_user, may_change
from clientela.orders.queries import company_currency

LIST_CAP = 10_000


def _quote_actions(user: Any, quote: Quote) -> dict[str, bool]:
    writer = can_quote(user) and may_change(user, quote.deal)
    live = quote.status in (QuoteStatus.DRAFT, QuoteStatus.SENT)
    return {
        "can_edit": writer and quote.status == QuoteStatus.DRAFT,
        "can_decide": writer and live,
        "can_invoice": can_invoice(user)
        and may_change(user, quote.deal)
        and quote.status == QuoteStatus.ACCEPTED
        and not Invoice.objects.filter(quote_id=quote.pk).exists(),
    }


def _search_q(text: str) -> Q:
    """Return a Q for a document list's search box: its number, deal or contact's name."""
    return (
        Q(number__icontains=text)
        | Q(deal__title__icontains=text)
        | Q(contact__first_name__icontains=text)
        | Q(contact__last_name__icontains=text)
    )


def _paging(request: AuthenticatedHttpRequest, page: Any) -> dict[str, Any]:
    """Return a list page's query string and its previous and next links."""
    return {
        "query": querystring(request.GET, page=None)[1:],
        "prev_url": querystring(request.GET, page=page.number - 1),
        "next_url": querystring(request.GET, page=page.number + 1),
    }


# --- quotes ------------------------------------------------------------------------------------


def _quote_filters(request: AuthenticatedHttpRequest) -> tuple[QuoteFilterForm, QuerySet[Quote]]:
    form = QuoteFilterForm(request.GET or None)
    qs = quotes_visible_to(request.user).select_related("deal", "contact", "company")
    if form.is_valid():
        text = form.cleaned_data["q"].strip()
        if text:
            qs = qs.filter(_search_q(text))
        if form.cleaned_data["status"]:
            qs = qs.filter(status=form.cleaned_data["status"])
    return form, qs.order_by("-issued_on", "-sequence", "-id")


@domain_errors
@require_GET
def quote_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List the quotes the user sees, newest first, with filters."""
    form, qs = _quote_filters(request)
    page = paginate(qs, page_number(request.GET), cap=LIST_CAP)
    return render(
        request,
        "billing/quote_list.html",
        {
            "form": form,
            "page": page,
            **_paging(request, page),
            "can_export": can_export(request.user),
            "tab": "quotes",
        },
    )


@domain_errors
@require_http_methods(["GET", "POST"])
def quote_create(request: AuthenticatedHttpRequest, deal_pk: int) -> HttpResponse:
    """Make a quote from a deal: its validity, language and terms; the lines are the deal's."""
    user = request.user
    deal = get_deal_for_user(user, deal_pk)
    forbid_unless(can_quote(user) and may_change(user, deal), _("Your role cannot make quotes."))
    settings_row = billing_settings()
    if request.method == "POST":
        form = QuoteForm(request.POST)
        if form.is_valid():
            try:
                quote = services.create_quote(
                    deal,
                    actor=user,
                    valid_until=form.cleaned_data["valid_until"],
                    terms=form.cleaned_data["terms"],
                    language=form.cleaned_data["language"],
                )
            except ValidationFailed as exc:
                show_errors(form, exc)
            else:
                messages.success(request, _("Quote %(number)s made.") % {"number": quote.number})
                return redirect("billing:quote_detail", quote.pk)
    else:
        form = QuoteForm(
            initial={
                "valid_until": today() + dt.timedelta(days=settings_row.quote_validity_days),
                "language": (deal.contact.language if deal.contact else "es")[:2],
                "terms": settings_row.quote_terms,
            }
        )
    return render(
        request,
        "billing/quote_form.html",
        {"form": form, "deal": deal, "lines": list(deal.lines.all()), "quote": None},
    )


@domain_errors
@require_GET
def quote_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Show a quote: its lines, totals, the COP equivalent, its status and what comes next."""
    quote = get_quote_for_user(request.user, pk)
    invoice = Invoice.objects.filter(quote_id=quote.pk).first()
    return render(
        request,
        "billing/quote_detail.html",
        {
            "quote": quote,
            "lines": list(quote.lines.select_related("product")),
            "invoice": invoice,
            "company_currency": company_currency(),
            "expired_today": quote.status in (QuoteStatus.DRAFT, QuoteStatus.SENT)
            and quote.valid_until < today(),
            **_quote_actions(request.user, quote),
        },
    )


@domain_errors
@require_http_methods(["GET", "POST"])
def quote_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Change a draft quote's validity, language and terms, or take the deal's lines again."""
    user = request.user
    quote = get_quote_for_user(user, pk, write=True)
    if request.method == "POST":
        form = QuoteForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version", None)
            try:
                services.update_quote(
                    quote, actor=user, data=data, expected_version=version,
                    refresh_lines="refresh_lines" in request.POST,
                )  # fmt: skip
            except ValidationFailed as exc:
                show_errors(form, exc)
            except Conflict as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Quote saved."))
                return redirect("billing:quote_detail", quote.pk)
    else:
        form = QuoteForm(
            initial={
                "valid_until": quote.valid_until, "language": quote.language,
                "terms": quote.terms, "version": quote.version,
            }
        )  # fmt: skip
    return render(
        request,
        "billing/quote_form.html",
        {"form": form, "deal": quote.deal, "lines": list(quote.lines.all()), "quote": quote},
    )


@domain_errors
@require_POST
def quote_decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Record the customer's answer to a quote (accepted or rejected)."""
    user = request.user
    quote = get_quote_for_user(user, pk, write=True)
    accepted = request.POST.get("answer") == "accept"
    try:
        services.decide_quote(quote, actor=user, accepted=accepted)
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, _message(exc))
    else:
        if accepted:
            messages.success(request, _("Quote accepted. Now issue its invoice."))
        else:
            messages.success(request, _("Quote marked rejected."))
    return redirect("billing:quote_detail", quote.pk)


def _message(exc: ValidationFailed | Conflict) -> str:
    if isinstance(exc, ValidationFailed):
        return " ".join(message for messages_ in exc.errors.values() for message in messages_)
    return str(exc)


def _pdf_response(content: bytes, number: str, *, download: bool) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@domain_errors
@require_GET
def quote_pdf_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Serve a quote's PDF, in the quote's language, to whoever sees its deal."""
    quote = get_quote_for_user(request.user, pk)
    return _pdf_response(quote_pdf(quote), quote.number, download="download" in request.GET)


@domain_errors
@require_http_methods(["GET", "POST"])
def quote_send(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """E-mail a quote with its PDF (address, subject and message prefilled in its language)."""
    user = request.user
    quote = get_quote_for_user(user, pk, write=True)
    if quote.status not in (QuoteStatus.DRAFT, QuoteStatus.SENT):
        messages.error(request, _("This quote is no longer open: it cannot be sent."))
        return redirect("billing:quote_detail", quote.pk)
    if request.method == "POST":
        form = SendForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.send_quote(
                    quote, actor=user, to=data["to"], subject=data["subject"],
                    message=data["message"],
                )  # fmt: skip
            except ValidationFailed as exc:
                show_errors(form, exc)
            except Conflict as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("Quote queued for %(to)s with its PDF.") % {"to": data["to"]}
                )
                return redirect("billing:quote_detail", quote.pk)
    else:
        to, subject, message = services.quote_email(quote)
        form = SendForm(initial={"to": to, "subject": subject, "message": message})
    return render(request, "billing/quote_send.html", {"quote": quote, "form": form})


# --- invoices ----------------------------------------------------------------------------------


def _plan_rows(post: Any) -> list[dict[str, Any]]:
    """Read the plan table of a form: rows `position_N`, `due_on_N`, `amount_N`; blanks dropped."""
    rows: list[dict[str, Any]] = []
    for index in range(services.INSTALMENTS_MAX + 2):
        position = post.get(f"position_{index}")
        if position is None:
            break
        due, amount = post.get(f"due_on_{index}", ""), post.get(f"amount_{index}", "")
        if not str(due).strip() and not str(amount).strip():
            continue
        try:
            number = int(position)
        except ValueError:
            number = -1
        rows.append({"position": number, "due_on": due, "amount": amount})
    return rows


def _row_errors(exc: ValidationFailed) -> tuple[dict[int, list[str]], list[str]]:
    """Split a plan's errors into per-row messages and messages about the whole plan."""
    per_row: dict[int, list[str]] = {}
    general: list[str] = []
    for key, messages_ in exc.errors.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "instalments" and parts[1].isdigit():
            per_row.setdefault(int(parts[1]), []).extend(messages_)
        else:
            general.extend(messages_)
    return per_row, general


@domain_errors
@require_http_methods(["GET", "POST"])
def invoice_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Bill an accepted quote: propose a plan (down payment + cuotas), adjust it, issue it."""
    user = request.user
    quote = get_quote_for_user(user, pk)
    forbid_unless(
        can_invoice(user) and may_change(user, quote.deal), _("Your role cannot issue invoices.")
    )
    if quote.status != QuoteStatus.ACCEPTED:
        messages.error(request, _("Only an accepted quote can be invoiced."))
        return redirect("billing:quote_detail", quote.pk)
    rows: list[dict[str, Any]] = []
    row_errors: dict[int, list[str]] = {}
    plan_errors: list[str] = []
    if request.method == "POST" and request.POST.get("action") == "issue":
        plan_form = PlanForm(request.POST)
        rows = _plan_rows(request.POST)
        try:
            invoice = services.create_invoice(quote, actor=user, plan=rows)
        except ValidationFailed as exc:
            row_errors, plan_errors = _row_errors(exc)
        except Conflict as exc:
            plan_errors = [str(exc)]
        else:
            messages.success(request, _("Invoice %(number)s issued.") % {"number": invoice.number})
            return redirect("billing:invoice_detail", invoice.pk)
    elif request.method == "POST":
        plan_form = PlanForm(request.POST)
        if plan_form.is_valid():
            data = plan_form.cleaned_data
            try:
                proposed = services.propose_plan(
                    quote.total, quote.currency, down_payment=data["down_payment"],
                    count=data["count"], first_due=data["first_due"], down_due=data["down_due"],
                )  # fmt: skip
            except ValidationFailed as exc:
                show_errors(plan_form, exc)
            else:
                rows = [
                    {"position": r.position, "due_on": r.due_on.isoformat(), "amount": r.amount}
                    for r in proposed
                ]
    else:
        start = today()
        down = (quote.total * Decimal("0.10")).quantize(Decimal("0.01"))
        plan_form = PlanForm(
            initial={
                "down_payment": down, "down_due": start, "count": 12,
                "first_due": services.add_months(start, 1),
            }
        )  # fmt: skip
    return render(
        request,
        "billing/invoice_create.html",
        {
            "quote": quote,
            "plan_form": plan_form,
            "rows": _rows_with_errors(rows, row_errors),
            "plan_errors": plan_errors,
            "planned": _sum(rows),
        },
    )


def _sum(rows: Sequence[dict[str, Any]]) -> Decimal | None:
    try:
        return sum((Decimal(str(row["amount"])) for row in rows), Decimal(0))
    except (ArithmeticError, ValueError):
        return None


def _rows_with_errors(
    rows: Sequence[dict[str, Any]], errors: dict[int, list[str]]
) -> list[dict[str, Any]]:
    return [{**row, "index": i, "errors": errors.get(i, [])} for i, row in enumerate(rows)]


def _invoice_filters(
    request: AuthenticatedHttpRequest,
) -> tuple[InvoiceFilterForm, QuerySet[Invoice]]:
    form = InvoiceFilterForm(request.GET or None)
    qs = (
        invoices_visible_to(request.user)
        .annotate(light=light_expression())
        .select_related("deal", "contact", "company")
    )
    if form.is_valid():
        text = form.cleaned_data["q"].strip()
        if text:
            qs = qs.filter(_search_q(text))
        if form.cleaned_data["light"]:
            qs = qs.filter(light=form.cleaned_data["light"])
        if form.cleaned_data["status"]:
            qs = qs.filter(status=form.cleaned_data["status"])
    return form, qs.order_by("-issued_on", "-sequence", "-id")


@domain_errors
@require_GET
def invoice_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List the invoices the user sees with their traffic light, and the count per light."""
    form, qs = _invoice_filters(request)
    page = paginate(qs, page_number(request.GET), cap=LIST_CAP)
    return render(
        request,
        "billing/invoice_list.html",
        {
            "form": form,
            "page": page,
            **_paging(request, page),
            "summary": light_summary(invoices_visible_to(request.user)),
            "company_currency": company_currency(),
            "can_export": can_export(request.user),
            "tab": "invoices",
        },
    )


@domain_errors
@require_GET
def invoice_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Show an invoice: its plan with each instalment's state, payments, and the light."""
    user = request.user
    invoice = get_invoice_for_user(user, pk)
    plan = instalments_of(invoice)
    day = today()
    for row in plan:
        row.state = _instalment_state(row, day)  # type: ignore[attr-defined]
    may_pay = (
        can_record_payments(user)
        and may_change(user, invoice.deal)
        and invoice.status == InvoiceStatus.OPEN
    )
    payment_form = None
    if may_pay:
        initial = {"paid_on": day, "amount": _next_balance(plan)}
        payment_form = PaymentForm(instalments=plan, initial=initial, auto_id="pay_%s")
    return render(
        request,
        "billing/invoice_detail.html",
        _invoice_context(user, invoice, plan, payment_form),
    )


def _invoice_context(
    user: Any, invoice: Invoice, plan: list[Any], payment_form: PaymentForm | None
) -> dict[str, Any]:
    writer = can_invoice(user) and may_change(user, invoice.deal)
    return {
        "invoice": invoice,
        "plan": plan,
        "payments": payments_of(invoice),
        "light": light_of(invoice),
        "balance": invoice.total - invoice.paid,
        "payment_form": payment_form,
        "can_delete_payments": can_record_payments(user) and may_change(user, invoice.deal),
        "can_edit_plan": writer and invoice.status == InvoiceStatus.OPEN,
        "can_void": writer and invoice.status == InvoiceStatus.OPEN and not invoice.paid,
        "company_currency": company_currency(),
    }


def _next_balance(plan: Sequence[Any]) -> Decimal | None:
    for row in plan:
        if row.paid < row.amount:
            return row.amount - row.paid  # type: ignore[no-any-return]
    return None


def _instalment_state(row: Any, day: dt.date) -> str:
    """Return how one instalment stands: paid, overdue, due soon, partly paid or pending."""
    if row.paid >= row.amount:
        return "paid"
    if row.due_on < day:
        return "overdue"
    if row.due_on <= day + dt.timedelta(days=7) or row.paid > 0:
        return "soon"
    return "pending"


@domain_errors
@require_POST
def payment_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Record a payment against an instalment; errors show on the invoice's form."""
    user = request.user
    invoice = get_invoice_for_user(user, pk)
    forbid_unless(
        can_record_payments(user) and may_change(user, invoice.deal),
        _("Your role cannot record payments."),
    )
    plan = instalments_of(invoice)
    form = PaymentForm(request.POST, instalments=plan, auto_id="pay_%s")
    if form.is_valid():
        data = form.cleaned_data
        chosen = next((row for row in plan if row.pk == data["instalment"]), None)
        try:
            services.record_payment(
                invoice, actor=user, amount=data["amount"], instalment=chosen,
                paid_on=data["paid_on"], method=data["method"], reference=data["reference"],
            )  # fmt: skip
        except ValidationFailed as exc:
            show_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Payment recorded."))
            return redirect("billing:invoice_detail", invoice.pk)
    day = today()
    for row in plan:
        row.state = _instalment_state(row, day)  # type: ignore[attr-defined]
    return render(
        request,
        "billing/invoice_detail.html",
        _invoice_context(user, invoice, plan, form),
        status=400,
    )


@domain_errors
@require_POST
def payment_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Delete a payment recorded by mistake."""
    user = request.user
    payment = payments_visible_to(user).select_related("invoice").filter(pk=pk).first()
    if payment is None:
        raise Http404(_("Payment not found."))
    try:
        services.delete_payment(payment, actor=user)
    except Conflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Payment deleted."))
    return redirect("billing:invoice_detail", payment.invoice_id)


@domain_errors
@require_http_methods(["GET", "POST"])
def invoice_plan(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Change an open invoice's instalment dates and amounts (they must still add up)."""
    user = request.user
    invoice = get_invoice_for_user(user, pk, write=True)
    plan = instalments_of(invoice)
    row_errors: dict[int, list[str]] = {}
    plan_errors: list[str] = []
    if request.method == "POST":
        rows = _plan_rows(request.POST)
        try:
            services.set_plan(
                invoice, actor=user, rows=rows,
                expected_version=_version(request.POST.get("version")),
            )  # fmt: skip
        except ValidationFailed as exc:
            row_errors, plan_errors = _row_errors(exc)
        except Conflict as exc:
            plan_errors = [str(exc)]
        else:
            messages.success(request, _("Instalment plan saved."))
            return redirect("billing:invoice_detail", invoice.pk)
    else:
        rows = [
            {"position": r.position, "due_on": r.due_on.isoformat(), "amount": r.amount,
             "paid": r.paid}
            for r in plan
        ]  # fmt: skip
        last = plan[-1] if plan else None
        rows.append(
            {
                "position": (last.position + 1) if last else 0,
                "due_on": "",
                "amount": "",
                "new": True,
            }
        )
    return render(
        request,
        "billing/invoice_plan.html",
        {
            "invoice": invoice,
            "rows": _rows_with_errors(rows, row_errors),
            "plan_errors": plan_errors,
        },
        status=400 if plan_errors or row_errors else 200,
    )


def _version(raw: Any) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


@domain_errors
@require_POST
def invoice_void(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Void an invoice issued by mistake (only without payments)."""
    user = request.user
    invoice = get_invoice_for_user(user, pk, write=True)
    try:
        services.void_invoice(invoice, actor=user)
    except Conflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Invoice voided."))
    return redirect("billing:invoice_detail", invoice.pk)


@domain_errors
@require_GET
def invoice_pdf_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Serve an invoice's PDF with its plan, in its language, to whoever sees its deal."""
    invoice = get_invoice_for_user(request.user, pk)
    return _pdf_response(invoice_pdf(invoice), invoice.number, download="download" in request.GET)


# --- exports -----------------------------------------------------------------------------------


QUOTE_HEADERS = (
    "number", "status", "issued_on", "valid_until", "deal", "customer", "currency", "net",
    "tax", "total", "total_company",
)  # fmt: skip
INVOICE_HEADERS = (
    "number", "status", "light", "issued_on", "deal", "customer", "currency", "total", "paid",
    "balance", "total_company",
)  # fmt: skip
PAYMENT_HEADERS = (
    "invoice", "instalment", "paid_on", "amount", "currency", "method", "reference",
)  # fmt: skip


def _customer(document: Quote | Invoice) -> str:
    if document.contact is not None:
        return str(document.contact)
    return document.company.name if document.company is not None else ""


def _quote_rows(qs: QuerySet[Quote]) -> Iterator[Sequence[Any]]:
    for quote in qs.iterator(chunk_size=1000):
        yield (
            quote.number, quote.get_status_display(), quote.issued_on, quote.valid_until,
            quote.deal.title, _customer(quote), quote.currency, quote.net, quote.tax,
            quote.total, quote.total_company,
        )  # fmt: skip


def _invoice_rows(qs: QuerySet[Invoice]) -> Iterator[Sequence[Any]]:
    labels = dict(Light.choices)
    for invoice in qs.iterator(chunk_size=1000):
        yield (
            invoice.number, invoice.get_status_display(),
            labels.get(invoice.light, ""),  # type: ignore[attr-defined]
            invoice.issued_on, invoice.deal.title, _customer(invoice), invoice.currency,
            invoice.total, invoice.paid, invoice.total - invoice.paid, invoice.total_company,
        )  # fmt: skip


@domain_errors
@require_GET
def quote_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponseBase:
    """Download the filtered quote list as CSV or XLSX (billing.export), audited."""
    user = request.user
    forbid_unless(can_export(user), _("Your role cannot export quotes and invoices."))
    _form, qs = _quote_filters(request)
    return export_download(
        actor=user, kind="quotes", fmt=fmt, headers=QUOTE_HEADERS, rows=_quote_rows(qs),
        name="cotizaciones", title=_("Quotes"), count=qs.count(),
        filters={k: str(v) for k, v in request.GET.items()},
    )  # fmt: skip


@domain_errors
@require_GET
def invoice_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponseBase:
    """Download the filtered invoice list as CSV or XLSX (billing.export), audited."""
    user = request.user
    forbid_unless(can_export(user), _("Your role cannot export quotes and invoices."))
    _form, qs = _invoice_filters(request)
    return export_download(
        actor=user, kind="invoices", fmt=fmt, headers=INVOICE_HEADERS, rows=_invoice_rows(qs),
        name="facturas", title=_("Invoices"), count=qs.count(),
        filters={k: str(v) for k, v in request.GET.items()},
    )  # fmt: skip


@domain_errors
@require_GET
def payment_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponseBase:
    """Download every payment the user sees as CSV or XLSX (billing.export), audited."""
    user = request.user
    forbid_unless(can_export(user), _("Your role cannot export quotes and invoices."))
    qs = (
        payments_visible_to(user)
        .select_related("invoice", "instalment")
        .order_by("-paid_on", "-id")
    )

    def rows() -> Iterator[Sequence[Any]]:
        methods = dict(Payment._meta.get_field("method").choices or [])
        for payment in qs.iterator(chunk_size=1000):
            yield (
                payment.invoice.number, payment.instalment.position, payment.paid_on,
                payment.amount, payment.invoice.currency, methods.get(payment.method, ""),
                payment.reference,
            )  # fmt: skip

    return export_download(
        actor=user, kind="payments", fmt=fmt, headers=PAYMENT_HEADERS, rows=rows(),
        name="pagos", title=_("Payments"), count=qs.count(),
    )  # fmt: skip


# --- settings ----------------------------------------------------------------------------------


@domain_errors
@require_http_methods(["GET", "POST"])
def billing_settings_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Choose what feeds Orders, quote defaults and who issues the documents."""
    user = request.user
    forbid_unless(can_manage_settings(user), _("Your role cannot set up billing."))
    row = billing_settings()
    if request.method == "POST":
        form = SettingsForm(request.POST)
        if form.is_valid():
            try:
                services.update_settings(actor=user, data=form.cleaned_data)
            except ValidationFailed as exc:
                show_errors(form, exc)
            else:
                messages.success(request, _("Billing settings saved."))
                return redirect(reverse("billing:settings"))
    else:
        form = SettingsForm(
            initial={
                name: getattr(row, name)
                for name in (
                    "orders_from", "quote_validity_days", "quote_terms", "seller_name",
                    "seller_tax_id", "seller_address", "seller_contact",
                )
            }
        )  # fmt: skip
    return render(request, "billing/settings.html", {"form": form})
