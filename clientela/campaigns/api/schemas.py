"""Request and response schemas of the campaigns API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from clientela.core.http import RecordId


class TemplateOut(Schema):
    """An e-mail template: its subject, preview text and content in both languages."""

    id: int
    name: str
    description: str
    mode: str
    subject_es: str
    subject_en: str
    preheader_es: str
    preheader_en: str
    blocks_es: list[dict[str, Any]]
    blocks_en: list[dict[str, Any]]
    html_es: str
    html_en: str
    version: int
    created_at: datetime
    updated_at: datetime


class TemplatePage(Schema):
    """A page of templates."""

    items: list[TemplateOut]
    count: int
    count_capped: bool
    next: str | None


class TemplateIn(Schema):
    """A new template (blocks: a list of {"type": "heading" | "text" | … , …})."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=120)
    description: str = Field("", max_length=300)
    mode: Literal["blocks", "html"] = "blocks"
    subject_es: str = Field(max_length=300)
    subject_en: str = Field("", max_length=300)
    preheader_es: str = Field("", max_length=200)
    preheader_en: str = Field("", max_length=200)
    blocks_es: list[dict[str, Any]] = Field(default_factory=list, max_length=60)
    blocks_en: list[dict[str, Any]] = Field(default_factory=list, max_length=60)
    html_es: str = Field("", max_length=300_000)
    html_en: str = Field("", max_length=300_000)


class TemplatePatch(Schema):
    """Changes to a template: only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=120)
    description: str | None = Field(None, max_length=300)
    mode: Literal["blocks", "html"] | None = None
    subject_es: str | None = Field(None, max_length=300)
    subject_en: str | None = Field(None, max_length=300)
    preheader_es: str | None = Field(None, max_length=200)
    preheader_en: str | None = Field(None, max_length=200)
    blocks_es: list[dict[str, Any]] | None = Field(None, max_length=60)
    blocks_en: list[dict[str, Any]] | None = Field(None, max_length=60)
    html_es: str | None = Field(None, max_length=300_000)
    html_en: str | None = Field(None, max_length=300_000)
    version: int | None = Field(None, ge=0, le=2**31, description="Refuse if changed since")


class VariantOut(Schema):
    """One arm of a campaign."""

    label: str
    subject_es: str
    subject_en: str
    from_name: str
    from_email: str
    template_id: int | None
    is_winner: bool


class CampaignOut(Schema):
    """A campaign, its audience, schedule, A/B test and throttle."""

    id: int
    name: str
    state: str
    template_id: int
    from_name: str
    from_email: str
    reply_to: str
    purpose: str
    segments: list[int]
    excluded_segments: list[int]
    schedule_mode: str
    scheduled_at: datetime | None
    ab_target: str
    ab_sample_percent: int
    ab_wait_hours: int
    ab_metric: str
    per_minute: int | None
    per_domain_minute: int | None
    cost: Decimal
    attribution_days: int
    variants: list[VariantOut]
    started_at: datetime | None
    finished_at: datetime | None
    version: int


class CampaignPage(Schema):
    """A page of campaigns."""

    items: list[CampaignOut]
    count: int
    count_capped: bool
    next: str | None


class CampaignIn(Schema):
    """A new campaign (a draft until it is sent or scheduled)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=150)
    template: RecordId
    subject_es: str = Field("", max_length=300, description="Empty: the template's subject")
    subject_en: str = Field("", max_length=300)
    from_name: str = Field("", max_length=100)
    from_email: str = Field("", max_length=254)
    reply_to: str = Field("", max_length=254)
    purpose: str = Field(
        "newsletter", max_length=32, description="A mail topic (newsletter, promotions…)"
    )
    segments: list[RecordId] = Field(default_factory=list, max_length=100)
    excluded_segments: list[RecordId] = Field(default_factory=list, max_length=100)
    ab_target: Literal["", "subject", "sender", "content"] = ""
    subject_b_es: str = Field("", max_length=300)
    subject_b_en: str = Field("", max_length=300)
    from_name_b: str = Field("", max_length=100)
    from_email_b: str = Field("", max_length=254, description="Empty: the campaign's address")
    template_b: RecordId | None = None
    ab_sample_percent: int = Field(20, ge=2, le=50)
    ab_wait_hours: int = Field(4, ge=1, le=168)
    ab_metric: Literal["opens", "clicks"] = "opens"
    per_minute: int | None = Field(None, ge=1, le=1_000_000)
    per_domain_minute: int | None = Field(None, ge=1, le=1_000_000)
    cost: Decimal = Field(Decimal("0"), ge=0, max_digits=14, decimal_places=2)
    attribution_days: int = Field(7, ge=1, le=365)


class CampaignPatch(Schema):
    """Changes to a campaign that has not started sending: only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=150)
    template: RecordId | None = None
    subject_es: str | None = Field(None, max_length=300)
    subject_en: str | None = Field(None, max_length=300)
    from_name: str | None = Field(None, max_length=100)
    from_email: str | None = Field(None, max_length=254)
    reply_to: str | None = Field(None, max_length=254)
    purpose: str | None = Field(None, max_length=32)
    segments: list[RecordId] | None = Field(None, max_length=100)
    excluded_segments: list[RecordId] | None = Field(None, max_length=100)
    ab_target: Literal["", "subject", "sender", "content"] | None = None
    subject_b_es: str | None = Field(None, max_length=300)
    subject_b_en: str | None = Field(None, max_length=300)
    from_name_b: str | None = Field(None, max_length=100)
    from_email_b: str | None = Field(None, max_length=254)
    template_b: RecordId | None = None
    ab_sample_percent: int | None = Field(None, ge=2, le=50)
    ab_wait_hours: int | None = Field(None, ge=1, le=168)
    ab_metric: Literal["opens", "clicks"] | None = None
    per_minute: int | None = Field(None, ge=1, le=1_000_000)
    per_domain_minute: int | None = Field(None, ge=1, le=1_000_000)
    cost: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    attribution_days: int | None = Field(None, ge=1, le=365)
    version: int | None = Field(None, ge=0, le=2**31, description="Refuse if changed since")


class ScheduleIn(Schema):
    """When to send: at a moment, or at that moment's hour in each recipient's time zone.

    A moment without an offset is read in the company's time zone; `local` sends at its hour
    in each recipient's time zone.
    """

    model_config = ConfigDict(extra="forbid")

    at: datetime
    local: bool = False


class FiguresOut(Schema):
    """The figures of a campaign or one variant."""

    variant: str
    recipients: int
    sent: int
    failed: int
    delivered: int
    bounced_hard: int
    bounced_soft: int
    unique_opens: int
    total_opens: int
    machine_opens: int
    unique_clicks: int
    total_clicks: int
    machine_clicks: int
    unsubscribed: int
    complained: int
    orders: int
    revenue: Decimal


class StatsOut(Schema):
    """A campaign's report: totals, per variant, exclusions by reason, links, ROI."""

    state: str
    total: FiguresOut
    variants: list[FiguresOut]
    excluded: dict[str, int]
    links: list[dict[str, Any]]
    cost: Decimal
    roi_percent: float | None
    progress: dict[str, int]
