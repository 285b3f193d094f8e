"""API of the sales reports (mounted at /api/v1/reports): adapters over `sales.queries`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from clientela.accounts.api_auth import actor
from clientela.core.exceptions import Forbidden, ValidationFailed
from clientela.core.http import RecordId, api_errors
from clientela.deals.queries import get_pipeline_for_user
from clientela.sales.queries import ReportFilters, can_view_reports, default_period, funnel

reports_router = Router(tags=["reports"])

DATE_MIN = dt.date(2000, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)


class FunnelQuery(Schema):
    """The pipeline and the period (days in the company time zone) of a funnel."""

    pipeline: RecordId = Field(description="Pipeline id")
    since: dt.date | None = Field(None, description="First day (default: 11 months ago, day 1)")
    until: dt.date | None = Field(None, description="Last day, included (default: today)")


class FunnelStageOut(Schema):
    """One step of the funnel: deals opened in the period that reached the stage."""

    stage: str = Field(description="The stage's name")
    stage_id: int
    position: int
    reached: int = Field(description="Deals whose furthest stage is this one or a later one")
    conversion: Decimal | None = Field(
        description="Percent of the previous stage's deals that reached this one (null first)"
    )
    drop_off: int = Field(description="Deals of the previous stage that did not reach this one")


@reports_router.get(
    "funnel",
    response=list[FunnelStageOut],
    summary="Funnel of a pipeline",
    openapi_extra=api_errors(403, 404),
)
def funnel_report(request: HttpRequest, query: Query[FunnelQuery]) -> list[dict[str, Any]]:
    """Return the funnel of the deals you may see opened in the period, one row per stage.

    A deal that skipped a stage counts as having passed it; lost stages are left out. Reps
    read their own deals, managers everyone's (sales.view_reports).
    """
    user = actor(request)
    if not can_view_reports(user):
        raise Forbidden(_("Your role cannot read sales reports."))
    pipeline = get_pipeline_for_user(user, query.pipeline)
    since, until = default_period()
    since, until = query.since or since, query.until or until
    errors = {}
    for name, day in (("since", since), ("until", until)):
        if not DATE_MIN <= day <= DATE_MAX:
            errors[name] = _("Choose a date between 2000 and 2100.")
    if not errors and since > until:
        errors["until"] = _("The end of the period is before its start.")
    if errors:
        raise ValidationFailed(errors)
    steps = funnel(user, ReportFilters(pipeline=pipeline, since=since, until=until))
    return [
        {
            "stage": s.stage.name, "stage_id": s.stage.pk, "position": s.stage.position,
            "reached": s.reached, "conversion": s.conversion, "drop_off": s.drop_off,
        }
        for s in steps
    ]  # fmt: skip
