"""Segment conditions over e-mail engagement: "opened / clicked campaign C (or any e-mail)".

Registered from CampaignsConfig.ready: segments sits below campaigns and offers the registry.
Only human opens and clicks count (delivery flags machine opens and scanner clicks). The window
is by the company's calendar day, like the other "in the last N days" conditions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from clientela.campaigns.models import Campaign
from clientela.campaigns.reports import group_of
from clientela.delivery.models import MessageEvent
from clientela.segments.conditions.base import chunks
from clientela.segments.registry import (
    Condition,
    ConditionSpec,
    Context,
    Kind,
    Param,
    register_condition,
)

EMAIL = _("E-mail")


def _campaign_choices() -> list[tuple[str, Any]]:
    return [("", _("Any e-mail"))] + [
        (str(pk), name)
        for pk, name in Campaign.objects.filter(deleted_at__isnull=True, snapshot_at__isnull=False)
        .order_by("-id")
        .values_list("pk", "name")[:200]
    ]


def _events(kind: str, condition: Condition, ctx: Context) -> QuerySet[MessageEvent]:
    rows = MessageEvent.objects.filter(kind=kind, machine=False)
    raw = condition.params.get("campaign")
    if raw not in (None, ""):
        try:
            campaign_id = int(str(raw))
        except (TypeError, ValueError):
            campaign_id = 0
        rows = rows.filter(message__group=group_of(campaign_id))
    days = condition.params.get("days")
    if days is not None:
        rows = rows.filter(at__gte=ctx.start_of(ctx.today - dt.timedelta(days=int(str(days)))))
    return rows


def _compiler(kind: str) -> Any:
    def compile_q(condition: Condition, ctx: Context) -> Q:
        rows = _events(kind, condition, ctx)
        return Q(Exists(rows.filter(message__contact_id=OuterRef("pk"))))

    return compile_q


def _loader(kind: str) -> Any:
    def load(ids: Sequence[int], condition: Condition, ctx: Context) -> dict[int, Any]:
        latest: dict[int, dt.datetime] = {}
        rows = _events(kind, condition, ctx)
        for part in chunks(list(ids)):
            for contact_id, at in rows.filter(message__contact_id__in=part).values_list(
                "message__contact_id", "at"
            ):
                if contact_id not in latest or at > latest[contact_id]:
                    latest[contact_id] = at
        return {pk: latest.get(pk) for pk in ids}

    return load


def _happened(condition: Condition, value: Any, ctx: Context) -> bool:
    return value is not None


def _show(value: Any) -> str:
    if value is None:
        return str(_("never"))
    return str(_("last %(when)s")) % {
        "when": formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    }


def register_engagement_conditions() -> None:
    """Register "opened an e-mail" and "clicked an e-mail" (CampaignsConfig.ready)."""
    params = (
        Param(
            "campaign", _("Campaign (empty: any e-mail)"), choices=_campaign_choices, required=False
        ),
        Param("days", _("In the last … days (empty: ever)"), days=True, required=False),
    )
    for field, label, kind in (
        ("email_opened", _("Opened an e-mail"), "open"),
        ("email_clicked", _("Clicked a link in an e-mail"), "click"),
    ):
        register_condition(
            ConditionSpec(
                field=field,
                label=label,
                group=EMAIL,
                kind=Kind.FLAG,
                compile=_compiler(kind),
                load=_loader(kind),
                params=params,
                predicate=_happened,
                show=_show,
                time_relative=True,
            )
        )
