"""E-mail templates, campaigns, their A/B variants and the per-recipient snapshot."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.campaigns.choices import (
    AbTarget,
    CampaignState,
    Phase,
    ScheduleMode,
    TemplateMode,
    WinnerMetric,
)


def new_token() -> str:
    """Return a 128-bit random URL-safe token (image addresses)."""
    return secrets.token_urlsafe(16)[:32]


class EmailTemplate(models.Model):
    """A reusable e-mail: blocks or HTML source, in Spanish and (optionally) English."""

    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=300, blank=True)
    starter = models.CharField(_("starter"), max_length=30, blank=True)
    mode = models.CharField(
        _("editor"), max_length=8, choices=TemplateMode.choices, default=TemplateMode.BLOCKS
    )
    subject_es = models.CharField(_("subject (Spanish)"), max_length=300, blank=True)
    subject_en = models.CharField(_("subject (English)"), max_length=300, blank=True)
    preheader_es = models.CharField(_("preview text (Spanish)"), max_length=200, blank=True)
    preheader_en = models.CharField(_("preview text (English)"), max_length=200, blank=True)
    # Block lists (clientela.campaigns.blocks) and HTML sources, one per language.
    blocks_es = models.JSONField(_("blocks (Spanish)"), default=list, blank=True)
    blocks_en = models.JSONField(_("blocks (English)"), default=list, blank=True)
    html_es = models.TextField(_("HTML (Spanish)"), blank=True)
    html_en = models.TextField(_("HTML (English)"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("e-mail template")
        verbose_name_plural = _("e-mail templates")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_english(self) -> bool:
        """Whether an English variant is written (contacts in English get it)."""
        return bool(self.subject_en.strip())


class TemplateImage(models.Model):
    """An image for e-mails, re-encoded on upload (webforms.images), hosted by token."""

    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    name = models.CharField(_("name"), max_length=200, blank=True)
    data = models.BinaryField()
    extension = models.CharField(max_length=4)
    content_type = models.CharField(max_length=20)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("e-mail image")
        verbose_name_plural = _("e-mail images")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.name or self.token


class Campaign(models.Model):
    """A send of a template to an audience: segments and lists minus exclusions."""

    name = models.CharField(_("name"), max_length=150)
    template = models.ForeignKey(
        EmailTemplate,
        verbose_name=_("template"),
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    from_name = models.CharField(_("sender name"), max_length=100, blank=True)
    from_email = models.CharField(_("sender address"), max_length=254, blank=True)
    reply_to = models.CharField(_("reply to"), max_length=254, blank=True)
    purpose = models.CharField(_("purpose"), max_length=30, default="newsletter")
    segments = models.ManyToManyField(
        "segments.Segment", verbose_name=_("send to"), related_name="+", blank=True
    )
    excluded_segments = models.ManyToManyField(
        "segments.Segment", verbose_name=_("except"), related_name="+", blank=True
    )
    state = models.CharField(
        _("state"), max_length=10, choices=CampaignState.choices, default=CampaignState.DRAFT
    )
    schedule_mode = models.CharField(
        _("when"), max_length=6, choices=ScheduleMode.choices, default=ScheduleMode.NOW
    )
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    ab_target = models.CharField(
        _("A/B test"), max_length=8, choices=AbTarget.choices, default=AbTarget.NONE, blank=True
    )
    ab_sample_percent = models.PositiveSmallIntegerField(_("A/B sample (%)"), default=20)
    ab_wait_hours = models.PositiveSmallIntegerField(
        _("choose the winner after (hours)"), default=4
    )
    ab_metric = models.CharField(
        _("winner by"), max_length=6, choices=WinnerMetric.choices, default=WinnerMetric.OPENS
    )
    ab_decided_at = models.DateTimeField(_("winner chosen"), null=True, blank=True)
    per_minute = models.PositiveIntegerField(_("messages per minute"), null=True, blank=True)
    per_domain_minute = models.PositiveIntegerField(
        _("messages per minute per recipient domain"), null=True, blank=True
    )
    cost = models.DecimalField(
        _("cost"), max_digits=14, decimal_places=2, default=Decimal("0"), blank=True
    )
    attribution_days = models.PositiveSmallIntegerField(_("attribution window (days)"), default=7)
    # Counts of the audience left out, by reason (Exclusion), written when sending starts.
    exclusions = models.JSONField(_("excluded"), default=dict, blank=True)
    snapshot_at = models.DateTimeField(_("audience taken"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["state", "scheduled_at"],
                name="campaign_due_idx",
                condition=Q(deleted_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_editable(self) -> bool:
        """Whether the campaign may still be changed (before sending starts)."""
        return self.state in (CampaignState.DRAFT, CampaignState.SCHEDULED)


class Variant(models.Model):
    """One arm of a campaign: "A" (the only one without an A/B test) or "B"."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="variants")
    label = models.CharField(_("variant"), max_length=1)
    subject_es = models.CharField(_("subject (Spanish)"), max_length=300, blank=True)
    subject_en = models.CharField(_("subject (English)"), max_length=300, blank=True)
    from_name = models.CharField(_("sender name"), max_length=100, blank=True)
    # Empty: the campaign's sender address (variant B of a sender test may name another).
    from_email = models.CharField(_("sender address"), max_length=254, blank=True)
    template = models.ForeignKey(
        EmailTemplate,
        verbose_name=_("template"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_winner = models.BooleanField(_("winner"), default=False)

    class Meta:
        verbose_name = _("campaign variant")
        verbose_name_plural = _("campaign variants")
        ordering = ["campaign", "label"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "label"], name="variant_one_label")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.label}"


class CampaignRecipient(models.Model):
    """One recipient of a campaign, written once when sending starts (the snapshot).

    The unique (campaign, contact) pair makes the snapshot idempotent: a retried start inserts
    nobody twice. `queued` says whether its message was handed to delivery (group
    "campaign:<campaign id>", ref "r:<id>").
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    contact = models.ForeignKey(
        "contacts.Contact", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.CharField(_("e-mail"), max_length=254)
    language = models.CharField(_("language"), max_length=5, default="es")
    variant = models.ForeignKey(
        Variant, null=True, blank=True, on_delete=models.SET_NULL, related_name="recipients"
    )
    phase = models.CharField(_("phase"), max_length=4, choices=Phase.choices, default=Phase.ALL)
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    queued = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("campaign recipient")
        verbose_name_plural = _("campaign recipients")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "contact"], name="recipient_once")
        ]
        indexes = [
            models.Index(
                fields=["campaign", "phase", "id"],
                name="recipient_unqueued_idx",
                condition=Q(queued=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.email}"
