"""Order screens: list with filters and exports, entry by hand, spend per channel, exchange rates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.forms import BaseFormSet
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clientela.accounts.models import User
from clientela.accounts.queries import has_capability
from clientela.contacts.choices import Source
from clientela.contacts.queries import (
    get_company_for_user,
    get_contact_for_user,
)
from clientela.core.exceptions import Conflict, Forbidden, ValidationFailed
from clientela.core.exports import export_download
from clientela.core.http import domain_errors, page_number, querystring, require, wants_partial
from clientela.core.imports import max_upload_mb
from clientela.core.users import AuthenticatedHttpRequest
from clientela.orders import services
from clientela.orders.choices import PAID_CHANNELS, Channel
from clientela.orders.forms import (
    OrderFilterForm,
    OrderForm,
    OrderLineForm,
    OrderLineFormSet,
    RateForm,
    currency_options,
    spend_grid_input,
    spend_rows,
)
from clientela.orders.http import paginate, require_export
from clientela.orders.models import ExchangeRate, Order
from clientela.orders.queries import (
    ORDER_ORDERINGS,
    cac_by_channel,
    can_import,
    can_manage_rates,
    can_manage_spend,
    can_view_orders,
    company_currency,
    filter_orders,
    get_order_for_user,
    order_totals,
    rate_currencies,
    rates_list,
    spend_grid,
)


def _labels() -> dict[str, str]:
    return {
        "-date": _("Newest first"),
        "date": _("Oldest first"),
        "-amount": _("Largest amount"),
        "amount": _("Smallest amount"),
    }


@require_GET
@domain_errors
def order_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Orders of the customers the user sees, filtered, newest first, 50 a page."""
    require(can_view_orders(request.user))
    form = OrderFilterForm(request.GET or None)
    filters = form.to_filters()
    qs = filter_orders(request.user, filters)
    page = paginate(qs, page_number(request.GET))
    query = request.GET.copy()
    context: dict[str, Any] = {
        "form": form,
        "filters": filters,
        "page": page,
        "totals": order_totals(qs) if filters.active() else None,
        "sort_options": [(key, _labels()[key]) for key in ORDER_ORDERINGS],
        "channels": Channel.choices,
        "currency": company_currency(),
        "can_write": has_capability(request.user, "orders.write"),
        "can_import": can_import(request.user),
        "can_export": has_capability(request.user, "orders.export"),
        "can_spend": can_manage_spend(request.user),
        "can_rates": can_manage_rates(request.user),
        "prev_url": querystring(query, page=page.number - 1),
        "next_url": querystring(query, page=page.number + 1),
        "export_query": querystring(query, page=None),
        "filtered": filters.active(),
    }
    template = "orders/order_list.html"
    if wants_partial(request):
        template += "#results"
    return render(request, template, context)


def _order_rows(user: User, qs: QuerySet[Order]) -> Iterator[list[Any]]:
    for order in qs.iterator(chunk_size=2000):
        contact = order.contact
        yield [
            order.ordered_at,
            str(contact) if contact else "",
            contact.email if contact else "",
            str(order.company) if order.company else "",
            order.amount,
            order.currency,
            order.exchange_rate,
            order.amount_company_currency,
            order.cost,
            order.margin,
            order.get_channel_display() if order.channel else "",
            order.source_system,
            order.external_id,
            order.get_created_via_display(),
        ]


@require_GET
@domain_errors
def order_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponseBase:
    """Serve the filtered orders as CSV or XLSX."""
    require(can_view_orders(request.user))
    require_export(request.user, "orders.export")
    filters = OrderFilterForm(request.GET or None).to_filters()
    qs = filter_orders(request.user, filters)
    headers = [
        _("Date"), _("Contact"), _("E-mail"), _("Company"), _("Amount"), _("Currency"),
        _("Exchange rate"), _("Amount in %(currency)s") % {"currency": company_currency()},
        _("Cost"), _("Margin"), _("Channel"), _("Source system"), _("External id"),
        _("Created via"),
    ]  # fmt: skip
    return export_download(
        actor=request.user,
        kind="orders",
        fmt=fmt,
        headers=headers,
        rows=_order_rows(request.user, qs),
        name="orders",
        title=_("Orders export"),
        sheet_title=_("Orders"),
        filters=request.GET.dict(),
    )


def _apply_errors(
    form: OrderForm, lines: BaseFormSet[OrderLineForm], error: ValidationFailed
) -> None:
    """Put service errors on the form fields they belong to."""
    for field, messages_ in error.errors.items():
        if field.startswith("lines."):
            _prefix, number, name = field.split(".", 2)
            index = int(number) - 1
            if 0 <= index < len(lines.forms) and name in lines.forms[index].fields:
                for message in messages_:
                    lines.forms[index].add_error(name, message)
                continue
        target = field if field in form.fields and field not in ("contact", "company") else None
        for message in messages_:
            form.add_error(target, message)


def _lines_data(lines: BaseFormSet[OrderLineForm]) -> list[dict[str, Any]]:
    return [line.cleaned_data for line in lines.forms if line.is_valid() and line.cleaned_data]


@require_http_methods(["GET", "POST"])
@domain_errors
def order_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Enter an order by hand for a contact (picked by search) or a company."""
    require_write(request.user)
    contact = company = None
    source = request.POST if request.method == "POST" else request.GET
    if source.get("contact"):
        contact = get_contact_for_user(request.user, source.get("contact"))
    elif source.get("company"):
        company = get_company_for_user(request.user, source.get("company"))
    initial = {
        "contact": contact.pk if contact else None,
        "company": company.pk if company else None,
        "ordered_at": timezone.localtime().replace(second=0, microsecond=0),
        "currency": company_currency(),
        "channel": contact.source if contact and contact.source in Channel.values else "",
    }
    form = OrderForm(request.POST or None, initial=initial)
    lines = OrderLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        data = {**form.to_data(), "lines": _lines_data(lines)}
        try:
            order = services.create_order(actor=request.user, data=data)
        except ValidationFailed as exc:
            _apply_errors(form, lines, exc)
        else:
            messages.success(request, _("Order saved."))
            return redirect("orders:order_detail", pk=order.pk)
    return render(
        request,
        "orders/order_form.html",
        {
            "form": form,
            "lines": lines,
            "contact": contact,
            "company": company,
            "creating": True,
            "currencies": currency_options(),
        },
    )


def require_write(user: User) -> None:
    """Entering orders needs a role that writes."""
    if not has_capability(user, "orders.write"):
        raise Forbidden(_("Your role can only read records."))


@require_GET
@domain_errors
def order_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One order with its lines and conversion."""
    require(can_view_orders(request.user))
    order = get_order_for_user(request.user, pk)
    return render(
        request,
        "orders/order_detail.html",
        {
            "order": order,
            "lines": list(order.lines.all()),
            "currency": company_currency(),
            "can_write": has_capability(request.user, "orders.write"),
            "can_delete": has_capability(request.user, "orders.delete"),
        },
    )


@require_http_methods(["GET", "POST"])
@domain_errors
def order_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Correct an order (amount, currency, date, channel, lines)."""
    order = get_order_for_user(request.user, pk)
    require_write(request.user)
    existing = [
        {
            "product_name": line.product_name,
            "sku": line.sku,
            "quantity": f"{line.quantity.normalize():f}",
            "unit_price": f"{line.unit_price:f}",
        }
        for line in order.lines.all()
    ]
    initial = {
        "contact": order.contact_id,
        "company": order.company_id,
        "ordered_at": timezone.localtime(order.ordered_at),
        "amount": f"{order.amount:f}",
        "currency": order.currency,
        "cost": "" if order.cost is None else f"{order.cost:f}",
        "channel": order.channel,
        "source_system": order.source_system,
        "external_id": order.external_id,
        "note": order.note,
        "version": order.version,
    }
    form = OrderForm(request.POST or None, initial=initial)
    lines = OrderLineFormSet(request.POST or None, prefix="lines", initial=existing)
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        data = form.to_data()
        data.pop("contact", None)
        data.pop("company", None)
        data["lines"] = _lines_data(lines)
        try:
            services.update_order(
                order,
                actor=request.user,
                data=data,
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationFailed as exc:
            _apply_errors(form, lines, exc)
        except Conflict as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Order saved."))
            return redirect("orders:order_detail", pk=order.pk)
    return render(
        request,
        "orders/order_form.html",
        {
            "form": form,
            "lines": lines,
            "order": order,
            "contact": order.contact,
            "company": order.company,
            "creating": False,
            "currencies": currency_options(),
        },
    )


@require_POST
@domain_errors
def order_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Delete an order entered by mistake."""
    order = get_order_for_user(request.user, pk)
    contact_id = order.contact_id
    services.delete_order(order, actor=request.user)
    messages.success(request, _("Order deleted."))
    if contact_id:
        return redirect(reverse("orders:order_list") + f"?contact={contact_id}")
    return redirect("orders:order_list")


def _year(request: AuthenticatedHttpRequest) -> int:
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or 0)
    except ValueError:
        year = 0
    return year if 2000 <= year <= 2100 else timezone.localdate().year


@require_http_methods(["GET", "POST"])
@domain_errors
def spend(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Marketing spend per channel and month of a year, and the CAC it gives per channel."""
    require(can_manage_spend(request.user))
    year = _year(request)
    grid = spend_grid(year)
    every = [c for c in Channel.values if c != Source.IMPORT]
    channels = sorted(every, key=lambda c: (c not in PAID_CHANNELS, every.index(c)))
    errors: dict[str, list[str]] = {}
    typed: dict[tuple[str, int], str] = {}
    currencies: dict[str, str] = {}
    if request.method == "POST":
        values, currencies, typed = spend_grid_input(request.POST, channels, grid)
        try:
            changed = services.record_spend_grid(
                actor=request.user,
                year=year,
                currency=company_currency(),
                values=values,
                currencies=currencies,
            )
        except ValidationFailed as exc:
            errors = exc.errors
            messages.error(request, _("Some amounts need a correction; nothing was saved."))
        else:
            messages.success(
                request, _("Marketing spend saved (%(n)d cells changed).") % {"n": changed}
            )
            return redirect(reverse("orders:spend") + f"?year={year}")
    rows = spend_rows(
        year, channels, grid, posted=typed, posted_currencies=currencies, errors=errors
    )
    months = [dt.date(year, m, 1) for m in range(1, 13)]
    cac = cac_by_channel(dt.date(year, 1, 1), dt.date(year, 12, 31))
    return render(
        request,
        "orders/spend.html",
        {
            "year": year,
            "years": list(range(timezone.localdate().year - 3, timezone.localdate().year + 2)),
            "rows": rows,
            "months": months,
            "halves": [
                {"months": months[:6], "first": 1, "last": 6},
                {"months": months[6:], "first": 7, "last": 12},
            ],
            "company_currency": company_currency(),
            "currencies": currency_options(),
            "cac": cac,
            "labels": dict(Channel.choices),
            "can_import": can_import(request.user),
            "max_mb": max_upload_mb(),
        },
    )


@require_http_methods(["GET", "POST"])
@domain_errors
def rate_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Exchange rates (newest first) and a form to add or correct one."""
    require(can_manage_rates(request.user))
    form = RateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.set_rate(
                actor=request.user, currency=data["currency"], day=data["date"], rate=data["rate"]
            )
        except ValidationFailed as exc:
            for field, messages_ in exc.errors.items():
                for message in messages_:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _("Exchange rate saved; orders on those dates converted."))
            return redirect("orders:rate_list")
    currency = (request.GET.get("currency") or "").upper()[:3]
    page = paginate(rates_list(currency), page_number(request.GET))
    return render(
        request,
        "orders/rate_list.html",
        {
            "form": form,
            "page": page,
            "currency": currency,
            "company_currency": company_currency(),
            "currencies_with_rates": rate_currencies(),
            "currencies": currency_options(),
            "prev_url": querystring(request.GET, page=page.number - 1),
            "next_url": querystring(request.GET, page=page.number + 1),
        },
    )


@require_POST
@domain_errors
def rate_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Remove a rate (orders fall back to the previous one)."""
    require(can_manage_rates(request.user))
    rate = ExchangeRate.objects.filter(pk=pk).first()
    require(rate is not None)
    assert rate is not None
    try:
        services.delete_rate(rate, actor=request.user)
    except Conflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Exchange rate deleted."))
    return redirect("orders:rate_list")
