"""Customer-value screens: dashboard, drill-down lists, LTV and LTV:CAC, cohorts, settings."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clientela.accounts.choices import Visibility
from clientela.accounts.queries import has_capability, visibility_of
from clientela.analytics import services
from clientela.analytics.cohort_queries import cohort_view
from clientela.analytics.forms import DrillForm, LtvInputsForm, SettingsForm, ValueFilterForm
from clientela.analytics.ltv import INDUSTRY_BY_CODE
from clientela.analytics.ltv_queries import compute_ltv_inputs, group_rows
from clientela.analytics.ltv_report import build_report, with_overrides
from clientela.analytics.models import CustomerValue
from clientela.analytics.queries import (
    NEW_CUSTOMER,
    ValueFilters,
    can_manage_settings,
    can_recompute,
    can_view_value,
    clv_histogram,
    drilldown,
    drilldown_total,
    equity_trend,
    get_analytics_settings,
    get_job,
    inactivity_counts,
    job_is_active,
    latest_snapshot,
    sees_acquisition_costs,
    segment_grid,
    snapshot_job,
    top_customers,
    value_overview,
)
from clientela.analytics.rfm import SEGMENT_LABELS
from clientela.core.exceptions import Conflict, ValidationFailed
from clientela.core.exports import export_download
from clientela.core.http import (
    domain_errors,
    forbid_unless,
    page_number,
    paginate,
    querystring,
    require,
)
from clientela.core.users import AuthenticatedHttpRequest
from clientela.orders.queries import company_currency
from clientela.segments.queries import may_manage_segments
from clientela.segments.services import save_as_list

# Lists count exactly up to here and say "more than" beyond (see core.http.paginate).
COUNT_CAP = 10_000


def _filters(request: AuthenticatedHttpRequest) -> tuple[ValueFilterForm, ValueFilters]:
    form = ValueFilterForm(request.GET or None)
    return form, form.to_filters()


def _drill(**params: Any) -> str:
    """Link to the customers behind a number."""
    clean = {k: v for k, v in params.items() if v not in (None, "")}
    return reverse("analytics:customers") + ("?" + urlencode(clean) if clean else "")


def _base_context(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    job = snapshot_job()
    snapshot = latest_snapshot()
    horizon_weeks = (snapshot.model or {}).get("horizon") if snapshot else None
    return {
        "snapshot": snapshot,
        "horizon": round(horizon_weeks * 7 / 30.4375)
        if horizon_weeks
        else get_analytics_settings().clv_horizon_months,
        "segment_labels": SEGMENT_LABELS,
        # A rep who sees only their own customers does not need an owner column.
        "show_owner": visibility_of(request.user) != Visibility.OWN,
        "job": job if job_is_active(job) else None,
        "can_recompute": can_recompute(request.user),
        "can_export": has_capability(request.user, "analytics.export"),
        "currency": company_currency(),
        "sees_costs": sees_acquisition_costs(request.user),
    }


def _chart(
    kind: str, labels: list[str], series: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    """Return a chart spec for charts.js (rendered from json_script, never string-built JS)."""
    return {"type": kind, "labels": labels, "series": series, **extra}


@require_GET
@domain_errors
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show customer equity and its trend, CLV distribution, RFM grid, LTV:CAC, cascade, cohorts."""
    require(can_view_value(request.user))
    form, filters = _filters(request)
    context = _base_context(request)
    snapshot = context["snapshot"]
    user = request.user
    today = snapshot.as_of if snapshot else timezone.localdate()
    settings = get_analytics_settings()
    overview = value_overview(user, snapshot, filters)
    trend = equity_trend(user, filters)
    histogram = clv_histogram(user, snapshot, filters)
    grid = segment_grid(user, snapshot, filters)
    cascade = inactivity_counts(user, snapshot, filters)
    inputs = compute_ltv_inputs(
        user, as_of=today, months=filters.months, settings=settings, snapshot=snapshot,
        filters=filters,
    )  # fmt: skip
    channels = group_rows(
        user, snapshot=snapshot, inputs=inputs, months=filters.months, as_of=today, by="channel"
    )
    report = build_report(
        inputs, as_of=today, industry_code=settings.industry, segment_count=len(channels)
    )
    cohorts = cohort_view(
        user, as_of=today, months=min(filters.months or 12, 12), snapshot=snapshot, filters=filters
    )
    top = top_customers(user, snapshot, filters)
    for row in grid.cells:
        row.url = _drill(segment=row.code, channel=filters.channel)  # type: ignore[attr-defined]
    for item in cascade:
        item["url"] = _drill(
            inactivity=item["code"], channel=filters.channel, segment=filters.segment
        )
    money_label = _("Customer equity (%(currency)s)") % {"currency": context["currency"]}
    context.update(
        {
            "form": form,
            "filters": filters,
            "query": querystring(filters.as_query()),
            "overview": overview,
            "grid": grid,
            "cascade": cascade,
            "cascade_max": max([c["count"] for c in cascade] + [1]),
            "channels": channels,
            "report": report,
            "cohorts": cohorts,
            "top": top,
            "drill_all": _drill(channel=filters.channel, segment=filters.segment),
            "trend_chart": _chart(
                "line",
                [t["as_of"].isoformat() for t in trend],
                [{"label": money_label, "data": [t["equity"] for t in trend]}],
                money=True,
                dates=True,
            ),
            "histogram_chart": _chart(
                "bar",
                [_bin_label(b) for b in histogram],
                [{"label": _("Customers"), "data": [b["count"] for b in histogram]}],
                links=[
                    _drill(
                        clv_min=b["low"],
                        clv_max=b["high"],
                        channel=filters.channel,
                        segment=filters.segment,
                    )
                    for b in histogram
                ],
            ),
            "channel_chart": _chart(
                "bar",
                [r.label for r in channels if r.ratio is not None],
                [{"label": "LTV:CAC", "data": [round(r.ratio, 2) for r in channels if r.ratio]}],
                links=[_drill(channel=r.code) for r in channels if r.ratio is not None],
                reference=3,
            ),
        }
    )
    return render(request, "analytics/dashboard.html", context)


def _bin_label(item: dict[str, Any]) -> str:
    from clientela.analytics.templatetags.value_ui import money

    if item["high"] is None:
        return f"≥ {money(item['low'])}"
    return f"{money(item['low'])} – {money(item['high'])}"


@require_GET
@domain_errors
def customers(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Who is behind a number: visible customers with contact details, CLV, P(alive), owner."""
    require(can_view_value(request.user))
    form = DrillForm(request.GET or None)
    filters = form.to_filters()
    context = _base_context(request)
    snapshot = context["snapshot"]
    qs = drilldown(request.user, snapshot, filters)
    page = paginate(
        qs,
        page_number(request.GET),
        cap=COUNT_CAP,
        known_total=lambda: drilldown_total(request.user, snapshot, filters),
    )
    context.update(
        {
            "form": form,
            "filters": filters,
            "page": page,
            "new_customer": NEW_CUSTOMER,
            "segment_label": SEGMENT_LABELS.get(filters.segment, ""),
            "previous_label": SEGMENT_LABELS.get(filters.previous_segment, ""),
            "prev_url": querystring(request.GET, page=page.number - 1),
            "next_url": querystring(request.GET, page=page.number + 1),
            "export_query": querystring(request.GET, page=None),
            "can_save_list": may_manage_segments(request.user),
        }
    )
    return render(request, "analytics/customers.html", context)


@require_POST
@domain_errors
def customers_save_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Save the drill-down's contacts as a static list ("these 312 customers at risk")."""
    require(can_view_value(request.user))
    filters = DrillForm(request.GET or None).to_filters()
    rows = drilldown(request.user, latest_snapshot(), filters)
    contact_ids = rows.filter(contact_id__isnull=False).values_list("contact_id", flat=True)
    name = request.POST.get("name", "").strip() or _("Customers %(date)s") % {
        "date": timezone.localdate().isoformat()
    }
    segment = save_as_list(actor=request.user, name=name, contacts=list(contact_ids))
    messages.success(
        request,
        _("List “%(name)s” saved with %(count)s contacts.")
        % {"name": segment.display_name, "count": segment.member_count},
    )
    return redirect("segments:detail", pk=segment.pk)


# What an export row needs, read as plain values (no model object per customer): the
# contact's or, for a company buying without a contact, the company's name, phone, e-mail and
# owner, with the snapshot's figures.
_EXPORT_COLUMNS = (
    "contact_id", "contact__first_name", "contact__last_name", "contact__email",
    "contact__phone", "company_id", "company__name", "company__email", "company__phone",
    "contact__owner__first_name", "contact__owner__last_name", "contact__owner__username",
    "company__owner__first_name", "company__owner__last_name", "company__owner__username",
    "last_purchase", "orders", "monetary", "clv", "p_alive", "expected_purchases", "segment",
    "r", "f", "m", "inactivity",
)  # fmt: skip


def _person(first: str | None, last: str | None, username: str | None) -> str:
    """Write a user as ``User.__str__`` does: full name, else username ("" for none)."""
    return f"{first or ''} {last or ''}".strip() or (username or "")


def _customer_rows(qs: QuerySet[CustomerValue]) -> Iterable[Sequence[Any]]:
    """One export row per customer of the drill-down, streamed from a database cursor."""
    segments = {code: str(label) for code, label in SEGMENT_LABELS.items()}
    for (contact_id, first, last, c_email, c_phone, company_id, company, co_email, co_phone,
         c_owner_first, c_owner_last, c_owner_user, co_owner_first, co_owner_last,
         co_owner_user, last_purchase, orders, monetary, clv, p_alive, expected, segment,
         r, f, m, inactivity) in qs.values_list(*_EXPORT_COLUMNS).iterator(chunk_size=5000):  # fmt: skip
        if contact_id is not None:
            full = f"{first} {last}".strip()
            name = full or c_email or c_phone or f"#{contact_id}"
            phone, email = c_phone, c_email
            owner = _person(c_owner_first, c_owner_last, c_owner_user)
        elif company_id is not None:
            name, phone, email = company, co_phone, co_email
            owner = _person(co_owner_first, co_owner_last, co_owner_user)
        else:
            name = phone = email = owner = ""
        yield [
            name, phone or "", email or "", last_purchase, orders, monetary, clv, p_alive,
            expected, segments.get(segment, segment), f"{r}{f}{m}", inactivity, owner,
        ]  # fmt: skip


CUSTOMER_HEADERS: list[Callable[[], str]] = [
    lambda: _("Customer"), lambda: _("Phone"), lambda: _("E-mail"), lambda: _("Last purchase"),
    lambda: _("Orders"), lambda: _("Total spent"), lambda: "CLV", lambda: _("P(alive)"),
    lambda: _("Expected purchases"), lambda: _("Segment"), lambda: "RFM",
    lambda: _("Inactivity"), lambda: _("Owner"),
]  # fmt: skip


@require_GET
@domain_errors
def customers_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponseBase:
    """Serve the drill-down list as CSV or XLSX."""
    require(can_view_value(request.user))
    forbid_unless(
        has_capability(request.user, "analytics.export"), _("Your role cannot export data.")
    )
    filters = DrillForm(request.GET or None).to_filters()
    qs = drilldown(request.user, latest_snapshot(), filters)
    return export_download(
        actor=request.user,
        kind="customers",
        fmt=fmt,
        headers=[h() for h in CUSTOMER_HEADERS],
        rows=_customer_rows(qs),
        name="customers",
        title=_("Customer value export"),
        sheet_title=_("Customers"),
        filters=request.GET.dict(),
    )


@require_GET
@domain_errors
def ltv(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the five LTV formulas on inputs from the data (overridable).

    With LTV:CAC per channel and segment, its reading, payback months and the four warnings.
    """
    require(can_view_value(request.user))
    return _ltv_page(request, LtvInputsForm(request.GET if "apply" in request.GET else None))


def _ltv_page(
    request: AuthenticatedHttpRequest, overrides_form: LtvInputsForm, status: int = 200
) -> HttpResponse:
    """Show the LTV screen with the user's values of `overrides_form` (its errors beside fields)."""
    form_filters, filters = _filters(request)
    context = _base_context(request)
    snapshot = context["snapshot"]
    settings = get_analytics_settings()
    today = snapshot.as_of if snapshot else timezone.localdate()
    computed = compute_ltv_inputs(
        request.user, as_of=today, months=filters.months, settings=settings, snapshot=snapshot,
        filters=filters,
    )  # fmt: skip
    overrides = overrides_form.overrides()
    if not context["sees_costs"]:
        overrides.pop("cac", None)
    inputs = with_overrides(computed, overrides)
    industry = (
        overrides_form.cleaned_data.get("industry")
        if overrides_form.is_bound and overrides_form.is_valid()
        else settings.industry
    ) or ""
    by_channel = group_rows(
        request.user, snapshot=snapshot, inputs=inputs, months=filters.months, as_of=today,
        by="channel",
    )  # fmt: skip
    by_segment = group_rows(
        request.user, snapshot=snapshot, inputs=inputs, months=filters.months, as_of=today,
        by="segment",
    )  # fmt: skip
    report = build_report(
        inputs,
        as_of=today,
        industry_code=industry,
        segment_count=len([r for r in by_segment if r.customers]),
    )
    context.update(
        {
            "form": form_filters,
            "filters": filters,
            "query": querystring(filters.as_query()),
            "inputs_form": overrides_form,
            "computed": computed,
            "overridden": sorted(k for k, v in overrides.items() if v is not None),
            "report": report,
            "by_channel": by_channel,
            "by_segment": by_segment,
            "industry": INDUSTRY_BY_CODE.get(industry),
            "industry_code": industry,
            "can_save": can_manage_settings(request.user),
        }
    )
    return render(request, "analytics/ltv.html", context, status=status)


@require_POST
@domain_errors
def ltv_save(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Keep the margin, retention cost and industry typed on the LTV screen as settings.

    A value that cannot be saved shows the screen again with the message beside its field.
    """
    require(can_view_value(request.user))
    form = LtvInputsForm(request.POST)
    if not form.is_valid():
        return _ltv_page(request, form, status=400)
    data = form.cleaned_data
    update: dict[str, Any] = {"industry": data.get("industry") or ""}
    if data.get("gross_margin") is not None:
        update["default_gross_margin"] = round(data["gross_margin"], 4)
    if data.get("retention_cost") is not None:
        update["retention_cost_per_customer"] = data["retention_cost"]
    try:
        services.update_analytics_settings(actor=request.user, data=update)
    except ValidationFailed as exc:
        names = {
            "default_gross_margin": "gross_margin",
            "retention_cost_per_customer": "retention_cost",
        }
        for field, field_messages in exc.errors.items():
            for message in field_messages:
                form.add_error(names.get(field), message)
        return _ltv_page(request, form, status=400)
    messages.success(request, _("Saved as the defaults for everyone."))
    return redirect("analytics:ltv")


@require_GET
@domain_errors
def cohorts(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Monthly acquisition cohorts: retention and revenue matrices, repurchase and churn."""
    require(can_view_value(request.user))
    form, filters = _filters(request)
    context = _base_context(request)
    snapshot = context["snapshot"]
    today = snapshot.as_of if snapshot else timezone.localdate()
    view = cohort_view(
        request.user, as_of=today, months=filters.months, snapshot=snapshot, filters=filters
    )
    revenue_max = max([v for row in view.revenue for v in row if v is not None] + [1.0])
    context.update(
        {
            "form": form,
            "filters": filters,
            "query": querystring(filters.as_query()),
            "view": view,
            "rows": list(
                zip(
                    view.cohorts,
                    view.sizes,
                    view.repurchase,
                    view.retention,
                    view.revenue,
                    strict=True,
                )
            ),
            "revenue_max": revenue_max,
        }
    )
    return render(request, "analytics/cohorts.html", context)


@require_POST
@domain_errors
def recompute(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Queue a new snapshot (managers); the page shows its progress."""
    require(can_view_value(request.user))
    try:
        job = services.request_customer_value_snapshot(actor=request.user)
    except Conflict as exc:
        messages.error(request, str(exc))
        return redirect("analytics:dashboard")
    messages.success(request, _("Customer value is being recomputed."))
    return redirect(reverse("analytics:dashboard") + f"?job={job.pk}")


@require_GET
@domain_errors
def job_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Progress of a recompute (polled by HTMX until it ends)."""
    require(can_recompute(request.user))
    job = get_job(pk)
    require(job is not None)
    return render(
        request, "analytics/includes/job.html", {"job": job, "active": job_is_active(job)}
    )


@require_http_methods(["GET", "POST"])
@domain_errors
def settings_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Inactivity thresholds, CLV horizon and discount, default margin, industry."""
    require(can_manage_settings(request.user))
    current = get_analytics_settings()
    initial = {name: getattr(current, name) for name in services.SETTINGS_FIELDS}
    form = SettingsForm(request.POST or None, initial=initial, currency=company_currency())
    if request.method == "POST" and form.is_valid():
        try:
            services.update_analytics_settings(actor=request.user, data=form.cleaned_data)
        except ValidationFailed as exc:
            for field, field_messages in exc.errors.items():
                for message in field_messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _("Settings saved. They apply from the next computation."))
            return redirect("analytics:settings")
    return render(request, "analytics/settings.html", {**_base_context(request), "form": form})


def _rows_for(
    table: str, request: AuthenticatedHttpRequest
) -> tuple[str, list[str], list[list[Any]]]:
    """Headers and rows of one dashboard table (what is on screen, for export)."""
    user = request.user
    _form, filters = _filters(request)
    snapshot = latest_snapshot()
    today = snapshot.as_of if snapshot else timezone.localdate()
    if table == "segments":
        grid = segment_grid(user, snapshot, filters)
        return (
            _("RFM segments"),
            [
                _("Segment"),
                _("Customers"),
                _("Share"),
                _("Previous snapshot"),
                _("Came in"),
                _("Left"),
                _("New customers"),
            ],
            [[c.label, c.count, c.share, c.previous, c.came_in, c.left, c.new] for c in grid.cells],
        )
    if table == "movement":
        grid = segment_grid(user, snapshot, filters)
        return (
            _("Movement between segments"),
            [_("From \\ to"), *(label for _code, label in grid.columns), _("Total")],
            [[row["label"], *row["counts"], row["total"]] for row in grid.matrix],
        )
    if table == "inactivity":
        counts = inactivity_counts(user, snapshot, filters)
        return (
            _("Inactivity"),
            [_("State"), _("Customers")],
            [[c["label"], c["count"]] for c in counts],
        )
    if table in ("channels", "segments_ltv"):
        settings = get_analytics_settings()
        inputs = compute_ltv_inputs(
            user, as_of=today, months=filters.months, settings=settings, snapshot=snapshot,
            filters=filters,
        )  # fmt: skip
        rows = group_rows(
            user, snapshot=snapshot, inputs=inputs, months=filters.months, as_of=today,
            by="channel" if table == "channels" else "segment",
        )  # fmt: skip
        return (
            _("LTV and LTV:CAC"),
            [
                _("Group"),
                _("Customers"),
                _("New customers"),
                _("Average order value"),
                _("Purchases per year"),
                "LTV",
                _("Spend"),
                "CAC",
                "LTV:CAC",
                _("Reading"),
                _("Payback (months)"),
                _("Mean CLV"),
                _("Mean P(alive)"),
            ],
            [
                [
                    r.label,
                    r.customers,
                    r.new_customers,
                    r.aov,
                    r.purchases_per_year,
                    r.ltv,
                    r.spend,
                    r.cac,
                    r.ratio,
                    str(r.reading.message) if r.reading else "",
                    r.payback_months,
                    r.mean_clv,
                    r.mean_alive,
                ]
                for r in rows
            ],
        )
    if table in ("cohort_retention", "cohort_revenue"):
        view = cohort_view(user, as_of=today, months=filters.months, snapshot=snapshot,
                           filters=filters)  # fmt: skip
        matrix = view.retention if table == "cohort_retention" else view.revenue
        return (
            _("Cohorts"),
            [
                _("Cohort"),
                _("Customers"),
                _("Repurchase rate"),
                *(_("Month %(n)d") % {"n": p} for p in view.periods),
            ],
            [
                [cohort, size, repurchase, *values]
                for cohort, size, repurchase, values in zip(
                    view.cohorts, view.sizes, view.repurchase, matrix, strict=True
                )
            ],
        )
    if table == "trend":
        trend = equity_trend(user, filters)
        return (
            _("Customer equity"),
            [_("As of"), _("Customer equity"), _("Customers")],
            [[t["as_of"], t["equity"], t["customers"]] for t in trend],
        )
    if table == "histogram":
        bins = clv_histogram(user, snapshot, filters)
        return (
            _("CLV distribution"),
            [_("CLV from"), _("CLV up to"), _("Customers")],
            [[b["low"], b["high"], b["count"]] for b in bins],
        )
    require(False)
    raise AssertionError  # unreachable: require raised


EXPORT_TABLES = (
    "segments", "movement", "inactivity", "channels", "segments_ltv", "cohort_retention",
    "cohort_revenue", "trend", "histogram",
)  # fmt: skip


@require_GET
@domain_errors
def table_export(request: AuthenticatedHttpRequest, table: str, fmt: str) -> HttpResponseBase:
    """One dashboard table as CSV or XLSX, for the customers the user sees."""
    require(can_view_value(request.user))
    require(table in EXPORT_TABLES and fmt in ("csv", "xlsx"))
    forbid_unless(
        has_capability(request.user, "analytics.export"), _("Your role cannot export data.")
    )
    title, headers, rows = _rows_for(table, request)
    return export_download(
        actor=request.user,
        kind=f"value_{table}",
        fmt=fmt,
        headers=headers,
        rows=rows,
        name=table.replace("_", "-"),
        title=title,
        count=len(rows),
        filters=request.GET.dict(),
    )
