"""Template and campaign endpoints: thin adapters over campaigns.queries and services."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from clientela.accounts.api_auth import actor
from clientela.campaigns.api.schemas import (
    CampaignIn,
    CampaignOut,
    CampaignPage,
    CampaignPatch,
    ScheduleIn,
    StatsOut,
    TemplateIn,
    TemplateOut,
    TemplatePage,
    TemplatePatch,
)
from clientela.campaigns.choices import ScheduleMode
from clientela.campaigns.models import Campaign, EmailTemplate
from clientela.campaigns.queries import (
    campaigns_visible_to,
    get_campaign_for_user,
    get_template_for_user,
    templates_visible_to,
)
from clientela.campaigns.reports import Figures, build_report
from clientela.campaigns.services import campaigns as campaign_services
from clientela.campaigns.services import sending
from clientela.campaigns.services import templates as template_services
from clientela.core.events import Via
from clientela.core.http import PageQuery, RecordId, api_errors
from clientela.core.keyset import page_of

templates_router = Router(tags=["templates"])
campaigns_router = Router(tags=["campaigns"])
NEWEST = ("-id",)


def template_out(template: EmailTemplate) -> dict[str, Any]:
    """Return the API representation of a template."""
    return {
        field: getattr(template, field)
        for field in (
            "id",
            "name",
            "description",
            "mode",
            "subject_es",
            "subject_en",
            "preheader_es",
            "preheader_en",
            "blocks_es",
            "blocks_en",
            "html_es",
            "html_en",
            "version",
            "created_at",
            "updated_at",
        )
    }


def campaign_out(campaign: Campaign) -> dict[str, Any]:
    """Return the API representation of a campaign."""
    return {
        **{
            field: getattr(campaign, field)
            for field in (
                "id",
                "name",
                "state",
                "template_id",
                "from_name",
                "from_email",
                "reply_to",
                "purpose",
                "schedule_mode",
                "scheduled_at",
                "ab_target",
                "ab_sample_percent",
                "ab_wait_hours",
                "ab_metric",
                "per_minute",
                "per_domain_minute",
                "cost",
                "attribution_days",
                "started_at",
                "finished_at",
                "version",
            )
        },
        "segments": [s.pk for s in campaign.segments.all()],
        "excluded_segments": [s.pk for s in campaign.excluded_segments.all()],
        "variants": [
            {
                "label": v.label,
                "subject_es": v.subject_es,
                "subject_en": v.subject_en,
                "from_name": v.from_name,
                "from_email": v.from_email,
                "template_id": v.template_id,
                "is_winner": v.is_winner,
            }
            for v in campaign.variants.all()
        ],
    }


# --- Templates ---------------------------------------------------------------------------------


@templates_router.get("", response=TemplatePage, summary="List e-mail templates")
def list_templates(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    """E-mail templates, newest first."""
    user = actor(request)
    page = page_of(
        request,
        templates_visible_to(user).order_by(*NEWEST),
        fields=NEWEST,
        ordering="-id",
        limit=query.limit,
        offset=query.offset,
        cursor=query.cursor,
    )
    return page.body([template_out(t) for t in page.rows])


@templates_router.post("", response={201: TemplateOut}, summary="Create an e-mail template")
def create_template(request: HttpRequest, payload: TemplateIn) -> Status[dict[str, Any]]:
    """Create a template (its content is checked by rendering it once)."""
    user = actor(request)
    template = template_services.create_template(actor=user, data=payload.dict(), via=Via.API)
    return Status(201, template_out(template))


@templates_router.get("{template_id}", response=TemplateOut, summary="Get an e-mail template")
def get_template(request: HttpRequest, template_id: RecordId) -> dict[str, Any]:
    """One template with its content in both languages."""
    return template_out(get_template_for_user(actor(request), template_id))


@templates_router.patch(
    "{template_id}",
    response=TemplateOut,
    summary="Change an e-mail template",
    openapi_extra=api_errors(409),
)
def update_template(
    request: HttpRequest, template_id: RecordId, payload: TemplatePatch
) -> dict[str, Any]:
    """Change only the fields sent."""
    user = actor(request)
    template = get_template_for_user(user, template_id, write=True)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    data = {key: value for key, value in data.items() if value is not None}
    updated = template_services.update_template(
        template, actor=user, data=data, version=version, via=Via.API
    )
    return template_out(updated)


# --- Campaigns ---------------------------------------------------------------------------------


@campaigns_router.get("", response=CampaignPage, summary="List campaigns")
def list_campaigns(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    """Campaigns, newest first."""
    user = actor(request)
    page = page_of(
        request,
        campaigns_visible_to(user).order_by(*NEWEST),
        fields=NEWEST,
        ordering="-id",
        limit=query.limit,
        offset=query.offset,
        cursor=query.cursor,
        shape=lambda qs: qs.prefetch_related("segments", "excluded_segments", "variants"),
    )
    return page.body([campaign_out(c) for c in page.rows])


@campaigns_router.post("", response={201: CampaignOut}, summary="Create a campaign")
def create_campaign(request: HttpRequest, payload: CampaignIn) -> Status[dict[str, Any]]:
    """Create a draft campaign."""
    user = actor(request)
    campaign = campaign_services.create_campaign(actor=user, data=payload.dict(), via=Via.API)
    return Status(201, campaign_out(campaign))


@campaigns_router.get("{campaign_id}", response=CampaignOut, summary="Get a campaign")
def get_campaign(request: HttpRequest, campaign_id: RecordId) -> dict[str, Any]:
    """One campaign."""
    return campaign_out(get_campaign_for_user(actor(request), campaign_id))


@campaigns_router.patch(
    "{campaign_id}",
    response=CampaignOut,
    summary="Change a campaign",
    openapi_extra=api_errors(409),
)
def update_campaign(
    request: HttpRequest, campaign_id: RecordId, payload: CampaignPatch
) -> dict[str, Any]:
    """Change only the fields sent (a campaign that started sending answers 409)."""
    user = actor(request)
    campaign = get_campaign_for_user(user, campaign_id, write=True)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    updated = campaign_services.update_campaign(
        campaign, actor=user, data=data, version=version, via=Via.API
    )
    return campaign_out(updated)


@campaigns_router.post(
    "{campaign_id}/send",
    response=CampaignOut,
    summary="Send a campaign now",
    openapi_extra=api_errors(409),
)
def send_campaign(request: HttpRequest, campaign_id: RecordId) -> dict[str, Any]:
    """Start sending at once (the audience is taken when the worker starts)."""
    user = actor(request)
    campaign = get_campaign_for_user(user, campaign_id)
    return campaign_out(sending.send_campaign(campaign, actor=user, via=Via.API))


@campaigns_router.post(
    "{campaign_id}/schedule",
    response=CampaignOut,
    summary="Schedule a campaign",
    openapi_extra=api_errors(409),
)
def schedule_campaign(
    request: HttpRequest, campaign_id: RecordId, payload: ScheduleIn
) -> dict[str, Any]:
    """Send at a moment, or at that moment's hour in each recipient's time zone (`local`)."""
    user = actor(request)
    campaign = get_campaign_for_user(user, campaign_id)
    mode = ScheduleMode.LOCAL if payload.local else ScheduleMode.AT
    return campaign_out(
        sending.send_campaign(campaign, actor=user, mode=mode, at=payload.at, via=Via.API)
    )


@campaigns_router.post(
    "{campaign_id}/pause",
    response=CampaignOut,
    summary="Pause a campaign",
    openapi_extra=api_errors(409),
)
def pause_campaign(request: HttpRequest, campaign_id: RecordId) -> dict[str, Any]:
    """Hold what has not left yet; resume with `POST …/resume`."""
    user = actor(request)
    campaign = get_campaign_for_user(user, campaign_id)
    return campaign_out(sending.pause_campaign(campaign, actor=user, via=Via.API))


@campaigns_router.post(
    "{campaign_id}/resume",
    response=CampaignOut,
    summary="Resume a paused campaign",
    openapi_extra=api_errors(409),
)
def resume_campaign(request: HttpRequest, campaign_id: RecordId) -> dict[str, Any]:
    """Send what was held and continue."""
    user = actor(request)
    campaign = get_campaign_for_user(user, campaign_id)
    return campaign_out(sending.resume_campaign(campaign, actor=user, via=Via.API))


@campaigns_router.post(
    "{campaign_id}/cancel",
    response=CampaignOut,
    summary="Cancel a campaign",
    openapi_extra=api_errors(409),
)
def cancel_campaign(request: HttpRequest, campaign_id: RecordId) -> dict[str, Any]:
    """Cancel: what has not left never will."""
    user = actor(request)
    campaign = get_campaign_for_user(user, campaign_id)
    return campaign_out(sending.cancel_campaign(campaign, actor=user, via=Via.API))


def figures_out(figures: Figures) -> dict[str, Any]:
    """Return the API representation of a campaign's (or variant's) figures."""
    data = {key: value for key, value in vars(figures).items() if key != "label"}
    return {"variant": figures.label, **data}


@campaigns_router.get("{campaign_id}/stats", response=StatsOut, summary="A campaign's figures")
def campaign_stats(request: HttpRequest, campaign_id: RecordId) -> dict[str, Any]:
    """Recipients, exclusions, deliveries, bounces, opens, clicks, revenue and ROI."""
    campaign = get_campaign_for_user(actor(request), campaign_id)
    report = build_report(campaign)
    return {
        "state": campaign.state,
        "total": figures_out(report.total),
        "variants": [figures_out(f) for f in report.variants],
        "excluded": {reason: count for reason, _label, count in report.exclusions},
        "links": [{"url": u, "unique": n, "clicks": c} for u, n, c in report.links],
        "cost": campaign.cost,
        "roi_percent": report.roi,
        "progress": sending.progress(campaign),
    }
