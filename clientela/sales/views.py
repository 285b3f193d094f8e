"""Sales screens: overview, plan, rep activity, lost reasons, customers, table exports.

The overview holds the funnel, close rates, forecast and durations; every view is an adapter
over `sales.queries`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from clientela.accounts.models import User
from clientela.accounts.queries import assignable_owners
from clientela.contacts.choices import Source
from clientela.core.exceptions import NotFound, ValidationFailed
from clientela.core.exports import export_download
from clientela.core.http import domain_errors, forbid_unless, parse_month, querystring, require
from clientela.core.users import AuthenticatedHttpRequest
from clientela.deals.queries import can_export, pipelines_visible_to, product_choices
from clientela.orders.queries import company_currency
from clientela.sales import services
from clientela.sales.forms import PlanForm, ReportFilterForm, show_errors
from clientela.sales.queries import (
    CLOSE_GROUPS,
    ReportFilters,
    add_months,
    can_manage_plan,
    can_view_reports,
    close_rates,
    close_total,
    company_zone,
    customers,
    default_period,
    durations,
    forecast,
    funnel,
    lost_reasons_report,
    payment_status,
    plan_by_month,
    plan_reps,
    plan_vs_actual,
    rep_activity,
    targets_visible_to,
)

DEALS_LIST = "deals:deal_list"


@dataclass
class Context:
    """What every sales screen shares: the filters, their form and the query string."""

    filters: ReportFilters
    form: ReportFilterForm
    query: str


def _owners(user: User) -> list[User]:
    return list(assignable_owners(user).order_by("first_name", "last_name", "id"))


def _context(request: AuthenticatedHttpRequest, *, activity: bool = False) -> Context:
    """Read the filters (bad ones fall back to the defaults; the form shows why)."""
    user = request.user
    forbid_unless(can_view_reports(user), _("Your role cannot read the sales section."))
    pipelines = list(pipelines_visible_to(user))
    if not pipelines:
        raise NotFound(_("There is no pipeline you may open."))
    form = ReportFilterForm(
        request.GET or None, pipelines=pipelines, owners=_owners(user),
        products=product_choices(user),
    )  # fmt: skip
    data = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate(timezone=company_zone())
    since, until = default_period(today)
    if activity:
        since = today - dt.timedelta(weeks=8)
    by_id = {p.pk: p for p in pipelines}
    filters = ReportFilters(
        pipeline=by_id.get(data.get("pipeline") or 0, pipelines[0]),
        since=data.get("since") or since,
        until=data.get("until") or until,
        owner_id=data.get("owner"),
        source=data.get("source") or "",
        product_id=data.get("product"),
    )
    return Context(filters, form, querystring(request.GET)[1:])


def _drill(f: ReportFilters, **extra: Any) -> str:
    return f"{reverse(DEALS_LIST)}?{urlencode(f.drill(**extra))}"


def _period(f: ReportFilters, *, closed: bool = False) -> dict[str, str]:
    prefix = "closed" if closed else "created"
    return {f"{prefix}_from": f.since.isoformat(), f"{prefix}_to": f.until.isoformat()}


def _month_end(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)


def _page(
    request: AuthenticatedHttpRequest, template: str, ctx: Context, **extra: Any
) -> HttpResponse:
    return render(
        request,
        template,
        {
            "filters": ctx.filters,
            "form": ctx.form,
            "query": ctx.query,
            "currency": company_currency(),
            "can_manage_plan": can_manage_plan(request.user),
            "can_export": can_export(request.user),
            **extra,
        },
    )


def _chart(
    labels: list[str], label: str, data: list[Any], links: list[str], *, money: bool
) -> dict[str, Any]:
    """Return a chart spec for clientela/charts.js (json_script, never inline JavaScript)."""
    return {
        "type": "bar",
        "labels": labels,
        "series": [{"label": label, "data": [float(v) for v in data]}],
        "money": money,
        "links": links,
    }


def _month_label(month: dt.date) -> str:
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


@domain_errors
@require_GET
def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the funnel, the close rates, the weighted forecast and the durations."""
    ctx = _context(request)
    f = ctx.filters
    user = request.user
    steps = funnel(user, f)
    created = _period(f)
    funnel_rows = [(step, _drill(f, reached=step.stage.pk, **created)) for step in steps]
    by = request.GET.get("by", "month")
    by = by if by in CLOSE_GROUPS else "month"
    rates = close_rates(user, f, by)
    source_labels = dict(Source.choices)
    closed = _period(f, closed=True)
    rate_rows = []
    for r in rates:
        if by == "month":
            label = _month_label(r.key)
            scope = {"closed_from": r.key.isoformat(), "closed_to": _month_end(r.key).isoformat()}
        else:
            label = (
                r.label if by == "owner" else str(source_labels.get(r.key, r.key or _("No source")))
            )
            scope = {**closed, ("owner" if by == "owner" else "source"): r.key}
        if by == "source" and not r.key:
            scope["source"] = ""
        rate_rows.append(
            (label, r, _drill(f, state="won", **scope), _drill(f, state="lost", **scope))
        )
    months = forecast(user, f)
    forecast_rows = [
        (
            m,
            _drill(
                f,
                state="open",
                close_from=m.month.isoformat(),
                close_to=_month_end(m.month).isoformat(),
            ),
        )
        for m in months
    ]
    return _page(
        request,
        "sales/overview.html",
        ctx,
        tab="overview",
        funnel=funnel_rows,
        funnel_chart=_chart(
            [s.stage.name for s in steps],
            _("Deals"),
            [s.reached for s in steps],
            [link for _s, link in funnel_rows],
            money=False,
        ),
        by=by,
        groups=[("month", _("Month")), ("owner", _("Rep")), ("source", _("Source"))],
        rates=rate_rows,
        rate_total=close_total(rates),
        forecast=forecast_rows,
        forecast_chart=_chart(
            [_month_label(m.month) for m in months],
            _("Weighted"),
            [m.weighted for m in months],
            [link for _m, link in forecast_rows],
            money=True,
        ),
        durations=durations(user, f),
        won_all=_drill(f, state="won", **closed),
        query_by=querystring(request.GET, by=None)[1:],
    )


def _plan_month(request: AuthenticatedHttpRequest) -> dt.date:
    """Return the plan's month from `?month=YYYY-MM` (this month when missing or out of range)."""
    this_month = timezone.localdate(timezone=company_zone()).replace(day=1)
    month = parse_month(request.GET.get("month")) or this_month
    return month if dt.date(2000, 1, 1) <= month <= dt.date(2100, 12, 1) else this_month


@domain_errors
@require_http_methods(["GET", "POST"])
def plan(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show plan against actual for a month; managers edit the reps' targets in a grid."""
    ctx = _context(request)
    f = ctx.filters
    user = request.user
    month = _plan_month(request)
    editor = can_manage_plan(user)
    form = None
    if editor:
        reps = plan_reps(user, f.pipeline, [month])
        allowed = set(assignable_owners(user).values_list("pk", flat=True))
        reps = [r for r in reps if r.pk in allowed]
        current = {
            t.owner_id: (t.amount, t.deals)
            for t in targets_visible_to(user).filter(pipeline_id=f.pipeline.pk, month=month)
        }
        if request.method == "POST":
            form = PlanForm(request.POST, reps=reps, initial_targets=current)
            if form.is_valid():
                try:
                    changed = services.set_targets(
                        actor=user, pipeline=f.pipeline, month=month, targets=form.targets()
                    )
                except ValidationFailed as exc:
                    show_errors(form, exc)
                else:
                    messages.success(
                        request, _("Sales plan saved (%(n)s changes).") % {"n": changed}
                    )
                    return redirect(request.get_full_path())
        else:
            form = PlanForm(reps=reps, initial_targets=current)
    else:
        forbid_unless(request.method == "GET", _("Your role cannot change the sales plan."))
    rows, total = plan_vs_actual(user, f.pipeline, month, owner_id=f.owner_id)
    start, end = month.isoformat(), _month_end(month).isoformat()
    return _page(
        request,
        "sales/plan.html",
        ctx,
        tab="plan",
        month=month,
        month_value=f"{month:%Y-%m}",
        previous=querystring(request.GET, month=f"{add_months(month, -1):%Y-%m}"),
        following=querystring(request.GET, month=f"{add_months(month, 1):%Y-%m}"),
        rows=[
            (
                row,
                _drill(
                    f,
                    state="won",
                    owner=row.owner.pk if row.owner else None,
                    closed_from=start,
                    closed_to=end,
                ),
            )
            for row in rows
        ],
        total=total,
        total_link=_drill(f, state="won", closed_from=start, closed_to=end),
        history=plan_by_month(user, f.pipeline, month, owner_id=f.owner_id),
        plan_form=form,
    )


@domain_errors
@require_GET
def activity(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show each rep's calls, meetings and tasks done per week."""
    ctx = _context(request, activity=True)
    return _page(
        request, "sales/activity.html", ctx, tab="activity",
        rows=rep_activity(request.user, ctx.filters),
    )  # fmt: skip


@domain_errors
@require_GET
def lost(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the deals lost in the period by reason, with their amounts."""
    ctx = _context(request)
    f = ctx.filters
    rows = lost_reasons_report(request.user, f)
    closed = _period(f, closed=True)
    total = sum(r.deals for r in rows)
    return _page(
        request, "sales/lost.html", ctx, tab="lost",
        rows=[
            (r, _drill(f, state="lost", lost_reason=r.reason.pk if r.reason else None, **closed))
            for r in rows
        ],
        total=total,
        total_amount=sum((r.amount for r in rows), Decimal(0)),
    )  # fmt: skip


@domain_errors
@require_GET
def customer_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the best customers (amount won) and the regular ones (two wins or more)."""
    ctx = _context(request)
    f = ctx.filters
    closed = _period(f, closed=True)

    def linked(regular: bool) -> list[tuple[Any, str]]:
        return [
            (r, _drill(f, state="won", contact=r.contact.pk, **closed))
            for r in customers(request.user, f, regular=regular)
        ]

    return _page(
        request, "sales/customers.html", ctx, tab="customers",
        best=linked(False), regular=linked(True),
    )  # fmt: skip


@domain_errors
@require_GET
def payments(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the payment status of the report's deals: lights, aging, the oldest overdue."""
    ctx = _context(request)
    status = payment_status(request.user, ctx.filters)
    return _page(request, "sales/payments.html", ctx, tab="payments", status=status)


# --- exports -----------------------------------------------------------------------------------


def _funnel_table(
    request: AuthenticatedHttpRequest, f: ReportFilters
) -> tuple[Sequence[str], list[Sequence[Any]]]:
    return (
        ("stage", "reached", "conversion_percent", "drop_off", "percent_of_first"),
        [
            (s.stage.name, s.reached, s.conversion, s.drop_off, s.of_first)
            for s in funnel(request.user, f)
        ],
    )


def _close_table(
    by: str,
) -> Callable[[AuthenticatedHttpRequest, ReportFilters], tuple[Sequence[str], list[Sequence[Any]]]]:
    def table(
        request: AuthenticatedHttpRequest, f: ReportFilters
    ) -> tuple[Sequence[str], list[Sequence[Any]]]:
        rows = close_rates(request.user, f, by)
        return (
            (by, "won", "lost", "closed", "close_rate_percent", "won_amount"),
            [(r.label or r.key, r.won, r.lost, r.closed, r.rate, r.won_amount) for r in rows],
        )

    return table


def _forecast_table(
    request: AuthenticatedHttpRequest, f: ReportFilters
) -> tuple[Sequence[str], list[Sequence[Any]]]:
    return (
        ("month", "deals", "amount", "weighted_amount"),
        [(f"{m.month:%Y-%m}", m.deals, m.amount, m.weighted) for m in forecast(request.user, f)],
    )


def _stage_table(
    request: AuthenticatedHttpRequest, f: ReportFilters
) -> tuple[Sequence[str], list[Sequence[Any]]]:
    d = durations(request.user, f)
    return (
        ("stage", "stays", "average_days"),
        [(s.stage.name, s.stays, s.days) for s in d.stages],
    )


def _activity_table(
    request: AuthenticatedHttpRequest, f: ReportFilters
) -> tuple[Sequence[str], list[Sequence[Any]]]:
    return (
        ("rep", "week", "calls", "meetings", "tasks"),
        [(r.name, r.week, r.calls, r.meetings, r.tasks) for r in rep_activity(request.user, f)],
    )


def _lost_table(
    request: AuthenticatedHttpRequest, f: ReportFilters
) -> tuple[Sequence[str], list[Sequence[Any]]]:
    return (
        ("lost_reason", "deals", "amount"),
        [
            (r.reason.name if r.reason else "", r.deals, r.amount)
            for r in lost_reasons_report(request.user, f)
        ],
    )


def _overdue_table(
    request: AuthenticatedHttpRequest, f: ReportFilters
) -> tuple[Sequence[str], list[Sequence[Any]]]:
    status = payment_status(request.user, f)
    return (
        ("invoice", "instalment", "due_on", "days_overdue", "deal", "owner", "balance",
         "currency", "balance_company"),
        [
            (r.invoice.number, r.position, r.due_on, r.days, r.invoice.deal.title,
             r.invoice.deal.owner.get_full_name() or r.invoice.deal.owner.username,
             r.balance, r.invoice.currency, r.balance_company)
            for r in status.overdue
        ],
    )  # fmt: skip


def _customer_table(
    regular: bool,
) -> Callable[[AuthenticatedHttpRequest, ReportFilters], tuple[Sequence[str], list[Sequence[Any]]]]:
    def table(
        request: AuthenticatedHttpRequest, f: ReportFilters
    ) -> tuple[Sequence[str], list[Sequence[Any]]]:
        return (
            ("customer", "deals_won", "amount_won", "last_won"),
            [
                (str(r.contact), r.deals, r.amount, r.last_won)
                for r in customers(request.user, f, regular=regular)
            ],
        )

    return table


def _plan_table(
    request: AuthenticatedHttpRequest, f: ReportFilters
) -> tuple[Sequence[str], list[Sequence[Any]]]:
    month = _plan_month(request)
    rows, _total = plan_vs_actual(request.user, f.pipeline, month, owner_id=f.owner_id)
    return (
        ("rep", "month", "amount_target", "amount_won", "amount_reached_percent", "amount_projected",
         "deals_target", "deals_won", "deals_reached_percent", "deals_projected"),
        [
            (r.owner.get_full_name() or r.owner.username if r.owner else "", f"{month:%Y-%m}",
             r.target_amount, r.won_amount, r.amount_reached, r.projected_amount,
             r.target_deals, r.won_deals, r.deals_reached, r.projected_deals)
            for r in rows
        ],
    )  # fmt: skip


def _plan_history_table(
    request: AuthenticatedHttpRequest, f: ReportFilters
) -> tuple[Sequence[str], list[Sequence[Any]]]:
    month = _plan_month(request)
    rows = plan_by_month(request.user, f.pipeline, month, owner_id=f.owner_id)
    return (
        ("month", "amount_target", "amount_won", "amount_reached_percent", "deals_target",
         "deals_won"),
        [(f"{m.month:%Y-%m}", m.target_amount, m.won_amount, m.reached, m.target_deals,
          m.won_deals) for m in rows],
    )  # fmt: skip


TABLES: dict[
    str,
    Callable[[AuthenticatedHttpRequest, ReportFilters], tuple[Sequence[str], list[Sequence[Any]]]],
] = {
    "funnel": _funnel_table,
    "close-month": _close_table("month"),
    "close-owner": _close_table("owner"),
    "close-source": _close_table("source"),
    "forecast": _forecast_table,
    "stage-time": _stage_table,
    "activity": _activity_table,
    "lost": _lost_table,
    "customers-best": _customer_table(False),
    "customers-regular": _customer_table(True),
    "plan": _plan_table,
    "plan-history": _plan_history_table,
    "payments-overdue": _overdue_table,
}


@domain_errors
@require_GET
def table_export(request: AuthenticatedHttpRequest, table: str, fmt: str) -> HttpResponseBase:
    """Download one sales table as CSV or XLSX, for the deals the user sees; audited."""
    require(table in TABLES and fmt in ("csv", "xlsx"))
    ctx = _context(request, activity=table == "activity")
    forbid_unless(can_export(request.user), _("Your role cannot export deals."))
    headers, rows = TABLES[table](request, ctx.filters)
    return export_download(
        actor=request.user,
        kind=f"sales_{table}",
        fmt=fmt,
        headers=headers,
        rows=rows,
        name=f"ventas-{table}",
        title=_("Sales"),
        count=len(rows),
        filters=request.GET.dict(),
    )
