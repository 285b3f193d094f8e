"""Tracked sites, anonymous visitors and the (high-volume) table of their page views and clicks."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.tracking.choices import ConsentMode, EventKind

# Limits shared by the ingest schema, the script and the columns.
URL_MAX = 2048
PATH_MAX = 1024
TITLE_MAX = 300
CTA_MAX = 200
VISITOR_ID_LENGTH = 32  # 128 random bits as lowercase hex, made by the script


def new_site_key() -> str:
    """Return a public site key: 144 random bits, URL-safe (never a database id)."""
    return secrets.token_urlsafe(18)


class TrackedSite(models.Model):
    """A website that loads the tracking script, with the origins allowed to send its events."""

    name = models.CharField(_("name"), max_length=120)
    key = models.CharField(_("public key"), max_length=40, unique=True, default=new_site_key)
    # One origin per line ("https://www.example.co"): CORS and the Origin check use them.
    allowed_origins = models.TextField(_("allowed origins"))
    consent_mode = models.CharField(
        _("visitor cookie"),
        max_length=16,
        choices=ConsentMode.choices,
        default=ConsentMode.AFTER_CONSENT,
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("tracked site")
        verbose_name_plural = _("tracked sites")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def origins(self) -> list[str]:
        """The allowed origins, one per line, without blanks or a trailing slash."""
        return [
            line.strip().rstrip("/") for line in self.allowed_origins.splitlines() if line.strip()
        ]


class Visitor(models.Model):
    """One browser on a tracked site: the random id the script keeps (cookie `clv_id`)."""

    key = models.CharField(_("visitor id"), max_length=VISITOR_ID_LENGTH, unique=True)
    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        # Erasing a contact erases the browsing history joined to it.
        on_delete=models.CASCADE,
        related_name="+",
    )
    first_seen = models.DateTimeField(_("first seen"), default=timezone.now)
    last_seen = models.DateTimeField(_("last seen"), default=timezone.now)
    identified_at = models.DateTimeField(_("identified"), null=True, blank=True)

    class Meta:
        verbose_name = _("visitor")
        verbose_name_plural = _("visitors")

    def __str__(self) -> str:
        return self.key


class Event(models.Model):
    """A page view or a CTA click: narrow, append-only, inserted in batches.

    `contact` is set when the visitor is already identified, and filled in for the earlier,
    anonymous rows when the visitor is identified (tracking.services.identify_visitor).
    """

    site = models.ForeignKey(
        TrackedSite, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    visitor = models.ForeignKey(
        Visitor, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    kind = models.PositiveSmallIntegerField(_("kind"), choices=EventKind.choices)
    url = models.CharField(_("address"), max_length=URL_MAX)
    path = models.CharField(_("path"), max_length=PATH_MAX)
    referrer = models.CharField(_("referrer"), max_length=URL_MAX, blank=True)
    cta = models.CharField(_("call to action"), max_length=CTA_MAX, blank=True)
    title = models.CharField(_("page title"), max_length=TITLE_MAX, blank=True)
    occurred_at = models.DateTimeField(_("when"))
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        verbose_name = _("web event")
        verbose_name_plural = _("web events")
        indexes = [
            # Segment conditions: EXISTS(... contact = outer AND occurred_at >= start ...).
            # Partial: most rows are anonymous and cost this index nothing.
            models.Index(
                fields=["contact", "occurred_at"],
                name="tracking_event_contact_idx",
                condition=Q(contact__isnull=False),
            ),
            models.Index(fields=["path", "occurred_at"], name="tracking_event_path_idx"),
            # identify_visitor joins a visitor's anonymous rows; deletes cascade through it.
            models.Index(fields=["visitor", "occurred_at"], name="tracking_event_visitor_idx"),
            # The sites screen counts recent events per site; the purge deletes by age.
            models.Index(fields=["site", "received_at"], name="tracking_event_site_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.path}"
