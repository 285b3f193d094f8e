"""Deal screens: the board, the list and its export, a deal, moving it; pipeline settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clientela.accounts.models import User
from clientela.accounts.queries import assignable_owners, users_visible_to
from clientela.catalog.queries import get_product_for_user
from clientela.contacts.choices import CustomFieldType
from clientela.contacts.custom_inputs import custom_initials, custom_values_shown
from clientela.contacts.models import Contact
from clientela.contacts.queries import custom_fields_for, get_contact_for_user, tags_list
from clientela.core.exceptions import Conflict, ValidationFailed
from clientela.core.exports import export_download
from clientela.core.http import (
    domain_errors,
    forbid_unless,
    id_param,
    is_htmx_request,
    page_number,
    paginate,
    querystring,
    require,
)
from clientela.core.users import AuthenticatedHttpRequest
from clientela.deals import lines as deal_lines
from clientela.deals import services
from clientela.deals.choices import DEAL_ENTITY, StageKind
from clientela.deals.forms import (
    DealFilterForm,
    DealForm,
    DealLineForm,
    LostReasonForm,
    MoveForm,
    NextStepForm,
    PipelineForm,
    QuickDealForm,
    RemoveStageForm,
    StageForm,
    show_errors,
)
from clientela.deals.importing import may_import
from clientela.deals.models import Deal, LostReason, Pipeline, Stage
from clientela.deals.page_panels import deal_panels
from clientela.deals.queries import (
    DEAL_ORDERINGS,
    DealFilters,
    board,
    can_export,
    can_manage_pipelines,
    can_reassign,
    can_write,
    column_cards,
    deal_activities,
    deal_history,
    deal_lines_of,
    decode_after,
    filter_deals,
    get_deal_for_user,
    get_line,
    get_pipeline_for_user,
    has_earlier_win,
    is_rotting,
    lost_reasons,
    pipelines_visible_to,
    product_choices,
    products_for_lines,
    stages_of,
    with_card_facts,
)
from clientela.deals.timelines import deal_timeline
from clientela.deals.views_rules import rules_context
from clientela.orders.queries import company_currency

LIST_CAP = 10_000


def _back(request: AuthenticatedHttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _owners(user: User) -> list[User]:
    """Return the people the user may give deals to (empty without deals.reassign)."""
    if not can_reassign(user):
        return []
    return list(assignable_owners(user).order_by("first_name", "last_name", "id"))


def _filter_form(request: AuthenticatedHttpRequest) -> tuple[DealFilterForm, DealFilters]:
    owners = list(
        users_visible_to(request.user).filter(is_active=True).order_by("first_name", "id")
    )
    tags = [(t.pk, t.name) for t in tags_list()]
    choice_fields = [
        d for d in custom_fields_for(DEAL_ENTITY).values() if d.field_type == CustomFieldType.CHOICE
    ]
    form = DealFilterForm(
        request.GET or None, owners=owners, tags=tags, choice_fields=choice_fields,
        products=product_choices(request.user),
    )  # fmt: skip
    if not form.is_valid():
        return form, DealFilters()
    data = form.cleaned_data
    return form, DealFilters(
        owner_id=data.get("owner"),
        source=data.get("source") or "",
        tag_id=data.get("tag"),
        product_id=data.get("product"),
        close_from=data.get("close_from"),
        close_to=data.get("close_to"),
        rotting=bool(data.get("rotting")),
        q=data.get("q") or "",
        custom=form.custom_filters(),
    )


@domain_errors
@require_GET
def board_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Open the board of the first pipeline the user may open."""
    first = pipelines_visible_to(request.user).first()
    if first is None:
        return render(
            request, "deals/no_pipeline.html", {"can_manage": can_manage_pipelines(request.user)}
        )
    return redirect("deals:pipeline_board", pk=first.pk)


@domain_errors
@require_GET
def pipeline_board(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Show a pipeline's board: a column per stage with its count, sum and first cards."""
    user = request.user
    pipelines = list(pipelines_visible_to(user))
    # The tabs' list holds the pipeline when it is open and not archived (one query, not two).
    pipeline = next((p for p in pipelines if p.pk == pk), None) or get_pipeline_for_user(user, pk)
    form, filters = _filter_form(request)
    columns = board(user, pipeline, filters)
    stages = [c.stage for c in columns]
    return render(
        request,
        "deals/board.html",
        {
            "pipeline": pipeline,
            "pipelines": pipelines,
            "columns": columns,
            "stages": stages,
            "form": form,
            "filtered": filters.active(),
            "reasons": list(lost_reasons()),
            "currency": company_currency(),
            "can_write": can_write(user),
            "query": request.GET.urlencode(),
            "quick_form": QuickDealForm(auto_id="quick_%s"),
        },
    )


@domain_errors
@require_GET
def board_column(request: AuthenticatedHttpRequest, pk: int, stage_pk: int) -> HttpResponse:
    """Return the next cards of one column ("show more"), after the position given."""
    user = request.user
    pipeline = get_pipeline_for_user(user, pk)
    stage = next((s for s in stages_of(pipeline) if s.pk == stage_pk), None)
    require(stage is not None)
    assert stage is not None
    _form, filters = _filter_form(request)
    after = decode_after(request.GET.get("after", ""))
    qs = filter_deals(user, DealFilters(**{**filters.__dict__, "pipeline_id": pipeline.pk}))
    cards, more = column_cards(qs, stage, after=after)
    return render(
        request,
        "deals/includes/column_cards.html",
        {
            "cards": cards,
            "after": more,
            "stage": stage,
            "pipeline": pipeline,
            "stages": stages_of(pipeline),
            "can_write": can_write(user),
            "query": querystring(request.GET, after=None)[1:],
        },
    )


def _list_filters(request: AuthenticatedHttpRequest) -> tuple[DealFilterForm, DealFilters, str]:
    form, filters = _filter_form(request)
    pipeline_id = id_param(request.GET, "pipeline")
    state = request.GET.get("state", "")
    ordering = request.GET.get("ordering", "-created")
    if ordering not in DEAL_ORDERINGS:
        ordering = "-created"
    filters = DealFilters(
        **{
            **filters.__dict__,
            "pipeline_id": pipeline_id,
            "state": state if state in StageKind.values else "",
            **_drill_filters(request),
        }
    )
    return form, filters, ordering


DRILL_DATES = ("created_from", "created_to", "closed_from", "closed_to")


def _drill_filters(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    """Read the sales reports' drill-down parameters (a bad one is ignored)."""
    found: dict[str, Any] = {}
    for name in DRILL_DATES:
        try:
            day = dt.date.fromisoformat(request.GET.get(name, ""))
        except ValueError:
            continue
        if dt.date(2000, 1, 1) <= day <= dt.date(2100, 12, 31):
            found[name] = day
    found["reached_stage_id"] = id_param(request.GET, "reached")
    found["lost_reason_id"] = id_param(request.GET, "lost_reason")
    found["contact_id"] = id_param(request.GET, "contact")
    return found


@domain_errors
@require_GET
def deal_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List the deals with the board's filters, sorting and pages."""
    user = request.user
    form, filters, ordering = _list_filters(request)
    qs = filter_deals(user, filters).select_related(
        "contact", "company", "owner", "stage", "pipeline"
    )
    qs = qs.order_by(*DEAL_ORDERINGS[ordering])
    page = paginate(qs, page_number(request.GET), cap=LIST_CAP)
    return render(
        request,
        "deals/deal_list.html",
        {
            "page": page,
            "form": form,
            "pipelines": list(pipelines_visible_to(user)),
            "pipeline_id": filters.pipeline_id,
            "state": filters.state,
            "drilled": filters.drilled() or filters.contact_id is not None,
            "drill_params": [
                (k, v)
                for k, v in request.GET.items()
                if k in (*DRILL_DATES, "reached", "lost_reason", "contact")
            ],
            "states": StageKind.choices,
            "ordering": ordering,
            "orderings": [
                ("-created", _("Newest first")),
                ("created", _("Oldest first")),
                ("-amount", _("Largest amount")),
                ("amount", _("Smallest amount")),
                ("close", _("Closing soonest")),
                ("title", _("Title")),
            ],
            "currency": company_currency(),
            "can_export": can_export(user),
            "can_import": may_import(user),
            "query": querystring(request.GET, page=None)[1:],
            "prev_url": querystring(request.GET, page=page.number - 1),
            "next_url": querystring(request.GET, page=page.number + 1),
        },
    )


EXPORT_HEADERS = (
    "id", "title", "pipeline", "stage", "state", "owner", "contact", "company", "amount",
    "currency", "amount_company_currency", "expected_close", "source", "utm_source",
    "utm_medium", "utm_campaign", "budget", "authority", "timeframe", "attendance",
    "lost_reason", "created_at", "closed_at",
)  # fmt: skip


def _export_rows(qs: QuerySet[Deal], custom_keys: Sequence[str]) -> Iterator[Sequence[Any]]:
    for deal in qs.iterator(chunk_size=2000):
        custom = deal.custom or {}
        yield (
            deal.pk, deal.title, deal.pipeline.name, deal.stage.name, deal.get_state_display(),
            deal.owner.get_full_name() or deal.owner.username,
            str(deal.contact) if deal.contact else "", deal.company.name if deal.company else "",
            deal.amount, deal.currency, deal.amount_company, deal.expected_close, deal.source,
            deal.utm_source, deal.utm_medium, deal.utm_campaign, deal.budget,
            deal.get_authority_display() if deal.authority else "",
            deal.get_timeframe_display() if deal.timeframe else "",
            deal.get_attendance_display(),
            deal.lost_reason.name if deal.lost_reason else "", deal.created_at, deal.closed_at,
            *(custom.get(key, "") for key in custom_keys),
        )  # fmt: skip


@domain_errors
@require_GET
def deal_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponseBase:
    """Download the filtered deals list as CSV or XLSX (deals.export), audited.

    The deal custom fields follow the built-in columns, headed by their keys (as imports read).
    """
    user = request.user
    forbid_unless(can_export(user), _("Your role cannot export deals."))
    _form, filters, ordering = _list_filters(request)
    qs = (
        filter_deals(user, filters)
        .select_related("contact", "company", "owner", "stage", "pipeline", "lost_reason")
        .order_by(*DEAL_ORDERINGS[ordering])
    )
    custom_keys = list(custom_fields_for(DEAL_ENTITY))
    return export_download(
        actor=user,
        kind="deals",
        fmt=fmt,
        headers=(*EXPORT_HEADERS, *custom_keys),
        rows=_export_rows(qs, custom_keys),
        name="negocios",
        title=_("Deals"),
        count=qs.count(),
        filters={k: str(v) for k, v in request.GET.items()},
    )


def _deal_kwargs(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "amount": data.get("amount") if data.get("amount") is not None else 0,
        "currency": data.get("currency") or "",
        "expected_close": data.get("expected_close"),
    }


QUALIFICATION = ("budget", "authority", "need", "timeframe", "attendance")


@domain_errors
@require_http_methods(["GET", "POST"])
def deal_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Create a deal (from the board, the list or a contact's card)."""
    user = request.user
    forbid_unless(can_write(user), _("Your role can only read deals."))
    params = request.POST if request.method == "POST" else request.GET
    pipeline_id = id_param(params, "pipeline")
    pipeline = (
        get_pipeline_for_user(user, pipeline_id)
        if pipeline_id
        else pipelines_visible_to(user).first()
    )
    require(pipeline is not None, _("There is no pipeline yet."))
    assert pipeline is not None
    stages = stages_of(pipeline)
    contact_id = id_param(params, "contact")
    contact: Contact | None = get_contact_for_user(user, contact_id) if contact_id else None
    owners = _owners(user)
    custom_fields = custom_fields_for(DEAL_ENTITY)
    default = reverse("deals:pipeline_board", args=[pipeline.pk])
    if request.method == "POST":
        form = DealForm(request.POST, stages=stages, owners=owners, custom_fields=custom_fields)
        if form.is_valid():
            data = form.cleaned_data
            owner = next((u for u in owners if u.pk == data.get("owner")), user)
            stage = next((s for s in stages if s.pk == data.get("stage")), None)
            try:
                deal = services.create_deal(
                    actor=user,
                    title=data["title"],
                    pipeline=pipeline,
                    stage=stage,
                    owner=owner,
                    contact=contact,
                    qualification={
                        k: data.get(k) for k in QUALIFICATION if data.get(k) not in (None, "")
                    },
                    custom=form.custom_values(),
                    **_deal_kwargs(data),
                )
            except ValidationFailed as exc:
                show_errors(form, exc)
            else:
                messages.success(request, _("Deal created."))
                return redirect("deals:deal_detail", pk=deal.pk)
    else:
        form = DealForm(
            initial={"owner": user.pk, "contact": contact_id, "currency": company_currency(),
                     "stage": id_param(params, "stage")},
            stages=stages,
            owners=owners,
            custom_fields=custom_fields,
        )  # fmt: skip
    return render(
        request,
        "deals/deal_form.html",
        {
            "form": form,
            "pipeline": pipeline,
            "contact": contact,
            "deal": None,
            "next": _back(request, default),
        },
    )


@domain_errors
@require_POST
def quick_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Create a deal in a board column from its title and amount."""
    user = request.user
    pipeline = get_pipeline_for_user(user, pk)
    forbid_unless(can_write(user), _("Your role can only read deals."))
    form = QuickDealForm(request.POST)
    board_url = reverse("deals:pipeline_board", args=[pipeline.pk])
    if form.is_valid():
        data = form.cleaned_data
        stage = next((s for s in stages_of(pipeline) if s.pk == data["stage"]), None)
        try:
            if stage is None:
                raise ValidationFailed({"stage": _("Choose a stage of this pipeline.")})
            deal = services.create_deal(
                actor=user,
                title=data["title"],
                pipeline=pipeline,
                stage=stage,
                **_deal_kwargs(data),
            )
        except ValidationFailed as exc:
            _flash_errors(request, exc.errors)  # each message names what it is about
        else:
            messages.success(request, _("Deal “%(title)s” created.") % {"title": deal.title})
    else:
        _flash_errors(request, form.errors)
    return redirect(board_url)


@domain_errors
@require_GET
def deal_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Show a deal: its facts, BANT, stage history, next steps and timeline."""
    user = request.user
    deal = get_deal_for_user(user, pk)
    deal = (
        with_card_facts(type(deal).objects.filter(pk=deal.pk))
        .select_related("contact", "company", "owner", "pipeline", "stage", "lost_reason")
        .get()
    )
    writer = can_write(user)
    stages = stages_of(deal.pipeline)
    timeline, truncated = deal_timeline(deal)
    return render(
        request,
        "deals/deal_detail.html",
        {
            "deal": deal,
            "history": deal_history(deal),
            "activities": deal_activities(deal),
            "timeline": timeline,
            "timeline_truncated": truncated,
            "custom_values": custom_values_shown(custom_fields_for(DEAL_ENTITY), deal.custom),
            "rotting": is_rotting(deal),
            "repeat_sale": has_earlier_win(deal),
            "currency": company_currency(),
            "can_write": writer,
            "move_form": MoveForm(
                initial={"stage": deal.stage_id, "version": deal.version},
                stages=stages,
                reasons=list(lost_reasons()),
                auto_id="move_%s",
            )
            if writer
            else None,
            "step_form": NextStepForm(auto_id="step_%s") if writer else None,
            "panels": deal_panels(request, deal),
            **_lines_context(user, deal, writer),
        },
    )


@domain_errors
@require_http_methods(["GET", "POST"])
def deal_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Change a deal; a concurrent change is caught by the version and explained."""
    user = request.user
    deal = get_deal_for_user(user, pk, write=True)
    owners = _owners(user)
    if owners and deal.owner not in owners:
        owners.append(deal.owner)
    detail = reverse("deals:deal_detail", args=[deal.pk])
    custom_fields = custom_fields_for(DEAL_ENTITY)
    if request.method == "POST":
        form = DealForm(request.POST, owners=owners, custom_fields=custom_fields)
        chosen = id_param(request.POST, "contact")
        # The current contact stays without a check (the deal is visible); another one must be.
        if chosen == deal.contact_id:
            contact = deal.contact
        else:
            contact = get_contact_for_user(user, chosen) if chosen else None
        if form.is_valid():
            data = form.standard_data()
            data["custom"] = form.custom_values()
            data.pop("contact", None)
            if chosen != deal.contact_id:
                data["contact"] = contact
            version = data.pop("version", None)
            if "owner" not in form.fields:
                data.pop("owner", None)
            if data.get("amount") is None:
                data["amount"] = 0
            try:
                services.update_deal(deal, actor=user, data=data, expected_version=version)
            except ValidationFailed as exc:
                show_errors(form, exc)
            except Conflict as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Deal saved."))
                return redirect(detail)
    else:
        contact = deal.contact
        form = DealForm(
            initial={
                "title": deal.title, "owner": deal.owner_id, "amount": deal.amount,
                "currency": deal.currency, "expected_close": deal.expected_close,
                "budget": deal.budget, "authority": deal.authority, "need": deal.need,
                "timeframe": deal.timeframe, "attendance": deal.attendance, "version": deal.version,
                **custom_initials(custom_fields, deal.custom),
            },
            owners=owners,
            custom_fields=custom_fields,
        )  # fmt: skip
    return render(
        request,
        "deals/deal_form.html",
        {
            "form": form,
            "pipeline": deal.pipeline,
            "contact": contact,
            "deal": deal,
            "next": detail,
        },
    )


def _wants_json(request: AuthenticatedHttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@domain_errors
@require_http_methods(["GET", "POST"])
def deal_move(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Move a deal to another stage (the board's drop, its menu, the deal's form).

    Answers JSON to the board's script (409 with the current version on a conflict, 400 with
    field errors), else the form again or a redirect.
    """
    user = request.user
    deal = get_deal_for_user(user, pk, write=True)
    stages = stages_of(deal.pipeline)
    reasons = list(lost_reasons())
    form = MoveForm(
        request.POST if request.method == "POST" else None,
        initial={"stage": id_param(request.GET, "stage") or deal.stage_id, "version": deal.version},
        stages=stages,
        reasons=reasons,
    )
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            stage = next(s for s in stages if s.pk == data["stage"])
            reason = next((r for r in reasons if r.pk == data.get("lost_reason")), None)
            try:
                moved = services.move_deal(
                    deal,
                    stage=stage,
                    actor=user,
                    lost_reason=reason,
                    lost_note=data.get("lost_note") or "",
                    expected_version=data.get("version"),
                )
            except services.StaleVersion as exc:
                if _wants_json(request):
                    return JsonResponse({"detail": str(exc), "version": exc.current}, status=409)
                form.add_error(None, str(exc))
            except ValidationFailed as exc:
                if _wants_json(request):
                    return JsonResponse({"detail": str(exc), "errors": exc.errors}, status=400)
                show_errors(form, exc)
            else:
                if _wants_json(request):
                    return JsonResponse({"version": moved.version, "stage": moved.stage_id})
                messages.success(
                    request,
                    _("“%(title)s” is now in %(stage)s.")
                    % {"title": moved.title, "stage": stage.name},
                )
                return redirect(_back(request, reverse("deals:deal_detail", args=[deal.pk])))
        elif _wants_json(request):
            errors = {k: [str(m) for m in v] for k, v in form.errors.items()}
            return JsonResponse(
                {"detail": _("Some fields are not valid."), "errors": errors}, status=400
            )
    return render(
        request,
        "deals/deal_move.html",
        {
            "deal": deal,
            "form": form,
            "next": _back(request, reverse("deals:deal_detail", args=[deal.pk])),
        },
        status=400 if form.errors else 200,
    )


@domain_errors
@require_POST
def deal_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Delete a deal (its events stay on the timelines)."""
    deal = get_deal_for_user(request.user, pk, write=True)
    board_url = reverse("deals:pipeline_board", args=[deal.pipeline_id])
    services.delete_deal(deal, actor=request.user)
    messages.success(request, _("Deal deleted."))
    return redirect(board_url)


@domain_errors
@require_POST
def deal_next_step(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Plan the deal's next step: an open task about it, for its owner."""
    user = request.user
    deal = get_deal_for_user(user, pk, write=True)
    form = NextStepForm(request.POST)
    if form.is_valid():
        try:
            services.plan_next_step(
                deal,
                actor=user,
                subject=form.cleaned_data["subject"],
                due_at=form.cleaned_data.get("due_at"),
            )
        except ValidationFailed as exc:
            _flash_errors(request, exc.errors)
        else:
            messages.success(request, _("Next step planned."))
    else:
        _flash_errors(request, form.errors)
    return redirect("deals:deal_detail", pk=deal.pk)


# --- line items --------------------------------------------------------------------------------


def _line_form(user: User, data: Any = None) -> DealLineForm:
    products = [
        (p.pk, f"{p.sku} · {p.name} ({p.unit_price:,.2f} {p.currency})")
        for p in products_for_lines(user)
    ]
    return DealLineForm(data, products=products, auto_id="line_%s")


def _lines_context(
    user: User, deal: Deal, writer: bool, form: DealLineForm | None = None
) -> dict[str, Any]:
    lines = deal_lines_of(deal)
    editable = writer and deal.state == StageKind.OPEN
    return {
        "lines": lines,
        "lines_total": sum((line.total for line in lines), Decimal(0)),
        "lines_editable": editable,
        "line_form": (form or _line_form(user)) if editable else None,
    }


def _lines_answer(
    request: AuthenticatedHttpRequest, deal: Deal, form: DealLineForm | None = None
) -> HttpResponse:
    """Answer HTMX with the lines panel again, anything else with the deal's page."""
    if not is_htmx_request(request):
        if form is not None and form.errors:
            _flash_errors(request, form.errors)
        return redirect("deals:deal_detail", pk=deal.pk)
    deal.refresh_from_db(fields=["amount", "amount_company", "rate", "version"])
    context = {"deal": deal, **_lines_context(request.user, deal, True, form)}
    # 200 with the errors in the fragment: HTMX swaps only successful answers.
    return render(request, "deals/includes/lines.html", context)


@domain_errors
@require_POST
def deal_line_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Add a line to an open deal; a unique item is reserved for it (or refused, said why)."""
    user = request.user
    deal = get_deal_for_user(user, pk, write=True)
    form = _line_form(user, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        product = None
        if data.get("product"):
            product = get_product_for_user(user, data["product"])
        try:
            deal_lines.add_line(
                deal, actor=user, product=product, description=data.get("description") or "",
                quantity=data["quantity"], unit_price=data.get("unit_price"),
                discount_pct=data.get("discount_pct"), tax_rate=data.get("tax_rate"),
            )  # fmt: skip
        except ValidationFailed as exc:
            show_errors(form, exc)
        except Conflict as exc:
            form.add_error("product", str(exc))
        else:
            if not is_htmx_request(request):
                messages.success(request, _("Line added."))
            return _lines_answer(request, deal)
    return _lines_answer(request, deal, form)


@domain_errors
@require_POST
def deal_line_remove(request: AuthenticatedHttpRequest, pk: int, line_pk: int) -> HttpResponse:
    """Remove a line of an open deal; its unique item becomes available again."""
    user = request.user
    deal = get_deal_for_user(user, pk, write=True)
    line = get_line(deal, line_pk)
    try:
        deal_lines.remove_line(line, actor=user)
    except ValidationFailed as exc:
        _flash_errors(request, exc.errors)
    else:
        if not is_htmx_request(request):
            messages.success(request, _("Line removed."))
    return _lines_answer(request, deal)


# --- settings: pipelines, stages, lost reasons ----------------------------------------------


def _admin(request: AuthenticatedHttpRequest) -> None:
    forbid_unless(can_manage_pipelines(request.user), _("Your role cannot set up pipelines."))


@domain_errors
@require_http_methods(["GET", "POST"])
def pipeline_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List the pipelines and create one."""
    _admin(request)
    form = PipelineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pipeline = services.create_pipeline(
                actor=request.user, name=form.cleaned_data["name"],
                departments=list(form.cleaned_data["departments"]),
            )  # fmt: skip
        except ValidationFailed as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Pipeline created: add its stages."))
            return redirect("deals:pipeline_edit", pk=pipeline.pk)
    pipelines = Pipeline.objects.prefetch_related("departments").order_by(
        "is_archived", "position", "id"
    )
    return render(
        request,
        "deals/pipeline_list.html",
        {
            "pipelines": pipelines,
            "form": form,
            "reasons": LostReason.objects.all(),
            "reason_form": LostReasonForm(),
        },
    )


@domain_errors
@require_http_methods(["GET", "POST"])
def pipeline_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Rename a pipeline, restrict it to departments, archive it; list its stages."""
    _admin(request)
    pipeline = get_pipeline_for_user(request.user, pk, archived=True)
    form = PipelineForm(
        request.POST or None,
        initial={"name": pipeline.name, "departments": list(pipeline.departments.all())},
    )
    if request.method == "POST" and form.is_valid():
        archived = {"archive": True, "restore": False}.get(request.POST.get("action", ""))
        try:
            services.update_pipeline(
                pipeline, actor=request.user, name=form.cleaned_data["name"],
                departments=list(form.cleaned_data["departments"]), archived=archived,
            )  # fmt: skip
        except ValidationFailed as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Pipeline saved."))
            return redirect("deals:pipeline_edit", pk=pipeline.pk)
    stages = stages_of(pipeline)
    return render(
        request,
        "deals/pipeline_edit.html",
        {
            "pipeline": pipeline,
            "form": form,
            "stages": stages,
            "stage_forms": [
                (s, StageForm(initial={"name": s.name, "probability": s.probability, "kind": s.kind,
                                       "rotting_days": s.rotting_days}, auto_id=f"stage{s.pk}_%s"),
                 RemoveStageForm(stages=[o for o in stages if o.pk != s.pk], auto_id=f"remove{s.pk}_%s"))
                for s in stages
            ],
            "new_stage": StageForm(initial={"probability": 20, "kind": StageKind.OPEN}, auto_id="new_%s"),
            **rules_context(stages),
        },
    )  # fmt: skip


def _stage_of(request: AuthenticatedHttpRequest, pk: int, stage_pk: int) -> tuple[Pipeline, Stage]:
    _admin(request)
    pipeline = get_pipeline_for_user(request.user, pk, archived=True)
    stage = next((s for s in stages_of(pipeline) if s.pk == stage_pk), None)
    require(stage is not None)
    assert stage is not None
    return pipeline, stage


def _flash_errors(request: AuthenticatedHttpRequest, errors: Mapping[str, Any]) -> None:
    for field_errors in errors.values():
        for message in list(field_errors):
            messages.error(request, str(message))


@domain_errors
@require_POST
def stage_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Add a stage to a pipeline."""
    _admin(request)
    pipeline = get_pipeline_for_user(request.user, pk, archived=True)
    form = StageForm(request.POST)
    if form.is_valid():
        try:
            services.add_stage(pipeline, actor=request.user, values=form.cleaned_data)
        except ValidationFailed as exc:
            _flash_errors(request, exc.errors)
        else:
            messages.success(request, _("Stage added."))
    else:
        _flash_errors(request, form.errors)
    return redirect("deals:pipeline_edit", pk=pipeline.pk)


@domain_errors
@require_POST
def stage_edit(request: AuthenticatedHttpRequest, pk: int, stage_pk: int) -> HttpResponse:
    """Change a stage's name, probability, kind or rotting days; or move it up or down."""
    pipeline, stage = _stage_of(request, pk, stage_pk)
    direction = request.POST.get("move")
    if direction in {"up", "down"}:
        ids = [s.pk for s in stages_of(pipeline)]
        index = ids.index(stage.pk)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(ids):
            ids[index], ids[other] = ids[other], ids[index]
            services.reorder_stages(pipeline, actor=request.user, order=ids)
        return redirect("deals:pipeline_edit", pk=pipeline.pk)
    form = StageForm(request.POST)
    if form.is_valid():
        try:
            services.update_stage(stage, actor=request.user, values=form.cleaned_data)
        except ValidationFailed as exc:
            _flash_errors(request, exc.errors)
        else:
            messages.success(request, _("Stage saved."))
    else:
        _flash_errors(request, form.errors)
    return redirect("deals:pipeline_edit", pk=pipeline.pk)


@domain_errors
@require_POST
def stage_remove(request: AuthenticatedHttpRequest, pk: int, stage_pk: int) -> HttpResponse:
    """Remove a stage, moving its deals to the stage chosen."""
    pipeline, stage = _stage_of(request, pk, stage_pk)
    others = [s for s in stages_of(pipeline) if s.pk != stage.pk]
    form = RemoveStageForm(request.POST, stages=others)
    if form.is_valid():
        target = next((s for s in others if s.pk == form.cleaned_data.get("move_to")), None)
        try:
            moved = services.remove_stage(stage, actor=request.user, move_to=target)
        except ValidationFailed as exc:
            _flash_errors(request, exc.errors)
        else:
            messages.success(request, _("Stage removed; %(count)d deals moved.") % {"count": moved})
    else:
        _flash_errors(request, form.errors)
    return redirect("deals:pipeline_edit", pk=pipeline.pk)


@domain_errors
@require_POST
def lost_reason_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Offer one more lost reason."""
    _admin(request)
    form = LostReasonForm(request.POST)
    if form.is_valid():
        try:
            services.add_lost_reason(actor=request.user, name=form.cleaned_data["name"])
        except ValidationFailed as exc:
            _flash_errors(request, exc.errors)
        else:
            messages.success(request, _("Lost reason added."))
    else:
        _flash_errors(request, form.errors)
    return redirect("deals:pipeline_list")


@domain_errors
@require_POST
def lost_reason_toggle(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Stop offering a lost reason, or offer it again."""
    _admin(request)
    reason = LostReason.objects.filter(pk=pk).first()
    require(reason is not None)
    assert reason is not None
    services.update_lost_reason(reason, actor=request.user, active=not reason.is_active)
    return redirect("deals:pipeline_list")
