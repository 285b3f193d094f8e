"""Segments, static lists and their membership over time."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.segments.choices import SegmentKind


class Segment(models.Model):
    """A named audience: a dynamic condition tree or a hand-edited static list of contacts."""

    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=300, blank=True)
    kind = models.CharField(
        _("kind"), max_length=8, choices=SegmentKind.choices, default=SegmentKind.DYNAMIC
    )
    # The typed condition tree (clientela.segments.tree); empty for a static list.
    definition = models.JSONField(_("conditions"), default=dict, blank=True)
    # Ready-made segments carry a stable code so re-seeding finds them instead of adding copies.
    code = models.CharField(max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    # Materialised membership: how many contacts are in, and when it was last brought up to date.
    member_count = models.PositiveIntegerField(_("members"), default=0)
    refreshed_at = models.DateTimeField(_("refreshed"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                condition=~Q(code="") & Q(deleted_at__isnull=True),
                name="segment_code_unique",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name, or for a ready-made segment nobody renamed, its label in the reader's language."""
        if not self.name and self.code:
            from clientela.segments.readymade import ready_made

            known = ready_made(self.code)
            if known is not None:
                return str(known.label)
        return self.name

    @property
    def display_description(self) -> str:
        """The description, or a ready-made segment's own in the reader's language."""
        if not self.description and self.code:
            from clientela.segments.readymade import ready_made

            known = ready_made(self.code)
            if known is not None:
                return str(known.description)
        return self.description

    @property
    def is_static(self) -> bool:
        """Whether the segment is a hand-edited list."""
        return self.kind == SegmentKind.STATIC


class Membership(models.Model):
    """One stay of a contact in a segment: entered at, left at (open while still a member).

    For a static list the open rows are the list itself; for a dynamic segment they are the
    materialised result of its conditions, kept current by the refresh.
    """

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    entered_at = models.DateTimeField(_("entered"), default=timezone.now)
    left_at = models.DateTimeField(_("left"), null=True, blank=True)

    class Meta:
        verbose_name = _("segment membership")
        verbose_name_plural = _("segment memberships")
        constraints = [
            # At most one open stay per contact and segment: the refresh is idempotent.
            models.UniqueConstraint(
                fields=["segment", "contact"],
                condition=Q(left_at__isnull=True),
                name="membership_one_open_stay",
            )
        ]
        indexes = [
            models.Index(fields=["contact", "segment"], name="membership_contact_idx"),
            models.Index(fields=["segment", "entered_at"], name="membership_entered_idx"),
            models.Index(
                fields=["segment", "left_at"],
                name="membership_left_idx",
                condition=Q(left_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.segment_id}:{self.contact_id}"


class PendingContact(models.Model):
    """A contact whose data changed since the last refresh (drained by the scheduler)."""

    contact_id = models.BigIntegerField(primary_key=True)
    queued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("contact awaiting segment refresh")
        verbose_name_plural = _("contacts awaiting segment refresh")

    def __str__(self) -> str:
        return str(self.contact_id)
