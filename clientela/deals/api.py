"""API for pipelines and deals (mounted at /api/v1/pipelines and /api/v1/deals): adapters."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from clientela.accounts.api_auth import actor
from clientela.accounts.models import User
from clientela.contacts.models import Company, Contact
from clientela.contacts.queries import get_company_for_user, get_contact_for_user
from clientela.contacts.representation import Ref, custom_filters, ref
from clientela.core.events import Via
from clientela.core.exceptions import ValidationFailed
from clientela.core.http import DbInt, ListPage, PageQuery, RecordId, api_errors
from clientela.core.keyset import page_of
from clientela.deals import services
from clientela.deals.choices import Attendance, Authority, StageKind, Timeframe
from clientela.deals.models import Deal, LostReason, Pipeline, Stage
from clientela.deals.queries import (
    DEAL_ORDERINGS,
    DealFilters,
    filter_deals,
    get_deal_for_move,
    get_deal_for_user,
    get_pipeline_for_user,
    has_earlier_win,
    lost_reasons,
    pipelines_visible_to,
    stages_of,
    with_card_facts,
)
from clientela.deals.stage_rules import stage_for_move

pipelines_router = Router(tags=["deals"])
deals_router = Router(tags=["deals"])


class StageOut(Schema):
    """A stage of a pipeline, in board order."""

    id: int
    name: str
    position: int
    probability: int = Field(description="Percent chance a deal here is won (0–100)")
    kind: StageKind
    rotting_days: int | None = Field(description="Days without a touch before a deal rots")


class PipelineOut(Schema):
    """A pipeline with its live stages."""

    id: int
    name: str
    is_archived: bool
    departments: list[Ref] = Field(description="Only members of these see it (empty: everyone)")
    stages: list[StageOut]


class LostReasonOut(Schema):
    """A lost reason a deal may be lost with."""

    id: int
    name: str


class DealOut(Schema):
    """A deal; `amount_company` is `amount` in the company currency at `rate`."""

    id: int
    title: str
    contact: Ref | None
    company: Ref | None
    owner: Ref
    pipeline: Ref
    stage: Ref
    state: StageKind
    amount: Decimal
    currency: str
    amount_company: Decimal
    company_currency: str
    rate: Decimal
    expected_close: date | None
    source: str
    utm_source: str
    utm_medium: str
    utm_campaign: str
    budget: Decimal | None
    authority: Authority
    need: str
    timeframe: Timeframe
    attendance: Attendance
    lost_reason: Ref | None
    lost_note: str
    custom: dict[str, Any] = Field(description="Deal custom field values by key")
    repeat_sale: bool = Field(description="The contact had won a deal when this one opened")
    stage_entered_at: datetime
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int


class DealPage(ListPage):
    """A page of deals: `next` is the URL of the following page, or null."""

    items: list[DealOut]


class DealQuery(PageQuery):
    """Filters, ordering and pagination of the deals list."""

    pipeline: RecordId | None = None
    stage: RecordId | None = None
    owner: RecordId | None = None
    contact: RecordId | None = None
    tag: RecordId | None = Field(None, description="A tag of the deal's contact")
    source: str = Field("", max_length=20)
    state: StageKind | None = None
    close_from: date | None = Field(None, description="Expected close on or after")
    close_to: date | None = Field(None, description="Expected close on or before")
    rotting: bool = False
    q: str = Field("", max_length=100, description="Words of the title")
    ordering: Literal["created", "-created", "amount", "-amount", "title", "-title"] = "-created"


class DealIn(Schema):
    """A new deal: in the pipeline's first open stage unless `stage` says otherwise."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(max_length=200)
    pipeline: RecordId
    stage: RecordId | None = None
    owner: RecordId | None = Field(None, description="Owner's user id (yourself when omitted)")
    contact: RecordId | None = None
    company: RecordId | None = None
    amount: Decimal = Field(Decimal(0), ge=0, max_digits=16, decimal_places=2)
    currency: str = Field("", max_length=3, description="ISO 4217 code; the company's by default")
    expected_close: date | None = None
    budget: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    authority: Authority = Authority.UNKNOWN
    need: str = Field("", max_length=5000)
    timeframe: Timeframe = Timeframe.UNKNOWN
    attendance: Attendance = Attendance.PENDING
    lost_reason: RecordId | None = Field(None, description="Required when `stage` is a lost one")
    custom: dict[str, Any] | None = Field(None, description="Deal custom field values by key")


class DealPatch(Schema):
    """Changes to a deal (the stage changes with POST …/move)."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, max_length=200)
    owner: RecordId | None = None
    contact: RecordId | None = None
    company: RecordId | None = None
    amount: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    currency: str | None = Field(None, max_length=3)
    expected_close: date | None = None
    budget: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    authority: Authority | None = None
    need: str | None = Field(None, max_length=5000)
    timeframe: Timeframe | None = None
    attendance: Attendance | None = None
    lost_note: str | None = Field(None, max_length=500)
    custom: dict[str, Any] | None = Field(
        None,
        description="Deal custom field values by key (only the keys sent change; null clears one)",
    )
    version: DbInt | None = Field(None, description="Refuse the change (409) if the deal moved on")


class MoveIn(Schema):
    """Where the deal goes; a lost stage needs `lost_reason`."""

    model_config = ConfigDict(extra="forbid")

    stage: RecordId
    lost_reason: RecordId | None = None
    lost_note: str = Field("", max_length=500)
    version: DbInt | None = Field(None, description="Refuse the move (409) if the deal moved on")


class ConflictOut(Schema):
    """A version conflict: the deal changed since you read it."""

    detail: str
    version: int = Field(description="The deal's current version")


def stage_out(stage: Stage) -> dict[str, Any]:
    """Return the API representation of a stage."""
    return {
        "id": stage.pk, "name": stage.name, "position": stage.position,
        "probability": stage.probability, "kind": stage.kind, "rotting_days": stage.rotting_days,
    }  # fmt: skip


def pipeline_out(pipeline: Pipeline) -> dict[str, Any]:
    """Return the API representation of a pipeline with its live stages."""
    return {
        "id": pipeline.pk,
        "name": pipeline.name,
        "is_archived": pipeline.is_archived,
        "departments": [ref(d) for d in pipeline.departments.all()],
        "stages": [stage_out(s) for s in stages_of(pipeline)],
    }


def deal_out(deal: Deal, *, repeat_sale: bool | None = None) -> dict[str, Any]:
    """Return the API representation of a deal (related rows selected beforehand)."""
    from clientela.orders.queries import company_currency

    return {
        "id": deal.pk, "title": deal.title, "contact": ref(deal.contact),
        "company": ref(deal.company), "owner": ref(deal.owner), "pipeline": ref(deal.pipeline),
        "stage": ref(deal.stage), "state": deal.state, "amount": deal.amount,
        "currency": deal.currency, "amount_company": deal.amount_company,
        "company_currency": company_currency(), "rate": deal.rate,
        "expected_close": deal.expected_close, "source": deal.source,
        "utm_source": deal.utm_source, "utm_medium": deal.utm_medium,
        "utm_campaign": deal.utm_campaign, "budget": deal.budget, "authority": deal.authority,
        "need": deal.need, "timeframe": deal.timeframe, "attendance": deal.attendance,
        "lost_reason": ref(deal.lost_reason), "lost_note": deal.lost_note,
        "custom": deal.custom or {},
        "repeat_sale": has_earlier_win(deal) if repeat_sale is None else repeat_sale,
        "stage_entered_at": deal.stage_entered_at, "closed_at": deal.closed_at,
        "created_at": deal.created_at, "updated_at": deal.updated_at, "version": deal.version,
    }  # fmt: skip


@pipelines_router.get("", response=list[PipelineOut], summary="List pipelines")
def list_pipelines(request: HttpRequest) -> list[dict[str, Any]]:
    """List the pipelines you may open, with their stages in board order."""
    user = actor(request)
    return [pipeline_out(p) for p in pipelines_visible_to(user).prefetch_related("departments")]


@pipelines_router.get("lost-reasons", response=list[LostReasonOut], summary="List lost reasons")
def list_lost_reasons(request: HttpRequest) -> list[dict[str, Any]]:
    """List the lost reasons a deal may be lost with."""
    actor(request)
    return [{"id": r.pk, "name": r.name} for r in lost_reasons()]


@pipelines_router.get("{pipeline_id}", response=PipelineOut, summary="Get a pipeline")
def get_pipeline(request: HttpRequest, pipeline_id: RecordId) -> dict[str, Any]:
    """One pipeline you may open, with its stages."""
    return pipeline_out(get_pipeline_for_user(actor(request), pipeline_id))


DETAIL_RELATED = ("contact", "company", "owner", "pipeline", "stage", "lost_reason")


@deals_router.get("", response=DealPage, summary="List deals")
def list_deals(request: HttpRequest, query: Query[DealQuery]) -> dict[str, Any]:
    """List the deals you may see, filtered like the board and the list screen.

    Filter deal custom fields with `custom.<key>=value` (e.g. `?custom.financing=Crédito`).
    """
    user = actor(request)
    filters = DealFilters(
        pipeline_id=query.pipeline, stage_id=query.stage, owner_id=query.owner,
        contact_id=query.contact, tag_id=query.tag, source=query.source,
        state=query.state or "", close_from=query.close_from, close_to=query.close_to,
        rotting=query.rotting, q=query.q,
        custom=tuple((k, v[:200]) for k, v in custom_filters(request).items())[:20],
    )  # fmt: skip
    page = page_of(
        request,
        filter_deals(user, filters),
        fields=DEAL_ORDERINGS[query.ordering],
        ordering=query.ordering,
        limit=query.limit,
        offset=query.offset,
        cursor=query.cursor,
        shape=lambda rows: with_card_facts(rows.select_related(*DETAIL_RELATED)),
    )
    return page.body([deal_out(row, repeat_sale=row.repeat_sale) for row in page.rows])


@deals_router.get("{deal_id}", response=DealOut, summary="Get a deal")
def get_deal(request: HttpRequest, deal_id: RecordId) -> dict[str, Any]:
    """One deal you may see."""
    return deal_out(get_deal_for_user(actor(request), deal_id))


def _user(owner_id: int | None, default: User) -> User:
    if owner_id is None or owner_id == default.pk:
        return default
    owner = User.objects.filter(pk=owner_id).first()
    if owner is None:
        raise ValidationFailed({"owner": _("Select a valid user.")})
    return owner


def _reason(reason_id: int | None) -> LostReason | None:
    if reason_id is None:
        return None
    reason = LostReason.objects.filter(pk=reason_id).first()
    if reason is None:
        raise ValidationFailed({"lost_reason": _("Select a valid lost reason.")})
    return reason


def _customer(
    user: User, contact_id: int | None, company_id: int | None
) -> tuple[Contact | None, Company | None]:
    contact = get_contact_for_user(user, contact_id) if contact_id else None
    company = get_company_for_user(user, company_id) if company_id else None
    return contact, company


@deals_router.post(
    "", response={201: DealOut}, summary="Create a deal", openapi_extra=api_errors(404),
)  # fmt: skip
def create_deal(request: HttpRequest, payload: DealIn) -> Status[dict[str, Any]]:
    """Create a deal; the amount is converted to the company currency at today's rate.

    A currency without a rate for today is a 400 naming it. Giving the deal to another `owner`
    needs the right to reassign deals.
    """
    user = actor(request)
    pipeline = get_pipeline_for_user(user, payload.pipeline)
    stage = None
    if payload.stage is not None:
        stage = Stage.objects.filter(pk=payload.stage, pipeline=pipeline).first()
        if stage is None:
            raise ValidationFailed({"stage": _("Choose a stage of this pipeline.")})
    contact, company = _customer(user, payload.contact, payload.company)
    deal = services.create_deal(
        actor=user,
        title=payload.title,
        pipeline=pipeline,
        stage=stage,
        owner=_user(payload.owner, user),
        contact=contact,
        company=company,
        amount=payload.amount,
        currency=payload.currency,
        expected_close=payload.expected_close,
        qualification={
            "budget": payload.budget, "authority": payload.authority, "need": payload.need,
            "timeframe": payload.timeframe, "attendance": payload.attendance,
        },
        lost_reason=_reason(payload.lost_reason),
        custom=payload.custom or {},
        via=Via.API,
    )  # fmt: skip
    return Status(201, deal_out(get_deal_for_user(user, deal.pk)))


@deals_router.patch(
    "{deal_id}", response={200: DealOut, 409: ConflictOut}, summary="Change a deal",
)  # fmt: skip
def update_deal(request: HttpRequest, deal_id: RecordId, payload: DealPatch) -> Any:
    """Change only the fields sent; send `version` to refuse the change (409) if it moved on."""
    user = actor(request)
    deal = get_deal_for_user(user, deal_id, write=True)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    if "owner" in data:
        data["owner"] = _user(data["owner"], user) if data["owner"] is not None else None
    if "contact" in data or "company" in data:
        contact, company = _customer(user, data.get("contact"), data.get("company"))
        if "contact" in data:
            data["contact"] = contact
        if "company" in data:
            data["company"] = company
    for key in ("title", "need", "lost_note", "currency"):
        if key in data and data[key] is None:
            data.pop(key)
    for key in ("authority", "timeframe"):
        if key in data and data[key] is None:
            data[key] = ""
    if "attendance" in data and data["attendance"] is None:
        data.pop("attendance")
    if "amount" in data and data["amount"] is None:
        data.pop("amount")
    try:
        services.update_deal(deal, actor=user, data=data, expected_version=version, via=Via.API)
    except services.StaleVersion as exc:
        return Status(409, {"detail": str(exc), "version": exc.current})
    return deal_out(get_deal_for_user(user, deal_id))


@deals_router.post(
    "{deal_id}/move", response={200: DealOut, 409: ConflictOut}, summary="Move a deal to a stage",
)  # fmt: skip
def move_deal(request: HttpRequest, deal_id: RecordId, payload: MoveIn) -> Any:
    """Move a deal to another stage; a lost stage needs `lost_reason` (GET …/lost-reasons).

    With `version`, a deal someone else moved or changed meanwhile answers 409 with its
    current version.
    """
    user = actor(request)
    # The stage it goes to (with its pipeline) and the lost reason come with the payload; the
    # stage it leaves and the repeat-sale flag of the answer (a move does not change it) with
    # the deal, in one query compiled once per process.
    deal, repeat_sale = get_deal_for_move(user, deal_id)
    stage = stage_for_move(payload.stage)
    if stage is None or (
        stage.pipeline_id != deal.pipeline_id
        and not pipelines_visible_to(user).filter(pk=stage.pipeline_id).exists()
    ):
        raise ValidationFailed({"stage": _("Choose a stage of a pipeline you may open.")})
    try:
        moved = services.move_deal(
            deal, stage=stage, actor=user, lost_reason=_reason(payload.lost_reason),
            lost_note=payload.lost_note, expected_version=payload.version, via=Via.API,
        )  # fmt: skip
    except services.StaleVersion as exc:
        return Status(409, {"detail": str(exc), "version": exc.current})
    return deal_out(moved, repeat_sale=repeat_sale)


@deals_router.delete("{deal_id}", response={204: None}, summary="Delete a deal")
def delete_deal(request: HttpRequest, deal_id: RecordId) -> Status[None]:
    """Delete a deal you may change; its events stay on the timelines."""
    user = actor(request)
    services.delete_deal(get_deal_for_user(user, deal_id, write=True), actor=user, via=Via.API)
    return Status(204, None)
